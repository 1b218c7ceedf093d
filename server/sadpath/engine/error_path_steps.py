"""A broad handler around a bookkeeping step on another error's way out.

``except Exception as e: try: cache.set(key, "error") except: logger.exception(...)`` then ``raise e``: the inner
handler guards one step of an outer handler whose block goes on to re-raise the error it caught (``raise`` or
``raise e``) on every way out. Whatever the inner handler catches, the outer error still propagates right after:
nothing takes a fallback and carries on, so the bare ``except:`` swallows nothing a caller would miss.
"""

from __future__ import annotations

import ast

from sadpath.engine.walker import NESTED_SCOPES, body_nodes


def reraised_after(handler: ast.ExceptHandler, parents: list[ast.AST]) -> bool:
    """``handler``'s ``try`` is a statement of an enclosing handler's body (same function), and a later statement of
    that body, at its top level, re-raises the enclosing handler's error."""
    for index in range(len(parents) - 1, 0, -1):
        try_node = parents[index]
        if isinstance(try_node, NESTED_SCOPES):
            return False
        if not isinstance(try_node, ast.Try) or handler not in try_node.handlers:
            continue
        outer = parents[index - 1]
        if not isinstance(outer, ast.ExceptHandler) or not any(s is try_node for s in outer.body):
            return False
        if any(isinstance(n, (ast.Return, ast.Break, ast.Continue, ast.Raise)) for n in body_nodes(handler.body)):
            return False  # the inner handler leaves another way
        position = next(i for i, s in enumerate(outer.body) if s is try_node)
        for stmt in outer.body[position + 1 :]:
            if isinstance(stmt, ast.Raise):
                return stmt.exc is None or (isinstance(stmt.exc, ast.Name) and stmt.exc.id == outer.name)
            if isinstance(stmt, (ast.Return, ast.Break, ast.Continue)):
                return False
        return False
    return False
