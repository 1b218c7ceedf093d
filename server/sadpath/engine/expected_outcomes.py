"""Caught errors that are an expected outcome, not a failure to diagnose: SAD104 stays quiet for their records.

- a protocol's signal answered per the protocol: a redirect signal (``OAuth2RedirectError``, a framework's
  ``RequestRedirect``) whose handler answers, or an OAuth library's error answered with the error redirect;
- the timeout of a timed probe: the ``try`` sets its own deadline (``sock.settimeout(...)``, ``timeout=``,
  ``asyncio.wait_for``), the handler catches only timeout errors, whose text is "timed out" at most, and records
  what the outcome means ("the negotiation response was malformed") without the error: the traceback would point
  at the ``recv`` the deadline cut, and the text would add nothing to the state the message names.
"""

from __future__ import annotations

import ast
import re

from sadpath.engine import catching
from sadpath.engine.context import ModuleContext
from sadpath.engine.walker import body_nodes

# timeouts, whose text says "timed out" at most
TIMEOUTS = frozenset({"TimeoutError", "socket.timeout", "asyncio.TimeoutError", "asyncio.exceptions.TimeoutError", "concurrent.futures._base.TimeoutError"})
_DEADLINES = frozenset({"settimeout", "wait_for", "timeout", "timeout_at", "move_on_after", "fail_after"})


def _handler_nodes(handler: ast.ExceptHandler):
    return body_nodes(handler.body, scopes=True, skip=(ast.ExceptHandler,))


# an exception that asks for a redirect: the designed answer of an authorisation flow or a framework
_REDIRECT_SIGNAL = re.compile(r"^(?!TooMany).*Redirect")  # (``TooManyRedirects`` is a failure of the client)
_OAUTH_LIBRARIES = ("oauthlib.", "authlib.", "requests_oauthlib.")


def protocol_signal(handler: ast.ExceptHandler, caught, ctx: ModuleContext) -> bool:
    """The caught error is a protocol's expected signal and the handler answers per the protocol: a redirect signal
    (``OAuth2RedirectError``, a framework's ``RequestRedirect``) whose handler answers at all, or an OAuth library's
    error answered with the error redirect the spec prescribes (``self.redirect(e.in_uri(...))``)."""
    names = [n for n in caught.names if n]
    if not names or caught.kind in (catching.CatchKind.BARE, catching.CatchKind.BROAD):
        return False
    answers = any(isinstance(n, ast.Return) and n.value is not None for n in _handler_nodes(handler))
    redirects = any(
        isinstance(n, ast.Call) and "redirect" in ((n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")) or "").lower()
        for n in _handler_nodes(handler)
    )  # fmt: skip
    if all(_REDIRECT_SIGNAL.search(n.rsplit(".", 1)[-1]) for n in names):
        return answers or redirects
    return redirects and all(ctx.hierarchy.canonical(n).startswith(_OAUTH_LIBRARIES) for n in names)


def timed_probe_outcome(log_call: ast.Call, handler: ast.ExceptHandler, try_node: ast.Try | None, caught, ctx: ModuleContext) -> bool:
    """``sock.settimeout(t); first = sock.recv(1)`` under ``except TimeoutError: log.warning("... malformed")``: the
    expected outcome of the probe's own deadline, recorded as the state it means (a message of its own, no error)."""
    names = [ctx.hierarchy.canonical(n) for n in caught.names if n]
    if try_node is None or not names or caught.kind in (catching.CatchKind.BARE, catching.CatchKind.BROAD):
        return False
    if not all(n in TIMEOUTS for n in names):
        return False
    held = {handler.name} if handler.name else set()
    if any(isinstance(n, ast.Name) and n.id in held for n in ast.walk(log_call)):
        return False  # the record carries the empty text: it says nothing the message does not
    if not any(isinstance(a, (ast.Constant, ast.JoinedStr)) for a in log_call.args[:1]):
        return False
    return any(_deadline(n) for stmt in try_node.body for n in ast.walk(stmt))


def _deadline(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) else ""
    return name in _DEADLINES or any(k.arg == "timeout" for k in node.keywords)
