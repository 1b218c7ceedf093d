"""A security control that fails open: the handler hands back the very input the control was to check.

``try: return self._filter_response(response, user) / except Exception: log.error(...); return response`` in a
field-permission middleware (services review round 17, SAD104 row 3). The fallback is not a computed answer but
the unchecked input: when the permission filter, the redaction or the authorisation check raises, the caller gets
the data it was meant to hide. That is a swallow (SAD101), and the fix is to fail closed (re-raise, or answer a
denial), never to tune the log line.

``unfiltered(path, try_node, func)`` holds when the path returns a name that is an argument of a call in the
``try`` whose result the ``try`` returns (directly or through a name it assigns), and the call, the function or
its class is named for a security control (permissions, authorisation, redaction, sanitising, access control).
"""

from __future__ import annotations

import ast
import re

from sadpath.engine.context import ModuleContext
from sadpath.engine.handler_site import Site
from sadpath.engine.outcome import Path
from sadpath.engine.walker import body_nodes

__all__ = ["unfiltered", "story"]

_CONTROL = re.compile(r"permission|authori[sz]|redact|saniti[sz]|scrub|censor|sensitive|access_?control|(^|_)acl(_|$)|rbac|privacy|entitlement", re.IGNORECASE)


def unfiltered(path: Path, try_node: ast.Try | None, func: ast.AST | None, ctx: ModuleContext) -> bool:
    """The path returns the unchecked input of a security control the ``try`` runs and whose result it returns
    (``ctx`` is at the handler)."""
    return _control(path, try_node, func, ctx) is not None


def story(site: Site) -> tuple[str, str] | None:
    """SAD101's consequence and advice for a control that fails open; None for any other handler."""
    control = _control(site.path, site.try_node, site.func, site.ctx)
    if control is None:
        return None
    given = site.verdict[len("return "):]
    return (
        f"every failure of `{control}()` hands the caller `{given}` unchecked: the control fails open, and the data it"
        " exists to hide or refuse goes out",
        "Fail closed: re-raise (or answer a denial), and keep the traceback (`logger.exception`).",
    )


def _control(path: Path, try_node: ast.Try | None, func: ast.AST | None, ctx: ModuleContext) -> str | None:
    if try_node is None or func is None or path.end != "return" or path.acted or not isinstance(path.value, ast.Name):
        return None
    given = path.value.id
    if any(isinstance(n, ast.Name) and n.id == given and isinstance(n.ctx, ast.Store) for n in body_nodes(try_node.body)):
        return None  # the ``try`` rebinds it: what comes back may be its own partial result, not the input
    returned = _returned(try_node)
    for node in body_nodes(try_node.body):
        if not isinstance(node, ast.Call) or not any(isinstance(a, ast.Name) and a.id == given for a in [*node.args, *(k.value for k in node.keywords)]):
            continue
        if not (id(node) in returned["calls"] or _assigned_to(node, try_node) & returned["names"]):
            continue
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if _CONTROL.search(" ".join([callee, getattr(func, "name", ""), _owner_name(func, ctx)])):
            return ast.unparse(node.func)
    return None


def _returned(try_node: ast.Try) -> dict[str, set]:
    """What the ``try`` body returns: the ids of returned calls, and the names returned."""
    calls: set[int] = set()
    names: set[str] = set()
    for node in body_nodes(try_node.body):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(value, ast.Call):
                calls.add(id(value))
            elif isinstance(value, ast.Name):
                names.add(value.id)
    return {"calls": calls, "names": names}


def _assigned_to(call: ast.Call, try_node: ast.Try) -> set[str]:
    for node in body_nodes(try_node.body):
        if isinstance(node, ast.Assign):
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if value is call:
                return {t.id for t in node.targets if isinstance(t, ast.Name)}
    return set()


def _owner_name(func: ast.AST, ctx: ModuleContext) -> str:
    """The name of the class whose body holds ``func`` ('' for a module function or a nested one)."""
    owner = ctx.enclosing_class()
    return owner.name if owner is not None and any(item is func for item in owner.body) else ""
