"""A fallback the function itself makes deliberate for one expected outcome, and a handler that catches more than
that outcome: the docstring names it ("If the archived payload is missing, returns an empty ``TraceData``"), or a
sibling branch of the same function falls back to defaults on its own failure. The fallback is the contract for
the expected case (not-found), not for an outage, so SAD101 advises narrowing the catch to that outcome and
re-raising the rest (never a plain re-raise, which would break the documented answer).

A function that only lists the options of a picker (``get_available_models()``: the models a settings dropdown
offers), returning the list it preset before the ``try`` and logging the error that left it short, degrades on
purpose: that handler is not worth a finding."""

from __future__ import annotations

import ast
import re

from sadpath.engine.catching import CatchKind
from sadpath.engine.handler_site import Site
from sadpath.engine.walker import body_nodes

__all__ = ["documented_outcome", "optional_option_list", "sibling_fallback"]

_OUTCOME = (
    r"missing|not found|absent|not present|does(?: not|n't) exist|do(?: not|n't) exist|no such \w+|unknown|"
    r"not (?:been )?(?:uploaded|created|archived|stored|written|available)"
)
_WHEN = re.compile(rf"\b(?:if|when|where)\s+(?P<what>[^,.;:]{{0,80}}?\b(?:{_OUTCOME}))\b", re.IGNORECASE)
_ANSWER = re.compile(r"\breturns?\b|\banswers?\b|\bgives?\b|\bempty\b|\bfall(?:s|ing)? ?back\b|\bdefaults?\b", re.IGNORECASE)


def documented_outcome(site: Site) -> str | None:
    """The expected outcome the function's docstring names as the case of the fallback (``the archived payload is
    missing``), when the handler catches every error (``except Exception``) and answers a fallback."""
    if site.func is None or site.caught.kind not in (CatchKind.BROAD, CatchKind.BARE) or site.path.end == "raise":
        return None
    doc = ast.get_docstring(site.func) or ""
    for sentence in re.split(r"(?<=[.!?])\s+|\n\s*\n", doc):
        match = _WHEN.search(sentence)
        if match is not None and _ANSWER.search(sentence):
            return " ".join(match.group("what").split())
    return None


def sibling_fallback(site: Site) -> ast.ExceptHandler | None:
    """Another handler of the same function that falls back to a literal default for the value this ``try``
    computes (``except Exception: available_models = [{"id": "tts-1"}]``): the function degrades that value on
    purpose, for some outcome."""
    if site.func is None or site.try_node is None or site.caught.kind not in (CatchKind.BROAD, CatchKind.BARE):
        return None
    computed = _assigned(site.try_node.body)
    if not computed:
        return None
    inside = {id(n) for n in ast.walk(site.try_node)}
    for node in body_nodes(site.func.body):
        if not isinstance(node, ast.ExceptHandler) or node is site.handler or id(node) in inside:
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and _literal(stmt.value) and any(isinstance(t, ast.Name) and t.id in computed for t in stmt.targets):
                return node
    return None


_LISTING = re.compile(r"(?:^|_)(?:available|choices|options|selectable|supported)(?:_|$)", re.IGNORECASE)
_LISTING_DOC = re.compile(r"\blist of (?:the )?(?:available|supported|selectable)\b", re.IGNORECASE)
_LOUD = ("warning", "warn", "error", "exception", "critical")


def optional_option_list(site: Site) -> bool:
    """The function lists the options a picker offers (``get_available_models()``, "Return the list of available
    voices"), presets that list before the ``try``, returns it, and the handler logs the error at warning level or
    above and falls through: the list comes back short, as designed, and the log says why."""
    func, try_node, handler = site.func, site.try_node, site.handler
    if func is None or try_node is None or site.path.end != "fall" or handler.name is None:
        return False
    if not (_LISTING.search(func.name) or _LISTING_DOC.search(ast.get_docstring(func) or "")):
        return False
    if not any(log.kind == "logger" and log.method in _LOUD and _mentions(log.call, handler.name) for log in site.path.logs):
        return False
    last = func.body[-1] if func.body else None
    if not (isinstance(last, ast.Return) and isinstance(last.value, ast.Name)):
        return False
    name = last.value.id
    preset = any(
        isinstance(stmt, ast.Assign) and _literal(stmt.value) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
        for stmt in func.body[: func.body.index(last)]
        if getattr(stmt, "lineno", 0) < try_node.lineno
    )
    return preset and name in _assigned(try_node.body)


def _assigned(stmts: list[ast.stmt]) -> set[str]:
    return {t.id for n in body_nodes(stmts) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}


def _literal(value: ast.AST) -> bool:
    """A literal default: ``[]``, ``{}``, ``[{"id": "tts-1"}]``, ``None``, ``"default"``."""
    return all(isinstance(n, (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Constant, ast.Load)) for n in ast.walk(value))


def _mentions(call: ast.Call, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for a in [*call.args, *(k.value for k in call.keywords)] for n in ast.walk(a))
