"""Names a ``try`` binds that its handler leaves unbound when it falls through to code that reads them.

``try: width, height = resize(...) except: log(...)`` then ``draw(width=width)``: when the ``try`` fails, the
handler carries on and the next read of ``width`` raises ``UnboundLocalError``, so the fallback is no fallback.
Only the plain case is judged: the names are bound by the ``try`` body's own statements, nowhere else before it
in the function, the handler neither binds them nor leaves (``return``, ``raise``, ``continue``, ``break``), no
loop surrounds the ``try`` (an earlier round may have bound them), and a statement after the ``try`` reads them.
"""

from __future__ import annotations

import ast

_LEAVES = (ast.Return, ast.Raise, ast.Continue, ast.Break)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def unbound_after(handler: ast.ExceptHandler, try_node: ast.Try, func: ast.AST | None, parents: list[ast.AST]) -> tuple[list[str], int] | None:
    """The names left unbound and the first line after the ``try`` that reads one, or None."""
    if func is None or any(isinstance(p, (ast.For, ast.AsyncFor, ast.While)) for p in _between(func, try_node, parents)):
        return None
    if any(isinstance(n, _LEAVES) for stmt in handler.body for n in _local(stmt)):
        return None
    bound = {name for stmt in try_node.body if isinstance(stmt, (ast.Assign, ast.AnnAssign)) for name in _targets(stmt)}
    if not bound:
        return None
    rebound = {n.id for stmt in handler.body for n in _local(stmt) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    if try_node.orelse or try_node.finalbody:
        rebound |= {n.id for stmt in [*try_node.orelse, *try_node.finalbody] for n in _local(stmt) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    args = func.args
    params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a is not None}
    before = {
        n.id for n in _local_all(func) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) and n.lineno < try_node.lineno
    } | params
    for node in _local_all(func):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            before |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            before |= set(node.names)
    candidates = bound - rebound - before
    if not candidates:
        return None
    for stmt in _following(func, try_node, parents):
        reads = sorted(
            (n.lineno, n.col_offset, n.id)
            for n in _local(stmt)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in candidates
        )
        if reads:
            first_line = reads[0][0]
            return list(dict.fromkeys(name for line, _, name in reads if line == first_line)), first_line
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            candidates -= set(_targets(stmt))  # bound again before any read
            if not candidates:
                return None
    return None


def _targets(stmt: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def _between(func: ast.AST, try_node: ast.Try, parents: list[ast.AST]) -> list[ast.AST]:
    ids = [id(p) for p in parents]
    if id(func) not in ids or id(try_node) not in ids:
        return [ast.While()]  # not the plain case: judge nothing
    return parents[ids.index(id(func)) + 1 : ids.index(id(try_node))]


def _following(func: ast.AST, try_node: ast.Try, parents: list[ast.AST]) -> list[ast.stmt]:
    """The statements that run after the ``try`` on its own path: the rest of its block, then the rest of each
    enclosing block up to the function (not the other branch of an ``if``)."""
    path = [func, *_between(func, try_node, parents)]
    following: list[ast.stmt] = []
    node: ast.AST = try_node
    for parent in reversed(path):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(parent, field, None)
            if isinstance(block, list) and any(s is node for s in block):
                index = next(i for i, s in enumerate(block) if s is node)
                following.extend(block[index + 1 :])
                break
        node = parent
    return following


def _local(node: ast.AST):
    """The nodes of a statement, not entering nested functions or classes."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(c for c in ast.iter_child_nodes(current) if not isinstance(c, _SCOPES))


def _local_all(func: ast.AST):
    for stmt in func.body:
        yield from _local(stmt)
