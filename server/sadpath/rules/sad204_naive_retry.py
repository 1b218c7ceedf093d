"""# SAD204 naive-retry

## What it does

Flags retries that hammer a failing service or can never succeed:

- a retry loop (`for attempt in range(n)`, `while ...`) whose `try` leaves on
  success (`break`/`return`) and whose handler goes round again with no sleep, or
  with a constant sleep (`time.sleep(2)` every attempt);
- `while True` retrying with no cap on the attempts;
- a retry loop that catches errors a retry cannot fix: `requests.HTTPError`,
  `httpx.HTTPStatusError`, `aiohttp.ClientResponseError` (401, 403, 404, 422 fail
  again), `ValueError`, `KeyError`, validation errors;
- a single immediate retry: the handler calls the same thing again at once;
- tenacity's `@retry`/`Retrying` without `stop=` or without `wait=`, and
  `backoff.on_exception` without `max_tries`/`max_time`.

Only retries of a remote call count: the `try` calls an external interface, or
the handler catches a failure of one (`requests.RequestException`,
`ConnectionError`, `TimeoutError`, ...).

It stays quiet for loops over items (`for order in orders`), worker loops that
take a new message each round, handlers that change what the next attempt uses
(`shard_iterator = refresh()`), immediate retries of a race (a duplicate key, a
held lock), a project's own pause function (`self.delay(retries)`), sleeps that grow (`2 ** attempt`, `delay *= 2`,
`backoff * attempt`), tenacity with both `stop` and `wait`, and backoff with a cap.

## Why is this bad?

An immediate or constant retry turns one struggling dependency into a flood of
requests from every worker at once (a retry storm), so it cannot recover; an
uncapped retry never gives up and never reports the failure; retrying a 401 or a
validation error only multiplies the same answer and delays the real error.

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

from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.catching import is_expected_outcome, is_failure_type
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
TENACITY = frozenset({"tenacity.retry", "tenacity.Retrying", "tenacity.AsyncRetrying"})


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
        self._loop(node, ctx, capped=True)


    def visit_While(self, node: ast.While, ctx: ModuleContext) -> None:
        endless = isinstance(node.test, ast.Constant) and bool(node.test.value)
        self._loop(node, ctx, capped=not endless)

    def _loop(self, loop: ast.AST, ctx: ModuleContext, capped: bool) -> None:
        tries = [stmt for stmt in loop.body if isinstance(stmt, ast.Try)]
        if len(tries) != 1:
            return
        attempt = tries[0]
        if not _leaves_on_success(attempt) or _takes_new_item(loop, attempt):
            return
        retrying = [h for h in attempt.handlers if _goes_round_again(h) and not _adapts(h, attempt)]
        if not retrying or not _talks_to_a_service(attempt, retrying, ctx) or _poll_tick(attempt, retrying, ctx):
            return
        if all(
            caught and all(is_expected_outcome(name, ctx) for name in caught)
            for caught in (_caught(h, ctx) for h in retrying)
        ):
            return  # a duplicate key or a held lock: retrying the race at once is the point
        problems: list[str] = []
        sleep = _sleep_in(loop, ctx)
        counter = loop.target.id if isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) else None
        if sleep is None:
            problems.append("retries immediately, with no sleep between attempts")
        elif _constant(sleep) and not _grows(loop, ctx):
            problems.append(f"sleeps a constant `{ast.unparse(sleep)}` between attempts, so every client retries in lockstep")
        if not capped and not _capped_inside(loop):
            problems.append("has no cap on the attempts")
        hopeless = sorted({_short(n) for h in retrying for n in _caught(h, ctx) if n in NON_RETRYABLE})
        if hopeless:
            problems.append(f"retries {', '.join(f'`{n}`' for n in hopeless)}, which fail the same way again (4xx, invalid data)")
        if not problems:
            return
        header = (
            f"for {ast.unparse(loop.target)} in {ast.unparse(loop.iter)}" if isinstance(loop, ast.For) else f"while {ast.unparse(loop.test)}"
        )
        message = (
            f"The retry loop `{header}` {'; it '.join(problems)}: a struggling service gets hammered instead of a chance to "
            "recover, and the real error arrives late. Back off exponentially with jitter, cap the attempts, "
            "and retry only timeouts, connection errors, 429 and 5xx."
        )
        fixes = []
        if isinstance(loop, ast.For) and counter is not None and capped and (sleep is None or _constant(sleep)) and not hopeless:
            fixes.append(FixOffer("backoff_sleep", "Retry with exponential backoff (3 attempts)", Applicability.UNSAFE))
        is_async = isinstance(ctx.enclosing_function(), ast.AsyncFunctionDef)
        ctx.report(self, ctx.line_span(loop), message, fixes=fixes, data={"counter": counter, "async": is_async})

    # ----------------------------------------------------------------- single immediate retry
    def visit_ExceptHandler(self, node: ast.ExceptHandler, ctx: ModuleContext) -> None:
        parent = ctx.parents[-1] if ctx.parents else None
        if not isinstance(parent, ast.Try) or not node.body:
            return
        first = node.body[0]
        call = _call_of(first)
        if call is None:
            return
        tried = {ast.dump(c) for stmt in parent.body for c in [_call_of(stmt)] if c is not None}
        if ast.dump(call) in tried and not any(isinstance(n, ast.Call) and ctx.qualified_name(n.func) in SLEEPS for n in ast.walk(node)):
            message = (
                f"The handler calls `{ast.unparse(call.func)}()` again at once: a single immediate retry hits the same "
                "failing service a moment later and usually fails the same way. Back off with jitter and cap the "
                "attempts (tenacity), and retry only timeouts, connection errors, 429 and 5xx."
            )
            ctx.report(self, ctx.line_span(node), message)

    # ----------------------------------------------------------------- tenacity / backoff
    def visit_FunctionDef(self, node: ast.AST, ctx: ModuleContext) -> None:
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            qn = ctx.qualified_name(target)
            keywords = {k.arg for k in decorator.keywords} if isinstance(decorator, ast.Call) else set()
            if qn in TENACITY:
                missing = [k for k in ("stop", "wait") if k not in keywords]
                if None in keywords or not missing:
                    continue
                what = " and ".join(f"`{m}=`" for m in missing)
                consequence = {
                    "stop": "retries forever",
                    "wait": "retries immediately",
                }
                message = (
                    f"`@{ast.unparse(target)}` without {what} {' and '.join(consequence[m] for m in missing)}: "
                    "add `stop=stop_after_attempt(3)` and `wait=wait_random_exponential(multiplier=0.5, max=30)`, "
                    "and `retry=retry_if_exception_type(...)` for the retryable errors only."
                )
                fix = FixOffer("tenacity_limits", "Retry with exponential backoff (3 attempts)", Applicability.UNSAFE)
                ctx.report(self, ctx.line_span(decorator), message, fixes=[fix], data={"missing": missing})
            elif qn in ("backoff.on_exception", "backoff.on_predicate") and not keywords & {"max_tries", "max_time"} and None not in keywords:
                message = (
                    f"`@{ast.unparse(target)}` without `max_tries` or `max_time` retries forever: "
                    "cap it (`max_tries=3`) so the failure is reported."
                )
                ctx.report(self, ctx.line_span(decorator), message)

    visit_AsyncFunctionDef = visit_FunctionDef


def _walk(nodes):
    return body_nodes(list(nodes))


def _leaves_on_success(attempt: ast.Try) -> bool:
    """The try's body (or else) ends the loop on success: ``return``/``break``."""
    return any(isinstance(n, (ast.Return, ast.Break)) for n in _walk([*attempt.body, *attempt.orelse]))


def _takes_new_item(loop: ast.AST, attempt: ast.Try) -> bool:
    """A worker loop: a statement before the try binds a name (a new message each round)."""
    before = loop.body[: loop.body.index(attempt)]
    return any(isinstance(stmt, (ast.Assign, ast.AnnAssign)) for stmt in before)


def _goes_round_again(handler: ast.ExceptHandler) -> bool:
    return not any(isinstance(n, (ast.Raise, ast.Return, ast.Break)) for n in _walk(handler.body))


def _sleep_in(loop: ast.AST, ctx: ModuleContext) -> ast.AST | None:
    for node in _walk(loop.body):
        if not isinstance(node, ast.Call):
            continue
        if ctx.qualified_name(node.func) in SLEEPS:
            return node.args[0] if node.args else ast.Constant(0)
        name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) else ""
        if any(word in name.lower() for word in ("sleep", "delay", "backoff", "wait")):
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


def _talks_to_a_service(attempt: ast.Try, handlers: list[ast.ExceptHandler], ctx: ModuleContext) -> bool:
    """The attempt calls an external interface, or the handler catches a failure of one: a retry of a remote call."""
    for node in _walk(attempt.body):
        if isinstance(node, ast.Call) and external_call(node, ctx) is not None:
            return True
    return any(is_failure_type(name, ctx) for h in handlers for name in _caught(h, ctx))


def _constant(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) or (
        isinstance(expr, ast.Name) and expr.id.isupper()
    )


def _grows(loop: ast.AST, ctx: ModuleContext) -> bool:
    """``delay *= 2`` / ``delay = delay * 2`` in the loop."""
    for node in _walk(loop.body):
        if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Mult, ast.Add, ast.Pow, ast.LShift)):
            return True
    return False


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
