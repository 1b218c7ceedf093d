"""Steps of a ``try`` that fail the same way, or each with a text that names it: one source of failure for SAD104.

"The ``try`` covers several steps, so without the traceback nobody knows which step failed" holds only when the
steps fail alike and the error's text does not say which one it was. Two shapes where the record that carries the
error already says it:

- several commands on one cache or connection object (``self._cache.get(k)``, ``self._cache.set(k, v)``, with
  ``self._cache = cache_manager.cache``): they fail the same way, for the one reason the backend's error gives
  (redis-py's "Error 111 connecting to host:6379"), so they are one step;
- a chain on one resource: each step after the first is a method of what an earlier step returned (``context =
  ssl.create_default_context()``, ``with context.wrap_socket(...) as s``, ``s.connect(...)``; ``with
  self.file.open() as f``, ``f.readline()``), none of them the project's own code: one file or socket set up and
  used, whose ``OSError`` or ``gaierror`` names the cause;
- every step is a call whose errors name themselves: a self-described library's (``bcrypt.hashpw``), or a
  project function whose every failing call is one (a password hasher run in a thread, a ``raise`` of a
  descriptive message), or a project method that runs its statements on one SQLAlchemy session it is handed or
  opens (its errors carry ``[SQL: ...]``);
- the standard library's reads and decodes of one local input (``os.stat(path)``, ``open(path)``, then
  ``binascii.a2b_hex()`` of what was read): an ``OSError`` names the path, a decode error says what is wrong with
  the text, and the record names the input (services review round 17, SAD104 row 6).
"""

from __future__ import annotations

import ast
import builtins
import re

from sadpath.engine import callee_traps, try_steps
from sadpath.engine.context import ModuleContext

Steps = list[tuple[str, ast.Call]]
# a cache or connection object: its commands go to one backend and fail with its error
_BACKEND = re.compile(r"^_?(\w+_)?(cache|caches|redis|valkey|memcache|memcached|conn|connection|redis_client|cache_client)$", re.IGNORECASE)
_SESSION = re.compile(r"^_?(\w+_)?(session|db)$", re.IGNORECASE)
_SESSION_TYPES = re.compile(r"\b(Async)?Session\b")
_THREAD_RUNNERS = frozenset({"asyncio.to_thread", "anyio.to_thread.run_sync"})
_VALUE_CALLS = frozenset({"str", "repr", "len", "bool", "int", "isinstance", "uuid4", "gensalt", "encode", "decode", "lower", "strip"})


def one_backend(steps: Steps, ctx: ModuleContext) -> bool:
    """Every step is a command on one and the same cache or connection object (``self._cache``, ``redis_conn``),
    not a method of the project's own code: the backend's error says what failed."""
    receivers = set()
    for _, call in steps:
        func = call.func
        if not isinstance(func, ast.Attribute) or callee_traps.project_callee(call, ctx) is not None:
            return False
        receiver = func.value
        last = receiver.attr if isinstance(receiver, ast.Attribute) else receiver.id if isinstance(receiver, ast.Name) else ""
        root = receiver
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or not _BACKEND.match(last):
            return False  # (``self.get()`` is the project's; ``store.save()`` may be anything)
        receivers.add(ast.dump(receiver))
    return len(steps) >= 2 and len(receivers) == 1


def one_resource(steps: Steps, func: ast.AST | None, ctx: ModuleContext) -> bool:
    """Every step after the first is a method call on a name bound (``=`` or ``with ... as``) to the result of an
    earlier step, and no step runs the project's own code: one resource set up and used."""
    if len(steps) < 2 or func is None or any(callee_traps.project_callee(call, ctx) is not None for _, call in steps):
        return False
    bound: dict[str, ast.Call] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(value, ast.Call):
                bound[node.targets[0].id] = value
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name) and isinstance(item.context_expr, ast.Call):
                    bound[item.optional_vars.id] = item.context_expr
    earlier = [steps[0][1]]
    for _, call in steps[1:]:
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        source = bound.get(receiver.id) if isinstance(receiver, ast.Name) else None
        if source is None or not any(source is e for e in earlier):
            return False
        earlier.append(call)
    return True


def self_described_steps(steps: Steps, ctx: ModuleContext) -> bool:
    """Every step fails with an error that names it: a self-described library's call, or a project callee whose
    every failing call is one, or whose work runs on one SQLAlchemy session."""
    return len(steps) >= 2 and all(_described(call, ctx) for _, call in steps)


def _described(call: ast.Call, ctx: ModuleContext) -> bool:
    if try_steps.self_described(ctx.qualified_name(call.func) or ""):
        return True
    func = callee_traps.project_callee(call, ctx)
    if func is None:
        return False
    sessions = _session_names(func)
    own = [n for n in ast.walk(func) if n is not func]
    for node in own:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.Yield, ast.YieldFrom)):
            return False
        if isinstance(node, ast.Raise) and node.exc is not None and not _descriptive(node.exc):
            return False  # (``raise err`` of something else: its text is unknown here)
    local = {a.asname or a.name: f"{n.module}.{a.name}" for n in own if isinstance(n, ast.ImportFrom) and n.module for a in n.names}

    def qualified(expr: ast.expr) -> str:
        root = expr
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in local:
            return local[root.id] + ast.unparse(expr)[len(root.id) :]
        return ctx.qualified_name(expr) or ""

    raised = {id(n) for r in own if isinstance(r, ast.Raise) and r.exc is not None for n in ast.walk(r.exc)}
    runs = [n for n in own if isinstance(n, ast.Call) and qualified(n.func) in _THREAD_RUNNERS]
    handed = {id(a) for r in runs for arg in r.args for a in ast.walk(arg)}  # (``PasswordHasher().hash`` run in a thread)
    calls = [n for n in own if isinstance(n, ast.Call) and id(n) not in raised and id(n) not in handed]
    return bool(calls) and all(_described_call(c, sessions, qualified) for c in calls)


def _described_call(call: ast.Call, sessions: set[str], qualified) -> bool:
    """A call of a callee's body that fails with a text of its own, or cannot fail."""
    name = qualified(call.func)
    if try_steps.self_described(name) or _value_call(call) or _log(call):
        return True
    if name in _THREAD_RUNNERS and call.args:
        target = call.args[0]
        while isinstance(target, ast.Call) or (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Call)):
            target = target.func if isinstance(target, ast.Call) else target.value
        return try_steps.self_described(qualified(target))
    if not sessions:
        return False
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    if isinstance(receiver, ast.Name) and receiver.id in sessions:
        return True  # ``session.add(...)``, ``await session.commit()``
    handed = [a for a in [*call.args, *(k.value for k in call.keywords)] if isinstance(a, ast.Name) and a.id in sessions]
    if handed:
        return True  # ``Users.insert_new_user(..., db=session)``: its statements run on the same session
    name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) else ""
    return name[:1].isupper() and not call.args  # ``Auth(id=..., email=...)``: a row being built


def _session_names(func: ast.AST) -> set[str]:
    """Names of one SQLAlchemy session: a parameter annotated ``Session``/``AsyncSession``, and what
    ``with <ctx>(that) as session`` binds."""
    params = {
        a.arg for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
        if a.annotation is not None and _SESSION_TYPES.search(ast.unparse(a.annotation)) and _SESSION.match(a.arg)
    }  # fmt: skip
    if not params:
        return set()
    names = set(params)
    for node in ast.walk(func):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                uses = isinstance(item.context_expr, ast.Call) and any(isinstance(a, ast.Name) and a.id in params for a in item.context_expr.args)
                if uses and isinstance(item.optional_vars, ast.Name) and _SESSION.match(item.optional_vars.id):
                    names.add(item.optional_vars.id)
    return names


def _value_call(call: ast.Call) -> bool:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) else ""
    return name in _VALUE_CALLS or callee_traps.total_call(call)


def _log(call: ast.Call) -> bool:
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr in ("debug", "info", "warning", "error") and isinstance(func.value, ast.Name) and func.value.id in ("log", "logger", "_log", "_logger", "LOG", "LOGGER")


def _descriptive(exc: ast.expr) -> bool:
    """``ValueError(f"Unsupported algorithm: {name}")``, ``Exception("No directory %s" % path)``: a raise whose
    message says what was wrong."""
    if not (isinstance(exc, ast.Call) and exc.args):
        return False
    first = exc.args[0]
    return isinstance(first, (ast.JoinedStr, ast.Constant)) or (isinstance(first, ast.BinOp) and isinstance(first.left, (ast.Constant, ast.JoinedStr)))


def self_describing_raises(steps: Steps, ctx: ModuleContext) -> bool:
    """The project functions the steps call raise at least two errors of their own, each with a message that says
    what was wrong ("Unexpected file in bundle: ...", "Invalid manifest.json: ..."): only an unexpected error (a
    ``KeyError``, a ``ZeroDivisionError`` from deeper down) needs the traceback to say where it happened."""
    raises = []
    for _, call in steps:
        func = callee_traps.project_callee(call, ctx)
        if func is not None:
            raises += [n for n in _own_nodes(func) if isinstance(n, ast.Raise)]
    return len(raises) >= 2 and all(r.exc is not None and _descriptive(r.exc) for r in raises)


def _own_nodes(func: ast.AST):
    """Nodes of a function's body, not of the functions, classes and lambdas nested in it."""
    todo = list(getattr(func, "body", []))
    while todo:
        node = todo.pop()
        yield node
        todo += [c for c in ast.iter_child_nodes(node) if not isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))]


def one_local_input(steps: Steps, try_node: ast.Try, ctx: ModuleContext) -> bool:
    """Every step is a standard-library call (``open`` included, and a method of a compiled pattern or an opened
    file), and every step's inputs come from one name the ``try`` does not assign: the reads and decodes of one
    local file or value, whose errors name the path or say what is wrong with the text."""
    if len(steps) < 2:
        return False
    bound = _bound_in(try_node.body)
    modules = _module_names(ctx.tree)
    roots: set[str] = set()
    for _, call in steps:
        if not _stdlib_step(call, bound, modules, ctx):
            return False
        roots |= _roots([*call.args, *(k.value for k in call.keywords)], bound, modules, set())
    return len(roots) == 1


def _stdlib_step(call: ast.Call, bound: dict[str, list[ast.expr]], modules: dict[str, ast.expr | None], ctx: ModuleContext) -> bool:
    if isinstance(call.func, ast.Name) and call.func.id == "open" and call.func.id not in modules:
        return True
    if try_steps.stdlib_call(call, ctx):
        return True
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    if not isinstance(receiver, ast.Name):
        return False
    sources = bound.get(receiver.id) or ([modules[receiver.id]] if modules.get(receiver.id) is not None else [])
    calls = [s for s in sources if isinstance(s, ast.Call)]
    # ``HEX_RE.match(text)`` of ``HEX_RE = re.compile(...)``; ``f.read()`` of ``with open(path) as f``
    return bool(calls) and all(_stdlib_step(c, {}, modules, ctx) for c in calls)


def _roots(exprs: list[ast.expr], bound: dict[str, list[ast.expr]], modules: dict[str, ast.expr | None], seen: set[str]) -> set[str]:
    """The names the values come from, followed back through what the ``try`` assigns; module names left out."""
    found: set[str] = set()
    for expr in exprs:
        for node in ast.walk(expr):
            if not isinstance(node, ast.Name) or node.id in modules or hasattr(builtins, node.id) or node.id in seen:
                continue
            if node.id in bound:
                found |= _roots(bound[node.id], bound, modules, seen | {node.id})
            else:
                found.add(node.id)
    return found


def _bound_in(body: list[ast.stmt]) -> dict[str, list[ast.expr]]:
    """What the statements assign each plain name (``x = ...``, ``with ... as x``)."""
    bound: dict[str, list[ast.expr]] = {}
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        bound.setdefault(target.id, []).append(node.value)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name):
                        bound.setdefault(item.optional_vars.id, []).append(item.context_expr)
    return bound


def _module_names(tree: ast.Module) -> dict[str, ast.expr | None]:
    """The module's imported names (None) and its top-level assignments (their value)."""
    names: dict[str, ast.expr | None] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                names[(alias.asname or alias.name).split(".")[0]] = None
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = stmt.value
    return names
