"""An outcome the ``try`` raises itself: ``raise ValueError(ERROR_MESSAGES.DUPLICATE_CONTENT)`` in the guarded
block, caught by the very handler that logs the failures of the block's calls (services review round 14, SAD104
row 13).

The handler then serves two stories: the ordinary outcome the code raised on purpose (a duplicate upload, a
rejected input), and the unexpected failures of its steps. A blanket ``logger.exception`` would log an error-level
stack for every ordinary outcome, so the advice there is to give that outcome its own branch and keep the
traceback for the rest; no fix writes that split, which is the project's to shape."""

from __future__ import annotations

import ast

from sadpath.engine.trapping import BROAD_NAMES
from sadpath.engine.unread_causes import caught_names

_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_NOT_AN_OUTCOME = frozenset({"AssertionError", "NotImplementedError", "RuntimeError", "SystemExit", "KeyboardInterrupt"})


def raised_outcome(handler: ast.ExceptHandler, try_node: ast.Try | None) -> tuple[str, tuple[int, ...]] | None:
    """(the raised class, the lines that raise it) for the first class a ``raise Error(...)`` of the ``try`` block
    raises into this handler: a broad handler catches any, a named one the classes it names; a raise an inner
    ``try`` catches is that ``try``'s business. None when there is none."""
    if try_node is None or handler not in try_node.handlers:
        return None
    caught = _catches(handler)
    raised = [(name, r.lineno) for r in _raises(try_node.body) if (name := _class_name(r.exc))]
    first = next((name for name, _ in raised if name not in _NOT_AN_OUTCOME and (caught is None or name in caught)), None)
    if first is None:
        return None
    return first, tuple(sorted({line for name, line in raised if name == first}))


def _raises(block: list[ast.stmt]):
    """The ``raise X`` statements that leave the block: not in nested functions or classes, nor in the body of an
    inner ``try`` one of whose handlers catches them."""
    stack = list(reversed(block))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Raise) and node.exc is not None:
            yield node
        elif isinstance(node, ast.Try):
            inner = [_catches(h) for h in node.handlers]
            for raised in _raises(node.body):
                name = _class_name(raised.exc)
                if not any(names is None or name in names for names in inner):
                    yield raised
            stack.extend(reversed([*node.orelse, *node.finalbody, *(s for h in node.handlers for s in h.body)]))
        elif not isinstance(node, _NESTED):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def split_advice(outcome: tuple[str, tuple[int, ...]], traced: str) -> str:
    """SAD104's advice for a handler that also catches the ``try``'s own raise: split that outcome out. When the
    raise is of the base ``Exception``, no branch can tell it from a failure: the advice starts with a class of
    its own at those lines (services review round 18, SAD104 row 19)."""
    name, lines = outcome
    where = f"line {lines[0]}" if len(lines) == 1 else "lines " + ", ".join(map(str, lines))
    if name in BROAD_NAMES:
        return (
            f"The `try` also raises the base `{name}` itself ({where}) for outcomes it expects, which no `except` branch"
            f" can tell from a failure: raise an exception class of its own there, give that class its own branch,"
            f" logged without a traceback, and log the rest with the traceback ({traced})"
        )
    return (
        f"The `try` also raises `{name}` itself ({where}), an outcome it expects, into this handler: give"
        f" that outcome its own branch, logged without a traceback, and log the rest with the traceback ({traced})"
    )


def _catches(handler: ast.ExceptHandler) -> set[str] | None:
    """The class names a handler names; None for a broad or bare handler, which catches any raise."""
    names = caught_names(handler)
    return None if handler.type is None or names & set(BROAD_NAMES) else names


def _class_name(expr: ast.expr) -> str:
    target = expr.func if isinstance(expr, ast.Call) else expr
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


__all__ = ["raised_outcome", "split_advice"]
