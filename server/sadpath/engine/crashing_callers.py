"""Callers that fail on a ``None`` sentinel at once: they never mistake it for a result, they crash on it.

``return None`` from a handler whose every caller does ``res = f(...)`` and then ``res['data']`` (services review
round 17, SAD101 row 14). "Callers cannot tell the failure from a real result" is then false: the caller raises
``TypeError: 'NoneType' object is not subscriptable`` on the next line, and whatever handles that (a route's
``except`` that answers 400) reports the ``TypeError``'s text instead of the real cause. The advice stays the same
(re-raise, so the caller's handler reports the real error); the consequence says what really happens.

``first_use(site)`` is the text of that first use (``res['data']``) and the error it raises on ``None``
(``TypeError`` for a subscript, ``AttributeError`` for an attribute) when the function has callers in the project
and every one of them dereferences the answer before testing it; None otherwise.
"""

from __future__ import annotations

import ast

from sadpath.engine.call_index import direct_calls
from sadpath.engine.handler_site import Site
from sadpath.engine.namespace_callers import project_callers
from sadpath.engine.walker import NESTED_SCOPES

__all__ = ["first_use"]


def first_use(site: Site) -> tuple[str, str] | None:
    func, ctx = site.func, site.ctx
    if func is None or site.verdict != "return None":
        return None
    method = ctx.enclosing_class() is not None
    calls = direct_calls(ctx, func.name)
    elsewhere = project_callers(func.name, ctx, method=method)
    if elsewhere is None:
        return None  # some module could not be read: not every caller is known
    uses = [_dereference(call, parents) for call, parents in [*calls, *elsewhere]]
    if not uses or any(use is None for use in uses):
        return None
    first = uses[0]
    return ast.unparse(first), "TypeError" if isinstance(first, ast.Subscript) else "AttributeError"


def _dereference(call: ast.Call, parents: list[ast.AST]) -> ast.Subscript | ast.Attribute | None:
    """The caller's first use of the answer, when it subscripts it or reads an attribute of it before any test."""
    node: ast.AST = call
    for parent in reversed(parents):
        if isinstance(parent, ast.Await):
            node = parent
            continue
        if isinstance(parent, (ast.Subscript, ast.Attribute)) and parent.value is node:
            return parent  # ``f()['data']``
        if isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
            scope = next((p for p in reversed(parents) if isinstance(p, NESTED_SCOPES)), None)
            return _first_read(parent.targets[0].id, scope, parent) if scope is not None else None
        return None
    return None


def _first_read(name: str, scope: ast.AST, assignment: ast.stmt) -> ast.Subscript | ast.Attribute | None:
    """After ``name = f()``, the first read of ``name`` that is not a log call's argument, when it dereferences it."""
    end = assignment.end_lineno or assignment.lineno
    parent_of: dict[int, ast.AST] = {}
    for node in ast.walk(scope):
        for child in ast.iter_child_nodes(node):
            parent_of[id(child)] = node
    reads = sorted(
        (n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) and n.lineno > end),
        key=lambda n: (n.lineno, n.col_offset),
    )
    for read in reads:
        parent = parent_of.get(id(read))
        if isinstance(parent, ast.Call) and _logs(parent):
            continue  # ``log.debug('res: %s', res)``: printing it is no use of it
        if isinstance(parent, (ast.Subscript, ast.Attribute)) and parent.value is read:
            return parent
        return None
    return None


def _logs(call: ast.Call) -> bool:
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr in ("debug", "info", "warning", "error", "exception", "critical") or (
        isinstance(func, ast.Name) and func.id == "print"
    )
