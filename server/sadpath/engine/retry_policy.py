"""Retry policies written as decorator arguments: tenacity's ``wait=``/``retry=``, Celery's ``autoretry_for``.

What SAD204 asks of a decorator: is its wait constant (``wait_fixed(2)``), which exception types its retry
filter names (``retry_if_exception_type(RETRYABLE)`` with ``RETRYABLE`` a module-level tuple), is a
decorator a Celery task's; and of the retried code: does it reach a remote service through a same-module helper,
or only the database. Of a loop: is it bounded by a deadline (a cancel scope, a clock check), which makes a
constant pause a readiness poll. Of a call: is it a Celery publish, which kombu retries with its own policy.
"""

from __future__ import annotations

import ast

from sadpath.engine.external import external_call
from sadpath.engine.local_calls import in_scope, local_function
from sadpath.engine.walker import body_nodes

CONSTANT_WAITS = frozenset({"wait_fixed", "wait_none"})
CELERY_TASKS = ("task", "shared_task")


def constant_wait(expr: ast.AST | None) -> bool:
    """``wait_fixed(2)``, ``tenacity.wait_none()``, ``wait_fixed(1) + wait_fixed(2)``: no growth and no jitter
    (``wait_fixed(delay)`` with a configured ``delay`` is given the benefit of the doubt)."""
    if expr is None:
        return False
    calls = [n for n in ast.walk(expr) if isinstance(n, ast.Call)]
    names = {
        c.func.attr if isinstance(c.func, ast.Attribute) else c.func.id if isinstance(c.func, ast.Name) else "" for c in calls
    }
    callee_parts = {id(part) for c in calls for part in ast.walk(c.func)}
    configured = any(
        isinstance(n, ast.Name) and id(n) not in callee_parts and not n.id.isupper() for n in ast.walk(expr)
    )
    return bool(names) and names <= CONSTANT_WAITS and not configured


def retry_filter(expr: ast.AST | None, ctx) -> frozenset[str] | None:
    """The exception types a retry filter names (``retry_if_exception_type((A, B))``, ``autoretry_for=(A,)``,
    a module-level tuple), None when there is no filter; an empty set when it cannot be read."""
    if expr is None:
        return None
    names: set[str] = set()
    for node in filter_types(expr, ctx):
        qn = ctx.qualified_name(node)
        if qn:
            names.add(ctx.hierarchy.canonical(qn))
    return frozenset(names)


def filter_types(expr: ast.AST, ctx, depth: int = 0):
    if depth > 3:
        return
    if isinstance(expr, ast.Call):
        callee = expr.func.attr if isinstance(expr.func, ast.Attribute) else expr.func.id if isinstance(expr.func, ast.Name) else ""
        if callee in ("retry_if_exception_type", "retry_if_not_exception_type"):
            if callee == "retry_if_not_exception_type":
                return
            for arg in expr.args:
                yield from filter_types(arg, ctx, depth + 1)
        return
    if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
        for element in expr.elts:
            yield from filter_types(element, ctx, depth + 1)
        return
    if isinstance(expr, ast.BinOp):  # retry_if_exception_type(A) | retry_if_result(...)
        yield from filter_types(expr.left, ctx, depth + 1)
        yield from filter_types(expr.right, ctx, depth + 1)
        return
    if isinstance(expr, ast.Name):
        value = module_tuple(expr.id, ctx)
        if value is not None:
            yield from filter_types(value, ctx, depth + 1)
            return
    if isinstance(expr, (ast.Name, ast.Attribute)):
        yield expr


def module_tuple(name: str, ctx) -> ast.AST | None:
    """The tuple or list a module-level constant is bound to (``RETRYABLE: tuple[type[Exception], ...] = (...)``)."""
    for stmt in ctx.tree.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, (ast.Tuple, ast.List)) and any(
            isinstance(t, ast.Name) and t.id == name for t in stmt.targets
        ):
            return stmt.value
        if (
            isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name
            and isinstance(stmt.value, (ast.Tuple, ast.List))
        ):
            return stmt.value
    return None


def task_decorator(target: ast.AST, qn: str | None) -> bool:
    """``@shared_task(...)``, ``@app.task(...)``, ``@celery.task(...)``."""
    if qn and qn.startswith("celery"):
        return True
    return isinstance(target, (ast.Name, ast.Attribute)) and (
        (target.attr if isinstance(target, ast.Attribute) else target.id) in CELERY_TASKS
    )


def database_only(function: ast.AST, ctx) -> bool:
    """The retried function only talks to the database (a transaction retried after a rollback), or to
    nothing this analysis knows: a constant pause there hammers no remote service."""
    with in_scope(ctx, function):
        kinds = {
            external.interface.kind
            for node in body_nodes(function.body)
            if isinstance(node, ast.Call)
            for external in [external_call(node, ctx)]
            if external is not None
        }
        talks = any(isinstance(node, ast.Call) and helper_talks(node, ctx) for node in body_nodes(function.body))
    return not talks and kinds <= {"database"} and (bool(kinds) or not names_remote(function))


def names_remote(function: ast.AST) -> bool:
    """The function visibly makes a request (``self._client.post(...)``, ``session.get(...)``) through a client
    the knowledge base cannot type."""
    for node in body_nodes(function.body):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = ast.unparse(node.func.value).lower()
            if node.func.attr in ("get", "post", "put", "patch", "delete", "request", "send", "publish", "connect") and any(
                word in receiver for word in ("client", "session", "http", "api", "conn", "socket", "ws")
            ):
                return True
    return False


def helper_talks(call: ast.Call, ctx, depth: int = 0) -> bool:
    helper = local_function(call, ctx)
    if helper is None or depth > 1:
        return False
    with in_scope(ctx, helper):
        for node in body_nodes(helper.body):
            if isinstance(node, ast.Call) and (external_call(node, ctx) is not None or helper_talks(node, ctx, depth + 1)):
                return True
    return False


# a cancel scope or timeout context: what runs inside it is stopped when the time is up
DEADLINE_CONTEXTS = frozenset(
    {"move_on_after", "fail_after", "move_on_at", "fail_at", "timeout", "timeout_at", "Timeout", "CancelScope"}
)
CLOCKS = frozenset({"monotonic", "time", "perf_counter", "monotonic_ns", "time_ns", "now", "utcnow"})
DEADLINE_WORDS = ("deadline", "elapsed", "expires_at", "give_up_at")


def under_deadline(loop: ast.AST, ancestors: list[ast.AST]) -> bool:
    """A poll bounded by time rather than attempts: the loop runs inside a cancel scope or timeout context
    (``with anyio.move_on_after(20):``, ``async with asyncio.timeout(5):``), or it compares a clock to a
    deadline (``while time.monotonic() < deadline``, ``if time.monotonic() > deadline: raise``)."""
    for node in reversed(ancestors):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            break
        if isinstance(node, (ast.With, ast.AsyncWith)) and any(_deadline_context(i.context_expr) for i in node.items):
            return True
    if isinstance(loop, ast.While) and _clock_test(loop.test):
        return True
    for node in body_nodes(list(loop.body)):
        if isinstance(node, ast.If) and _clock_test(node.test) and any(
            isinstance(n, (ast.Raise, ast.Break, ast.Return)) for n in body_nodes(node.body)
        ):
            return True
    return False


def _deadline_context(expr: ast.AST) -> bool:
    if not isinstance(expr, ast.Call):
        return False
    func = expr.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in DEADLINE_CONTEXTS and bool(expr.args or expr.keywords)


def _clock_test(test: ast.AST) -> bool:
    """A comparison of a clock reading (``time.monotonic()``, ``loop.time()``) or a deadline name with another
    value: the loop stops when the time is up."""
    for node in ast.walk(test):
        if not isinstance(node, ast.Compare):
            continue
        for operand in [node.left, *node.comparators]:
            for sub in ast.walk(operand):
                if isinstance(sub, ast.Call):
                    func = sub.func
                    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                    if name in CLOCKS and not sub.args:
                        return True
                if isinstance(sub, (ast.Name, ast.Attribute)):
                    word = (sub.attr if isinstance(sub, ast.Attribute) else sub.id).lower()
                    if any(w in word for w in DEADLINE_WORDS):
                        return True
    return False


CELERY_PUBLISH = frozenset({"apply_async", "send_task", "delay"})


def celery_publish(call: ast.Call) -> bool:
    """``task.apply_async(...)``, ``app.send_task(...)``, ``task.delay(...)``: Celery publishes with kombu's retry
    policy (``retry=True`` by default, ``retry_policy=``), unless the call turns it off with ``retry=False``."""
    if not isinstance(call.func, ast.Attribute) or call.func.attr not in CELERY_PUBLISH:
        return False
    if call.func.attr == "delay" and not call.args and not call.keywords:
        return False  # ``self.delay()``: more likely a pause than a task
    return not any(
        k.arg == "retry" and isinstance(k.value, ast.Constant) and k.value.value is False for k in call.keywords
    )


def task_retry(stmt: ast.stmt) -> bool:
    """``self.retry(exc=exc, countdown=30)`` as a statement: raises ``celery.exceptions.Retry``."""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    return (
        isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "retry"
        and isinstance(call.func.value, ast.Name) and call.func.value.id in ("self", "task")
    )


def constant_sleep(loop: ast.AST, sleep: ast.AST, counter: str | None) -> str:
    """How the constant pause is spread over the attempts: ``if i > 2: sleep(1)`` retries the first at once."""
    counters = {counter} | attempt_counters(loop)
    for node in body_nodes(list(loop.body)):
        if not isinstance(node, ast.If) or not any(sub is sleep for sub in body_nodes(list(node.body))):
            continue
        test = node.test
        if (
            isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Gt, ast.GtE))
            and isinstance(test.left, ast.Name) and test.left.id in counters
        ):
            return f"retries the first attempts at once and then sleeps a constant `{ast.unparse(sleep)}`"
    return f"sleeps a constant `{ast.unparse(sleep)}` between attempts"


def attempt_counters(loop: ast.AST) -> set[str]:
    """The names the loop counts its attempts with: ``attempts += 1`` in its body (``if attempts > 2: sleep(1)``
    then gates the pause on the attempt number, as ``if i > 2`` does with a ``range`` loop's variable)."""
    nodes = list(body_nodes(list(loop.body)))
    counters = {
        node.target.id for node in nodes
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name)
    }
    # ``attempts = clean_closes if ... else failures``: a name that picks one of the counts
    return counters | {
        target.id for node in nodes if isinstance(node, ast.Assign)
        and any(isinstance(n, ast.Name) and n.id in counters for n in ast.walk(node.value))
        for target in node.targets if isinstance(target, ast.Name)
    }


# the functions that open a connection once, at start-up: their clients do not fail and retry in step
SETUP_FUNCTIONS = frozenset(
    {"__aenter__", "__enter__", "__init__", "__post_init__", "setup", "setUp", "asyncSetUp", "startup", "on_startup"}
)


def constant_pause_harm(function: ast.AST | None) -> str:
    """What a constant pause costs: after a shared outage, long-lived clients reconnect in lockstep; an initial
    connect at start-up spends its attempts at a fixed pace instead, so a longer outage fails the start."""
    if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) and function.name in SETUP_FUNCTIONS:
        return (
            "so the attempts are spent at a fixed pace and an outage that outlasts them fails the start, where a "
            "growing delay would ride it out with the same attempts"
        )
    return "so after a shared outage every client retries in lockstep"


LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"})


def logs_failure(handler: ast.ExceptHandler) -> bool:
    """The handler writes something down (``logger.warning(...)``, ``print(...)``): a failed attempt is seen."""
    for node in body_nodes(list(handler.body)):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) else ""
            if name in LOG_METHODS:
                return True
    return False


def transient_error(name: str) -> bool:
    """A timeout or a dropped connection (by the exception's name): what a retry can fix."""
    short = name.rsplit(".", 1)[-1]
    return any(word in short for word in ("Timeout", "Connection", "ConnectionClosed", "Disconnect", "Unavailable")) or short in (
        "TimeoutError", "ConnectionError", "ConnectionRefusedError", "ConnectionResetError", "BrokenPipeError", "OSError",
    )


def drops_connection(handler: ast.ExceptHandler) -> bool:
    """The handler throws the connection away for the next round to open a new one (``self._websocket = None``,
    ``await conn.close()``): a reconnect loop."""
    for node in body_nodes(list(handler.body)):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is None:
            if any(isinstance(t, ast.Attribute) for t in node.targets):
                return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
            "close", "aclose", "__aexit__", "connect", "reconnect", "disconnect"
        ):
            return True
    return False


def retry_remedy(sleep_problem: bool, uncapped: bool, narrow: bool, reconnect: bool) -> str:
    """What to change, without what the loop already does (a cap, a retryable-only filter)."""
    steps = []
    if sleep_problem:
        steps.append("back off exponentially with jitter" + (" up to a capped delay" if reconnect else ""))
    if uncapped:
        steps.append("log each failed reconnect" if reconnect else "cap the attempts")
    if not narrow:
        steps.append("retry only timeouts, connection errors, 429 and 5xx")
    if not steps:
        return "Back off exponentially with jitter."
    text = ", ".join(steps[:-1]) + (" and " if len(steps) > 1 else "") + steps[-1]
    return text[0].upper() + text[1:] + "."


SHORT_PAUSE = 5  # seconds: a constant pause this short keeps a capped loop's whole budget a few seconds long


def short_pause(sleep: ast.AST | None) -> bool:
    """A constant sleep of a few seconds at most (``asyncio.sleep(1)``): the capped loop gives up soon, so only
    the lockstep of many clients is left to fix, not a late error."""
    return isinstance(sleep, ast.Constant) and isinstance(sleep.value, (int, float)) and 0 < sleep.value <= SHORT_PAUSE
