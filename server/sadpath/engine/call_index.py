"""The module's calls indexed by the name they call (``f(...)`` and ``x.f(...)`` both under ``f``), with their
ancestors: built once per module and shared by the analyses that ask "who calls this function?"."""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext


def calls_named(ctx: ModuleContext, name: str) -> list[tuple[ast.Call, list[ast.AST]]]:
    """Every call of ``name`` in the module, as a plain name or an attribute, with its ancestors (outermost
    first), in no particular order."""
    key = ("call-index",)
    if key not in ctx.memo:
        ctx.memo[key] = _index(ctx.tree)
    return ctx.memo[key].get(name, [])


def direct_calls(ctx: ModuleContext, name: str) -> list[tuple[ast.Call, list[ast.AST]]]:
    """The module's calls of its own function or method ``name``: ``name(...)``, or ``self.name(...)`` /
    ``cls.name(...)``, with their ancestors."""
    return [
        (call, parents)
        for call, parents in calls_named(ctx, name)
        if isinstance(call.func, ast.Name) or (isinstance(call.func.value, ast.Name) and call.func.value.id in ("self", "cls"))
    ]


def _index(tree: ast.Module) -> dict[str, list[tuple[ast.Call, list[ast.AST]]]]:
    index: dict[str, list[tuple[ast.Call, list[ast.AST]]]] = {}
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [])]
    while stack:
        node, parents = stack.pop()
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if called is not None:
                index.setdefault(called, []).append((node, parents))
        for child in ast.iter_child_nodes(node):
            stack.append((child, parents + [node]))
    return index


def method_calls(tree: ast.Module, name: str):
    """``x.name(...)`` anywhere in ``tree``, with the chain of its parents; not ``super().name(...)``, which
    calls the method being overridden."""
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [])]
    while stack:
        node, parents = stack.pop()
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name:
            receiver = node.func.value
            if not (isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id == "super"):
                yield node, parents
        for child in ast.iter_child_nodes(node):
            stack.append((child, [*parents, node]))
