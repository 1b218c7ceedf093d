"""Who rolls a shared database handle back when a commit fails: a base class's hook, or every caller's.

For SAD206 (transaction-without-rollback). Request-handler frameworks often roll the handler's session back in a
hook of a base class the project defines in another module (tornado's ``finish()``/``write_error()`` doing
``self.db.rollback()`` on an ``SQLAlchemyError``, an ``on_finish``/``teardown`` method). ``class_hook(...)``
follows a class's bases through the project's modules (``from ..handlers import BaseHandler``, re-exports and
``from .base import *`` included) and names the method of an ancestor that rolls ``self.<handle>`` back.
``callers_covered(...)`` answers whether every project call of a helper runs directly inside such a handler
(``user.sync_roles(...)`` only from ``BaseHandler.auth_to_user``), so that its commit's failure reaches the hook.
Files are parsed on their own (never imported or run), cached per version, and recorded for the result cache
(``file_reads``).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Callable

from sadpath.engine.app_rollback_hooks import app_hook_covers, untraceable
from sadpath.engine.project_files import import_root, modules_calling, parse_module, project_modules_calling


MAX_DEPTH = 6
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# wrappers whose result is a future that runs on its own, outside the request that created it
_DETACHING = ("create_task", "ensure_future", "run_coroutine_threadsafe", "spawn", "submit", "start_soon", "call_soon",
              "add_callback", "Thread", "with_timeout", "maybe_future")


# functions that only the tests call, whatever module they live in
_TEST_SUPPORT = ("mock_", "fake_", "stub_")


def _module_file(base: Path, dotted: str) -> Path | None:
    parts = [p for p in dotted.split(".") if p]
    if not parts:
        candidate = base / "__init__.py"
        return candidate if candidate.is_file() else None
    for candidate in (base.joinpath(*parts[:-1], f"{parts[-1]}.py"), base.joinpath(*parts, "__init__.py")):
        if candidate.is_file():
            return candidate
    return None


def _imported_module(stmt: ast.ImportFrom, path: Path) -> Path | None:
    if stmt.level:
        origin = path.parent
        for _ in range(stmt.level - 1):
            origin = origin.parent
        return _module_file(origin, stmt.module or "")
    return _module_file(import_root(path), stmt.module or "")


def _find_class(tree: ast.Module, path: Path, name: str, depth: int = 0, kinds: tuple = (ast.ClassDef,)):
    """The class ``name`` (or, with ``kinds``, the function) as module ``path`` defines or imports it: (the
    definition, its file), or None."""
    if depth > MAX_DEPTH:
        return None
    for stmt in tree.body:
        if isinstance(stmt, kinds) and stmt.name == name:
            return stmt, path
    stars = []
    for stmt in tree.body:
        if not isinstance(stmt, ast.ImportFrom):
            continue
        for alias in stmt.names:
            if alias.name == "*":
                stars.append(stmt)
            elif (alias.asname or alias.name) == name:
                target = _imported_module(stmt, path)
                return _in_file(target, alias.name, depth + 1, kinds) if target is not None else None
    for stmt in stars:
        target = _imported_module(stmt, path)
        if target is not None and (found := _in_file(target, name, depth + 1, kinds)) is not None:
            return found
    return None


def _in_file(path: Path, name: str, depth: int, kinds: tuple = (ast.ClassDef,)):
    tree = parse_module(path)
    return None if tree is None else _find_class(tree, path, name, depth, kinds)


def _base_class(expr: ast.expr, tree: ast.Module, path: Path, depth: int):
    if isinstance(expr, ast.Name):
        return _find_class(tree, path, expr.id, depth)
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):  # `base.Handler` of `from . import base`
        for stmt in tree.body:
            if isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if (alias.asname or alias.name) == expr.value.id:
                        target = _imported_module(stmt, path)
                        folder = target.parent if target is not None else None
                        module = _module_file(folder, alias.name) if folder is not None else None
                        if module is not None:
                            return _in_file(module, expr.attr, depth + 1)
    return None


def ancestors(klass: ast.ClassDef, tree: ast.Module, path: str) -> list[tuple[ast.ClassDef, Path]]:
    """The class and the project classes it inherits from, nearest first (library bases are not followed)."""
    out: list[tuple[ast.ClassDef, Path]] = [(klass, Path(path))]
    seen = {(Path(path), klass.name)}
    index = 0
    while index < len(out) and len(out) < 20:
        current, where = out[index]
        index += 1
        where_tree = tree if where == Path(path) else parse_module(where)
        if where_tree is None:
            continue
        for base in current.bases:
            found = _base_class(base, where_tree, where, index)
            if found is not None and (found[1], found[0].name) not in seen:
                seen.add((found[1], found[0].name))
                out.append(found)
    return out


def handle_defined(klass: ast.ClassDef, tree: ast.Module, path: str, attr: str) -> bool:
    """A project base class (in any module) sets ``self.<attr>`` up (assigns it, or defines it as a property or a
    class attribute): where the handle comes from, and any hook that rolls it back, are in view."""
    for cls, _ in ancestors(klass, tree, path)[1:]:
        for node in ast.walk(cls):
            if isinstance(node, _FUNCTIONS) and node.name == attr and node in cls.body:
                return True
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == attr and ast.unparse(target.value) == "self":
                    return True
                if isinstance(target, ast.Name) and target.id == attr and node in cls.body:
                    return True
    return False


def _calls(method: ast.AST, handle: str, name: str) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == name and ast.unparse(n.func.value) == handle
        for n in ast.walk(method)
    )


def class_hook(klass: ast.ClassDef, tree: ast.Module, path: str, handle: str | None = None) -> str | None:
    """``Base.write_error``: a method of the class or of a project base class that rolls ``handle``
    (``self.db``; any ``self.<x>`` when None) back without committing itself (a cleanup or error hook, not another
    method rolling back its own work). None when there is none."""
    for cls, _ in ancestors(klass, tree, path):
        for method in cls.body:
            if not isinstance(method, _FUNCTIONS):
                continue
            rolled = {
                ast.unparse(n.func.value)
                for n in ast.walk(method)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "rollback"
            }
            for target in rolled:
                if not target.startswith("self.") or (handle is not None and target != handle):
                    continue
                if not _calls(method, target, "commit"):
                    return f"{cls.name}.{method.name}"
    return None


def commit_flag_reach(func: ast.AST, parents: list[ast.AST]) -> Callable[[ast.Call], bool] | None:
    """For a commit under ``if commit:`` on a parameter of ``func`` (``def grant_role(db, role, commit=True)``),
    a test of which calls reach that branch: those that pass a value other than a false constant, or leave out a
    true default. None when the commit is not under such a flag."""
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    names = [a.arg for a in [*positional, *args.kwonlyargs]]
    flag = None
    for parent, child in zip(parents, [*parents[1:], None]):
        if isinstance(parent, ast.If) and child in parent.body and isinstance(parent.test, ast.Name) and parent.test.id in names:
            flag = parent.test.id
    if flag is None:
        return None
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
    defaults.update((a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)
    default = defaults.get(flag)
    default_true = not (isinstance(default, ast.Constant) and not default.value)
    index = next((i for i, a in enumerate(positional) if a.arg == flag), None)
    offset = 1 if positional and positional[0].arg in ("self", "cls") else 0

    def reaches(call: ast.Call) -> bool:
        value = next((k.value for k in call.keywords if k.arg == flag), None)
        if value is None and index is not None and len(call.args) > index - offset >= 0:
            value = call.args[index - offset]
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return True
        if value is None:
            return default_true
        return not (isinstance(value, ast.Constant) and not value.value)

    return reaches


def callers_covered(name: str, path: str, is_async: bool = False, one_shot: Callable[[str], bool] | None = None,
                    reaches: Callable[[ast.Call], bool] | None = None, depth: int = 0,
                    target: ast.AST | None = None, owner: str | None = None, lenient: bool = False) -> str | None:
    """What covers every project call of the function or method ``name`` (the package of ``path`` searched, tests
    left out), or None when there is no call or one is not covered. Each call must run directly (called, or
    awaited on the spot when ``is_async``, or handed to a future that the caller awaits; not a detached future or
    a thread, nor caught) in one of: a method of a class whose hook rolls a ``self`` handle back (the answer names
    the hook, ``BaseHandler.write_error``); a function whose project decorator rolls back in an ``except``
    (``@catch_db_error``, ``@transaction()``); a ``with`` block that opens the session it hands over (``with
    Session(bind=conn) as session:``, ``async with db.session_context(begin_transaction=True) as session:``: its
    exit rolls back); a function ``one_shot(name)`` says runs once at start-up, or a closure such a function
    defines and runs (the answer is "start-up"). With ``target`` (the helper's definition) and ``owner`` (its
    class), calls that cannot be this helper are left out: too few arguments, an unknown keyword, another
    class's method (``hashlib.new(...)``, ``APIToken.new(...)`` for ``ShareCode.new``). When the application
    installs a hook that rolls the helper's handle back (``app_hook_covers``: ``lenient``), a call from a
    constructor or a property, which is reached from wherever the object is used, needs no cover of its own."""
    if depth == 0 and target is not None:
        lenient = app_hook_covers(target, path)  # the app rolls the session back where the failure ends up
    answers: set[str] = set()
    skipped = False
    for candidate, tree in modules_calling(name, path):
        if tree is None:
            return None
        for call, klass, caller, detached, parents in _calls_named(tree, name, is_async):
            if target is not None and not _may_call(call, target, owner, tree):
                continue  # another function of the same name
            if reaches is not None and not reaches(call):
                skipped = True
                continue  # `create_role(db, role, commit=False)`: the commit branch is not taken
            if caller is not None and caller.name == name and (target is None or _same_def(caller, target, candidate, path)):
                continue  # recursion, or a wrapper of the same name
            if lenient and caller is not None and untraceable(caller) and not detached:
                continue  # a constructor's or a property's call: reached from wherever the object is used
            if caller is not None and caller.name.lstrip("_").startswith(_TEST_SUPPORT):
                skipped = True
                continue  # `mock_roles()`: support code for the tests, not a production path
            if one_shot is not None and _startup_closure(caller, parents, one_shot):
                answers.add("start-up")
                continue  # `async def finish_init(): ...` that `initialize()` defines and schedules
            if detached:
                return None
            if caller is not None and one_shot is not None and one_shot(caller.name):
                answers.add("start-up")
                continue
            if caller is not None and _commits_handed_handle(call, caller):
                answers.add(f"{caller.name}()")
                continue  # the caller commits the same handle itself: its own rollback path (judged there) is the fix
            wrapper = _managed_with(call, parents) or (decorator_hook(caller, tree, candidate) if caller is not None else None)
            if wrapper is not None:
                answers.add(wrapper)
                continue
            hook = class_hook(klass, tree, str(candidate)) if klass is not None else None
            if hook is None and caller is not None and depth < 3:
                # a helper (`assign_default_roles(db, user)`, `app._get_or_create_user()`) whose own callers are covered
                hook = callers_covered(caller.name, str(candidate), isinstance(caller, ast.AsyncFunctionDef), one_shot,
                                       None, depth + 1, caller, klass.name if klass is not None and caller in klass.body else None,
                                       lenient)
            if hook is None:
                return None
            answers.add(hook)
    if not answers and skipped:
        return "no production caller takes the commit branch"
    return sorted(answers)[0] if answers else None


def _commits_handed_handle(call: ast.Call, caller: ast.AST) -> bool:
    """The caller commits the handle it hands to the helper: ``spawn()`` passes ``self.db`` to ``APIToken.find``
    and commits ``self.db`` itself (or calls ``self.helper()`` and commits a ``self.<handle>``). A failure of the
    helper's commit is then a failure of the caller's transaction: the rollback path belongs in the caller, which
    SAD206 judges on its own, not once more at every helper it calls."""
    receivers = {
        ast.unparse(n.func.value)
        for n in ast.walk(caller)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "commit" and not n.args
    }
    if not receivers:
        return False
    receivers |= {  # `db = self.db` then `db.commit()`
        ast.unparse(n.value) for n in ast.walk(caller) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Attribute)
        and any(isinstance(t, ast.Name) and t.id in receivers for t in n.targets)
    }
    handed = {ast.unparse(a) for a in [*call.args, *(k.value for k in call.keywords)]}
    aliases = {
        t.id for n in ast.walk(caller) if isinstance(n, ast.Assign) and ast.unparse(n.value) in handed
        for t in n.targets if isinstance(t, ast.Name)
    }
    if receivers & (handed | aliases):
        return True
    on_self = isinstance(call.func, ast.Attribute) and ast.unparse(call.func.value) == "self"
    return on_self and any(r.startswith("self.") for r in receivers)


def has_project_call(
    name: str, path: str, target: ast.AST | None = None, owner: str | None = None, project_wide: bool = False
) -> bool:
    """The package (tests left out) calls ``name`` somewhere, other than from itself; with ``project_wide``, any
    module of the project does (scripts beside the package included)."""
    search = project_modules_calling if project_wide else modules_calling
    for candidate, tree in search(name, path):
        if tree is None:
            return True
        for call, _, caller, _, _ in _calls_named(tree, name, False):
            if caller is not None and caller.name == name and (target is None or _same_def(caller, target, candidate, path)):
                continue
            if target is None or _may_call(call, target, owner, tree):
                return True
    return False


def _same_def(caller: ast.AST, target: ast.AST, candidate: Path, path: str) -> bool:
    return caller.lineno == target.lineno and Path(candidate).resolve() == Path(path).resolve()


def _rolls_back_on_error(func: ast.AST) -> bool:
    return any(
        isinstance(h, ast.ExceptHandler) and any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "rollback"
            for s in h.body for n in ast.walk(s)
        )
        for h in ast.walk(func)
    )


def decorator_hook(func: ast.AST, tree: ast.Module, path: Path | str) -> str | None:
    """``@catch_db_error``, ``@transaction()``: a decorator of ``func`` that the project defines (in this module or
    an imported one) and whose code rolls back in an ``except`` handler: its name, or None."""
    for deco in getattr(func, "decorator_list", []):
        expr = deco.func if isinstance(deco, ast.Call) else deco
        if not isinstance(expr, ast.Name):
            continue
        found = _find_class(tree, Path(path).resolve(), expr.id, 0, _FUNCTIONS)
        if found is not None and _rolls_back_on_error(found[0]):
            return f"@{expr.id}"
    return None


_SESSION_WORDS = ("session", "connect", "begin", "transaction", "atomic", "engine")


def _managed_with(call: ast.Call, parents: list[ast.AST]) -> str | None:
    """The call hands over the session an enclosing ``with`` opens (``with Session(bind=conn) as session:``,
    ``async with db.session_context(begin_transaction=True) as session:``): the block's exit rolls a failed
    transaction back (or closes the session, which does)."""
    passed = {ast.unparse(a) for a in [*call.args, *(k.value for k in call.keywords)]}
    for index, outer in enumerate(parents):
        if isinstance(outer, (ast.With, ast.AsyncWith)) and index + 1 < len(parents) and parents[index + 1] in outer.body:
            for item in outer.items:
                bound = item.optional_vars
                if isinstance(bound, ast.Name) and bound.id in passed:
                    if any(word in ast.unparse(item.context_expr).lower() for word in _SESSION_WORDS):
                        return f"`with ... as {bound.id}`"
    return None


def _startup_closure(caller: ast.AST | None, parents: list[ast.AST], one_shot: Callable[[str], bool]) -> bool:
    """The call sits in a closure that a start-up function defines and runs itself (``ensure_future(finish())``),
    not one it hands on as a callback: it runs once, as part of start-up."""
    functions = [p for p in parents if isinstance(p, _FUNCTIONS)]
    if caller is None or len(functions) < 2 or not one_shot(functions[0].name):
        return False
    outer = functions[0]
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == caller.name
        for n in ast.walk(outer)
    )


def _may_call(call: ast.Call, target: ast.AST, owner: str | None, tree: ast.Module) -> bool:
    """The call can be of ``target`` (a function, or a method of class ``owner``): not another class's or module's
    function of the same name, and its arguments fit the signature."""
    func = call.func
    if isinstance(func, ast.Attribute):
        receiver = func.value
        last = receiver.attr if isinstance(receiver, ast.Attribute) else receiver.id if isinstance(receiver, ast.Name) else ""
        modules = {(a.asname or a.name).split(".")[0] for s in tree.body if isinstance(s, ast.Import) for a in s.names}
        if isinstance(receiver, ast.Name) and receiver.id in modules:
            return False  # `hashlib.new(...)`
        if owner is not None and last[:1].isupper() and last != owner:
            return False  # `APIToken.new(...)` is not `ShareCode.new`
        if owner is None:
            root = receiver
            while isinstance(root, ast.Attribute):
                root = root.value
            imported = {
                (a.asname or a.name).split(".")[0]
                for s in ast.walk(tree) if isinstance(s, (ast.Import, ast.ImportFrom)) for a in s.names
            }
            if not (isinstance(root, ast.Name) and root.id in imported):
                return False  # `client.update_labels(...)` is a method, not the module function `update_labels`
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return True
    plain = ("classmethod", "staticmethod", "property")
    if any(ast.unparse(d) not in plain for d in getattr(target, "decorator_list", [])):
        return True  # a decorator may inject or take arguments (`@db_injector`)
    args = target.args
    positional = [*args.posonlyargs, *args.args]
    if owner is not None and positional and positional[0].arg in ("self", "cls"):
        positional = positional[1:]
    required = positional[: len(positional) - len(args.defaults)] if args.defaults else positional
    required_kw = [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    names = {a.arg for a in [*positional, *args.kwonlyargs]}
    given = {k.arg for k in call.keywords}
    if args.kwarg is None and given - names:
        return False
    if args.vararg is None and len(call.args) > len(positional):
        return False
    filled = len(call.args) + sum(1 for a in required[len(call.args):] if a.arg in given)
    return filled >= len(required) and all(k in given for k in required_kw)


def handler_only(name: str, path: str) -> bool:
    """Every project call of ``name`` is what an ``except`` handler returns or ends with (``return
    handle_error(ex, query)``): an error handler, run once the work has already failed."""
    found = False
    for _, tree in modules_calling(name, path):
        if tree is None:
            return False
        for handler in (n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler)):
            for index, stmt in enumerate(handler.body):
                following = handler.body[index + 1] if index + 1 < len(handler.body) else None
                for node in ast.walk(stmt):
                    if isinstance(node, ast.Call) and _called_name(node) == name:
                        returned = isinstance(stmt, ast.Return) and stmt.value is node
                        if not (returned or isinstance(following, (ast.Raise, ast.Return))):
                            return False
        in_handlers = {id(n) for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler) for s in h.body for n in ast.walk(s)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node) == name:
                if id(node) not in in_handlers:
                    return False
                found = True
    return found


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _calls_named(tree: ast.Module, name: str, is_async: bool):
    """Calls of ``name`` (``f(...)``, ``obj.f(...)``) with the class and the function around them and whether they
    are detached."""
    stack: list[tuple[ast.AST, ast.ClassDef | None, ast.AST | None, list[ast.AST]]] = [(tree, None, None, [])]
    while stack:
        node, klass, caller, parents = stack.pop()
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called == name:
                yield node, klass, caller, _detached(node, parents, is_async), parents
        inner = node if isinstance(node, ast.ClassDef) else klass
        around = node if isinstance(node, _FUNCTIONS) else caller
        for child in ast.iter_child_nodes(node):
            stack.append((child, inner, around, [*parents, node]))


def _detached(call: ast.Call, parents: list[ast.AST], is_async: bool) -> bool:
    """The call's failure does not end the request or the start-up that makes it: a coroutine not awaited on the
    spot (``f = user.spawn()`` awaited later, with a timeout or in a callback), a result handed to a future or a
    thread (``ensure_future(user.stop())``), or a call whose error the caller catches and carries on from."""
    parent = parents[-1] if parents else None
    future = _awaited_future(call, parents)
    if is_async and not isinstance(parent, ast.Await) and not future:
        return True
    for index, outer in enumerate(parents):
        if isinstance(outer, ast.Try) and outer.handlers and index + 1 < len(parents) and parents[index + 1] in outer.body:
            if all(h.body and isinstance(h.body[-1], ast.Raise) for h in outer.handlers):
                continue  # every handler raises again: the failure still reaches the hook
            return True  # caught on the spot: the work goes on with the session, past the hook
    if sum(isinstance(p, _FUNCTIONS) for p in parents) > 1:
        return True  # in a closure: run whenever (and wherever) it is called
    if future:
        return False  # `f = ensure_future(check(...))` then `await gather(*futures)`: its failure reaches the caller
    return any(
        isinstance(p, ast.Call) and any(word in ast.unparse(p.func) for word in _DETACHING) for p in parents[-3:]
    ) or any(isinstance(p, ast.Lambda) for p in parents)


_FUTURES = ("ensure_future", "create_task")


def _awaited_future(call: ast.Call, parents: list[ast.AST]) -> bool:
    """``f = asyncio.ensure_future(check(...))`` (perhaps kept in a list) that the same function awaits later
    (``await asyncio.gather(*futures)``, ``await wait_for(f, timeout)``), or ``await gather(create_task(...))``."""
    if not parents or not isinstance(parents[-1], ast.Call) or call not in parents[-1].args:
        return False
    wrapper = parents[-1]
    if not any(word in ast.unparse(wrapper.func) for word in _FUTURES):
        return False
    functions = [i for i, p in enumerate(parents) if isinstance(p, _FUNCTIONS)]
    if not functions:
        return False
    func = parents[functions[-1]]
    if any(isinstance(p, ast.Await) for p in parents[functions[-1]:]):
        return True
    holder = parents[-2] if len(parents) > 1 else None
    if not (isinstance(holder, ast.Assign) and holder.value is wrapper):
        return False
    names = {t.id for t in holder.targets if isinstance(t, ast.Name)}
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
            and isinstance(node.func.value, ast.Name) and any(isinstance(a, ast.Name) and a.id in names for a in node.args)
        ):
            names.add(node.func.value.id)
    return any(
        isinstance(node, ast.Await) and any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))
        for node in ast.walk(func)
    )


def resolve_function(tree: ast.Module, path: str | Path, name: str) -> tuple[ast.AST, Path] | None:
    """The module-level function ``name`` as module ``path`` defines or imports it: (its definition, its file)."""
    return _find_class(tree, Path(path).resolve(), name, 0, _FUNCTIONS)
