"""Whether a retry's attempt raises the HTTP status error and whether its handler tells statuses apart, for
SAD204 (naive-retry): retrying the error of ``raise_for_status()`` resends 401, 403, 404 and 422 for nothing,
unless the handler looks at the status (``if exc.response.status_code != 423: raise``)."""

from __future__ import annotations

import ast

from sadpath.engine.walker import body_nodes


def raises_for_status(statements: list[ast.stmt]) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "raise_for_status"
        for n in body_nodes(list(statements))
    )


def inspects_status(handlers: list[ast.ExceptHandler]) -> bool:
    """``exc.response.status_code`` / ``isinstance(exc, HTTPStatusError)`` in the handler: it tells statuses apart."""
    for handler in handlers:
        for node in body_nodes(list(handler.body)):
            if isinstance(node, ast.Attribute) and node.attr in ("status_code", "status", "response"):
                return True
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
                return True
    return False
