"""Shared predicates about ``except`` handlers: what they catch and what their body does."""

from __future__ import annotations

import ast
import enum
import re
from dataclasses import dataclass

from sadpath.engine import outcome
from sadpath.engine.context import ModuleContext
from sadpath.engine.walker import NESTED_SCOPES, body_nodes

BROAD = frozenset({"Exception", "BaseException"})
SIGNALS = frozenset({"KeyboardInterrupt", "SystemExit", "asyncio.CancelledError", "GeneratorExit"})

# Modules whose exceptions report a failed external interaction, even when the
# knowledge base does not list the exact class.
FAILURE_MODULE_PREFIXES = (
    "requests.",
    "httpx.",
    "aiohttp.",
    "urllib3.",
    "urllib.error.",
    "botocore.",
    "boto3.",
    "redis.",
    "psycopg2.",
    "psycopg.",
    "asyncpg.",
    "pymysql.",
    "MySQLdb.",
    "sqlalchemy.exc.",
    "django.db.",
    "kafka.",
    "confluent_kafka.",
    "aiokafka.",
    "pika.",
    "aio_pika.",
    "pymongo.",
    "motor.",
    "elasticsearch.",
    "stripe.",
    "grpc.",
    "google.api_core.exceptions.",
    "smtplib.",
    "ftplib.",
    "ssl.",
    "websockets.",
)


class CatchKind(enum.Enum):
    BARE = "bare"  # except:
    BROAD = "broad"  # Exception / BaseException
    FAILURE = "failure"  # an external interface's failure type (requests.Timeout, ConnectionError, ...)
    EXPECTED = "expected"  # a narrow expected outcome (KeyError, StopIteration, FileNotFoundError, ...)
    UNKNOWN = "unknown"  # a project's own or an unknown library's type


@dataclass(frozen=True)
class Caught:
    kind: CatchKind
    names: tuple[str, ...]  # canonical qualified names ('' for an unresolvable expression)
    label: str  # how the source spells it, for messages: "except requests.Timeout"


def caught_names(handler: ast.ExceptHandler, ctx: ModuleContext) -> tuple[str, ...]:
    if handler.type is None:
        return ()
    exprs = _type_exprs(handler.type, ctx)
    names = []
    for expr in exprs:
        qn = ctx.qualified_name(expr)
        names.append(ctx.hierarchy.canonical(qn) if qn else "")
    return tuple(names)


def _type_exprs(expr: ast.AST, ctx: ModuleContext, depth: int = 0) -> list[ast.AST]:
    if isinstance(expr, ast.Tuple):
        out: list[ast.AST] = []
        for elt in expr.elts:
            out.extend(_type_exprs(elt, ctx, depth))
        return out
    if isinstance(expr, ast.Name) and depth < 3:
        # a module-level tuple of exception types: ERRORS = (requests.Timeout, ...)
        value = _module_tuple(expr.id, ctx)
        if value is not None:
            return _type_exprs(value, ctx, depth + 1)
    return [expr]


def _module_tuple(name: str, ctx: ModuleContext) -> ast.Tuple | None:
    return module_tuples(ctx).get(name)


def module_tuples(ctx: ModuleContext) -> dict[str, ast.Tuple]:
    """The module's top-level ``NAME = (A, B, ...)`` assignments (the first of each name), found once per
    analysis: a module with thousands of handlers must not rescan its body for each."""
    return ctx.fact("module-tuples", lambda: _module_tuples(ctx.tree))


def _module_tuples(tree: ast.Module) -> dict[str, ast.Tuple]:
    found: dict[str, ast.Tuple] = {}
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Tuple)
        ):
            found.setdefault(stmt.targets[0].id, stmt.value)
    return found


# Outcomes a caller expects and answers with a fallback: "it is not there", "it already exists", "someone holds it".
_EXPECTED_NAME = re.compile(
    r"(NotFound|DoesNotExist|NoSuch\w*|AlreadyExists|Exists|Conflict|MutexHeld|Locked|NotModified|NoResultFound|DuplicateKey)"
    r"(Error|Exception)?$"
)


def is_expected_outcome(name: str, ctx: ModuleContext) -> bool:
    """An expected, narrow outcome: a KB 'expected' type, a not-found/conflict-only type, or one named so."""
    if not name:
        return False
    hierarchy = ctx.hierarchy
    if hierarchy.is_expected(name):
        return True
    if hierarchy.is_known(name):
        info = hierarchy.exceptions.get(hierarchy.canonical(name))
        if info is not None and info.modes and set(info.modes) <= {"not-found", "conflict"}:
            return True
    return bool(_EXPECTED_NAME.search(name.rsplit(".", 1)[-1]))


def is_library_root(name: str, ctx: ModuleContext) -> bool:
    """The catch-all of a client library (requests.RequestException, redis.RedisError, aiohttp.ClientError):
    it lumps connection, timeout, status and decoding failures together."""
    hierarchy = ctx.hierarchy
    canonical = hierarchy.canonical(name)
    info = hierarchy.exceptions.get(canonical)
    if info is None or "." not in canonical:
        return False
    return all("." not in hierarchy.canonical(base) for base in info.bases)


def is_failure_type(name: str, ctx: ModuleContext) -> bool:
    if not name:
        return False
    hierarchy = ctx.hierarchy
    if hierarchy.is_expected(name):
        return False
    if hierarchy.is_known(name):
        return bool(hierarchy.modes(name))
    return name.startswith(FAILURE_MODULE_PREFIXES)


def classify(handler: ast.ExceptHandler, ctx: ModuleContext) -> Caught:
    if handler.type is None:
        return Caught(CatchKind.BARE, (), "bare `except:`")
    names = caught_names(handler, ctx)
    label = f"`except {ast.unparse(handler.type)}`"
    if any(n in BROAD for n in names):
        return Caught(CatchKind.BROAD, names, label)
    if names and all(n and is_expected_outcome(n, ctx) for n in names):
        return Caught(CatchKind.EXPECTED, names, label)
    if any(is_failure_type(n, ctx) and not is_expected_outcome(n, ctx) for n in names):
        return Caught(CatchKind.FAILURE, names, label)
    return Caught(CatchKind.UNKNOWN, names, label)


def walk_handler(handler: ast.ExceptHandler, skip_handlers: bool = False):
    """Nodes of a handler body, not descending into nested functions, classes or lambdas (nor, with
    ``skip_handlers``, into nested handlers)."""
    return body_nodes(handler.body, scopes=True, skip=(ast.ExceptHandler,) if skip_handlers else ())


EXITING_CALLS = frozenset({"sys.exit", "os._exit", "exit", "quit", "flask.abort", "abort", "os.abort", "pytest.fail", "pytest.skip"})


def raises(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """True when the handler raises (re-raise or translation) or exits the process on some path.

    Raises inside a nested handler do not count: they run only when the clean-up fails.
    """
    for node in walk_handler(handler, skip_handlers=True):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call):
            qn = ctx.qualified_name(node.func)
            if qn in EXITING_CALLS:
                return True
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("retry",) and _is_task_retry(node):
                return True
    return False


def _is_task_retry(call: ast.Call) -> bool:
    # Celery: self.retry(...) raises Retry
    func = call.func
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "task")


def reraises(handler: ast.ExceptHandler) -> bool:
    """True when the handler re-raises the caught exception itself (``raise`` or ``raise <name>``)."""
    for node in walk_handler(handler):
        if isinstance(node, ast.Raise):
            if node.exc is None:
                return True
            if handler.name and isinstance(node.exc, ast.Name) and node.exc.id == handler.name:
                return True
    return False


def enclosing_try(handler: ast.ExceptHandler, ctx: ModuleContext) -> ast.Try | None:
    parent = ctx.parents[-1] if ctx.parents else None
    if isinstance(parent, ast.Try) or type(parent).__name__ == "TryStar":
        return parent  # type: ignore[return-value]
    return None


def first_call_in(stmts: list[ast.stmt], ctx: ModuleContext, skip=None) -> tuple[ast.Call, str] | None:
    """The first call in a block with a resolvable name (for messages), skipping ``skip(call)``."""
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call):
                    continue  # a chained call: name the call at the root of the chain
                if skip is not None and skip(node):
                    continue
                name = call_label(node, ctx)
                if name:
                    return node, name
    return None


def call_label(call: ast.Call, ctx: ModuleContext) -> str | None:
    """How to name a call in a message: ``requests.post()``, ``self.gateway.charge()``."""
    func = call.func
    qn = ctx.qualified_name(func)
    module_prefix = f"{ctx.semantic.module_name}." if ctx.semantic.module_name else None
    if qn and "." in qn and not (module_prefix and qn.startswith(module_prefix)):
        return f"{qn}()"
    text = ast.unparse(func)
    if len(text) > 60:
        return None
    return f"{text}()"


# ------------------------------------------------------------------ shapes of tries, loops and blocks
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


def tries_alternatives(ctx: ModuleContext) -> bool:
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
            return any(isinstance(n, (ast.Return, ast.Break)) for stmt in parent.body for n in ast.walk(stmt))
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
                if any(isinstance(stmt, (ast.Assign, ast.AnnAssign)) for stmt in before):
                    return False
            for node in ast.walk(parent):
                if isinstance(node, ast.Call) and ctx.qualified_name(node.func) in outcome.SLEEPS:
                    return True
            return False
    return False


_TELEMETRY_RECEIVER = re.compile(r"metric|collector|meter|tracer|telemetry|statsd|prometheus|profiler|span", re.IGNORECASE)


_TELEMETRY_PATH = re.compile(r"(^|/)(observability|telemetry|metrics|instrumentation)(/|\.py$)")


def telemetry_context(func: ast.AST | None, ctx: ModuleContext) -> bool:
    """Code whose job is telemetry: a ``record_*``/``track_*`` function, or a metrics/observability module."""
    if func is not None and _TELEMETRY.match(func.name):
        return True
    return bool(_TELEMETRY_PATH.search(ctx.source.path.replace("\\", "/")))


def telemetry_only(try_node: ast.Try) -> bool:
    """A ``try`` that only records metrics, traces or breadcrumbs: telemetry must never break the work."""
    for stmt in try_node.body:
        value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return False
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
        if not (_TELEMETRY.match(name) or _TELEMETRY_RECEIVER.search(receiver) or _TELEMETRY_RECEIVER.search(name)):
            return False
    return bool(try_node.body)


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
                    position = block.index(loop)
                    following = block[position + 1 : position + 2]
                    return bool(following) and isinstance(following[0], ast.Raise)
            return False
        if isinstance(loop, ast.While):
            return False
    return False


def walk_outside_handlers(func: ast.AST):
    """The nodes of a function's own body outside its ``except`` handlers."""
    return body_nodes(func.body, skip=(ast.ExceptHandler,))
