"""A bounded one-shot retry written without a loop: the handler of the first attempt warns, repairs what it can
(resets a session, reconnects) and runs the same work once more inside a ``try`` whose every handler logs with the
traceback and re-raises. The last error travels on with its traceback, like a retry loop that raises its last
error: the first attempt's record needs none of its own.
"""

from __future__ import annotations

import ast

from sadpath.engine import logcalls
from sadpath.engine.context import ModuleContext

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def retries_once_then_raises(handler: ast.ExceptHandler, try_node: ast.Try, ctx: ModuleContext) -> bool:
    """``except OperationalError: log.warning(...); reset(); try: return work() except OperationalError:
    log.error(..., exc_info=True); raise``: ``handler`` runs again a call the ``try`` body made (same callee, same
    arguments), and every handler of that second attempt logs with the traceback and re-raises."""
    first = {_text(c) for c in _calls(try_node.body)}
    for inner in _own(handler.body):
        if not isinstance(inner, ast.Try) or not inner.handlers:
            continue
        if not first & {_text(c) for c in _calls(inner.body)}:
            continue
        if all(_logs_then_raises(h, ctx) for h in inner.handlers):
            return True
    return False


def _logs_then_raises(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    nodes = list(_own(handler.body))
    logs = [log for log in (logcalls.as_log_call(n, ctx) for n in nodes) if log is not None]
    return any(isinstance(n, ast.Raise) for n in nodes) and any(logcalls.keeps_traceback(log, ctx) for log in logs)


def _calls(statements: list[ast.stmt]) -> list[ast.Call]:
    return [n for n in _own(statements) if isinstance(n, ast.Call)]


def _text(call: ast.Call) -> str:
    return ast.unparse(call)


def _own(statements: list[ast.stmt]):
    """The nodes of ``statements``, not those of nested functions or classes."""
    todo: list[ast.AST] = list(statements)
    while todo:
        node = todo.pop()
        yield node
        todo.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, _SCOPES))
