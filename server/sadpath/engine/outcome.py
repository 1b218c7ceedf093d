"""What an ``except`` handler does with the error it caught: the outcome several analyses share.

``handler_outcome`` names how a handler lets the work carry on as if it had succeeded ("pass", "continue",
"break", "return", "return 'UNKNOWN'", "assign", or "log:logger.error" for a log without the traceback), or
None when the handler does something with the error: raises or translates it, returns a computed fallback or an
error response, logs it with the traceback, calls anything else. SAD101 judges these outcomes with its
exemptions; the hover and the inventory say which handlers swallow.
"""

from __future__ import annotations

import ast

from sadpath.engine import logcalls
from sadpath.engine.context import ModuleContext

SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "gevent.sleep", "eventlet.sleep", "trio.sleep", "anyio.sleep"})
ERROR_KEYS = frozenset({"error", "errors", "detail", "message", "status", "ok", "success"})


def handler_outcome(handler: ast.ExceptHandler, ctx: ModuleContext, specific: bool = False) -> str | None:
    """How the handler swallows the error ("pass", "continue", "return None", "log", ...), or None if it does not.

    ``specific``: the handler catches named failure types, not ``Exception`` or everything.
    """
    traceback_logged = False
    untraced_log: str | None = None
    untraced_level = False
    outcome = "pass"
    for stmt in handler.body:
        if isinstance(stmt, ast.Pass) or (
            isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        ):
            continue  # pass, ..., a docstring-like string
        if isinstance(stmt, (ast.Continue, ast.Break)):
            outcome = "continue" if isinstance(stmt, ast.Continue) else "break"
            break
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Call, ast.Await)):
            call = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
            log = logcalls.as_log_call(call, ctx)
            if log is None:
                if ctx.qualified_name(call.func) in SLEEPS:
                    continue  # waiting before carrying on is not handling the error
                return None  # some other handling: a metric, a callback, a cleanup, a fallback call
            if logcalls.keeps_traceback(log, ctx):
                traceback_logged = True
            elif untraced_log is None:
                untraced_log = "print" if log.kind == "print" else f"{log.receiver}.{log.method}"
                untraced_level = log.kind == "logger" and log.level in logcalls.ERROR_LEVELS
            continue
        if isinstance(stmt, ast.Return):
            if stmt.value is None:
                outcome = "return"
                break
            if _is_constant(stmt.value) and not _is_error_response(stmt.value):
                outcome = f"return {_short(stmt.value)}"
                break
            return None  # a computed fallback or an explicit error response
        if isinstance(stmt, ast.Assign) and _is_placeholder(stmt):
            outcome = "assign"
            continue
        return None  # anything else (compound statements, calls stored in variables) is real handling
    if outcome.startswith("return ") and outcome != "return":
        return outcome  # a sentinel result: swallowed even when logged with the traceback
    if traceback_logged:
        return None  # visible, with its traceback: a deliberate best-effort or a worker loop that moves on
    if untraced_log is not None:
        if outcome in ("return", "continue", "break") and untraced_level and specific:
            return None  # a specific failure, reported at warning level or above, and the work visibly stops
        return f"log:{untraced_log}"
    return outcome


SENTINEL_STRINGS = frozenset({"UNKNOWN", "unknown", "Unknown", "N/A", "n/a", "NA", "ERROR", "error", "FAILED", "failed", "none", "null"})


def _is_placeholder(stmt: ast.Assign) -> bool:
    """``rate = None`` / ``status = "UNKNOWN"``: a plain name set to a stand-in for the missing result.
    Recording the failure (``errors["base"] = "cannot_connect"``, ``self.available = False``) is handling."""
    if not all(isinstance(t, ast.Name) for t in stmt.targets):
        return False
    value = stmt.value
    return isinstance(value, ast.Constant) and (value.value is None or value.value in SENTINEL_STRINGS)


def _is_constant(expr: ast.AST) -> bool:
    if isinstance(expr, ast.Constant):
        return True
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return all(_is_constant(e) for e in expr.elts)
    if isinstance(expr, ast.Dict):
        return all(k is not None and _is_constant(k) for k in expr.keys) and all(_is_constant(v) for v in expr.values)
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.operand, ast.Constant):
        return True
    return False


def _is_error_response(expr: ast.AST) -> bool:
    """``{"error": ...}``, ``{"base": "cannot_connect"}``, ``("failed", 502)``, ``(None, "unreachable")``:
    an explicit error result that names what went wrong, not a bare sentinel."""
    if isinstance(expr, ast.Dict):
        return any(isinstance(k, ast.Constant) and k.value in ERROR_KEYS for k in expr.keys) or any(
            _is_message(v) for v in expr.values
        )
    if isinstance(expr, ast.Tuple):
        return (
            any(
                isinstance(e, ast.Constant) and isinstance(e.value, int) and not isinstance(e.value, bool) and 400 <= e.value < 600
                for e in expr.elts
            )
            or any(_is_message(e) for e in expr.elts)
            or any(_is_error_response(e) for e in expr.elts)
        )
    return False


def _is_message(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) and isinstance(expr.value, str) and len(expr.value.strip()) > 2


def _short(expr: ast.AST) -> str:
    text = ast.unparse(expr)
    return text if len(text) <= 30 else text[:27] + "..."
