"""The error types a statement of a handler can see, narrowed by the ``isinstance`` guards around it.

``except (TaskForbiddenError, TaskPermissionDeniedError) as ex: if isinstance(ex, TaskPermissionDeniedError):
log.warning(...)``: the record is only ever written for ``TaskPermissionDeniedError``. What its text carries or
leaves out (a cause only the chain holds, a response body) is that type's story, not the other member's of the
tuple. ``narrowed`` answers the handler's ``Caught`` with only the types the guards let through (an ``else`` or a
``not isinstance`` leaves the others); the label is kept, since the message still quotes the ``except`` clause.
"""

from __future__ import annotations

import ast
import dataclasses

from sadpath.engine.context import ModuleContext

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def narrowed(caught, node: ast.AST, handler: ast.ExceptHandler, ctx: ModuleContext):
    """``caught`` with only the names the ``isinstance(<error>, X)`` guards of the handler around ``node`` admit."""
    if not handler.name or len([n for n in caught.names if n]) < 2:
        return caught
    names = [n for n in caught.names if n]
    for test, inside in _guards(handler.body, node):
        guard = _isinstance_of(test, handler.name, ctx)
        if guard is None:
            continue
        types, positive = guard
        if positive == inside:
            kept = sorted(t for t in types if t in names or any(ctx.hierarchy.is_subclass(t, n) for n in names))
        else:
            kept = [n for n in names if n not in types]
        if kept:
            names = list(dict.fromkeys(kept))
    if names == [n for n in caught.names if n]:
        return caught
    return dataclasses.replace(caught, names=tuple(names))


def _guards(statements: list[ast.stmt], node: ast.AST) -> list[tuple[ast.expr, bool]]:
    """(test, whether ``node`` is in its body) of every ``if`` of the handler that holds ``node``."""
    found: list[tuple[ast.expr, bool]] = []
    todo: list[ast.AST] = list(statements)
    while todo:
        current = todo.pop()
        if isinstance(current, _SCOPES):
            continue
        if isinstance(current, ast.If):
            if any(node is n for stmt in current.body for n in ast.walk(stmt)):
                found.append((current.test, True))
            elif any(node is n for stmt in current.orelse for n in ast.walk(stmt)):
                found.append((current.test, False))
        todo.extend(ast.iter_child_nodes(current))
    return found


def _isinstance_of(test: ast.expr, name: str, ctx: ModuleContext) -> tuple[set[str], bool] | None:
    """(the canonical types, True) for ``isinstance(name, X)``; False for ``not isinstance(...)``."""
    positive = True
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, positive = test.operand, False
    if not (
        isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance" and len(test.args) == 2
        and isinstance(test.args[0], ast.Name) and test.args[0].id == name
    ):  # fmt: skip
        return None
    exprs = test.args[1].elts if isinstance(test.args[1], ast.Tuple) else [test.args[1]]
    types: set[str] = set()
    for expr in exprs:
        qualified = ctx.qualified_name(expr)
        if not qualified:
            return None
        types.add(ctx.hierarchy.canonical(qualified))
    return types, positive
