"""The attempt counter of a counted ``while`` retry loop, which SAD204's back-off grows with."""

from __future__ import annotations

import ast

from sadpath.engine.walker import body_nodes


def while_counter(loop: ast.AST) -> str | None:
    """``while failures <= self._attempts`` (or ``<``) whose ``failures += 1`` is in the loop: its attempt counter."""
    test = loop.test if isinstance(loop, ast.While) else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Lt, ast.LtE))):
        return None
    if not isinstance(test.left, ast.Name):
        return None
    name = test.left.id
    counted = any(
        isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add) and isinstance(n.target, ast.Name) and n.target.id == name
        for n in body_nodes(list(loop.body))
    )
    return name if counted else None
