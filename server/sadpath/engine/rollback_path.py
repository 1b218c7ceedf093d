"""SAD206's one rollback path for all the commits of a handle its message names: the function's shared broad
``except``, or one new ``try`` around the whole transaction (the ``rollback_on_error`` fix's plan, handed over in the
finding's data)."""

from __future__ import annotations

import ast


def rollback_path(found: list[tuple[ast.Call, list[ast.AST]]], commits: list[ast.Call], name: str) -> dict[str, object]:
    """``rollback_path``'s plan for the function's commits ``found`` (each with its parents) that are ``commits``, with
    the commits' lines as offsets from the first reported one (``commit_offsets``); empty when there is no one path."""
    wanted = {(c.lineno, c.col_offset) for c in commits}
    chains = [parents for call, parents in found if (call.lineno, call.col_offset) in wanted]
    plan = _path(chains, name) if len(chains) == len(wanted) else None
    if plan is None:
        return {}
    return {**plan, "commit_offsets": [line - commits[0].lineno for line in sorted(c.lineno for c in commits)]}


def _path(chains: list[list[ast.AST]], name: str) -> dict[str, int] | None:
    """The one rollback path that covers every commit of the handle (``chains``: each commit's parents, the function first) (the fix's plan; the lines move with the finding):
    ``{"except_line": n}``, the function's shared broad ``except`` whose ``try`` body holds several commits, where the
    rollback goes first; or ``{"first_line": a, "last_line": b}``, the statements of the innermost block holding them
    all, from the writes before the first commit to the last one, that a new ``try`` wraps. None when the handle is
    bound again in between (the rollback would reach another object), or when a commit sits in an ``except`` or a
    ``finally`` of that range (it runs on the failed session before the new ``try`` could roll back)."""
    if len(chains) > 1:
        shared = _shared_except(chains)
        if shared is not None:
            return {"except_line": shared.lineno}
    blocks = [_blocks(parents) for parents in chains]
    common = [ident for ident, _, _ in blocks[0] if all(any(i == ident for i, _, _ in chain) for chain in blocks[1:])]
    if not common:
        return None
    key = common[-1]  # the innermost block holding every commit
    block = next(b for i, b, _ in blocks[0] if i == key)
    held = [next(stmt for i, _, stmt in chain if i == key) for chain in blocks]
    for parents, stmt in zip(chains, held):
        below = parents[next(n for n, p in enumerate(parents) if p is stmt) :]
        late = [p for p, c in zip(below, below[1:]) if isinstance(p, ast.ExceptHandler) or (
            isinstance(p, ast.Try) and any(c is s for s in p.finalbody))]
        if late:
            return None  # a commit in an `except` or a `finally` runs on the failed session before any outer rollback
    indexes = [next(n for n, stmt in enumerate(block) if stmt is s) for s in held]
    first, last = min(indexes), max(indexes)
    for earlier in range(first - 1, -1, -1):  # the writes before the first commit, as far as they use the handle
        mentions = any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(block[earlier]))
        assigns = isinstance(block[earlier], ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in block[earlier].targets
        )
        if assigns or not mentions:
            break
        first = earlier
    if any(_binds(stmt, name) for stmt in block[first : last + 1]):
        return None
    return {"first_line": block[first].lineno, "last_line": block[last].lineno}


def _blocks(parents: list[ast.AST]) -> list[tuple[int, list[ast.stmt], ast.stmt]]:
    """The statement lists around a commit, outermost first, each with the statement of it that holds the commit."""
    found = []
    for parent, child in zip(parents, parents[1:]):
        if not isinstance(child, ast.stmt):
            continue
        for field in ("body", "orelse", "finalbody"):
            block = getattr(parent, field, None)
            if isinstance(block, list) and any(stmt is child for stmt in block):
                found.append((id(block), block, child))
    return found


def _shared_except(chains: list[list[ast.AST]]) -> ast.ExceptHandler | None:
    """The broad handler (``except:``, ``except Exception``) of the innermost ``try`` whose body holds every commit,
    on lines of its own."""
    first = chains[0]
    for index in range(len(first) - 2, -1, -1):
        node = first[index]
        if not isinstance(node, ast.Try) or not any(first[index + 1] is stmt for stmt in node.body):
            continue
        if not all(_in_try_body(node, parents) for parents in chains[1:]):
            continue
        for handler in node.handlers:
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            broad = any(t is None or (isinstance(t, ast.Name) and t.id in ("Exception", "BaseException")) for t in kinds)
            if broad and handler.body and handler.body[0].lineno > handler.lineno:
                return handler
    return None


def _in_try_body(node: ast.Try, parents: list[ast.AST]) -> bool:
    for index, parent in enumerate(parents[:-1]):
        if parent is node:
            return any(parents[index + 1] is stmt for stmt in node.body)
    return False


def _binds(stmt: ast.stmt, name: str) -> bool:
    return any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in ast.walk(stmt)
    )
