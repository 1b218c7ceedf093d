"""Calls of a ``try`` that are no step of SAD104's count: they cannot raise, or their failure is on record already.

- a standard-library query of the running interpreter (``platform.python_version()``, ``platform.system()``);
- a SQL statement being built (``sqlalchemy.select(...)``, ``insert``, ``text``, ``func.count``): no I/O, the
  query runs at ``execute``;
- a validation that answers a bool (``serializer.is_valid()`` of DRF without ``raise_exception=True``, a Django
  form's ``is_valid()``): its errors become ``False``, never an exception;
- a project helper that swallows inside: it only reads settings and the environment (``config.get``,
  ``os.environ.get``) and calls helpers of its own module whose whole body is a broad ``try`` that answers a value;
- a project helper whose work runs in a function that logs with the traceback (``log.exception(e)``) before it
  raises or translates, itself or as the one it delegates to (``result = await index_file(...)``, then
  bookkeeping, ``return result``): the traceback is in the log already;
- the no-argument constructor of a class of the module whose ``__init__`` only stores values (``self._cache =
  cache_manager.cache``), with no call, item lookup or ``raise``, and whose bases are ``object``: it cannot fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sadpath.engine import callee_traps, wrapper_steps
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.project_calls import project_base
from sadpath.engine.project_files import parse_module
from sadpath.engine.walker import body_nodes

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_PLATFORM = frozenset(
    {"python_version", "python_version_tuple", "python_implementation", "system", "machine", "node", "release",
     "version", "architecture", "processor", "uname", "platform"}
)  # fmt: skip
_STATEMENTS = frozenset(
    {"select", "insert", "update", "delete", "text", "and_", "or_", "not_", "case", "literal", "literal_column",
     "column", "table", "exists", "union", "union_all", "desc", "asc", "cast", "bindparam", "null", "true", "false"}
)  # fmt: skip
_CLAUSES = frozenset(
    {"where", "filter", "filter_by", "join", "outerjoin", "select_from", "order_by", "group_by", "having", "limit",
     "offset", "distinct", "options", "values", "returning", "correlate", "subquery", "label", "scalar_subquery"}
)  # fmt: skip
_SETTINGS = ("config", "environ", "settings", "os.environ", "getenv")


def not_a_step(call: ast.Call, ctx: ModuleContext) -> bool:
    """The call is no step that can fail into the caller's handler (remembered per call)."""
    key = ("quiet-steps", id(call))
    if key not in ctx.memo:
        ctx.memo[key] = wrapper_steps.no_work(call, ctx) or cannot_raise(call, ctx) or _stores_only(call, ctx) or _on_record(call, ctx)
    return ctx.memo[key]


def cannot_raise(call: ast.Call, ctx: ModuleContext) -> bool:
    """``platform.python_version()``, ``sqlalchemy.select(...)``, ``func.count(...)``, ``form.is_valid()``."""
    if isinstance(call.func, ast.Attribute) and call.func.attr in _CLAUSES and isinstance(call.func.value, ast.Call):
        return cannot_raise(call.func.value, ctx)  # ``select(...).where(...)``: still a statement being built
    qualified = ctx.qualified_name(call.func) or ""
    parts = qualified.split(".")
    if parts[0] == "platform" and len(parts) == 2 and parts[1] in _PLATFORM:
        return True
    if parts[0] == "sqlalchemy" and (parts[-1] in _STATEMENTS or "func" in parts[1:-1]):
        return True
    if isinstance(call.func, ast.Attribute) and call.func.attr == "is_valid":
        flag = next((k.value for k in call.keywords if k.arg == "raise_exception"), None)
        return flag is None or (isinstance(flag, ast.Constant) and not flag.value)
    return False


def _stores_only(call: ast.Call, ctx: ModuleContext) -> bool:
    """``RedisRateLimiter()``, with no argument, of a module class whose ``__init__`` only assigns (imports allowed) and that has no
    base of its own: building it runs nothing that can fail."""
    if not isinstance(call.func, ast.Name) or call.args or call.keywords:  # (arguments can mismatch: a ``TypeError``)
        return False
    cls = next((n for n in ctx.tree.body if isinstance(n, ast.ClassDef) and n.name == call.func.id), None)
    if cls is None or cls.bases or cls.keywords or cls.decorator_list:
        return False
    init = next((n for n in cls.body if isinstance(n, _FUNCTIONS) and n.name == "__init__"), None)
    if init is None:
        return False  # (a class without ``__init__``: a dataclass-like shape is left to the other checks)
    return all(
        isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass)) or (isinstance(stmt, (ast.Assign, ast.AnnAssign)) and not any(
            isinstance(n, (ast.Call, ast.Subscript, ast.Await)) for n in ast.walk(stmt)))
        or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
        for stmt in init.body
    )  # fmt: skip


def _on_record(call: ast.Call, ctx: ModuleContext) -> bool:
    if external_call(call, ctx) is not None:
        return False
    found = _callee(call, ctx)
    if found is None:
        return False
    other, func = found
    return _swallows_inside(func, other) or _logs_traceback(func, ctx) or _delegates_to_traced(func, other, ctx)


def _callee(call: ast.Call, ctx: ModuleContext) -> tuple[dict[str, ast.AST], ast.AST] | None:
    """The project function a call runs, with the top-level functions of the module it is defined in."""
    from sadpath.engine.project_calls import project_calls_of  # noqa: PLC0415 - built only when a call needs it

    try:
        found = project_calls_of(ctx).resolve(call, ctx)
    except (OSError, SyntaxError, ValueError, RecursionError):
        found = None  # the other file cannot be read or parsed: looked up by its path below
    if found is not None and isinstance(found[1], _FUNCTIONS):
        return dict(found[0].semantic.module_functions), found[1]
    parts = (ctx.qualified_name(call.func) or "").split(".")
    if len(parts) < 2 or not isinstance(call.func, ast.Name):
        return None
    base = project_base(parts[0], ctx) or next((f.parent for f in Path(ctx.source.path).resolve().parents if f.name == parts[0]), None)
    tree = None if base is None else parse_module(base.joinpath(*parts[:-2], f"{parts[-2]}.py"))
    if tree is None:
        return None
    functions = {s.name: s for s in tree.body if isinstance(s, _FUNCTIONS)}
    func = functions.get(parts[-1])
    return (functions, func) if func is not None else None


def _swallows_inside(func: ast.AST, other: dict[str, ast.AST]) -> bool:
    """A sync helper that reads settings and calls only its module's own trapping helpers (``_get_local_branch()``,
    whose body is ``try: ... except Exception: return None``), at least one of them."""
    if not isinstance(func, ast.FunctionDef):
        return False
    trapped = 0
    built = {t.id for n in body_nodes(getattr(func, "body", [])) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Dict) for t in n.targets if isinstance(t, ast.Name)}
    for node in body_nodes(getattr(func, "body", [])):
        if isinstance(node, (ast.Raise, ast.With, ast.Assert, ast.Yield, ast.YieldFrom, ast.Try)):
            return False
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and not _own_value(node, built):
            return False  # (``github_sha[:8]``, ``metadata["version_sha"]`` of the dict it built: no lookup that fails)
        if not isinstance(node, ast.Call) or callee_traps.total_call(node):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr == "get" and any(s in ast.unparse(node.func.value) for s in _SETTINGS):
            continue  # ``app.config.get("VERSION_STRING", "unknown")``, ``os.environ.get("GITHUB_SHA")``
        helper = other.get(node.func.id) if isinstance(node.func, ast.Name) else None
        if helper is not None and callee_traps.traps_everything(helper):
            trapped += 1
            continue
        return False
    return trapped > 0


def _own_value(node: ast.Subscript, built: set[str]) -> bool:
    return isinstance(node.slice, ast.Slice) or (isinstance(node.value, ast.Name) and node.value.id in built)


def traced_handler(handler: ast.ExceptHandler) -> bool:
    """``except Exception as e: log.exception(e); raise HTTPException(...)``: logged with the traceback, then raised."""
    nodes = list(ast.walk(handler))
    traced = any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and "log" in ast.unparse(n.func.value).lower()
        and (n.func.attr == "exception" or any(k.arg == "exc_info" and not (isinstance(k.value, ast.Constant) and not k.value.value) for k in n.keywords))
        for n in nodes
    )  # fmt: skip
    return traced and any(isinstance(n, ast.Raise) for n in nodes)


def _logs_traceback(func: ast.AST, ctx: ModuleContext) -> bool:
    """The function's main work (the ``try`` holding most of its awaits or calls) is in a ``try`` whose every handler
    logs with the traceback and raises."""
    tries = [n for n in body_nodes(getattr(func, "body", [])) if isinstance(n, ast.Try) and n.handlers]
    if not tries:
        return False
    main = max(tries, key=lambda t: sum(isinstance(n, ast.Call) for s in t.body for n in ast.walk(s)))
    inside = sum(isinstance(n, ast.Call) for s in main.body for n in ast.walk(s))
    total = sum(isinstance(n, ast.Call) for n in body_nodes(getattr(func, "body", [])))
    return inside * 2 > total and all(traced_handler(h) for h in main.handlers)


def _delegates_to_traced(func: ast.AST, other: dict[str, ast.AST], ctx: ModuleContext) -> bool:
    """``result = await index_file(...)`` first, then bookkeeping, ``return result``: a helper whose answer is that
    of a function of its module that logs with the traceback."""
    body = [s for s in getattr(func, "body", []) if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not body or len(body) > 4:
        return False
    first = body[0]
    value = first.value if isinstance(first, (ast.Assign, ast.Return, ast.Expr)) else None
    value = value.value if isinstance(value, ast.Await) else value
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)):
        return False
    inner = other.get(value.func.id)
    if inner is None or inner is func:
        return False
    if isinstance(first, ast.Assign):
        names = {t.id for t in first.targets if isinstance(t, ast.Name)}
        last = body[-1]
        if not (isinstance(last, ast.Return) and isinstance(last.value, ast.Name) and last.value.id in names):
            return False
    return _logs_traceback(inner, ctx)
