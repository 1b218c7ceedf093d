"""The exemption for a function whose callers in the module all test its answer: ``None`` is part
of its contract, and every caller branches on it before using the result."""

from __future__ import annotations

import ast

from sadpath.engine.call_index import calls_named
from sadpath.engine.handler_site import Site
from sadpath.engine.walker import NESTED_SCOPES


def callers_check_the_answer(site: Site) -> bool | None:
    """Every call of the function in this module tests what it answers (``if sha:``, ``if models is None:
    raise``, ``x or default``): the caller decides what the failure means, and nothing uses the placeholder."""
    func = site.func
    if func is None or site.path.end != "return" or not _falsy(site.path.value):
        return None
    calls = _calls_of(func, site.ctx)
    if not calls:
        return None  # called from elsewhere: the callers cannot be read here
    return all(_tested(call, parents) for call, parents in calls)


def _falsy(value: ast.expr | None) -> bool:
    """``return`` / ``return None``: a ``False`` from a predicate is its normal answer, which ``if f():`` uses."""
    return value is None or (isinstance(value, ast.Constant) and value.value is None)


def _calls_of(func: ast.AST, ctx) -> list[tuple[ast.Call, list[ast.AST]]]:
    """Calls of ``func`` by name (a module function) or through ``self``/``cls`` (a method), with their ancestors."""
    return [
        (call, parents)
        for call, parents in calls_named(ctx, func.name)
        if isinstance(call.func, ast.Name) or (isinstance(call.func.value, ast.Name) and call.func.value.id in ("self", "cls"))
    ]


def _tested(call: ast.Call, parents: list[ast.AST]) -> bool:
    """The call's answer is tested before it is used: directly, or through the name it is bound to."""
    node: ast.AST = call
    for parent in reversed(parents):
        if isinstance(parent, ast.Await):
            node = parent
            continue
        if isinstance(parent, (ast.If, ast.While, ast.IfExp)) and parent.test is node:
            return True
        if isinstance(parent, ast.BoolOp) or (isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not)):
            return True
        if isinstance(parent, ast.Compare) and any(isinstance(c, ast.Constant) and c.value is None for c in [parent.left, *parent.comparators]):
            return True
        if isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is node:
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                scope = next((p for p in reversed(parents) if isinstance(p, NESTED_SCOPES)), None)
                return scope is not None and _name_tested(targets[0].id, scope, parent)
        return False
    return False


def _name_tested(name: str, scope: ast.AST, assignment: ast.stmt) -> bool:
    """After ``x = f()``, the first statement that reads ``x`` tests it (``if not x: return``, ``if x is None``)."""
    body = [s for s in ast.walk(scope) if isinstance(s, ast.stmt) and s.lineno > (assignment.end_lineno or assignment.lineno)]
    body.sort(key=lambda s: (s.lineno, s.col_offset))
    for stmt in body:
        reads = [n for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
        if not reads:
            continue
        test = stmt.test if isinstance(stmt, (ast.If, ast.While)) else None
        if test is not None and any(n is r for r in reads for n in ast.walk(test)):
            return True
        return isinstance(stmt, ast.Return) and stmt.value is not None and isinstance(stmt.value, ast.BoolOp)
    return False
