"""Calls to functions defined in the same module: ``helper(...)`` for a module-level ``def helper``, and
``self.method(...)`` / ``cls.method(...)`` for a method of the enclosing class.

A cheap, same-file look at project code, for the rules that only need to know what a small helper does
(returns a response, makes a remote call); `project_calls` follows calls across files.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def module_functions(ctx) -> dict[str, FunctionNode]:
    return ctx.fact(
        "local-functions",
        lambda: {
            node.name: node for node in ctx.tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        },
    )


def local_function(call: ast.Call, ctx, klass: ast.ClassDef | None = None) -> FunctionNode | None:
    """The same-module function ``call`` calls, or None."""
    func = call.func
    if isinstance(func, ast.Name):
        return module_functions(ctx).get(func.id)
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in ("self", "cls")
    ):
        klass = klass or ctx.enclosing_class()
        if klass is None:
            return None
        for node in klass.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == func.attr:
                return node
    return None


@contextmanager
def in_scope(ctx, function: ast.AST) -> Iterator[None]:
    """Resolve names as inside ``function`` (its parameters and locals) for the duration."""
    saved = list(ctx.scopes)
    ctx.scopes[:] = [*saved[:1], function]  # the module's scope, then the function's own
    try:
        yield
    finally:
        ctx.scopes[:] = saved
