"""Places at the end of the line, where nobody waits for the answer: a socket.io or websocket event handler, a
task's done-callback, a block that only gathers diagnostics for a log line. "Callers cannot tell" is false there
(there are none), and "re-raise or translate" is no fix: the handling that fits is a log line with the traceback,
and the work carries on. A handler there that logs the failure handles it (SAD104 judges what its log line keeps);
one that logs nothing, or only at debug level, is still a swallow, and ``place_of`` lets the message say what is
lost and give the advice that fits.

Each exemption answers like those of ``engine.exemptions``: None when it is not about this handler, False when it
was considered and does not apply, True when it applies."""

from __future__ import annotations

import ast
import re

from sadpath.engine import logcalls
from sadpath.engine.context import ModuleContext
from sadpath.engine.handler_site import Site
from sadpath.engine.walker import body_nodes

_REPORTED = ("warning", "warn", "error", "critical", "fatal", "exception")
_SOCKET_RECEIVER = re.compile(r"sio|socket|namespace|^ws$|websocket", re.IGNORECASE)
_EVENT_DECORATORS = frozenset({"on", "event", "on_event_handler"})
_DIAGNOSTIC_GATE = re.compile(r"debug|verbose|diagnos|logging|isenabledfor|trace_", re.IGNORECASE)
# calls that change something: a diagnostics block never makes them
_WRITES = re.compile(
    r"^(save|delete|commit|create|bulk_create|bulk_update|update|insert|put|post|patch|send|emit|publish|write|"
    r"remove|unlink|set_lock)$"
)


def place_of(site: Site) -> str | None:
    """"event handler", "done-callback" or "diagnostics" when the handler sits in such a place; None otherwise."""
    func = site.func
    if func is None:
        return None
    if event_handler(func, site.ctx):
        return "event handler"
    if done_callback(func, site.ctx):
        return "done-callback"
    if site.try_node is not None and diagnostics_only(site.try_node, site.ctx):
        return "diagnostics"
    return None


def end_of_the_line_logged(site: Site) -> bool | None:
    """The handler is in an event handler (``@sio.on(...)``), a task's done-callback or a block that only gathers
    diagnostics for a log line, and it logs the failure: nobody waits for an answer there, so the log line is the
    handling (SAD104 judges whether it keeps the traceback)."""
    place = place_of(site)
    if place is None or site.after is not None:
        return None
    if site.path.end not in ("fall", "return") or (site.path.value is not None and place == "event handler"):
        return False  # a socket.io handler's return value is the client's acknowledgement
    if place == "event handler":
        # a debug line is not kept in production: the dropped event leaves no trace
        return any(log.kind == "print" or log.level in _REPORTED for log in site.path.logs)
    return bool(site.path.logs)


def event_handler(func: ast.AST, ctx: ModuleContext) -> bool:
    """``@sio.on("event")``, ``@sio.event``, ``sio.on("event", handler)``, or an ``on_<event>`` method of a
    socket.io ``Namespace``: the server calls it for one client event and ignores what it raises or returns."""
    for decorator in getattr(func, "decorator_list", []):
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in _EVENT_DECORATORS and _socket_server(target.value, ctx):
            return True
    name = getattr(func, "name", "")
    return name in ctx.fact("socket-registered", lambda: _registered(ctx)) or (
        name.startswith("on_") and _in_namespace_class(func, ctx)
    )


def _socket_server(receiver: ast.expr, ctx: ModuleContext) -> bool:
    text = ast.unparse(receiver)
    if _SOCKET_RECEIVER.search(text.rsplit(".", 1)[-1]):
        return True
    qualified = ctx.qualified_name(receiver) or ""
    return qualified.startswith("socketio.")


def _registered(ctx: ModuleContext) -> set[str]:
    """Functions handed to ``sio.on("event", handler)``."""
    found: set[str] = set()
    for node in ast.walk(ctx.tree):
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "on"
            and len(node.args) >= 2 and isinstance(node.args[1], ast.Name) and _socket_server(node.func.value, ctx)
        ):
            found.add(node.args[1].id)
    return found


def _in_namespace_class(func: ast.AST, ctx: ModuleContext) -> bool:
    for node in ctx.tree.body:
        if isinstance(node, ast.ClassDef) and func in node.body:
            return any(re.search(r"Namespace$", ast.unparse(base)) for base in node.bases)
    return False


def done_callback(func: ast.AST, ctx: ModuleContext) -> bool:
    """The function is handed to ``task.add_done_callback(...)`` in the module: it runs after the task ended, to
    consume its exception; nothing calls it for an answer."""
    return getattr(func, "name", "") in ctx.fact("done-callbacks", lambda: _done_callbacks(ctx))


def _done_callbacks(ctx: ModuleContext) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_done_callback" and node.args:
            target = node.args[0]
            if isinstance(target, ast.Call) and isinstance(target.func, ast.Name) and target.func.id == "partial" and target.args:
                target = target.args[0]  # ``functools.partial(_on_done, key)``
            if isinstance(target, ast.Name):
                found.add(target.id)
            elif isinstance(target, ast.Attribute):
                found.add(target.attr)
    return found


def diagnostics_only(try_node: ast.Try, ctx: ModuleContext) -> bool:
    """The ``try`` sits under a debug or extra-logging switch (``if settings.DEBUG:``, ``if flag_set("..._additional
    _logging")``, ``if logger.isEnabledFor(logging.DEBUG)``), writes a log line, and changes nothing: it only gathers
    data for that line, and its failure must not break the work it describes."""
    gate = _nearest_if(try_node, ctx)
    if gate is None or not _DIAGNOSTIC_GATE.search(ast.unparse(gate.test)):
        return False
    calls = [n for n in body_nodes(try_node.body) if isinstance(n, ast.Call)]
    logs = [c for c in calls if logcalls.as_log_call(c, ctx) is not None]
    if not logs or any(isinstance(n, (ast.Return, ast.Yield, ast.YieldFrom, ast.Raise)) for n in body_nodes(try_node.body)):
        return False
    return not any(
        isinstance(c.func, ast.Attribute) and _WRITES.match(c.func.attr) and not _local_receiver(c, try_node)
        for c in calls if c not in logs
    )


def _nearest_if(try_node: ast.Try, ctx: ModuleContext) -> ast.If | None:
    """The ``if`` whose body holds the ``try`` (directly, or with other statements beside it) in the function."""
    parents = ctx.parents[:-1] if ctx.parents and ctx.parents[-1] is try_node else ctx.parents
    for parent in reversed(parents):
        if isinstance(parent, ast.If) and any(try_node is n for n in ast.walk(parent) if isinstance(n, ast.Try)):
            return parent if try_node in parent.body else None
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.For, ast.AsyncFor, ast.While)):
            return None
    return None


def _local_receiver(call: ast.Call, try_node: ast.Try) -> bool:
    """``task.pop("data", None)``, ``local.append(x)``: a value the ``try`` itself built."""
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    while isinstance(receiver, (ast.Subscript, ast.Attribute)):
        receiver = receiver.value
    if not isinstance(receiver, ast.Name):
        return False
    return any(
        isinstance(n, ast.Name) and n.id == receiver.id and isinstance(n.ctx, ast.Store) for n in body_nodes(try_node.body)
    )


def lost_here(place: str, site: Site) -> str:
    """What is lost when such a place swallows, for the message."""
    debug = [log for log in site.path.logs if log.kind == "logger" and log.level not in _REPORTED]
    if place == "event handler":
        if debug:
            return f"the client's event is dropped with only a `{debug[0].receiver}.{debug[0].method}` line, which production logs leave out"
        return "the client's event is dropped without a trace"
    if place == "done-callback":
        return "the background task's failure, which this callback exists to report, is lost without a trace"
    return "the diagnostics are skipped without a trace of why"


def advice_here(place: str) -> str:
    if place == "event handler":
        return (
            "It is an event handler: a re-raise would only reach the socket library's own log, so log the failure here"
            " with the traceback (`logger.exception`) and carry on."
        )
    if place == "done-callback":
        return "It is a task's done-callback: log the task's error with the traceback (`logger.exception`)."
    return "It only gathers diagnostics: log it with the traceback (`logger.exception`) and carry on."
