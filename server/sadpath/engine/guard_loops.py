"""A handler that skips one item of a guard's loop: a function whose job is to refuse.

``guard_loop(site)`` is True when the handler leaves the item (``continue``, or falls through to the loop's next
round) inside a loop of a guard: the function's name says it refuses (``assert_*``, ``check_*``, ``ensure_*``,
``verify_*``, ``validate_*``, a leading underscore allowed), or the same loop body raises outside the ``try``
when its check fails (``if count > 0: raise NotEmpty``). Skipping the item there lets it through unchecked: the
guard fails open. The advice is then to let the error propagate (fail closed), never "log and carry on with the
next one", and the fix is the re-raise.
"""

from __future__ import annotations

import ast
import re

from sadpath.engine.handler_site import Site
from sadpath.engine.walker import body_nodes

_GUARD_NAME = re.compile(r"^_*(?:assert|check|ensure|verify|validate|require)(?:_|$)", re.IGNORECASE)

GUARD_ADVICE = (
    "It is a guard, whose job is to refuse: let the error propagate (drop the `try`, or catch only the error that means the item is absent, such as a missing table) so the"
    " guard fails closed."
)


def guard_loop(site: Site) -> bool:
    """The handler skips one item of the loop of a function whose job is to refuse (by its name, or because the
    same loop raises, after the ``try``, when its check fails)."""
    if site.func is None or site.try_node is None or site.path.end not in ("continue", "fall"):
        return False
    if site.verdict in ("answers success", "acknowledges"):
        return False
    loop = _loop_around(site.try_node, site.func)
    if loop is None:
        return False
    if _GUARD_NAME.match(site.func.name):
        return True
    after = loop.body[loop.body.index(site.try_node) + 1 :]
    return any(isinstance(n, ast.If) and any(isinstance(r, ast.Raise) for r in body_nodes(n.body)) for n in body_nodes(after))


def _loop_around(try_node: ast.Try, func: ast.AST) -> ast.For | ast.AsyncFor | None:
    """The ``for`` loop (over items, not a ``range`` of attempts) whose body holds ``try_node`` directly."""
    for node in ast.walk(func):
        if isinstance(node, (ast.For, ast.AsyncFor)) and try_node in node.body:
            if isinstance(node.iter, ast.Call) and isinstance(node.iter.func, ast.Name) and node.iter.func.id == "range":
                return None
            return node
    return None


__all__ = ["GUARD_ADVICE", "guard_loop"]
