"""Does a call answer its own failures? A project function whose body is one ``try`` with a broad handler that
does not raise (``except Exception: return False``) cannot raise into its caller: a handler around the call is
dead, and a message must not name the call as the one that failed.

The callee is found in the module (a function, a ``self`` method, a method of a module-level instance such as
``Channels = ChannelTable()``) or, for an imported project name, through ``engine.project_calls``, which reads
the other file without importing it.
"""

from __future__ import annotations

import ast
import re
from collections import OrderedDict
from pathlib import Path

from sadpath.engine import file_reads
from sadpath.engine.bounded_cache import evict
from sadpath.engine.context import ModuleContext
from sadpath.engine.project_calls import project_base
from sadpath.files import read_text
from sadpath.engine.trapping import BROAD_NAMES, traps_its_failures

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def answers_its_own_failures(call: ast.Call, ctx: ModuleContext) -> bool:
    """The call's project callee catches every error itself and does not raise (remembered per call)."""
    key = ("callee-traps", id(call))
    if key not in ctx.memo:
        ctx.memo[key] = _answers(call, ctx)
    return ctx.memo[key]


def _answers(call: ast.Call, ctx: ModuleContext) -> bool:
    if traps_its_failures(call, ctx):
        return True
    func = _instance_method(call, ctx)
    if func is None:
        func = _resolved(call, ctx) or _imported_instance_method(call, ctx)
    return func is not None and traps_everything(func)


def project_callee(call: ast.Call, ctx: ModuleContext) -> ast.AST | None:
    """The project function or method a call runs, found in the module or read from its own file; None when it
    cannot be found (remembered per call)."""
    key = ("callee-def", id(call))
    if key not in ctx.memo:
        func = _instance_method(call, ctx) or _self_method(call, ctx) or _named_after_class(call, ctx)
        if func is None:
            func = _resolved(call, ctx) or _imported_instance_method(call, ctx) or _imported_function(call, ctx)
        ctx.memo[key] = func if isinstance(func, _FUNCTIONS) else None
    return ctx.memo[key]


def abstract_callee(call: ast.Call, ctx: ModuleContext) -> bool:
    """The call's project callee is an abstract method (``@abstractmethod``, or a body of only a docstring,
    ``pass``, ``...`` or ``raise NotImplementedError``): each subclass implements it, with errors of its own."""
    func = project_callee(call, ctx)
    if func is None:
        return False
    if any((d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", "")) == "abstractmethod" for d in func.decorator_list):
        return True
    body = [s for s in func.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not body:
        return True
    return len(body) == 1 and (isinstance(body[0], ast.Pass) or (isinstance(body[0], ast.Raise) and "NotImplementedError" in ast.unparse(body[0])))


def contains_its_failures(call: ast.Call, ctx: ModuleContext) -> bool:
    """The call's project callee keeps its own failures in: every ``await`` and ``with`` of its body sits in a
    ``try`` whose broad handler does not raise (``except Exception: log.exception(...)`` around each event sink,
    ``except Exception: return fallback`` around the one request), and outside those it raises nothing and only
    builds values. Its failures never reach the caller's handler, so it is no step of the caller's ``try``."""
    key = ("callee-contains", id(call))
    if key not in ctx.memo:
        func = project_callee(call, ctx)
        ctx.memo[key] = func is not None and _contained(func)
    return ctx.memo[key]


def _contained(func: ast.AST) -> bool:
    trapped = [n for n in ast.walk(func) if isinstance(n, ast.Try) and _broad_quiet(n)]
    if not trapped and not any(isinstance(n, ast.Await) and _gathers_results(n.value) for n in ast.walk(func)):
        return False
    inside = {id(n) for t in trapped for stmt in t.body for n in ast.walk(stmt)}
    for node in ast.walk(func):
        if id(node) in inside or node is func:
            continue
        if isinstance(node, ast.Await) and (_config_read(node.value) or _gathers_results(node.value)):
            continue  # ``await get_oauth_runtime_config()``: a read of settings; ``gather(..., return_exceptions=True)``
        if isinstance(node, (ast.Await, ast.With, ast.AsyncWith, ast.Raise, ast.Assert, ast.Yield, ast.YieldFrom, ast.AsyncFor)):
            return False
        sync = isinstance(func, ast.FunctionDef)  # (an ``async def`` does its I/O through ``await``)
        if sync and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _REMOTE_RECEIVER.search(ast.unparse(node.func.value)):
            return False  # ``self.session.commit()`` outside the guarded part
        if isinstance(node, ast.For) and any(isinstance(n, ast.Call) and not total_call(n) for n in ast.walk(node.iter)):
            return False  # (``for handler in reversed(self._handlers)`` iterates a value it holds)
    return True


_CONFIG_READ = re.compile(r"^(get|load|read)_(\w+_)?(config|settings)$")


def _config_read(expr: ast.AST) -> bool:
    """``get_oauth_runtime_config()``, ``load_settings()``: the app's settings read with no argument."""
    if not (isinstance(expr, ast.Call) and not expr.args and not expr.keywords):
        return False
    name = expr.func.attr if isinstance(expr.func, ast.Attribute) else expr.func.id if isinstance(expr.func, ast.Name) else ""
    return bool(_CONFIG_READ.match(name))


def _gathers_results(expr: ast.AST) -> bool:
    """``asyncio.gather(*jobs, return_exceptions=True)``: every job's error comes back as a result, none is raised."""
    if not (isinstance(expr, ast.Call) and isinstance(expr.func, (ast.Attribute, ast.Name))):
        return False
    name = expr.func.attr if isinstance(expr.func, ast.Attribute) else expr.func.id
    flag = next((k.value for k in expr.keywords if k.arg == "return_exceptions"), None)
    return name == "gather" and isinstance(flag, ast.Constant) and flag.value is True


def _broad_quiet(try_node: ast.Try) -> bool:
    handlers = try_node.handlers
    broad = any(h.type is None or (isinstance(h.type, ast.Name) and h.type.id in BROAD_NAMES) for h in handlers)
    return broad and not try_node.finalbody and not any(isinstance(n, ast.Raise) for h in handlers for n in ast.walk(h))


def callee_is_total(call: ast.Call, ctx: ModuleContext) -> bool:
    """The call's project callee cannot raise: its body only reshapes values, removes ``in``-guarded keys, logs,
    and parses inside its own ``try`` (remembered per call)."""
    key = ("callee-total", id(call))
    if key not in ctx.memo:
        func = _instance_method(call, ctx)
        if func is None:
            func = _resolved(call, ctx) or _imported_instance_method(call, ctx) or _imported_function(call, ctx)
        ctx.memo[key] = func is not None and total_body(func)
    return ctx.memo[key]


_TOTAL_BUILTINS = frozenset(
    {"isinstance", "issubclass", "hasattr", "len", "str", "bool", "repr", "any", "all", "callable", "id", "type",
     "min", "max", "sorted", "list", "set", "tuple", "frozenset", "dict", "enumerate", "zip", "reversed", "range"}
)  # fmt: skip
_TOTAL_METHODS = frozenset(
    {"startswith", "endswith", "strip", "lstrip", "rstrip", "lower", "upper", "casefold", "replace", "find", "rfind",
     "get", "append", "add", "discard", "items", "keys", "values", "copy", "join", "split", "rsplit", "format",
     "removeprefix", "removesuffix", "debug", "info", "warning", "warn", "isdigit", "isalnum"}
)  # fmt: skip


_REMOTE_RECEIVER = re.compile(r"requests|httpx|urllib|aiohttp|boto|client|session|conn|redis|cache|db\b|api|cursor|os\b|shutil|subprocess", re.IGNORECASE)


def total_body(func: ast.AST) -> bool:
    """Nothing in ``func`` can raise: no ``raise``, ``await``, ``with`` or ``yield``; every call a builtin or a value
    method (a ``pop`` with a default, a log line) or guarded by its own ``try``; every subscript a slice or under
    an ``if key in mapping`` test."""
    if isinstance(func, ast.AsyncFunctionDef) or not isinstance(func, ast.FunctionDef):
        return False
    return all(_total(stmt, ()) for stmt in func.body)


def _total(node: ast.AST, guards: tuple[str, ...]) -> bool:
    if isinstance(node, (ast.Raise, ast.Await, ast.With, ast.AsyncWith, ast.Yield, ast.YieldFrom, ast.Assert, ast.Lambda, *_FUNCTIONS, ast.ClassDef)):
        return False
    if isinstance(node, ast.Try):
        if node.finalbody or any(isinstance(n, ast.Raise) for h in node.handlers for n in ast.walk(h)) or not node.handlers:
            return False
        if any(h.type is None or (isinstance(h.type, ast.Name) and h.type.id in BROAD_NAMES) for h in node.handlers):
            return False  # a broad trap is ``traps_everything``'s (its swallow is the callee's finding)
        return all(_total(s, guards) for s in [*node.orelse, *(s for h in node.handlers for s in h.body)])
    if isinstance(node, ast.If):
        test = node.test
        added = guards
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.In):
            added = (*guards, f"{ast.unparse(test.comparators[0])}[{ast.unparse(test.left)}]")
        return _total(test, guards) and all(_total(s, added) for s in node.body) and all(_total(s, guards) for s in node.orelse)
    if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice) and ast.unparse(node) not in guards:
        return False
    if isinstance(node, ast.Call) and not total_call(node):
        return False
    return all(_total(child, guards) for child in ast.iter_child_nodes(node))


def total_call(call: ast.Call) -> bool:
    """A builtin or value method that cannot raise: ``isinstance()``, ``text.strip()``, ``d.pop(key, None)``."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in _TOTAL_BUILTINS or (func.id == "getattr" and len(call.args) == 3)
    if not isinstance(func, ast.Attribute):
        return False
    if _REMOTE_RECEIVER.search(ast.unparse(func.value)):
        return False  # ``requests.get()``, ``self.session.get()``: a service, not a value
    if func.attr == "pop":
        return len(call.args) == 2
    if func.attr in ("error", "exception", "critical"):
        return "log" in ast.unparse(func.value).lower()
    return func.attr in _TOTAL_METHODS


def traps_everything(func: ast.AST) -> bool:
    """``func``'s body (after its docstring and imports) is one ``try`` whose handlers include a broad one and never
    raise, with no ``finally``: every failure becomes an answer."""
    body = [
        s for s in getattr(func, "body", [])
        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) and not isinstance(s, (ast.Import, ast.ImportFrom))
    ]
    if len(body) != 1 or not isinstance(body[0], ast.Try) or body[0].finalbody:
        return False
    handlers = body[0].handlers
    broad = any(h.type is None or (isinstance(h.type, ast.Name) and h.type.id in BROAD_NAMES) for h in handlers)
    return broad and not any(isinstance(n, ast.Raise) for h in handlers for n in ast.walk(h))


def _instance_method(call: ast.Call, ctx: ModuleContext) -> ast.AST | None:
    """``Channels.method(...)`` where the module says ``Channels = ChannelTable()`` and defines ``ChannelTable``."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return None
    return _method_of_instance(ctx.tree, func.value.id, func.attr)


def _named_after_class(call: ast.Call, ctx: ModuleContext) -> ast.AST | None:
    """``request.app.state.oauth_manager.get_oauth_token()`` where the module defines ``class OAuthManager`` with that
    method: an instance held under its class's own name (case and underscores aside), set up elsewhere."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    holder = func.value.attr if isinstance(func.value, ast.Attribute) else func.value.id if isinstance(func.value, ast.Name) else ""
    key = holder.replace("_", "").lower()
    if not key or holder in ("self", "cls"):
        return None
    cls = next((c for c in ctx.tree.body if isinstance(c, ast.ClassDef) and c.name.replace("_", "").lower() == key), None)
    if cls is None:
        cls = _imported_class(key, ctx)
    return next((m for m in getattr(cls, "body", []) if isinstance(m, _FUNCTIONS) and m.name == func.attr), None)


def _imported_class(key: str, ctx: ModuleContext) -> ast.ClassDef | None:
    """The class named ``key`` (case and underscores aside) of a project module this file imports from
    (``from pkg.utils.oauth import get_system_oauth_token`` holds ``class OAuthClientManager``): the instance an
    app keeps on its state (``request.app.state.oauth_client_manager``) is made from the module the file uses
    (remembered per name)."""
    memo = ("callee-imported-class", key)
    if memo not in ctx.memo:
        ctx.memo[memo] = _find_imported_class(key, ctx)
    return ctx.memo[memo]


def _find_imported_class(key: str, ctx: ModuleContext) -> ast.ClassDef | None:
    for stmt in ctx.tree.body:
        if not (isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level):
            continue
        parts = stmt.module.split(".")
        base = project_base(parts[0], ctx) or _package_root(parts[0], ctx)
        if base is None:
            continue
        path = base.joinpath(*parts[:-1], f"{parts[-1]}.py")
        tree = _parsed(path if path.is_file() else base.joinpath(*parts, "__init__.py"))
        found = next((c for c in getattr(tree, "body", []) if isinstance(c, ast.ClassDef) and c.name.replace("_", "").lower() == key), None)
        if found is not None:
            return found
    return None


def _self_method(call: ast.Call, ctx: ModuleContext) -> ast.AST | None:
    """``self._trigger_abort_handlers()``: a method of the class the call is written in."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self"):
        return None
    cls = ctx.enclosing(ast.ClassDef)
    return next((m for m in getattr(cls, "body", []) if isinstance(m, _FUNCTIONS) and m.name == func.attr), None)


def _method_of_instance(tree: ast.Module, instance: str, method: str) -> ast.AST | None:
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name)):
            continue
        if not any(isinstance(t, ast.Name) and t.id == instance for t in stmt.targets):
            continue
        cls = next((c for c in tree.body if isinstance(c, ast.ClassDef) and c.name == stmt.value.func.id), None)
        if cls is not None:
            return next((m for m in cls.body if isinstance(m, _FUNCTIONS) and m.name == method), None)
    return None


_TREES: OrderedDict[tuple[str, float], tuple[str, ast.Module]] = OrderedDict()  # at most 64 files, 1M characters


def _package_root(top: str, ctx: ModuleContext) -> Path | None:
    """The folder above the analysed file's own ``top`` package (``.../open_webui/routers/x.py`` for
    ``open_webui``), for namespace packages without ``__init__.py`` files."""
    for folder in Path(ctx.source.path).resolve().parents:
        if folder.name == top:
            return folder.parent
    return None


def _imported_instance_method(call: ast.Call, ctx: ModuleContext) -> ast.AST | None:
    """``from pkg.models.channels import Channels`` then ``Channels.method(...)``: the instance and its class are
    module-level names of ``pkg/models/channels.py``, read (never imported) and parsed on its own."""
    qualified = ctx.qualified_name(call.func) or ""
    parts = qualified.split(".")
    if len(parts) < 3 or not isinstance(call.func, ast.Attribute):
        return None
    base = project_base(parts[0], ctx) or _package_root(parts[0], ctx)
    if base is None:
        return None
    path = base.joinpath(*parts[:-3], f"{parts[-3]}.py")
    if not path.is_file():
        path = base.joinpath(*parts[:-2], "__init__.py")
    tree = _parsed(path)
    return _method_of_instance(tree, parts[-2], parts[-1]) if tree is not None else None


def _imported_function(call: ast.Call, ctx: ModuleContext) -> ast.AST | None:
    """``from pkg.utils.task import parse`` then ``parse(...)``: a top-level function of ``pkg/utils/task.py``, read
    (never imported) from the folder above the analysed file's own package (namespace packages included)."""
    parts = (ctx.qualified_name(call.func) or "").split(".")
    if len(parts) < 2 or not isinstance(call.func, ast.Name):
        return None
    base = project_base(parts[0], ctx) or _package_root(parts[0], ctx)
    if base is None:
        return None
    path = base.joinpath(*parts[:-2], f"{parts[-2]}.py")
    tree = _parsed(path if path.is_file() else base.joinpath(*parts[:-1], "__init__.py"))
    if tree is None:
        return None
    return next((s for s in tree.body if isinstance(s, _FUNCTIONS) and s.name == parts[-1]), None)


def _parsed(path: Path) -> ast.Module | None:
    """The parsed text of a project file, cached by path and modification time; None when it cannot be read."""
    try:
        key = (str(path), path.stat().st_mtime)
        cached = _TREES.get(key)
        if cached is None:
            text = read_text(path)
            cached = (text, ast.parse(text))
            _TREES[key] = cached
            evict(_TREES, 64, 1_000_000, lambda entry: len(entry[0]))
        else:
            _TREES.move_to_end(key)
        text, tree = cached
        file_reads.note(str(path), text)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None  # the other file cannot be read or parsed: the call stays unresolved
    return tree


def _resolved(call: ast.Call, ctx: ModuleContext) -> ast.AST | None:
    """An imported project function or method, read from its own file."""
    if ctx.qualified_name(call.func) is None:
        return None
    from sadpath.engine.project_calls import project_calls_of  # noqa: PLC0415 - built only when a call needs it

    resolver = project_calls_of(ctx)
    try:
        found = resolver.resolve(call, ctx)
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None  # the other file cannot be read or parsed: the call stays unresolved
    return found[1] if found is not None else None


_VALIDATORS = frozenset(
    {"model_validate", "model_validate_json", "model_validate_strings", "parse_obj", "parse_raw", "validate_python",
     "validate_json", "from_orm"}
)  # fmt: skip


def validates_only(call: ast.Call, ctx: ModuleContext) -> bool:
    """The call's project callee can fail only in a pydantic validation (``Model.model_validate(row)``,
    ``parse_obj``), on the branches this call takes (``grants if grants is not None else await load()`` is handed a
    list): its failure is that library call's, whose error names the field and the value."""
    func = project_callee(call, ctx)
    if func is None:
        return False
    given = _not_none_arguments(call, func)
    skipped = {id(n) for branch in _untaken_branches(func, given) for n in ast.walk(branch)}
    calls = [n for n in ast.walk(func) if isinstance(n, ast.Call) and id(n) not in skipped and not total_call(n)]
    return bool(calls) and all(isinstance(c.func, ast.Attribute) and c.func.attr in _VALIDATORS for c in calls)


def _not_none_arguments(call: ast.Call, func: ast.AST) -> set[str]:
    """Parameters the call visibly hands a value other than None: a literal, a container, ``d.get(k, [])``."""
    params = [a.arg for a in [*func.args.posonlyargs, *func.args.args] if a.arg not in ("self", "cls")]
    given = {k.arg: k.value for k in call.keywords if k.arg}
    given.update(zip(params, call.args))
    return {name for name, value in given.items() if _not_none(value)}


def _not_none(value: ast.AST) -> bool:
    if isinstance(value, ast.Constant):
        return value.value is not None
    if isinstance(value, (ast.List, ast.Dict, ast.Tuple, ast.Set, ast.ListComp, ast.DictComp, ast.JoinedStr)):
        return True
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "get" and len(value.args) == 2 and _not_none(value.args[1])


def _untaken_branches(func: ast.AST, given: set[str]) -> list[ast.AST]:
    """The parts of ``func`` that run only when a parameter in ``given`` is None."""
    found: list[ast.AST] = []
    for node in ast.walk(func):
        if not isinstance(node, (ast.IfExp, ast.If)):
            continue
        test = node.test
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name) and test.left.id in given):
            continue
        if not (isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None):
            continue
        if isinstance(test.ops[0], ast.IsNot):
            found.extend(node.orelse if isinstance(node, ast.If) else [node.orelse])
        elif isinstance(test.ops[0], ast.Is):
            found.extend(node.body if isinstance(node, ast.If) else [node.body])
    return found


def formats_only(call: ast.Call, ctx: ModuleContext) -> bool:
    """The call's project callee, read from its own file if need be, is a few statements that only build a value
    from its arguments (``bearer_auth_header(token)`` returning ``{"Authorization": f"Bearer {token}"}``): no item
    lookup, no attribute it sets, no call but a builtin or a value method. It is no step of the caller's ``try``."""
    func = project_callee(call, ctx)
    if not isinstance(func, ast.FunctionDef) or sum(1 for n in ast.walk(func) if isinstance(n, ast.stmt)) > 6:
        return False
    if not any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(func)):
        return False
    body = [n for stmt in func.body for n in ast.walk(stmt)]
    if any(isinstance(n, (ast.Subscript, ast.Raise, ast.Await, ast.With, ast.Yield, ast.YieldFrom, ast.Lambda, *_FUNCTIONS)) for n in body):
        return False
    if any(isinstance(n, ast.BinOp) and not isinstance(n.op, (ast.Add, ast.Mod)) for n in body):
        return False  # (a division or a conversion can fail on its input)
    sets = any(isinstance(t, ast.Attribute) for n in body if isinstance(n, ast.Assign) for t in n.targets)
    return not sets and all(total_call(n) and not (isinstance(n.func, ast.Name) and n.func.id in ("dict", "list")) for n in body if isinstance(n, ast.Call))
