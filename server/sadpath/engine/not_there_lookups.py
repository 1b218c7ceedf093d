"""Framework lookups that answer "it is not there" themselves: Django's session backends turn a missing, expired or
tampered session into an empty one (``SessionStore(key).load()`` answers ``{}``, ``decode()`` answers ``{}`` for
data that does not verify). A handler around such a lookup that skips the work on the loaded session only adds the
"not there" answer the backend already gives: its catch-all, if bare, is SAD102's business."""

from __future__ import annotations

import ast


_SESSION_LOOKUPS = frozenset({"load", "decode"})
_SESSION_CLASS = "SessionStore"


def session_lookup(call: ast.Call, func: ast.AST | None) -> bool:
    """``store.load()`` / ``store.decode(data)`` on a Django session store (``store = SessionStore(key)`` in the
    function, or ``SessionStore(key).load()``), or the store's own construction (it only keeps the key)."""
    if _builds_store(call):
        return True
    target = call.func
    if not isinstance(target, ast.Attribute) or target.attr not in _SESSION_LOOKUPS:
        return False
    receiver = target.value
    if isinstance(receiver, ast.Call):
        return _builds_store(receiver)
    if not isinstance(receiver, ast.Name) or func is None:
        return False
    bound = [
        node.value
        for node in ast.walk(func)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == receiver.id for t in node.targets)
    ]
    return bool(bound) and all(isinstance(value, ast.Call) and _builds_store(value) for value in bound)


def _builds_store(call: ast.Call) -> bool:
    """``SessionStore(key)``, ``self.SessionStore(key)``, ``engine.SessionStore(key)``, whichever backend the
    settings name (every Django session backend's class is ``SessionStore``)."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name == _SESSION_CLASS
