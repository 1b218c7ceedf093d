"""A project decorator that already logs, with the traceback, whatever escapes the function it wraps.

``@with_document_lock`` in open-webui's socket handlers: its wrapper runs the handler under ``try`` and does
``log.exception('Error in %s', handler.__name__)`` in ``except Exception`` (services review round 20, SAD104 rows
15 and 16). An inner ``try`` of the handler that logs only the error's text blocks that record. The fitting fix
is to drop the inner catch (or re-raise after its record), not to write a second traceback beside the wrapper's.

``logging_decorator(func, ctx)`` is the decorator's name (``@with_document_lock``) when ``func`` is decorated
with a function the project defines (in the module or imported from another, read, never imported) whose code
has an ``except`` handler that logs with the traceback and does not raise; None otherwise.
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext
from sadpath.engine.rollback_hooks import resolve_function

__all__ = ["WRAPPED", "advice", "logging_decorator"]

WRAPPED = "already logs what escapes the function, traceback included"


def logging_decorator(func: ast.AST | None, ctx: ModuleContext) -> str | None:
    if func is None or not ctx.source.path:
        return None
    for deco in getattr(func, "decorator_list", []):
        expr = deco.func if isinstance(deco, ast.Call) else deco
        if not isinstance(expr, ast.Name):
            continue
        found = resolve_function(ctx.tree, ctx.source.path, expr.id)
        if found is not None and _logs_traced(found[0]):
            return f"@{expr.id}"
    return None


def advice(decorator: str) -> str:
    return (
        f"`{decorator}` {WRAPPED}: drop this catch, or re-raise after its record, rather than log a second traceback"
        " beside the decorator's"
    )


def _logs_traced(decorator: ast.AST) -> bool:
    for handler in (n for n in ast.walk(decorator) if isinstance(n, ast.ExceptHandler)):
        nodes = [n for stmt in handler.body for n in ast.walk(stmt)]
        if any(isinstance(n, ast.Raise) for n in nodes):
            continue
        for call in (n for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)):
            if call.func.attr == "exception" or any(
                k.arg == "exc_info" and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords
            ):
                return True
    return False
