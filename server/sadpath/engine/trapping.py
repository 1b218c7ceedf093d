"""Project functions that trap their own failures: their whole body (after guard clauses that return a constant)
is one ``try`` whose broad handler neither raises nor re-raises, so no error comes out of a call to them."""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext

BROAD_NAMES = ("Exception", "BaseException")


def traps_its_failures(call: ast.Call, ctx: ModuleContext, *, guards: bool = False) -> bool:
    """A call of a module function, or of a method of the enclosing class through ``self``, that answers every
    failure itself (``_create_store()`` logs and answers None). With ``guards``, guard clauses that answer a
    constant may come before that ``try``."""
    func = None
    if isinstance(call.func, ast.Name):
        func = ctx.semantic.module_functions.get(call.func.id)
    elif isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) and call.func.value.id == "self":
        cls = ctx.enclosing(ast.ClassDef)
        func = next((n for n in getattr(cls, "body", []) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == call.func.attr), None)
    if func is None:
        return False
    body = [s for s in func.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    while guards and len(body) > 1 and _guard(body[0]):
        body = body[1:]  # ``if _redis is None: return`` before the ``try``: a guard clause raises nothing
    if len(body) != 1 or not isinstance(body[0], ast.Try) or body[0].finalbody:
        return False
    handlers = body[0].handlers
    broad = any(h.type is None or (isinstance(h.type, ast.Name) and h.type.id in BROAD_NAMES) for h in handlers)
    return broad and not any(isinstance(n, ast.Raise) for h in handlers for n in ast.walk(h))


def _guard(stmt: ast.stmt) -> bool:
    """``if not ready: return None``: a test of names and attributes, answering a constant or nothing."""
    if not isinstance(stmt, ast.If) or stmt.orelse or len(stmt.body) != 1 or not isinstance(stmt.body[0], ast.Return):
        return False
    value = stmt.body[0].value
    return (value is None or isinstance(value, ast.Constant)) and not any(isinstance(n, ast.Call) for n in ast.walk(stmt.test))
