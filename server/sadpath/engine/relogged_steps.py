"""A step of a ``try`` that logs its own failure without the traceback and re-raises it: the SAD104 message says so.

SAD104 does not fire on such a helper's own log (it re-raises: the traceback travels on), and a helper that logs
what failed with its step named is no step of its caller's count. But when its log has only the error's text
(``log.error(f"Exception building client info: {e}"); raise e``) and the caller's record drops the traceback as
well, no record of the chain says which of the helper's calls failed: the caller's handler is the last place
that has it, and the message names the helper and the calls it hides.

The other way round, a step whose callee logs its main work's failure *with* the traceback before raising it
(``traced_step``) is no step of the caller's count at all: its traceback is one record earlier. Such a callee is
found through the call, through the function a thread runner is given (``run_in_threadpool(save_docs, ...)``) or
through a factory annotated with the class it answers (``get_manager() -> Type[Manager]``). The steps it drops are
remembered per ``try`` (``dropped_traced``) so that the message names only the steps left, and ``io_step`` tells a
step left that does I/O of its own from a settings lookup.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sadpath.engine import callee_traps, project_files, quiet_steps, try_steps
from sadpath.engine.context import ModuleContext
from sadpath.engine.project_calls import project_base

_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "critical"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def relogging_step(found: list[tuple[str, ast.Call]], ctx: ModuleContext) -> tuple[str, list[str]] | None:
    """The first step whose project callee wraps its work (two or more calls) in a ``try`` whose every handler
    logs without the traceback and re-raises: its label and the calls of that ``try``."""
    for label, call in found:
        func = callee_traps.project_callee(call, ctx)
        if not isinstance(func, _FUNCTIONS):
            continue
        body = [s for s in func.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if len(body) != 1 or not isinstance(body[0], ast.Try) or not body[0].handlers:
            continue
        if not all(_logs_text_and_raises(h) for h in body[0].handlers):
            continue
        inner = _work_calls(body[0].body, awaited=isinstance(func, ast.AsyncFunctionDef))
        if len(inner) >= 2:
            return label, inner
    return None


def _logs_text_and_raises(handler: ast.ExceptHandler) -> bool:
    nodes = list(ast.walk(handler))
    raises = any(isinstance(n, ast.Raise) and (n.exc is None or (isinstance(n.exc, ast.Name) and n.exc.id == handler.name)) for n in nodes)
    logs = [n for n in nodes if isinstance(n, ast.Call) and _log_call(n)]
    return raises and bool(logs) and not any(k.arg == "exc_info" or k.arg == "stack_info" for log in logs for k in log.keywords)


def _log_call(call: ast.Call) -> bool:
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return False
    return "log" in func.value.id.lower() and func.attr in _LOG_METHODS  # (``log.exception`` keeps the traceback)


def _work_calls(statements: list[ast.stmt], *, awaited: bool) -> list[str]:
    """The calls of the helper's ``try`` that do its work: the awaited ones of an ``async def``, else those that are
    no value call, no log and no record being built."""
    shown: list[str] = []
    for stmt in statements:
        for node in ast.walk(stmt):
            if awaited:
                call = node.value if isinstance(node, ast.Await) and isinstance(node.value, ast.Call) else None
            else:
                call = node if isinstance(node, ast.Call) and not callee_traps.total_call(node) and not _log_call(node) else None
                name = getattr(call.func, "id", "") if call is not None else ""
                value = call is not None and isinstance(call.func, ast.Attribute) and call.func.attr in try_steps.NO_IO_METHODS
                call = None if name[:1].isupper() or value else call  # (``.decode()`` of what the call answered is that call)
            if call is not None:
                text = ast.unparse(call.func)
                shown.append(f"{text if len(text) <= 40 else text[:37] + '...'}()")
    return shown


# ---- steps whose callee logs its failure with the traceback before raising it: no step of the caller's count
#
# ``await run_in_threadpool(save_docs, ...)``, ``manager = get_manager(); manager.current_state(entity)`` (a
# factory answering ``Type[Manager]``): the function the step runs ends in a ``try`` around its main work whose
# every handler logs with the traceback (``log.exception(e)``, ``exc_info=True``) and then raises (the error, or a
# project error ``from`` it). That failure's traceback is in the log one record before the caller's: it is no step
# the caller's record must place. The steps dropped for a ``try`` are remembered, so that the message can name
# what is left ("the steps after `save_docs()`, which logs its own failure with the traceback").

_RUNNERS = frozenset({"run_in_threadpool", "to_thread", "run_sync", "run_in_executor", "sync_to_async"})
_TRACED_KEY = "sad104-traced"


def traced_step(call: ast.Call, try_node: ast.AST | None, ctx: ModuleContext) -> bool:
    """The call runs a project function that logs its main work's failure with the traceback and raises it
    (remembered for ``try_node``, see ``dropped_traced``)."""
    key = ("relogged-traced", id(call))
    if key not in ctx.memo:
        func = _run_function(call, ctx)
        ctx.memo[key] = func is not None and _ends_in_traced_try(func)
    if ctx.memo[key] and try_node is not None:
        label = f"{_shown(_runner_argument(call) or call.func)}()"
        ctx.memo.setdefault((_TRACED_KEY, id(try_node)), {})[id(call)] = label
    return ctx.memo[key]


def dropped_traced(try_node: ast.AST | None, ctx: ModuleContext) -> list[str]:
    """The labels of the steps of ``try_node`` dropped by ``traced_step``, in order of appearance."""
    found = ctx.memo.get((_TRACED_KEY, id(try_node)), {}) if try_node is not None else {}
    return list(dict.fromkeys(found.values()))


def io_step(call: ast.Call, ctx: ModuleContext) -> bool:
    """A step left beside a traced one that does I/O of its own: an awaited call, or a project function whose body
    awaits or opens a context (a DB session). A sync lookup (a factory reading settings, importing a class) is not."""
    func = callee_traps.project_callee(call, ctx)
    if func is None:
        return False
    return isinstance(func, ast.AsyncFunctionDef) or any(isinstance(n, (ast.Await, ast.With, ast.AsyncWith)) for n in ast.walk(func))


def _run_function(call: ast.Call, ctx: ModuleContext) -> ast.AST | None:
    argument = _runner_argument(call)
    if argument is not None:
        return _callee_of(argument, call, ctx)
    func = callee_traps.project_callee(call, ctx)
    if func is not None:
        return func
    return _factory_method(call, ctx)


def _runner_argument(call: ast.Call) -> ast.expr | None:
    """``run_in_threadpool(fn, ...)``, ``asyncio.to_thread(fn, ...)``, ``loop.run_in_executor(None, fn, ...)``: ``fn``."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    if name not in _RUNNERS:
        return None
    args = call.args[1:] if name == "run_in_executor" else call.args
    return args[0] if args and isinstance(args[0], (ast.Name, ast.Attribute)) else None


def _callee_of(expr: ast.expr, anchor: ast.Call, ctx: ModuleContext) -> ast.AST | None:
    key = ("relogged-synthetic", id(anchor))
    if key not in ctx.memo:
        ctx.memo[key] = ast.copy_location(ast.Call(func=expr, args=[], keywords=[]), anchor)  # (kept alive: memo ids)
    return callee_traps.project_callee(ctx.memo[key], ctx)


def _factory_method(call: ast.Call, ctx: ModuleContext) -> ast.AST | None:
    """``manager = get_manager()`` in the enclosing function, ``get_manager`` annotated ``-> Type[Manager]`` (or
    ``-> Manager``), then ``manager.method(...)``: ``Manager.method`` of the factory's module."""
    if not (isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)):
        return None
    enclosing = ctx.enclosing_function()
    if enclosing is None:
        return None
    name = call.func.value.id
    made = [
        n.value for n in ast.walk(enclosing)
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) and n.targets[0].id == name
        and isinstance(n.value, ast.Call)
    ]  # fmt: skip
    if len(made) != 1:
        return None
    factory = callee_traps.project_callee(made[0], ctx)
    cls_name = _annotated_class(getattr(factory, "returns", None))
    tree = _module_of(made[0], ctx) if cls_name else None
    if tree is None:
        return None
    cls = next((s for s in tree.body if isinstance(s, ast.ClassDef) and s.name == cls_name), None)
    return next((s for s in getattr(cls, "body", []) if isinstance(s, _FUNCTIONS) and s.name == call.func.attr), None)


def _annotated_class(returns: ast.expr | None) -> str | None:
    if isinstance(returns, ast.Constant) and isinstance(returns.value, str):
        try:
            returns = ast.parse(returns.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(returns, ast.Subscript) and ast.unparse(returns.value).split(".")[-1] in ("Type", "type"):
        returns = returns.slice
    return returns.id if isinstance(returns, ast.Name) and returns.id[:1].isupper() else None


def _module_of(call: ast.Call, ctx: ModuleContext) -> ast.Module | None:
    """The tree of the module defining the called function: this one, or the imported project module."""
    if isinstance(call.func, ast.Name) and call.func.id in ctx.semantic.module_functions:
        return ctx.tree
    parts = (ctx.qualified_name(call.func) or "").split(".")
    if len(parts) < 2 or not isinstance(call.func, ast.Name):
        return None
    base = project_base(parts[0], ctx) or next((f.parent for f in Path(ctx.source.path).resolve().parents if f.name == parts[0]), None)
    return None if base is None else project_files.parse_module(base.joinpath(*parts[:-2], f"{parts[-2]}.py"))


def _ends_in_traced_try(func: ast.AST) -> bool:
    """The function's body ends in a ``try`` (a ``return`` may follow) that holds calls and whose every handler logs
    with the traceback and raises; what comes before is its preparation (a cache read, a split of the input)."""
    body = [s for s in getattr(func, "body", []) if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    while body and isinstance(body[-1], ast.Return):
        body = body[:-1]
    if not body or not isinstance(body[-1], ast.Try) or not body[-1].handlers:
        return False
    last = body[-1]
    if not any(isinstance(n, ast.Call) for s in last.body for n in ast.walk(s)):
        return False
    return all(quiet_steps.traced_handler(h) for h in last.handlers)


def _shown(expr: ast.expr) -> str:
    text = ast.unparse(expr)
    return text if len(text) <= 40 else text[:37] + "..."
