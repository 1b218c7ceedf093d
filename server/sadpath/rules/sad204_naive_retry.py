"""# SAD204 naive-retry

## What it does

Flags retries that hammer a failing service or can never succeed:

- a retry loop (`for attempt in range(n)`, `while ...`) whose `try` leaves on
  success (`break`/`return`) and whose handler goes round again (on some path: a
  handler that returns only for one error code still retries the others) with no
  sleep, or with a constant sleep (`time.sleep(2)` every attempt);
- `while True` retrying with no cap on the attempts, including reconnect loops
  (`while True: try: consume() except ConnectionError: time.sleep(5)`) whose attempt
  serves until the connection drops and only the failure path pauses;
- a retry loop that catches errors a retry cannot fix: `requests.HTTPError`,
  `httpx.HTTPStatusError`, `aiohttp.ClientResponseError` (401, 403, 404, 422 fail
  again), `ValueError`, `KeyError`, validation errors, or a base of them
  (`requests.RequestException`, `Exception`) around `raise_for_status()`;
- a loop that sends the same request again on every answer but success
  (`if resp.status_code == 200: return` then round again), 4xx included;
- a single immediate retry: the handler calls the same remote call again at once;
- tenacity's `@retry`/`Retrying` without `stop=`, without `wait=` or with a constant
  `wait_fixed(...)`, or retrying the status error of `raise_for_status()` (no `retry=`
  filter, or one naming `httpx.HTTPError`/`requests.RequestException`);
  `backoff.on_exception` without `max_tries`/`max_time` or with `backoff.constant`;
  Celery's `autoretry_for` with `max_retries=None` or naming errors that cannot succeed.

The caught errors are read the same whether spelled inline or through a module-level tuple
(`except RETRYABLE_EXCEPTIONS:`), and the advice names only what the loop lacks (no "cap the
attempts" for a capped loop, no "retry only timeouts" for one that already does).

Only retries of a remote call count: the `try` calls an external interface (or a same-module helper that does), or
the handler catches a failure of one (`requests.RequestException`, `ConnectionError`, `imaplib.IMAP4.error`, ...).

It stays quiet for loops over items (`for order in orders`), worker loops that
take a new message each round, loops whose attempts change their input (a new slug,
a new invoice number each time), handlers that change what the next attempt uses
(`shard_iterator = refresh()`), immediate retries of a race (a duplicate key, a
held lock), handlers that return a status object instead of retrying, handlers that
tell statuses apart (`if exc.response.status_code != 423: raise`), loops that retry
only 409/429/5xx answers, loops driven by a stop event, periodic jobs that pause on
success too, a project's own pause function (`self.delay(retries)`,
`stop.wait(min(2 ** n, 120))`), sleeps that grow (`2 ** attempt`, `delay *= 2`,
`backoff * attempt`), tenacity with `stop`, a growing `wait` and a retryable-only
filter, constant waits around database-only work, and backoff with a cap. Readiness
polls are not retries: a loop that pauses between attempts under a deadline (inside
`anyio.move_on_after(...)`, `asyncio.timeout(...)`, or comparing `time.monotonic()` with a
deadline) waits for a service to come up (one that retries 4xx or validation errors is
still reported). Nor is a second `apply_async()`/`send_task()`
after a `ConnectionError` (kombu already retried the publish with its retry policy, unless
`retry=False`), or a handler that hands over to a Celery task's `self.retry(countdown=...)`.

## Why is this bad?

An immediate or constant retry turns one struggling dependency into a flood of requests from every worker at once
(a retry storm), so it cannot recover; a capped loop with a short constant pause spends all its attempts within a
few seconds, less than a server restart takes (the message gives the window), so its caller fails where a growing
delay would ride the restart out (when its filter leaves out the refused connect, `except (ConnectionClosed,
TimeoutError)`, the first refused attempt already fails the caller: the message names the one missing error,
`ConnectionRefusedError` or the client's connect error, not the whole `OSError` family, since the narrow set may
be deliberate); an uncapped retry never gives up and never reports the failure; retrying a 401 or
a validation error only multiplies the same answer and delays the real error.

## Example

```python
import requests


def fetch(url):
    for attempt in range(3):
        try:
            return requests.get(url, timeout=5).json()
        except requests.RequestException:
            continue
    raise RuntimeError("fetch failed")
```

## Use instead

```python
import random
import time

import requests


def fetch(url):
    for attempt in range(3):
        try:
            return requests.get(url, timeout=5).json()
        except (requests.ConnectionError, requests.Timeout):
            if attempt == 2:
                raise
            time.sleep(min(30.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.5))
```

## Fix safety

Unsafe. In a `for attempt in range(n)` loop the fix sleeps with exponential
backoff and jitter before the next attempt (replacing a constant sleep); on a
tenacity decorator it adds `stop=stop_after_attempt(3)` and
`wait=wait_random_exponential(multiplier=0.5, max=30)` where missing. Uncapped
`while True` loops and retries of non-retryable errors need a decision the fix
cannot make: the message says which.

## Options

None.

## References

- [AWS Builders' Library: timeouts, retries and backoff with jitter](https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/)
- [tenacity](https://tenacity.readthedocs.io/)
"""

from __future__ import annotations

import ast
import re

from sadpath.engine.context import ModuleContext
from sadpath.engine.attempt_counter import while_counter
from sadpath.engine.external import external_call
from sadpath.engine.catching import is_expected_outcome, is_failure_type
from sadpath.engine.http_status import FAILURE, GUARD, PARTIAL, SUCCESS, exit_call, verdicts
from sadpath.engine.retry_window import attempt_count, capped_pause_harm
from sadpath.engine.refused_retries import unretried_refusal_message
from sadpath.engine.status_retries import inspects_status, raises_for_status
from sadpath.engine.retry_policy import (constant_wait, database_only, helper_talks, retry_filter, task_decorator, under_deadline, transient_error,
    celery_publish, constant_pause_harm, constant_sleep, drops_connection, logs_failure, module_tuple, retry_remedy, short_pause, task_retry)
from sadpath.model import Applicability, FixOffer
from sadpath.rules.base import Rule
from sadpath.engine.walker import body_nodes

SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "gevent.sleep", "trio.sleep", "anyio.sleep"})
NON_RETRYABLE = frozenset(
    {
        "requests.exceptions.HTTPError", "httpx._exceptions.HTTPStatusError",
        "aiohttp.client_exceptions.ClientResponseError", "ValueError", "KeyError", "TypeError",
        "pydantic.ValidationError", "pydantic_core._pydantic_core.ValidationError", "jsonschema.ValidationError",
        "marshmallow.ValidationError", "django.core.exceptions.ValidationError", "PermissionError",
    }
)
# errors that include an HTTP status error: retrying them around raise_for_status() retries 401, 403, 404, 422
STATUS_ERROR_BASES = frozenset(
    {"requests.exceptions.RequestException", "httpx._exceptions.HTTPError", "aiohttp.client_exceptions.ClientError",
     "Exception", "BaseException"}
)
PAUSE_WORD = re.compile(r"(^|_)(sleep|delay|backoff|wait|pause)(_|$)|sleep")
# the errors of standard-library and other network clients the knowledge base does not list as interfaces
NETWORK_ERRORS = (
    "imaplib.", "poplib.", "smtplib.", "ftplib.", "socket.", "ssl.", "websocket.", "websockets.", "paramiko.",
    "imap_tools.", "ldap3.", "kombu.", "amqp.", "nats.", "grpc.", "aio_pika.", "pika.",
)
CLEANUP = frozenset({"close", "aclose", "rollback", "release", "disconnect", "shutdown", "cancel", "stop", "terminate"})
RACE_WORDS = ("IntegrityError", "UniqueViolation", "DuplicateKey", "StaleData", "OptimisticLock", "SerializationFailure", "Conflict")
TENACITY = frozenset({"tenacity.retry", "tenacity.Retrying", "tenacity.AsyncRetrying"})
TAKES_ITEM = frozenset(
    {"get", "get_nowait", "get_message", "receive", "receive_messages", "recv", "poll", "pop", "brpop", "blpop",
     "consume", "dequeue", "accept", "read", "readline", "next", "fetch", "xread", "xreadgroup", "wait_for"}
)


class NaiveRetry(Rule):
    code = "SAD204"
    slug = "naive-retry"
    summary = "A retry with no backoff, a constant sleep, no cap, or on errors a retry cannot fix."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ('backoff_sleep', 'tenacity_limits')

    # ----------------------------------------------------------------- loops
    def visit_For(self, node: ast.For, ctx: ModuleContext) -> None:
        if not (isinstance(node.iter, ast.Call) and ctx.qualified_name(node.iter.func) == "range"):
            return  # a loop over items, not attempts
        if not self._status_loop(node, ctx, capped=True):
            self._loop(node, ctx, capped=True)

    def visit_While(self, node: ast.While, ctx: ModuleContext) -> None:
        endless = isinstance(node.test, ast.Constant) and bool(node.test.value)
        if not self._status_loop(node, ctx, capped=not endless):
            self._loop(node, ctx, capped=not endless)

    def _loop(self, loop: ast.AST, ctx: ModuleContext, capped: bool) -> None:
        tries = [stmt for stmt in loop.body if isinstance(stmt, ast.Try)]
        if len(tries) != 1:
            return
        attempt = tries[0]
        if _takes_new_item(loop, attempt, ctx):
            return
        if not _leaves_on_success(attempt) and not (not capped and _reconnects(loop, attempt, ctx)):
            return
        retrying = [h for h in attempt.handlers if _goes_round_again(h) and not _adapts(h, attempt)]
        if not retrying or not _talks_to_a_service(attempt, retrying, ctx) or _poll_tick(attempt, retrying, ctx):
            return
        if all(
            caught and all(is_expected_outcome(name, ctx) or _race(name) for name in caught)
            for caught in (_caught(h, ctx) for h in retrying)
        ):
            return  # a duplicate key or a held lock: retrying the race at once is the point
        problems: list[str] = []
        sleep = _sleep_in(loop, ctx)
        counter = loop.target.id if isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) else None
        # a readiness poll: a short constant pause under a deadline (a cancel scope, a clock check) is polling
        deadline = sleep is not None and under_deadline(loop, ctx.parents)
        sleep_problem = uncapped = False
        if sleep is None:
            problems.append("retries immediately, with no sleep between attempts")
            sleep_problem = True
        elif _constant(sleep) and not _grows(loop, sleep) and not deadline:
            problems.append(constant_sleep(loop, sleep, counter) + ", " + (capped_pause_harm(loop, sleep, counter, retrying, ctx)
                            if capped and short_pause(sleep) else constant_pause_harm(ctx.enclosing_function())))
            sleep_problem = True
        if not capped and not _capped_inside(loop) and not deadline:
            problems.append("has no cap on the attempts")
            uncapped = True
        caught = {n for h in retrying for n in _caught(h, ctx)}
        # the loop already retries only what a retry can fix: timeouts and connection errors
        narrow = bool(caught) and all(n not in NON_RETRYABLE and n not in STATUS_ERROR_BASES and transient_error(n) for n in caught)
        reconnect = not capped and (_reconnects(loop, attempt, ctx) or any(drops_connection(h) for h in retrying))
        filters = inspects_status(retrying)  # ``if exc.response.status_code != 423: raise``: only some are retried
        hopeless = [] if filters else sorted({_short(n) for n in caught if n in NON_RETRYABLE})
        if hopeless:
            problems.append(f"retries {', '.join(f'`{n}`' for n in hopeless)}, which fail the same way again (4xx, invalid data)")
        elif caught & STATUS_ERROR_BASES and raises_for_status(attempt.body) and not filters:
            problems.append("retries the status error of `raise_for_status()` too, so a 401, 403, 404 or 422 is sent again for nothing")
        if not problems:
            return
        header = (f"for {ast.unparse(loop.target)} in {ast.unparse(loop.iter)}" if isinstance(loop, ast.For)
                  else f"while {ast.unparse(loop.test)}")
        # a few-second budget in all, unless a refused connect is not retried at all
        unretried = capped and sleep_problem and short_pause(sleep) and unretried_refusal_message(
            loop, header, retrying, ctx, attempt_count(loop, ctx))
        if unretried:
            message = unretried
        elif capped and sleep_problem and short_pause(sleep) and len(problems) == 1:
            message = f"The retry loop `{header}` {problems[0]}: add jitter and grow the delay between attempts" + (
                "." if narrow else ", and retry only timeouts, connection errors, 429 and 5xx.")
        else:
            late = "and the real error is never reported" if not any(logs_failure(h) for h in retrying) else ""
            late = "and the real error arrives late" if not uncapped else late
            message = (f"The retry loop `{header}` {'; it '.join(problems)}: a struggling service gets hammered instead of a "
                       f"chance to recover{', ' + late if late else ''}. {retry_remedy(sleep_problem, uncapped, narrow, reconnect)}")
        fixes = []
        attempts = counter if isinstance(loop, ast.For) else while_counter(loop)  # each sibling loop: its own fix
        if attempts is not None and capped and (sleep is None or _constant(sleep)) and not hopeless and _leaves_on_success(attempt) and not unretried:
            fixes.append(FixOffer("backoff_sleep", "Retry with exponential backoff (3 attempts)", Applicability.UNSAFE))
        is_async = isinstance(ctx.enclosing_function(), ast.AsyncFunctionDef)
        ctx.report(self, ctx.line_span(loop), message, fixes=fixes, data={"counter": attempts, "async": is_async, "loop": type(loop).__name__})

    def _status_loop(self, loop: ast.AST, ctx: ModuleContext, capped: bool) -> bool:
        """``for attempt in range(4): resp = api.delete(...); if resp.status_code == 200: return; sleep(...)``: every
        answer but success is retried, 401, 404 and 422 included."""
        if any(isinstance(stmt, ast.Try) for stmt in loop.body):
            return False
        responses: dict[str, int] = {}
        for position, stmt in enumerate(loop.body):
            value = stmt.value if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else None
            value = value.value if isinstance(value, ast.Await) else value
            if isinstance(value, ast.Call) and isinstance(stmt.targets[0], ast.Name):
                external = external_call(value, ctx)
                if external is not None and external.interface.kind == "http":
                    if _changes_input(loop.body[:position], value):
                        return False  # each attempt sends something new (a fresh slug): not the same request again
                    responses[stmt.targets[0].id] = position
        if not responses:
            return False
        if _sleep_in(loop, ctx) is not None and under_deadline(loop, ctx.parents):
            return False  # waiting for a service to come up, until a deadline: a readiness poll, not a retry
        success_exit = False
        for stmt in body_nodes(list(loop.body)):
            if isinstance(stmt, ast.If):
                kinds = verdicts(stmt.test, responses.__contains__)
                if any(k in (FAILURE, PARTIAL, GUARD) for k in kinds.values()):
                    return False  # the loop tells statuses apart (409, 429, 5xx, >= 400): a deliberate policy
                if any(k == SUCCESS for k in kinds.values()) and _stops(stmt.body):
                    success_exit = True
            if isinstance(stmt, ast.Call) and isinstance(stmt.func, ast.Attribute) and stmt.func.attr == "raise_for_status":
                return False
        if not success_exit:
            return False
        problems = ["retries every answer but success, so a 401, 403, 404 or 422 is sent again for nothing"]
        sleep = _sleep_in(loop, ctx)
        if sleep is None:
            problems.append("retries immediately, with no sleep between attempts")
        elif _constant(sleep) and not _grows(loop, sleep):
            problems.append(f"sleeps a constant `{ast.unparse(sleep)}` between attempts")
        if not capped and not _capped_inside(loop):
            problems.append("has no cap on the attempts")
        header = (f"for {ast.unparse(loop.target)} in {ast.unparse(loop.iter)}" if isinstance(loop, ast.For)
                  else f"while {ast.unparse(loop.test)}")
        message = (
            f"The retry loop `{header}` {'; it '.join(problems)}: an answer that will not change is asked for again and "
            "the real error arrives late. Retry only 429 and 5xx (with exponential back-off and jitter) and raise for "
            "the other statuses at once."
        )
        ctx.report(self, ctx.line_span(loop), message)
        return True

    # ----------------------------------------------------------------- single immediate retry
    def visit_ExceptHandler(self, node: ast.ExceptHandler, ctx: ModuleContext) -> None:
        parent = ctx.parents[-1] if ctx.parents else None
        if not isinstance(parent, ast.Try) or not node.body:
            return
        first = node.body[0]
        call = _call_of(first)
        if call is None:
            return
        # the attempt is the try's first step: doing a later step again (re-recording a timestamp) is no retry
        tried = {ast.dump(c) for stmt in parent.body[:1] for c in [_call_of(stmt)] if c is not None}
        if ast.dump(call) not in tried or any(isinstance(n, ast.Call) and ctx.qualified_name(n.func) in SLEEPS for n in ast.walk(node)):
            return
        network = any(is_failure_type(n, ctx) or n.startswith(NETWORK_ERRORS) for n in _caught(node, ctx))
        if any(isinstance(n, ast.Raise) for n in _walk(node.body)) or not _remote(call, ctx, network):
            return  # a look-up before raising, or a local step (cleanup, a rollback, a parse) done again
        if celery_publish(call):
            return  # kombu already retried the publish with its retry policy: one more publish is no storm
        message = (
            f"The handler calls `{ast.unparse(call.func)}()` again at once: a single immediate retry hits the same "
            "failing service a moment later and usually fails the same way. Back off with jitter and cap the "
            "attempts (tenacity), and retry only timeouts, connection errors, 429 and 5xx."
        )
        ctx.report(self, ctx.line_span(node), message)

    # ----------------------------------------------------------------- tenacity / backoff / celery
    def visit_FunctionDef(self, node: ast.AST, ctx: ModuleContext) -> None:
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            qn = ctx.qualified_name(target)
            keywords = {k.arg: k.value for k in decorator.keywords} if isinstance(decorator, ast.Call) else {}
            if None in keywords:
                continue  # **options: the policy is elsewhere
            if qn in TENACITY:
                self._tenacity(node, decorator, target, keywords, ctx)
            elif qn in ("backoff.on_exception", "backoff.on_predicate"):
                self._backoff(node, decorator, target, keywords, ctx)
            elif "autoretry_for" in keywords and task_decorator(target, qn):
                self._celery(node, decorator, keywords, ctx)

    visit_AsyncFunctionDef = visit_FunctionDef

    def _tenacity(self, function, decorator, target, keywords, ctx) -> None:
        missing = [k for k in ("stop", "wait") if k not in keywords]
        problems = [{"stop": "retries forever", "wait": "retries immediately"}[m] for m in missing]
        if "wait" in keywords and constant_wait(keywords["wait"]) and not database_only(function, ctx):
            problems.append(f"waits a constant `{ast.unparse(keywords['wait'])}`, so every caller retries in lockstep")
        if raises_for_status(function.body):
            filtered = retry_filter(keywords.get("retry"), ctx)
            if filtered is None:
                problems.append("retries every exception, so the status error of `raise_for_status()` (401, 403, 404, 422) is retried too")
            elif filtered & (STATUS_ERROR_BASES | NON_RETRYABLE):
                problems.append("retries the status error of `raise_for_status()` through its filter, so a 401, 403, 404 or 422 is sent again for nothing")
        if not problems:
            return
        message = (
            f"`@{ast.unparse(target)}` {'; it '.join(problems)}: use `stop=stop_after_attempt(3)`, "
            "`wait=wait_random_exponential(multiplier=0.5, max=30)` "
            "and `retry=retry_if_exception_type(...)` for the retryable errors only (timeouts, connection errors, 429, 5xx)."
        )
        fixes = []
        if missing and "wait" not in keywords or missing == ["stop"] and not constant_wait(keywords.get("wait")):
            fixes.append(FixOffer("tenacity_limits", "Retry with exponential backoff (3 attempts)", Applicability.UNSAFE))
        ctx.report(self, ctx.line_span(decorator), message, fixes=fixes, data={"missing": missing})

    def _backoff(self, function, decorator, target, keywords, ctx) -> None:
        problems = []
        if not {"max_tries", "max_time"} & set(keywords):
            problems.append("without `max_tries` or `max_time` retries forever")
        wait_gen = decorator.args[0] if isinstance(decorator, ast.Call) and decorator.args else None
        if (
            wait_gen is not None and ctx.qualified_name(wait_gen) == "backoff.constant" and "jitter" not in keywords
            and not database_only(function, ctx)
        ):
            problems.append("waits a constant interval, so every caller retries in lockstep")
        if not problems:
            return
        message = (
            f"`@{ast.unparse(target)}` {' and '.join(problems)}: use `backoff.expo` with `jitter=backoff.full_jitter` "
            "and cap it (`max_tries=3`) so the failure is reported."
        )
        ctx.report(self, ctx.line_span(decorator), message)

    def _celery(self, function, decorator, keywords, ctx) -> None:
        caught = retry_filter(keywords["autoretry_for"], ctx) or frozenset()
        problems = []
        forever = isinstance(keywords.get("max_retries"), ast.Constant) and keywords["max_retries"].value is None
        backs_off = "retry_backoff" in keywords and not (
            isinstance(keywords["retry_backoff"], ast.Constant) and not keywords["retry_backoff"].value
        )
        if forever:
            problems.append("retries forever (`max_retries=None`)")
        hopeless = sorted(_short(n) for n in caught & NON_RETRYABLE)
        if hopeless:
            problems.append(f"retries {', '.join(f'`{n}`' for n in hopeless)}, which fail the same way again")
        if not problems:
            return
        if not backs_off:
            problems.append("at a fixed delay (no `retry_backoff`)")
        if caught & {"Exception", "BaseException"}:
            problems.append("on every exception, invalid input and 4xx answers included")
        message = (
            f"`autoretry_for` on `{function.name}` {', '.join(problems)}: cap it (`max_retries=5`), back off "
            "(`retry_backoff=True, retry_jitter=True`) and retry only timeouts, connection errors, 429 and 5xx."
        )
        ctx.report(self, ctx.line_span(decorator), message)


def _walk(nodes):
    return body_nodes(list(nodes))


def _leaves_on_success(attempt: ast.Try) -> bool:
    """The try's body (or else) ends the loop on success: ``return``/``break``."""
    return any(isinstance(n, (ast.Return, ast.Break)) for n in _walk([*attempt.body, *attempt.orelse]))


def _reconnects(loop: ast.AST, attempt: ast.Try, ctx: ModuleContext) -> bool:
    """``while True: try: consume() except ConnectionError: sleep(5)``: the attempt serves until its connection
    fails (an inner loop, or calls that block), and only the failure path pauses before connecting again."""
    if any(isinstance(n, ast.Call) and _is_sleep(n, ctx) for n in _walk([*attempt.body, *attempt.orelse, *attempt.finalbody])):
        return False  # a periodic job: the success path pauses too
    if any(isinstance(n, ast.Call) and _is_sleep(n, ctx) for stmt in loop.body if stmt is not attempt for n in _walk([stmt])):
        return False
    inner_loop = any(isinstance(n, (ast.While, ast.AsyncFor)) or (isinstance(n, ast.For) and isinstance(n.iter, ast.Call)) for n in _walk(attempt.body))
    only_calls = all(
        isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Call, ast.Await))
        for stmt in attempt.body
    )
    return inner_loop or only_calls


def _takes_new_item(loop: ast.AST, attempt: ast.Try, ctx: ModuleContext) -> bool:
    """A worker loop: a statement before the try binds a name (a new message each round), or the try's first
    step takes one (``msg = queue.get()``)."""
    before = loop.body[: loop.body.index(attempt)]
    if any(isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) for node in _walk(before)):
        return True  # ``self.invoice_no = next_number()``: each attempt tries something new
    first = attempt.body[0] if attempt.body else None
    value = first.value if isinstance(first, (ast.Assign, ast.AnnAssign)) else None
    value = value.value if isinstance(value, ast.Await) else value
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in TAKES_ITEM):
        return False
    external = external_call(value, ctx)
    return external is None or external.interface.kind == "queue"  # ``requests.get(url)`` is the request retried


def _stops(statements: list[ast.stmt]) -> bool:
    """Every path through the block leaves the loop (``return``/``raise``/``break``, an exit call, a Celery
    task's ``self.retry(countdown=...)``, which raises ``Retry`` and reschedules the task with its policy)."""
    for stmt in statements:
        if isinstance(stmt, (ast.Return, ast.Raise, ast.Break)) or exit_call(stmt) or task_retry(stmt):
            return True
        if isinstance(stmt, ast.Continue):
            return False
        if isinstance(stmt, ast.If) and stmt.orelse and _stops(stmt.body) and _stops(stmt.orelse):
            return True
    return False


def _goes_round_again(handler: ast.ExceptHandler) -> bool:
    """Some path through the handler carries on to the next attempt (``if code == "Conflict": return`` leaves
    only for that code)."""
    return not _stops(handler.body)


def _is_sleep(call: ast.Call, ctx: ModuleContext) -> bool:
    """A sleep, or a project's own pause (``self.delay(n)``, ``stop.wait(5)``, ``backoff_sleep()``); not
    ``asyncio.wait_for`` or ``queue.put_nowait``."""
    qn = ctx.qualified_name(call.func)
    if qn in SLEEPS:
        return True
    if qn in ("asyncio.wait_for", "asyncio.wait", "asyncio.tasks.wait_for"):
        return False
    name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) else ""
    return bool(PAUSE_WORD.search(name.lower()))


def _sleep_in(loop: ast.AST, ctx: ModuleContext) -> ast.AST | None:
    for node in _walk(loop.body):
        if not isinstance(node, ast.Call):
            continue
        if ctx.qualified_name(node.func) in SLEEPS:
            return node.args[0] if node.args else ast.Constant(0)
        if _is_sleep(node, ctx):
            return node.args[0] if node.args else ast.Name("computed")  # a project's own pause: trust its growth
    return None


def _poll_tick(attempt: ast.Try, handlers: list[ast.ExceptHandler], ctx: ModuleContext) -> bool:
    """``except TimeoutError`` around a wait the code bounded itself (``async with timeout(5): await q.get()``)."""
    names = [name for h in handlers for name in _caught(h, ctx)]
    if not names or any(ctx.hierarchy.canonical(n) != "TimeoutError" for n in names):
        return False
    for node in _walk(attempt.body):
        if isinstance(node, ast.Call):
            callee = ast.unparse(node.func).lower()
            if "timeout" in callee or any(k.arg == "timeout" for k in node.keywords):
                return True
    return False


def _adapts(handler: ast.ExceptHandler, attempt: ast.Try) -> bool:
    """The handler changes what the next attempt uses (``shard_iterator = refresh()``): not a blind retry."""
    used = {n.id for n in _walk(attempt.body) if isinstance(n, ast.Name)}
    for node in _walk(handler.body):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in used for t in node.targets):
            return True
    return False


def _race(name: str) -> bool:
    """A lost race (a duplicate key, a stale version, a serialization failure): the next attempt re-reads and
    competes again, so retrying at once is the optimistic-concurrency idiom."""
    return any(word in name.rsplit(".", 1)[-1] for word in RACE_WORDS)


def _changes_input(before: list[ast.stmt], call: ast.Call) -> bool:
    """A name the request uses is bound anew in the loop before it (``slug = new_slug()``)."""
    bound = {t.id for stmt in before if isinstance(stmt, (ast.Assign, ast.AnnAssign))
             for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]) if isinstance(t, ast.Name)}
    return any(isinstance(n, ast.Name) and n.id in bound for n in ast.walk(call))


def _talks_to_a_service(attempt: ast.Try, handlers: list[ast.ExceptHandler], ctx: ModuleContext) -> bool:
    """The attempt calls an external interface (or a same-module helper that does), or the handler catches a
    failure of one: a retry of a remote call."""
    for node in _walk(attempt.body):
        if isinstance(node, ast.Call) and (external_call(node, ctx) is not None or helper_talks(node, ctx)):
            return True
    return any(is_failure_type(name, ctx) or name.startswith(NETWORK_ERRORS) for h in handlers for name in _caught(h, ctx))


def _remote(call: ast.Call, ctx: ModuleContext, network: bool) -> bool:
    """A call to a remote service (not the database: a repeated rollback or query is a local decision), directly,
    through a same-module helper, or on an object the handler's network error came from (``network``); cleanup
    (``close()``, ``rollback()``) is not a retry."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if name in CLEANUP:
        return False
    external = external_call(call, ctx)
    if external is not None:
        return external.interface.kind != "database"
    return network and isinstance(call.func, ast.Attribute) or helper_talks(call, ctx)


def _constant(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) or (
        isinstance(expr, ast.Name) and expr.id.isupper()
    )


def _grows(loop: ast.AST, sleep: ast.AST) -> bool:
    """``delay *= 2`` in the loop, or ``DELAY += 1`` on the slept name; an attempt counter's ``failures += 1`` is not."""
    slept = {n.id for n in ast.walk(sleep) if isinstance(n, ast.Name)}
    return any(isinstance(node, ast.AugAssign) and (isinstance(node.op, (ast.Mult, ast.Pow, ast.LShift)) or (
        isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name) and node.target.id in slept)) for node in _walk(loop.body))


def _capped_inside(loop: ast.AST) -> bool:
    """``while True`` that still stops: a raise or break under a condition (an attempt counter)."""
    for node in _walk(loop.body):
        if isinstance(node, ast.If) and any(isinstance(n, (ast.Raise, ast.Break, ast.Return)) for n in _walk(node.body)):
            return True
    return False


def _caught(handler: ast.ExceptHandler, ctx: ModuleContext) -> list[str]:
    if handler.type is None:
        return []
    exprs = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    if len(exprs) == 1 and isinstance(exprs[0], ast.Name) and (constant := module_tuple(exprs[0].id, ctx)) is not None:
        exprs = constant.elts  # ``except RETRYABLE_EXCEPTIONS``: the module's tuple, as if spelled inline
    names = []
    for expr in exprs:
        qn = ctx.qualified_name(expr)
        if qn:
            names.append(ctx.hierarchy.canonical(qn))
    return names


def _short(name: str) -> str:
    return {
        "requests.exceptions.HTTPError": "requests.HTTPError",
        "httpx._exceptions.HTTPStatusError": "httpx.HTTPStatusError",
        "aiohttp.client_exceptions.ClientResponseError": "aiohttp.ClientResponseError",
    }.get(name, name)


def _call_of(stmt: ast.stmt) -> ast.Call | None:
    value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign, ast.Return)) else None
    if isinstance(value, ast.Await):
        value = value.value
    return value if isinstance(value, ast.Call) else None
