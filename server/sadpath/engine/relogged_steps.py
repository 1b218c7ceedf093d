"""A step of a ``try`` that logs its own failure without the traceback and re-raises it: the SAD104 message says so.

SAD104 does not fire on such a helper's own log (it re-raises: the traceback travels on), and a helper that logs
what failed with its step named is no step of its caller's count. But when its log has only the error's text
(``log.error(f"Exception building client info: {e}"); raise e``) and the caller's record drops the traceback as
well, no record of the chain says which of the helper's calls failed: the caller's handler is the last place
that has it, and the message names the helper and the calls it hides.
"""

from __future__ import annotations

import ast

from sadpath.engine import callee_traps, try_steps
from sadpath.engine.context import ModuleContext

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
