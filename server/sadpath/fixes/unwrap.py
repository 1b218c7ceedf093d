"""A ``try`` whose only handler would be left holding nothing but ``raise`` says nothing: the fixes that would
write that (``reraise``, ``chain_cause``'s bare re-raise) replace the ``try`` with its body instead, unless a
comment explains the handler or the ``try``. pylint's W0706 (try-except-raise) and ruff's TRY203 flag the wrapper."""

from __future__ import annotations

import libcst as cst

__all__ = ["unwrapped_try"]


def unwrapped_try(region, handler: cst.ExceptHandler) -> cst.Module | None:
    """The module with the ``try`` replaced by its body, when ``handler`` is its only clause and would be left
    holding nothing but ``raise`` (no ``else``, no ``finally``, no comment inside the handler)."""
    try_node = next((n for n in region.positions if isinstance(n, cst.Try) and any(h is handler for h in n.handlers)), None)
    if try_node is None or len(try_node.handlers) != 1 or try_node.orelse is not None or try_node.finalbody is not None:
        return None
    if not isinstance(try_node.body, cst.IndentedBlock) or not try_node.body.body:
        return None
    if _has_comment(handler) or _has_comment(try_node.body.header):
        return None  # a comment that explains the handler (or the try) must not vanish with it
    body = list(try_node.body.body)
    body[0] = body[0].with_changes(leading_lines=[*try_node.leading_lines, *body[0].leading_lines])
    return region.module.deep_replace(try_node, cst.FlattenSentinel(body))


def _has_comment(node: cst.CSTNode) -> bool:
    found = []

    class Find(cst.CSTVisitor):
        def visit_Comment(self, comment: cst.Comment) -> None:
            found.append(comment)

    node.visit(Find())
    return bool(found)
