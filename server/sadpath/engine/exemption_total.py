"""Exemptions of the swallow judgement about what can reach the handler at all, and where ending is the outcome:
nothing in the ``try`` can fail, the only failure is a "not there", one pump of a two-way stream proxy ends when
its peer leaves, the client's own request body does not parse in a helper that answers the route's fallback."""

from __future__ import annotations

import ast
import re

from sadpath.engine import shapes
from sadpath.engine.handler_site import Site
from sadpath.engine.in_memory_calls import in_memory_call
from sadpath.engine.not_there_lookups import session_lookup
from sadpath.engine.total_calls import cannot_fail, only_not_found
from sadpath.engine.walker import body_nodes

_SEND = re.compile(r"^(send|send_bytes|send_text|send_json|send_str|write|drain|emit)$")
_RECEIVE = re.compile(r"^(receive|recv|read)")
_BODY_READS = frozenset({"json", "get_json", "body", "form", "get_data", "text"})
_REQUEST = re.compile(r"^(request|req|http_request)$")


def nothing_can_fail(site: Site) -> bool | None:
    """Every call in the ``try`` cannot raise (an event's ``set()``, an in-process queue's ``get()``, a project
    helper that only reshapes text or removes guarded keys, also reached through an attribute chain, an e-mail's
    ``attach()``) and nothing else in it can: no error reaches the handler."""
    if site.try_node is None:
        return None
    nodes = list(body_nodes(site.try_node.body))
    calls = [n for n in nodes if isinstance(n, ast.Call)]
    if not calls:
        return None
    risky = any(
        isinstance(n, (ast.Raise, ast.Assert, ast.BinOp)) or (isinstance(n, ast.Subscript) and not isinstance(n.slice, ast.Slice))
        for n in nodes
    )
    if risky or not any(shapes.can_fail(c, site.ctx) for c in calls):
        return None  # only local work: ``local_computation`` judges it
    return all(cannot_fail(c, site.ctx) or in_memory_call(c, site.ctx) for c in calls)


def only_a_not_found(site: Site) -> bool | None:
    """The only call of the ``try`` that can fail is a lookup whose one failure is "it is not there" (a package's
    metadata, a Django session store's ``load()``): the handler answers that outcome, returning or skipping the
    ``else:`` work on what was found (a bare ``except:`` there is SAD102's finding)."""
    if site.try_node is None:
        return None
    skips_else = site.verdict == "pass" and bool(site.try_node.orelse)
    if not site.verdict.startswith("return") and not skips_else:
        return None
    calls = [n for n in body_nodes(site.try_node.body) if isinstance(n, ast.Call) and shapes.can_fail(n, site.ctx)]
    return (bool(calls) and all(only_not_found(c, site.ctx) or session_lookup(c, site.func) for c in calls)) or None


def stream_pump_ends(site: Site) -> bool | None:
    """One pump of a two-way stream proxy (``async for msg in upstream: await ws.send_bytes(msg)``, the ``try``
    its last statement): an error means a peer left, and ending the pump is the teardown."""
    func, try_node = site.func, site.try_node
    if func is None or try_node is None or site.verdict not in ("pass", "return") or len(try_node.body) != 1:
        return None
    if func.body[-1] is not try_node:
        return None
    loop = try_node.body[0]
    if isinstance(loop, ast.AsyncFor):
        receives = True
    elif isinstance(loop, ast.While):
        receives = any(isinstance(n, ast.Call) and _RECEIVE.match(_name(n)) for n in ast.walk(loop))
    else:
        return None
    sends = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and _SEND.match(n.func.attr) for n in ast.walk(loop))
    return (receives and sends) or None


def request_body_fallback(site: Site) -> bool | None:
    """A helper (not the route) parses the client's own request body and answers a fallback when it does not
    parse: a malformed body is the client's input, which the route validates, not a lost failure."""
    if site.try_node is None or site.boundary is not None or not site.verdict.startswith("return"):
        return None
    calls = [n for n in body_nodes(site.try_node.body) if isinstance(n, ast.Call) and shapes.can_fail(n, site.ctx)]
    return (bool(calls) and all(_reads_request_body(c) for c in calls)) or None


def _reads_request_body(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in _BODY_READS
        and isinstance(func.value, ast.Name)
        and bool(_REQUEST.match(func.value.id))
    )


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def stream_generator_ends(site: Site) -> bool | None:
    """A nested async generator handed to a streaming response (its ``try`` holds the ``yield`` and is its last
    statement): once the stream has started, its status is sent and ending the stream is the only outcome left."""
    func, try_node = site.func, site.try_node
    if func is None or try_node is None or not isinstance(func, ast.AsyncFunctionDef) or site.path.end not in ("fall", "return"):
        return None
    if func.body[-1] is not try_node or not any(isinstance(n, ast.Yield) for n in body_nodes(try_node.body)):
        return None
    return _nested(func, site) or None


def _nested(func: ast.AST, site: Site) -> bool:
    """``func`` is defined inside another function."""
    return any(isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)) and p is not func for p in site.ctx.parents)
