"""SAD206's rollback plan made to fit the place: rollback first in an existing ``except`` the commits reach, and
never a wrap that re-indents more than a small block."""

from __future__ import annotations

import ast


WRAP_LINES = 40  # a new `try` around more than this re-indents a block nobody can review: no fix is offered


def fitting_plan(plan: dict, found: list[tuple[ast.Call, list[ast.AST]]], commits: list[ast.Call], handle: str) -> dict:
    """The rule's plan made to fit the place: a wrap whose block sits in the body of a ``try`` with a broad ``except``
    that every commit reaches puts the rollback first in that ``except`` instead (before its cleanup runs); a wrap of
    more than ``WRAP_LINES`` lines is no plan at all. ``found``: every commit of the function with its parents."""
    if "first_line" not in plan:
        return plan
    wanted = {(c.lineno, c.col_offset) for c in commits}
    chains = [parents for call, parents in found if (call.lineno, call.col_offset) in wanted]
    handler = _reached_except(chains, handle)
    if handler is not None:
        return {"except_line": handler.lineno, "commit_offsets": plan["commit_offsets"]}
    block = next((b for parents in chains for b in _statements(parents) if b.lineno == plan["last_line"]), None)
    end = getattr(block, "end_lineno", None) or plan["last_line"]
    if end - plan["first_line"] + 1 > WRAP_LINES:
        return {}
    return plan


def _statements(parents: list[ast.AST]):
    return (p for p in parents if isinstance(p, ast.stmt))


def _reached_except(chains: list[list[ast.AST]], handle: str) -> ast.ExceptHandler | None:
    """The broad ``except`` (on lines of its own) of the innermost ``try`` whose body holds every commit, when the
    handle is not bound again in that body."""
    if not chains:
        return None
    first = chains[0]
    for index in range(len(first) - 1, -1, -1):
        node = first[index]
        below = first[index + 1] if index + 1 < len(first) else None
        if not isinstance(node, ast.Try) or not any(below is stmt for stmt in node.body):
            continue
        if not all(in_try_body(node, parents) for parents in chains[1:]):
            return None
        if any(isinstance(n, ast.Name) and n.id == handle and isinstance(n.ctx, ast.Store) for stmt in node.body for n in ast.walk(stmt)):
            return None
        for handler in node.handlers:
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            broad = any(t is None or (isinstance(t, ast.Name) and t.id in ("Exception", "BaseException")) for t in kinds)
            if broad and handler.body and handler.body[0].lineno > handler.lineno:
                return handler
        return None
    return None


def in_try_body(node: ast.Try, parents: list[ast.AST]) -> bool:
    """Whether the chain of ``parents`` goes through the body of ``node`` (not its handlers or ``finally``)."""
    for index, parent in enumerate(parents):
        if parent is node:
            below = parents[index + 1] if index + 1 < len(parents) else None
            return any(below is stmt for stmt in node.body)
    return False
