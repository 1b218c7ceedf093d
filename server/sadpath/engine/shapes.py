"""Shapes of the code around an ``except`` handler that decide whether its swallowing is deliberate: the loop it
sits in, what its ``try`` does, what the statements around the ``try`` do with a default or a placeholder."""

from __future__ import annotations

import ast
import builtins
import re

from sadpath.engine import logcalls, outcome
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.walker import NESTED_SCOPES, body_nodes

CLEANUP_METHODS = frozenset(
    {
        "close", "aclose", "shutdown", "disconnect", "unlink", "remove", "rmtree", "kill", "terminate",
        "cancel", "release", "stop", "quit", "logout", "unsubscribe", "unregister", "rollback", "join",
        "__exit__", "__aexit__", "cleanup", "dispose", "removeHandler", "unwatch", "reset", "delete_file",
        "rmdir", "discard", "flush", "wait_closed", "unlock",
    }
)
CLEANUP_FUNCTIONS = frozenset(
    {"__del__", "__exit__", "__aexit__", "close", "aclose", "shutdown", "cleanup", "teardown", "tearDown",
     "stop", "dispose", "__repr__", "__str__", "__hash__", "__bool__", "__len__", "disconnect", "terminate",
     "release", "reset", "__dir__", "__format__", "destroy", "kill", "remove", "unregister", "unsubscribe",
     "detach", "unwatch"}
)
def cleanup_function(name: str) -> bool:
    """A function that tidies up and must not raise: ``close``, ``__exit__``, ``__repr__``, ``release_lock``,
    ``_remove_container``, ``_run_cleanup``."""
    return name in CLEANUP_FUNCTIONS or bool(_TIDY_FUNCTION.search(name.lstrip("_")))


# in a function's name these verbs tidy up; "delete", "remove", "clear" there are business (``delete_account``)
_TIDY_FUNCTION = re.compile(
    r"(^|_)(close|shutdown|cleanup|clean_up|disconnect|teardown|terminate|destroy|dispose|release|unregister|"
    r"unsubscribe|detach|stop|kill)(_|$)",
    re.IGNORECASE,
)


PREDICATE_PREFIXES = ("is_", "has_", "can_", "should_", "check", "ping", "health", "exists", "supports",
                      "verify", "validate", "_is_", "_has_", "_can_", "_check", "is_available", "alive", "ready")
_CLEANUP_NAME = re.compile(
    r"(^|_)(close|shutdown|cleanup|disconnect|teardown|terminate|destroy|dispose|clear|remove|delete|discard|"
    r"unregister|unsubscribe|release|evict|purge|invalidate|reset|detach|unlink|stop|kill|cancel)(_|$)",
    re.IGNORECASE,
)
PATH_CLEANUP = frozenset({"unlink", "remove", "rmtree", "rmdir", "kill", "discard", "removeHandler", "delete_file"})


TIMEOUT_TYPES = frozenset({"TimeoutError", "concurrent.futures._base.TimeoutError"})
TIMEOUT_CONTEXTS = frozenset({"asyncio.timeout", "asyncio.wait_for", "async_timeout.timeout", "asyncio.wait"})
_TELEMETRY = re.compile(
    r"^_*(record|track|emit|report|increment|incr|decr|inc|observe|gauge|timing|histogram|set_tag|set_tags|"
    r"set_data|set_context|set_attribute|set_attributes|add_event|add_breadcrumb|capture_\w+|send_metric)"
)


def designed_timeout(caught, try_node: ast.Try, ctx: ModuleContext) -> bool:
    """``except socket.timeout`` around a call the code gave a timeout itself (``drain_events(timeout=1)``,
    ``asyncio.wait_for(..., 5)``): the timeout is the designed "nothing arrived" answer of a poll."""
    if not caught.names or not all(ctx.hierarchy.canonical(n) in TIMEOUT_TYPES for n in caught.names):
        return False
    if ctx.enclosing(ast.While, ast.For, ast.AsyncFor) is not None:
        return True  # a timeout inside a loop is a poll tick: the loop asks again
    for stmt in try_node.body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                if any(k.arg == "timeout" for k in node.keywords):
                    return True
                if ctx.qualified_name(node.func) in TIMEOUT_CONTEXTS:
                    return True
                if isinstance(node.func, ast.Attribute) and "timeout" in node.func.attr.lower():
                    return True  # hass.timeout.async_timeout(...), a deadline the code set itself
                if isinstance(node.func, ast.Attribute) and POLL_METHODS.match(node.func.attr):
                    return True
    return False


POLL_METHODS = re.compile(r"^_*(drain|poll|recv|read|wait|select|consume|get_message|listen)")


def block_of(node: ast.AST, ctx: ModuleContext) -> tuple[list, int] | None:
    index = len(ctx.parents) - 1
    if index < 1 or ctx.parents[index] is not node:
        return None
    container = ctx.parents[index - 1]
    for field in ("body", "orelse", "finalbody", "handlers"):
        block = getattr(container, field, None)
        if isinstance(block, list) and node in block:
            return block, block.index(node)
    return None


def tries_alternatives(ctx: ModuleContext, *, broad: bool = False) -> bool:
    """``for host in hosts: try: return connect(host) except ConnectionError: continue``: the next one is tried;
    ``while True: try: return read() except X: pass``: the same one is retried (SAD204 judges how)."""
    try_node = ctx.parents[-1] if ctx.parents else None
    for parent in reversed(ctx.parents):
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False
        if isinstance(parent, ast.While):
            return isinstance(try_node, ast.Try) and any(
                isinstance(n, (ast.Return, ast.Break)) for stmt in try_node.body for n in ast.walk(stmt)
            )
        if isinstance(parent, (ast.For, ast.AsyncFor)):
            if isinstance(parent.iter, ast.Call) and isinstance(parent.iter.func, ast.Name) and parent.iter.func.id == "range":
                return False  # attempts of one operation, not alternatives
            if not any(isinstance(n, (ast.Return, ast.Break)) for stmt in parent.body for n in ast.walk(stmt)):
                return False
            # a specific failure (``ConnectionError``: try the next host) may end in "none answered"; a broad
            # catch lets every kind of error through to the next, so running out must be loud
            return not broad or _loop_ends_loudly(parent, ctx)
    return False


def _loop_ends_loudly(loop: ast.For | ast.AsyncFor, ctx: ModuleContext) -> bool:
    """After the alternatives run out, the code raises or answers something computed (``raise NoHostLeft``,
    ``return fallback(x)``), not a constant or nothing: otherwise every alternative failing is lost."""
    if any(isinstance(n, ast.Raise) for stmt in loop.orelse for n in ast.walk(stmt)):
        return True
    following: list[ast.stmt] = []
    for index in range(1, len(ctx.parents)):
        if ctx.parents[index] is loop:
            container = ctx.parents[index - 1]
            for field in ("body", "orelse", "finalbody"):
                block = getattr(container, field, None)
                if isinstance(block, list) and loop in block:
                    following = block[block.index(loop) + 1 :]
            break
    for stmt in following:
        if isinstance(stmt, ast.Raise):
            return True
        if isinstance(stmt, ast.If) and any(isinstance(n, ast.Raise) for n in body_nodes(stmt.body)):
            return True
        if isinstance(stmt, ast.Return):
            return stmt.value is not None and not outcome.is_constant(stmt.value)
    return False


def polls_with_sleep(handler: ast.ExceptHandler, verdict: str, ctx: ModuleContext) -> bool:
    """A polling loop that logs the failure and waits before asking again: it retries."""
    if not verdict.startswith("log:"):
        return False
    try_node = ctx.parents[-1] if ctx.parents else None
    for parent in reversed(ctx.parents):
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.For, ast.AsyncFor)):
            return False
        if isinstance(parent, ast.While):
            if try_node in parent.body:
                # a consumer takes a new item each round (item = queue.pop()): a failed item is lost, not retried
                before = parent.body[: parent.body.index(try_node)]
                if any(isinstance(stmt, (ast.Assign, ast.AnnAssign)) and _takes_item(stmt.value) for stmt in before):
                    return False
            for node in ast.walk(parent):
                if isinstance(node, ast.Call) and ctx.qualified_name(node.func) in outcome.SLEEPS:
                    return True
            return False
    return False


def _takes_item(value: ast.expr | None) -> bool:
    """``queue.pop()``, ``await ws.recv()``, ``next(it)``: a new item each round; ``AppConnection(app)`` (a new
    connection object for the same peer) is not."""
    if isinstance(value, ast.Await):
        return True
    if not isinstance(value, ast.Call):
        return False
    return isinstance(value.func, ast.Attribute) or (isinstance(value.func, ast.Name) and value.func.id in ("next", "anext", "input"))


_TELEMETRY_RECEIVER = re.compile(
    r"metric|collector|meter|tracer|telemetry|statsd|prometheus|profiler|span|analytics|milestone|posthog|mixpanel|"
    r"amplitude|segment_client|sentry",
    re.IGNORECASE,
)


_TELEMETRY_PATH = re.compile(r"(^|/)(observability|telemetry|metrics|instrumentation|logging|log|logs|logger|audit|contextlog|analytics)(/|\.py$)")


def telemetry_context(func: ast.AST | None, ctx: ModuleContext) -> bool:
    """Code whose job is telemetry: a ``record_*``/``track_*`` function, or a metrics/observability module."""
    if func is not None and _TELEMETRY.match(func.name):
        return True
    return bool(_TELEMETRY_PATH.search(ctx.source.path.replace("\\", "/")))


def telemetry_call(call: ast.Call) -> bool:
    """A call that records metrics, traces or breadcrumbs (``statsd.incr``, ``span.set_tag``, ``track_event``)."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
    return bool(_TELEMETRY.match(name) or _TELEMETRY_RECEIVER.search(receiver) or _TELEMETRY_RECEIVER.search(name))


def telemetry_only(try_node: ast.Try) -> bool:
    """A ``try`` that only records metrics, traces, breadcrumbs or analytics (importing what records them, and
    under ``if``s): telemetry must never break the work."""
    return _records_only(try_node.body)


def _records_only(body: list[ast.stmt]) -> bool:
    recorded = False
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(stmt, ast.If):
            if not _records_only(stmt.body) or (stmt.orelse and not _records_only(stmt.orelse)):
                return False
            recorded = True
            continue
        value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call) or not telemetry_call(value):
            return False
        recorded = True
    return recorded


def retry_loop_then_raise(ctx: ModuleContext) -> bool:
    """The handler continues a ``for ... in range(n)`` loop that raises once the attempts run out."""
    for index in range(len(ctx.parents) - 1, 0, -1):
        loop = ctx.parents[index]
        if isinstance(loop, NESTED_SCOPES):
            return False
        if isinstance(loop, (ast.For, ast.AsyncFor)):
            if not (isinstance(loop.iter, ast.Call) and isinstance(loop.iter.func, ast.Name) and loop.iter.func.id == "range"):
                return False
            if any(isinstance(n, ast.Raise) for s in loop.orelse for n in ast.walk(s)):
                return True
            container = ctx.parents[index - 1]
            for field in ("body", "orelse", "finalbody"):
                block = getattr(container, field, None)
                if isinstance(block, list) and loop in block:
                    for stmt in block[block.index(loop) + 1 :]:  # ``if last_error: raise last_error``
                        if isinstance(stmt, ast.Raise) or (isinstance(stmt, ast.If) and any(isinstance(n, ast.Raise) for n in stmt.body)):
                            return True
                        if isinstance(stmt, ast.Return):
                            return False
                    return False
            return False
        if isinstance(loop, ast.While):
            return False
    return False


def walk_outside_handlers(func: ast.AST):
    """The nodes of a function's own body outside its ``except`` handlers."""
    return body_nodes(func.body, skip=(ast.ExceptHandler,))


def probe(try_node: ast.Try, verdict: str) -> bool:
    """``try: pickle.dumps(x) except Exception: pass else: return x`` then the fallback: the failure is the answer."""
    return verdict == "pass" and any(isinstance(n, ast.Return) for s in try_node.orelse for n in ast.walk(s))


def placeholder_checked(handler: ast.ExceptHandler, try_node: ast.Try, verdict: str, ctx: ModuleContext) -> bool:
    """``stream = None`` in the handler and ``if stream is None: raise/return`` right after the ``try``."""
    if verdict != "assign" and not verdict.startswith("log:"):
        return False
    names = {t.id for stmt in handler.body if isinstance(stmt, ast.Assign) for t in stmt.targets if isinstance(t, ast.Name)}
    found = block_of(try_node, ctx)
    if found is None or not names:
        return False
    block, position = found
    following = block[position + 1 : position + 2]
    if not following or not isinstance(following[0], ast.If):
        return False
    test_names = {n.id for n in ast.walk(following[0].test) if isinstance(n, ast.Name)}
    if not names & test_names:
        return False
    # a cache or flag lookup whose every error becomes the miss answer hides the outage: only a check that
    # then fails lets that go; any other placeholder tested right away takes the alternative path on purpose
    return _fails(following[0].body, ctx) or not cache_lookup(try_node, ctx)


def cache_lookup(try_node: ast.Try, ctx: ModuleContext) -> bool:
    """The ``try`` reads a cache (``redis.get``): its error turned into a placeholder reads as a miss."""
    for node in body_nodes(try_node.body):
        if isinstance(node, ast.Call):
            external = external_call(node, ctx)
            if external is not None and external.interface.kind == "cache":
                return True
            func = node.func
            if external is None and isinstance(func, ast.Attribute) and func.attr in _CACHE_READS and _CACHE_RECEIVER.search(ast.unparse(func.value)):
                return True  # ``cache.get(key)`` on a cache handed in as a parameter
    return False


def cache_receiver(call: ast.Call) -> bool:
    """The call's receiver is named like a cache (``cache``, ``self.redis``, ``memcache_client``)."""
    return isinstance(call.func, ast.Attribute) and bool(_CACHE_RECEIVER.search(ast.unparse(call.func.value)))


_CACHE_READS = frozenset({"get", "mget", "hget", "hgetall", "get_many", "exists", "smembers", "lrange", "zrange"})
_CACHE_RECEIVER = re.compile(r"cache|redis|memcache|valkey", re.IGNORECASE)


def _fails(block: list[ast.stmt], ctx: ModuleContext) -> bool:
    """The block raises, exits or answers an error response: a placeholder tested here is not a silent default
    (``if raw is None: return JSONResponse({"on_hand": None})`` answers success, and hides the failure)."""
    for stmt in block:
        if isinstance(stmt, ast.Raise):
            return True
        if isinstance(stmt, ast.Return):
            return outcome.response_status(stmt.value) == "error"
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            name = ctx.qualified_name(stmt.value.func) or ""
            if name in outcome.EXITING_CALLS or name in outcome.ABORTS:
                return True
    return False


def raises_after(try_node: ast.Try, ctx: ModuleContext) -> bool:
    """Falling through from the ``try`` reaches a ``raise`` (right after it, or after the blocks around it) before
    any ``return``: the handler only lets the function fail a little later, with its own error."""
    for stmt in statements_after(try_node, ctx):
        if isinstance(stmt, ast.Raise):
            return True
        if isinstance(stmt, (ast.Return, ast.Continue, ast.Break)):
            return False
    return False


def statements_after(try_node: ast.Try, ctx: ModuleContext) -> list[ast.stmt]:
    """The statements that run after the ``try`` when its handler falls through, in order, up to the end of the
    function, or of the body of a loop around it (falling through then goes to the loop's next round)."""
    following: list[ast.stmt] = []
    node: ast.AST = try_node
    for parent in reversed(ctx.parents[:-1]):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(parent, name, None)
            if isinstance(block, list) and node in block:
                following.extend(block[block.index(node) + 1 :])
                break
        if isinstance(parent, (*NESTED_SCOPES, ast.For, ast.AsyncFor, ast.While)):
            break
        node = parent
    return following


def error_code(func: ast.AST, verdict: str) -> bool:
    """``return "cannot_connect"`` from a function whose success answer is ``None``: an error code, not a sentinel."""
    value = verdict[len("return ") :]
    if not (value[:1] in "'\"" and len(value) > 4):
        return False
    returns = [n for n in walk_outside_handlers(func) if isinstance(n, ast.Return)]
    return bool(returns) and all(
        n.value is None or (isinstance(n.value, ast.Constant) and n.value.value is None) for n in returns
    )


# a function named for what it does (not a question such as ``is_paid``, whose False on failure is a lie)
_ACTION = re.compile(
    r"(delete|remove|append|add|send|save|store|write|update|create|insert|set|publish|push|notify|mark|upload|"
    r"put|post|enqueue|register|unregister|cancel|revoke|refresh|sync|apply|release|acquire|lock|unlock|try_)",
    re.IGNORECASE,
)


def parse_answer(func: ast.AST, try_node: ast.Try, ctx: ModuleContext) -> bool:
    """``_parse(secret)`` / ``decode_token(raw)`` answering None for input it cannot read: "not valid" is the
    answer, as long as the ``try`` only reads what it was given (no service call)."""
    if not _PARSE.match(func.name.lstrip("_")):
        return False
    for node in body_nodes(try_node.body):
        if isinstance(node, ast.Call) and (external_call(node, ctx) is not None or through_client(node)):
            return False
    return True


def through_client(call: ast.Call) -> bool:
    """``session.get(url).json()``, ``self.api.fetch()``: a method called on something named like a client."""
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    while isinstance(receiver, (ast.Attribute, ast.Subscript, ast.Call)):
        if isinstance(receiver, ast.Attribute) and CLIENT_NAME.search(receiver.attr):
            return True
        receiver = receiver.func if isinstance(receiver, ast.Call) else receiver.value
    return isinstance(receiver, ast.Name) and bool(CLIENT_NAME.search(receiver.id))


def can_fail(call: ast.Call, ctx: ModuleContext) -> bool:
    """A call that can fail for a reason outside the code in front of it: a service, a file, the project's own
    code. Not a builtin (``hasattr``, ``len``), a value method on a local (``data.update``, ``items.append``), an
    exception being built (``HTTPException(...)``), a pure standard-library helper (``json.loads``, ``os.path``)."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if external_call(call, ctx) is not None:
        return True
    if isinstance(func, ast.Name) and hasattr(builtins, name) and name not in ("open", "__import__"):
        return False
    if name.endswith(("Error", "Exception", "Exit")) or name in ("patch", "object"):
        return False
    qualified = ctx.qualified_name(func) or ""
    if qualified.startswith(_PURE_STDLIB):
        return False
    if isinstance(func, ast.Attribute) and name in _VALUE_METHODS and not through_client(call):
        return False
    return True


_PURE_STDLIB = (
    "os.path.", "posixpath.", "json.", "re.", "math.", "datetime.", "urllib.parse.", "base64.", "hashlib.", "uuid.",
    "unittest.mock.", "copy.", "itertools.", "functools.", "operator.", "string.", "textwrap.", "typing.", "dataclasses.",
    "inspect.",
)
_VALUE_METHODS = frozenset(
    {"append", "extend", "update", "get", "pop", "items", "keys", "values", "add", "setdefault", "copy", "format",
     "join", "split", "strip", "lower", "upper", "replace", "startswith", "endswith", "encode", "decode", "isoformat",
     "strftime", "count", "index", "insert", "remove", "discard", "sort", "model_dump", "model_dump_json", "dict",
     "to_dict", "as_dict"}
)  # fmt: skip


# a receiver named like a client: a parameter or attribute the code talks to a service through
CLIENT_NAME = re.compile(
    r"cache|client|session|conn|db$|^db|api|redis|service|gateway|store|bucket|queue|bus|producer|consumer|http|"
    r"sock|^ws$|channel|repo|storage|s3|engine|cursor|pool|broker|kafka|mongo|(?:^|_)es$|search|mail|smtp|ftp",
    re.IGNORECASE,
)
_PARSE = re.compile(r"(parse|decode|deserial|unpack|unsign|load_from|from_string|from_str|coerce|convert|to_int|to_float|to_bool)", re.IGNORECASE)


def success_flag(func: ast.AST, verdict: str) -> bool:
    """The function answers True on success and False on failure: False is the failure's explicit result."""
    if verdict != "return False":
        return False
    if func.returns is not None and ast.unparse(func.returns) == "bool" and _ACTION.match(func.name.lstrip("_")):
        return True  # ``delete_shared_chat(...) -> bool``: False is its "it did not happen"
    if func.returns is not None and ast.unparse(func.returns) == "bool" and any(
        isinstance(n, ast.Return) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name) and n.value.func.id == "bool"
        for n in walk_outside_handlers(func)
    ):
        return True  # ``-> bool`` answering ``bool(appended)``: False is its "did not happen"
    return any(
        isinstance(n, ast.Return) and isinstance(n.value, ast.Constant) and n.value.value is True
        for n in walk_outside_handlers(func)
    )


def benign_try(try_node: ast.Try, ctx: ModuleContext) -> bool:
    """A ``try`` that only imports optional modules or only cleans up."""
    body = [s for s in try_node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and logcalls.as_log_call(s.value, ctx) is not None)]
    if body and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in body):
        return True  # an optional import (and a log line saying it worked)
    if telemetry_only(try_node):
        return True
    cleaned = False
    for stmt in body:
        if isinstance(stmt, (ast.Delete, ast.AugAssign)):
            continue  # ``del cache[key]``, ``self._stats["destroyed"] += 1``: bookkeeping beside the cleanup
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(call, ast.Await):
            call = call.value
        if not isinstance(call, ast.Call):
            return False
        if logcalls.as_log_call(call, ctx) is not None:
            continue
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name not in CLEANUP_METHODS and not _CLEANUP_NAME.search(name):
            return False
        if call.args and name not in PATH_CLEANUP and not _TIDY_FUNCTION.search(name):
            # with an argument, "delete"/"remove"/"cancel" name business (``session.delete(order)``,
            # ``gateway.cancel(charge_id)``, ``api.delete_account(id)``); without one they tidy (``session.clear()``)
            return False
        if external_call(call, ctx) is not None and name not in ("close", "aclose", "disconnect", "quit", "logout"):
            return False
        cleaned = True
    return cleaned


def logged_fallback(handler: ast.ExceptHandler, func: ast.AST, verdict: str, ctx: ModuleContext) -> bool:
    """Logged with the traceback, and the constant is also what the function returns on a normal path
    (``return None`` for "not cached"): a documented fallback, not a sentinel invented for the error."""
    logged = any(
        (log := logcalls.as_log_call(n, ctx)) is not None and logcalls.keeps_traceback(log, ctx)
        for n in body_nodes(handler.body, scopes=True)
    )
    if not logged:
        return False
    value = verdict[len("return ") :]
    for node in walk_outside_handlers(func):
        if isinstance(node, ast.Return):
            shown = "None" if node.value is None else ast.unparse(node.value)
            if shown == value:
                return True
    return False


def predicate_answer(func: ast.AST, verdict: str) -> bool:
    """``def is_healthy(): ... except X: return False`` (in the handler, or falling into it right after the
    ``try``) answers the question, it does not swallow."""
    name = func.name.lower()
    if not name.startswith(PREDICATE_PREFIXES) and not name.lstrip("_").startswith(PREDICATE_PREFIXES):
        return False
    return verdict in ("return False", "return True")
