"""Where a per-row lazy relation read is reported, and what it costs (SAD205).

A foreign key or relationship read from a row (``op.order``) loads once per row: Django keeps the loaded object on
the instance and SQLAlchemy keeps it in the instance's state, so a second read of the same row's relation, in an
inner loop or later in the body, is answered from what the ORM already loaded. Its cost is n + 1, never n × m, and
the finding belongs on the read that runs for every row (not the one under an inner loop's condition)."""

from __future__ import annotations

import ast
from typing import Callable

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_BRANCHES = (
    ast.If, ast.IfExp, ast.While, ast.For, ast.AsyncFor, ast.Try, ast.BoolOp, ast.comprehension,
    ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
)


def per_row_read(
    node: ast.AST, key: str, body: list[ast.AST], parent: dict[int, ast.AST], loop: ast.AST,
    repeated: Callable[[ast.AST, dict[int, ast.AST], ast.AST], str | None],
) -> tuple[ast.AST, str | None]:
    """The read to anchor a per-row finding on, and the clause naming an inner loop that repeats it (or None).

    For a lazy relation (``key`` starting ``lazy:``) the anchor is the first read of the same relation of the same
    row that runs on every row, when ``node`` itself runs only under a condition or an inner loop, and no clause
    is returned: the relation is loaded once per row. Any other read keeps ``node`` and ``repeated``'s clause."""
    if not key.startswith("lazy:"):
        return node, repeated(node, parent, loop)
    if steady(node, parent, loop) or not isinstance(node, ast.Attribute):
        return node, None
    relation = ast.dump(node.value)
    found = [
        n for statement in body for n in ast.walk(statement)
        if isinstance(n, ast.Attribute) and n is not node and ast.dump(n.value) == relation and steady(n, parent, loop)
    ]
    return (min(found, key=lambda n: (n.lineno, n.col_offset)) if found else node), None


def steady(node: ast.AST, parent: dict[int, ast.AST], loop: ast.AST) -> bool:
    """``node`` is evaluated exactly once for every row of ``loop``: nothing between them branches or repeats."""
    child, current = node, parent.get(id(node))
    while current is not None and current is not loop:
        if isinstance(current, _SCOPES):
            return False
        if isinstance(current, _BRANCHES) and not _head(child, current):
            return False
        child, current = current, parent.get(id(current))
    return current is loop


def _head(child: ast.AST, current: ast.AST) -> bool:
    """``child`` is the part of ``current`` that always runs once: an ``if``'s test, a ``for``'s iterable, a boolean
    operation's first operand, a ``try``'s body."""
    if isinstance(current, (ast.If, ast.IfExp)):
        return child is current.test
    if isinstance(current, (ast.For, ast.AsyncFor)):
        return child is current.iter
    if isinstance(current, ast.BoolOp):
        return child is current.values[0]
    if isinstance(current, ast.Try):
        return child in current.body
    return False
