"""A write the function has already done before the ``try`` whose failure a handler swallows: a route that removes
the row (``await Knowledges.remove_file(...)``) and then, in a ``try``, deletes the vectors. Once that write is
committed, a re-raise answers an error to a request the client cannot simply retry (the retry finds the row gone
and answers "not found"), so SAD101 advises a warning with the traceback, or doing the step before the write."""

from __future__ import annotations

import ast
import re

from sadpath.engine.handler_site import Site
from sadpath.engine.walker import NESTED_SCOPES, bound_names

__all__ = ["earlier_write"]

_WRITE = re.compile(
    r"^(?:remove|delete|update|insert|add|create|save|commit|upsert|put|write|store|link|unlink|mark|archive|"
    r"bulk_(?:create|update|delete|insert)|set_|replace|move|rename|publish_)",
    re.IGNORECASE,
)
_STORES = re.compile(r"^(?:db|session|conn|connection|cursor|repo|repository|store|storage|client|dao)$|_(?:repo|store|client|dao)$")


def earlier_write(site: Site) -> ast.Call | None:
    """The last write done before the ``try`` on the way to it in the same function (``Store.remove_x(...)``, a
    ``db.commit()``): a statement of the ``try``'s own block, or of a block around it, that runs first. A write
    only counts on a module-level object or a session handed in, never on a local collection (``seen.add(x)``)."""
    func, try_node = site.func, site.try_node
    if func is None or try_node is None:
        return None
    local = bound_names(func)
    found: ast.Call | None = None
    node: ast.AST = try_node
    for parent in reversed(site.ctx.parents[:-1]):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(parent, name, None)
            if isinstance(block, list) and node in block:
                for stmt in _run_first(block[: block.index(node)]):
                    call = _write_call(stmt, local)
                    if call is not None and (found is None or call.lineno > found.lineno):
                        found = call
                break
        if parent is func or isinstance(parent, NESTED_SCOPES):
            break
        node = parent
    return found


def _run_first(stmts: list[ast.stmt]):
    """The statements, and those of the ``with`` blocks among them (``async with get_session() as session:``):
    they all ran before the ``try``. Branches (``if``, loops) are left out: they may not have run."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            yield from _run_first(stmt.body)


def _write_call(stmt: ast.stmt, local: set[str]) -> ast.Call | None:
    value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign)) else None
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute) or not _WRITE.match(value.func.attr):
        return None
    root = value.func.value
    while isinstance(root, (ast.Attribute, ast.Subscript, ast.Call)):
        root = root.func if isinstance(root, ast.Call) else root.value
    if not isinstance(root, ast.Name):
        return None
    if root.id in local and not _STORES.search(root.id):
        return None  # ``seen.add(x)``, ``items.append(x)``: a local collection, not a write
    return value
