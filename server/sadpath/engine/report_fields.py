"""A ``try`` that only fills one optional field of a report that is shown whatever happens.

A diagnostic or report command (``version``, ``info``, ``doctor``, ``status``, ...) or any function that
assembles a report (a dict, a list of lines) and then prints, displays or returns it: when its ``try`` does
nothing but compute one entry (``info["Server"]["PostgreSQL version"] = ...``, ``lines.append(...)``) and the
handler falls through, the report goes out without that one entry. That is the intended behaviour: re-raising
would make the command fail when the thing it describes is down, which is when people run it. At most the report
could say "unavailable"; the rule stays quiet.

``optional_report_field(site)`` is True when: the handler falls through (no return value, no raise); every store
of the ``try`` is either a scratch name or one field of one container the function bound before the ``try``
(one subscript or attribute target, or one ``append``/``extend``/``update``/``add`` call on it), and nothing else
there writes (no commit, save, send, publish, ...); and after the ``try`` the container reaches a print or display
call or a ``return``, in a function whose name says it reports (or, for a ``return``, a container named so).
"""

from __future__ import annotations

import ast
import re

from sadpath.engine.handler_site import Site
from sadpath.engine.shapes import statements_after
from sadpath.engine.walker import body_nodes

_REPORT_FUNC = re.compile(
    r"(?:^|_)(?:version|versions|info|infos|doctor|status|diagnos\w*|report|about|health|summary|environment|env|sysinfo|debug)(?:_|$)",
    re.IGNORECASE,
)
_REPORT_NAME = re.compile(r"info|report|summary|details|lines|status|diagnos|versions?$", re.IGNORECASE)
_SHOW = re.compile(r"^_*(?:print|pprint|echo|secho|display|render|show|dump|write|log|table)\w*$", re.IGNORECASE)
_FILLS = frozenset({"append", "extend", "update", "add", "setdefault", "insert"})
_WRITES = re.compile(r"commit|save|send|publish|emit|insert|delete|remove|put|post|upload|write|flush|create", re.IGNORECASE)


def optional_report_field(site: Site) -> bool:
    """The ``try`` only fills one optional entry of a report that is printed or returned anyway: leaving it out
    on failure is the intended behaviour of a diagnostic."""
    func, try_node = site.func, site.try_node
    if func is None or try_node is None or site.path.end != "fall" or site.after is not None:
        return False
    container, fields = None, set()
    for node in body_nodes(try_node.body):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    continue  # scratch: ``result = await session.execute(...)``
                root = _root(target)
                if root is None or root == "self" or (container is not None and root != container):
                    return False
                container = root
                fields.add(ast.unparse(target))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = _root(node.func.value)
            if node.func.attr in _FILLS and receiver is not None and isinstance(node.func.value, ast.Name):
                if container is not None and receiver != container:
                    return False
                container = receiver
                fields.add(f"{receiver}.{node.func.attr}")
            elif _WRITES.search(node.func.attr):
                return False  # the ``try`` also writes: more than a report's entry
    if container is None or len(fields) != 1 or not _bound_before(container, func, try_node):
        return False
    return _shown_after(container, func, try_node, site)


def _root(target: ast.expr) -> str | None:
    node = target
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _bound_before(name: str, func: ast.AST, try_node: ast.Try) -> bool:
    return any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) and n.lineno < try_node.lineno
        for n in ast.walk(func)
    )


def _shown_after(name: str, func: ast.AST, try_node: ast.Try, site: Site) -> bool:
    """After the ``try``, the container goes to a print or display call, or is returned, in a function that
    reports (by its name, or for a ``return`` by the container's name)."""
    reporting = bool(_REPORT_FUNC.search(func.name))
    later = [s for s in func.body if s.lineno > (try_node.end_lineno or try_node.lineno)]
    for stmt in [*statements_after(try_node, site.ctx), *later]:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and any(_names(a, name) for a in [*node.args, *(k.value for k in node.keywords)]):
                callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if _SHOW.match(callee) and (reporting or _REPORT_NAME.search(name)):
                    return True
            if isinstance(node, ast.Return) and node.value is not None and _names(node.value, name):
                if reporting or _REPORT_NAME.search(name):
                    return True
    return False


def _names(expr: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(expr))


__all__ = ["optional_report_field"]
