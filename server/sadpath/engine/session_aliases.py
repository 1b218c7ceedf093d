"""Local aliases of a session or connection handle: for SAD206 (transaction-without-rollback).

``db = self.db`` then ``db.add(...)``, ``db.commit()``: the alias and ``self.db`` are the same handle, for finding
the first commit (the anchor), counting the later ones and seeing a rollback written on either spelling.
``unaliased(func)`` returns a copy of the function in which every read of such an alias is spelled as the
attribute it names (locations kept), or the function itself when it has none. An alias is a name the function
binds exactly once, to an attribute chain rooted at ``self``/``cls`` (``self.db``, ``self.app.db``), and never
rebinds (no loop target, ``with ... as``, augmented assignment)."""

from __future__ import annotations

import ast
import copy

from sadpath.engine.walker import body_nodes


def aliases(func: ast.AST) -> dict[str, ast.Attribute]:
    """``{"db": <self.db>}`` for the function's aliases of attributes of ``self``/``cls``."""
    bound: dict[str, list[ast.AST | None]] = {}
    for node in body_nodes(func.body, scopes=True):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for name in (n for n in ast.walk(target) if isinstance(n, ast.Name)):
                    bound.setdefault(name.id, []).append(node.value if target is name else None)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.NamedExpr)):
            for name in (n for n in ast.walk(node.target) if isinstance(n, ast.Name)):
                bound.setdefault(name.id, []).append(node.value if isinstance(node, ast.AnnAssign) and node.target is name else None)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                for name in (n for n in ast.walk(item.optional_vars or ast.Pass()) if isinstance(n, ast.Name)):
                    bound.setdefault(name.id, []).append(None)
    params = {a.arg for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]}
    found = {}
    for name, values in bound.items():
        if name in params or len(values) != 1 or not isinstance(values[0], ast.Attribute):
            continue
        root = values[0]
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in ("self", "cls"):
            found[name] = values[0]
    return found


def unaliased(func: ast.AST) -> ast.AST:
    """A copy of ``func`` with each read of an alias spelled as its attribute, or ``func`` when it has none."""
    found = aliases(func)
    if not found:
        return func
    clone = copy.deepcopy(func)

    class Spell(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            if isinstance(node.ctx, ast.Load) and node.id in found:
                return ast.copy_location(copy.deepcopy(found[node.id]), node)
            return node

    Spell().visit(clone)
    return clone


def spelled_as(func: ast.AST, handle: str, text: str) -> str | None:
    """The alias of ``handle`` that ``text`` (the source from a commit call on) starts with, or None."""
    for name, value in aliases(func).items():
        if ast.unparse(value) == handle and text.startswith(f"{name}."):
            return name
    return None
