"""Empty answers that already mean "not available": SAD101 stays quiet when the value a handler returns is the
function's own answer for "there is none", not a disguise for a failure. Three shapes (services-review round 11):

- an optional lookup whose other ways out already answer that value for a non-success reply (``if resp.status !=
  200: return None``, or a ``status == 200`` branch that falls through to the same ``return None``), or whose
  docstring says it answers that value silently ("Returns *None* silently when the server doesn't support it");
- a parse of the body of a response whose status the function has already checked (``r.raise_for_status()``,
  ``if not r.ok: raise``), answering ``None`` for an empty body, with a caller that ignores the answer (an
  endpoint that answers 200 with no body: the request did not fail);
- a diagnostic read that the class's, function's or module's docstring says is called after a failure
  (``read_stderr()`` on failure): an empty answer keeps the original failure as the one that surfaces, where a
  re-raise would replace it with a log-read error."""

from __future__ import annotations

import ast
import re

from sadpath.engine import call_index, shapes
from sadpath.engine.handler_site import Site
from sadpath.engine.walker import body_nodes

__all__ = ["absent_answer"]

_STATUS_ATTRS = {"status", "status_code", "ok", "is_success", "is_error", "code"}
_PARSES = {"json", "text", "read", "content", "body"}
_SILENT_DOC = re.compile(
    r"\breturns?\s+\W*(?:none|an?\s+empty\s+\w+|empty|nothing)\W*\s+(?:silently|quietly)\b", re.IGNORECASE
)
_AFTER_FAILURE = r"[^.;]{0,20}?\b(?:on|after|upon)\s+(?:a\s+|the\s+)?(?:failure|error|crash)"
_READS = re.compile(r"^_?(?:read|get|fetch|tail|collect|dump)_", re.IGNORECASE)


def absent_answer(site: Site) -> str | None:
    """Which of the shapes above the handler's answer is, or None."""
    value = _answered(site)
    if value is None or site.func is None or site.try_node is None:
        return None
    if _same_on_other_paths(site, value) or _SILENT_DOC.search(ast.get_docstring(site.func) or ""):
        return "optional lookup"
    if value == "None" and _checked_body_parse(site):
        return "body of a checked response"
    if _diagnostic_after_failure(site):
        return "diagnostic read after a failure"
    return None


def _answered(site: Site) -> str | None:
    """The empty value the caller gets: the handler's ``return``, or the ``return`` right after the ``try``."""
    if site.path.end == "return":
        node = site.path.value
    elif site.path.end == "fall" and site.try_node is not None:
        following = shapes.statements_after(site.try_node, site.ctx)
        if not following or not isinstance(following[0], ast.Return):
            return None
        node = following[0].value
    else:
        return None
    text = "None" if node is None else ast.unparse(node)
    return text if text in ("None", "''", '""', "b''", 'b""', "[]", "{}", "()", "False") else None


def _status_test(test: ast.expr) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr in _STATUS_ATTRS for n in ast.walk(test))


def _same_on_other_paths(site: Site, value: str) -> bool:
    """A status test in the ``try`` whose non-success branch answers ``value`` too: by returning it, or (a
    success-only branch with no ``else``) by falling through to the same ``return`` after the ``try``."""
    falls_to_same = site.path.end == "fall" or _answered_after(site) == value
    for node in body_nodes(site.try_node.body):
        if not isinstance(node, ast.If) or not _status_test(node.test):
            continue
        for branch in (node.body, node.orelse):
            for stmt in branch:
                if isinstance(stmt, ast.Return) and ("None" if stmt.value is None else ast.unparse(stmt.value)) == value:
                    return True
        if not node.orelse and falls_to_same and any(isinstance(s, ast.Return) for s in node.body):
            return True
    return False


def _answered_after(site: Site) -> str | None:
    following = shapes.statements_after(site.try_node, site.ctx)
    if following and isinstance(following[0], ast.Return):
        return "None" if following[0].value is None else ast.unparse(following[0].value)
    return None


def _checked_body_parse(site: Site) -> bool:
    """The ``try`` only parses ``r``'s body (``return await r.json()``), ``r``'s status was checked before it in
    the function, and some caller ignores the answer."""
    body = site.try_node.body
    if len(body) != 1 or not isinstance(body[0], (ast.Return, ast.Assign)) or body[0].value is None:
        return False
    call = body[0].value.value if isinstance(body[0].value, ast.Await) else body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in _PARSES):
        return False
    receiver = call.func.value
    if not isinstance(receiver, ast.Name):
        return False
    name, start = receiver.id, site.try_node.lineno
    checked = False
    for node in ast.walk(site.func):
        if getattr(node, "lineno", start) >= start:
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "raise_for_status":
            checked |= isinstance(node.func.value, ast.Name) and node.func.value.id == name
        elif isinstance(node, ast.If) and _status_test(node.test) and any(isinstance(s, ast.Raise) for b in node.body for s in ast.walk(b)):
            checked |= any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.test))
    return checked and _a_caller_ignores(site)


def _a_caller_ignores(site: Site) -> bool:
    for _, parents in call_index.calls_named(site.ctx, site.func.name):
        around = [p for p in parents[-2:] if not isinstance(p, ast.Await)]
        if around and isinstance(around[-1], ast.Expr):
            return True
    return False


def _diagnostic_after_failure(site: Site) -> bool:
    """A read (``read_stderr()``) that a docstring around it says is called on failure."""
    name = site.func.name
    if not _READS.match(name):
        return False
    klass = site.ctx.enclosing_class()
    docs = [ast.get_docstring(site.func) or "", ast.get_docstring(klass) if klass is not None else "", ast.get_docstring(site.ctx.tree) or ""]
    pattern = re.compile(rf"\b{re.escape(name)}\b\W*(?:\(\))?{_AFTER_FAILURE}", re.IGNORECASE)
    return any(pattern.search(" ".join(doc.split())) for doc in docs if doc)
