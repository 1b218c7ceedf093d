"""Which call of a ``try`` a message names as the one that failed into the handler: the step that does the work and
can raise, not the first call written.

- a call in an ``if`` test that only decides whether to do the work (``if op.get_bind().engine.name == "mysql":
  op.alter_column(...)``, ``if room not in sio.rooms(sid): return``) comes after the work it gates;
- a parse of text the code holds (``json.loads(model_output)``) comes after the I/O of the same ``try``;
- a query builder (``.filter()``, ``.order_by()``, ``select().where()``) runs nothing: its chain's terminal
  (``.count()``, ``.first()``, ``.all()``) runs the query and is the call to name;
- a project helper that catches its own errors (its risky call sits in its own ``try`` whose broad handler
  answers a fallback, re-raising at most under a condition) is not the failure;
- a constructor is named only when nothing else can fail (``SentenceTransformer(path)`` loads a model).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sadpath.engine import logcalls, shapes
from sadpath.engine.context import ModuleContext
from sadpath.engine.trapping import BROAD_NAMES

QUERY_BUILDERS = frozenset(
    {"filter", "filter_by", "exclude", "order_by", "where", "select_related", "prefetch_related", "annotate", "only",
     "defer", "distinct", "values", "values_list", "join", "outerjoin", "options", "limit", "offset", "group_by",
     "having", "using", "select_for_update", "none", "reverse", "extra"}
)  # fmt: skip
QUERY_TERMINALS = frozenset(
    {"count", "first", "last", "exists", "get", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none",
     "aggregate", "delete", "update", "iterator", "latest", "earliest", "in_bulk", "get_or_create",
     "update_or_create", "all", "fetchall", "fetchone", "scalars"}
)  # fmt: skip
_PARSER = re.compile(r"(?:^|_)(?:loads|parse\w*|literal_eval|decode|deserial\w*|from_json|model_validate_json)$", re.IGNORECASE)
_HARMLESS = ("os.getenv", "os.environ.get", "logging.getLogger")


def query_builder(call: ast.Call) -> bool:
    """``qs.filter(...)``, ``session.query(X).filter_by(...)``: a builder whose query runs later."""
    return isinstance(call.func, ast.Attribute) and call.func.attr in QUERY_BUILDERS


def query_terminal(call: ast.Call) -> bool:
    """``.count()`` / ``.first()`` at the end of a chain of query builders: the call that runs the query."""
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr in QUERY_TERMINALS and _chain_has_builder(func.value)


def _chain_has_builder(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
        node.func.attr in QUERY_BUILDERS or node.func.attr in ("query", "objects")
    )


def gating(call: ast.Call, try_node: ast.Try) -> bool:
    """The call sits in the test of an ``if``/``while`` (or a conditional expression) of the ``try``, and that
    statement's body does other work: it decides whether to do the work, it is not the work."""
    for node in ast.walk(ast.Module(body=try_node.body, type_ignores=[])):
        test = getattr(node, "test", None) if isinstance(node, (ast.If, ast.While, ast.IfExp)) else None
        if test is not None and any(n is call for n in ast.walk(test)):
            body = node.body if isinstance(node.body, list) else [node.body]
            return any(isinstance(n, ast.Call) for stmt in body for n in ast.walk(stmt))
    return False


def parses(call: ast.Call) -> bool:
    """``JSONCodec.loads(text)``, ``parse_follow_ups(content)``: turning text the code holds into a value."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return bool(_PARSER.search(name))


def handles_its_own_errors(call: ast.Call, ctx: ModuleContext) -> bool:
    """The project callee puts its risky work in a ``try`` whose broad handler answers a fallback (re-raising at
    most under a condition, ``if OFFLINE_MODE: raise``), and its other statements cannot fail (remembered per
    call)."""
    key = ("handles-own-errors", id(call))
    if key not in ctx.memo:
        ctx.memo[key] = _handles(call, ctx)
    return ctx.memo[key]


def _handles(call: ast.Call, ctx: ModuleContext) -> bool:
    found = _resolve(call, ctx)
    if found is None:
        return False
    target_ctx, func = found
    traps = [s for s in getattr(func, "body", []) if isinstance(s, ast.Try) and any(_answers(h) for h in s.handlers)]
    if not traps:
        return False
    rest = [s for s in func.body if s not in traps]
    for stmt in rest:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Await, ast.With, ast.AsyncWith, ast.Raise)):
                return False
            if isinstance(node, ast.Call) and not _harmless(node, target_ctx):
                return False
    return True


def _answers(handler: ast.ExceptHandler) -> bool:
    """A broad handler whose body ends in a ``return`` (any ``raise`` in it sits under a condition)."""
    kind = handler.type
    broad = kind is None or (isinstance(kind, ast.Name) and kind.id in BROAD_NAMES)
    return broad and bool(handler.body) and isinstance(handler.body[-1], ast.Return) and not any(isinstance(s, ast.Raise) for s in handler.body)


def _harmless(call: ast.Call, ctx: ModuleContext) -> bool:
    if logcalls.as_log_call(call, ctx) is not None:
        return True
    qualified = ctx.qualified_name(call.func) or ""
    return qualified.startswith(_HARMLESS) or not shapes.can_fail(call, ctx)


_CONTAINER_METHODS = frozenset(
    {"append", "extend", "add", "update", "pop", "setdefault", "insert", "remove", "discard", "get", "items", "keys",
     "values", "copy", "clear", "sort", "reverse", "index", "count"}
)  # fmt: skip


def on_local_container(call: ast.Call, func: ast.AST | None) -> bool:
    """``history.append(m)`` where the function set ``history = []`` (a list, dict or set it built): a value
    method on a local container, whatever its name looks like."""
    target = call.func
    if func is None or not isinstance(target, ast.Attribute) or target.attr not in _CONTAINER_METHODS or not isinstance(target.value, ast.Name):
        return False
    name = target.value.id
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value = node.value
            if isinstance(value, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)):
                return True
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in ("list", "dict", "set", "defaultdict", "OrderedDict", "Counter"):
                return True
    return False


def computes_only(call: ast.Call, ctx: ModuleContext) -> bool:
    """The project callee only computes from its arguments: no ``await``, ``with``, ``yield`` or ``open``, and
    every call in it a builtin, a pure helper or a value method on a container it built (``get_message_list(map,
    id)`` walking a dict). Remembered per call."""
    key = ("computes-only", id(call))
    if key not in ctx.memo:
        ctx.memo[key] = _computes(call, ctx)
    return ctx.memo[key]


def _computes(call: ast.Call, ctx: ModuleContext) -> bool:
    found = _resolve(call, ctx)
    if found is None:
        return False
    target_ctx, func = found
    if not isinstance(func, ast.FunctionDef):
        return False
    for node in ast.walk(func):
        if isinstance(node, (ast.Await, ast.With, ast.AsyncWith, ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal)):
            return False
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in ("open", "exec", "eval", "__import__", "input", "print"):
                return False
            if not (not shapes.can_fail(node, target_ctx) or on_local_container(node, func) or logcalls.as_log_call(node, target_ctx) is not None):
                return False
    return True


def _resolve(call: ast.Call, ctx: ModuleContext):
    if ctx.qualified_name(call.func) is None:
        return None
    from sadpath.engine.project_calls import project_calls_of  # noqa: PLC0415 - built only when a call needs it

    resolver = project_calls_of(ctx)
    try:
        return resolver.resolve(call, ctx) or _by_module_path(call, ctx)
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None


def _by_module_path(call: ast.Call, ctx: ModuleContext):
    """``pkg.utils.misc.fn`` defined at the top level of ``pkg/utils/misc.py`` in a folder above the module (a
    namespace package has no ``__init__.py`` to follow)."""
    from sadpath.engine.project_calls import module_context  # noqa: PLC0415

    qualified = ctx.qualified_name(call.func) or ""
    parts = qualified.split(".")
    if len(parts) < 3 or not isinstance(call.func, ast.Name):
        return None
    for folder in list(Path(ctx.source.path).resolve().parents)[:6]:
        candidate = folder.joinpath(*parts[:-2], f"{parts[-2]}.py")
        if not candidate.is_file():
            continue
        target = module_context(candidate, ctx)
        if target is None:
            return None
        found = next((s for s in target.tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == parts[-1]), None)
        return (target, found) if found is not None else None
    return None
