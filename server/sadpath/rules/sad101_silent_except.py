"""# SAD101 silent-except

## What it does

Flags an `except` handler that swallows a failure: its body only passes,
continues, returns a constant or sentinel (`None`, `'UNKNOWN'`, `[]`), or only logs
the error without its traceback and carries on as if the work had succeeded. It
looks at handlers that catch broadly (`except:`, `except Exception`) or catch an
external interface's failure (`requests.RequestException`, `redis.RedisError`,
`ConnectionError`, ...).

It stays quiet when the handler raises or translates the error, exits, returns a
computed error response or fallback value, records the failure with its
traceback and moves on (a worker loop that logs with `logger.exception` and
continues), when the error is a narrow expected outcome (`KeyError`,
`StopIteration`, `FileNotFoundError`, `ImportError`, `queue.Empty`, ...), when the
`try` only cleans up (`conn.close()`, `os.unlink(path)`; a call with arguments
such as `gateway.cancel(charge_id)` is business, not cleanup) or imports an
optional module, inside cleanup methods such as `close` and `__exit__`, when a
predicate such as `is_healthy()` answers `False`, when a `for attempt in
range(n)` retry loop continues and raises once the attempts run out (SAD204
judges the retry itself), and when a handler that logs the traceback returns the
value the function also returns on its normal path (`None` for "not cached").
Sleeping before carrying on (`time.sleep(1)`) is not handling. A handler of a
specific failure type (not `Exception`) that reports it at warning level or above
and visibly stops the work (`return`, `continue`, `break`) is handling too;
recording the failure (`errors["base"] = "cannot_connect"`, `self.ok = False`) as
well. Not-found and already-exists outcomes (`NotFound`, `DoesNotExist`,
`AlreadyExists`, a held lock) are expected answers, not failures; so is a
timeout the code asked for itself (`except socket.timeout` around
`drain_events(timeout=1)`), and a `try` that only records telemetry
(`metrics.increment(...)`) may swallow: telemetry must never break the work.
Returning a result that names the error (`{"base": "cannot_connect"}`,
`(None, "unreachable")`) is an explicit error response, not a sentinel; so is
`False` from a function that answers `True` on success. Control flow that deals
with the failure also counts: `try`/`else` probes (`except: pass` then the
fallback), a `raise` right after the `try`, a default prepared before the `try`
(`body = b""` then `try: body = e.read()`), a loop over alternatives that
returns on the first success, and a polling loop that logs and sleeps.

## Why is this bad?

A swallowed failure is worse than a crash. The caller receives `None` or a
sentinel instead of an error and carries on with missing or corrupt data, and
nobody can find out later why: the exception, its type and its traceback are gone.

## Example

```python
import requests


def get_rate(currency):
    try:
        resp = requests.get(f"https://fx.example/{currency}", timeout=5)
        return resp.json()["rate"]
    except Exception as e:
        print(e)
        return "UNKNOWN"
```

## Use instead

```python
import logging

import requests

logger = logging.getLogger(__name__)


class RateServiceError(Exception):
    pass


def get_rate(currency):
    try:
        resp = requests.get(f"https://fx.example/{currency}", timeout=5)
        return resp.json()["rate"]
    except requests.RequestException as exc:
        logger.exception("fx rate lookup failed", extra={"currency": currency})
        raise RateServiceError(f"rate lookup for {currency} failed") from exc
```

## Fix safety

Two fixes, both unsafe because they change what callers see: *re-raise after
the existing handling* appends `raise` (replacing the `pass`, `continue` or
constant `return`), and *typed exception translation* defines (or reuses) a
module-level domain error class and raises it `from` the caught exception with a
message that names the failed operation.

## Options

None.

## References

- [Python tutorial: handling exceptions](https://docs.python.org/3/tutorial/errors.html#handling-exceptions)
- [PEP 3134: exception chaining](https://peps.python.org/pep-3134/)
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.model import Applicability, FixOffer
from sadpath.engine import logcalls
from sadpath.engine.contract_check import declares_fallback
from sadpath.engine.domain import module_error_name
from sadpath.engine.outcome import handler_outcome
from sadpath.rules import _except
from sadpath.rules._except import CatchKind
from sadpath.rules.base import Rule

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
     "release", "reset", "__dir__", "__format__", "destroy", "kill"}
)
PREDICATE_PREFIXES = ("is_", "has_", "can_", "should_", "check", "ping", "health", "exists", "supports",
                      "verify", "validate", "_is_", "_has_", "_can_", "_check", "is_available", "alive", "ready")
_CLEANUP_NAME = re.compile(r"(^|_)(close|shutdown|cleanup|disconnect|teardown|terminate)(_|$)", re.IGNORECASE)
PATH_CLEANUP = frozenset({"unlink", "remove", "rmtree", "rmdir", "kill", "discard", "removeHandler", "delete_file"})


@dataclass
class Case:
    """One handler SAD101 looks at: what it catches, how it swallows, and where it sits."""

    handler: ast.ExceptHandler
    ctx: ModuleContext
    caught: _except.Caught
    verdict: str  # engine.outcome.handler_outcome's name for how the handler swallows
    func: ast.FunctionDef | ast.AsyncFunctionDef | None
    try_node: ast.Try | None


# ------------------------------------------------------------------ the exemptions, each a named predicate
def retry_loop_that_raises(case: Case) -> bool:
    """It continues a ``for attempt in range(n)`` loop that raises once the attempts run out (SAD204's business)."""
    return case.verdict == "continue" and _except.retry_loop_then_raise(case.ctx)


def documented_fallback(case: Case) -> bool:
    """It logs with the traceback and returns what the function also returns on a normal path."""
    return case.verdict.startswith("return ") and case.func is not None and _logged_fallback(case.handler, case.func, case.verdict, case.ctx)


def telemetry_code(case: Case) -> bool:
    """The function or module records metrics or traces: telemetry must never break the work it observes."""
    return _except.telemetry_context(case.func, case.ctx)


def placeholder_checked_next(case: Case) -> bool:
    """It stores a placeholder that the statement right after the ``try`` tests (``if stream is None: ...``)."""
    return case.try_node is not None and _placeholder_checked(case.handler, case.try_node, case.verdict, case.ctx)


def cleanup_or_optional_import(case: Case) -> bool:
    """The ``try`` only cleans up, records telemetry or imports an optional module."""
    return case.try_node is not None and _benign_try(case.try_node, case.ctx)


def designed_timeout(case: Case) -> bool:
    """It catches the timeout of a wait the code bounded itself: the designed "nothing arrived" of a poll."""
    return case.try_node is not None and _except.designed_timeout(case.caught, case.try_node, case.ctx)


def probe_with_else(case: Case) -> bool:
    """``try: ... except: pass else: return x``, then a fallback: the failure is the answer."""
    return case.try_node is not None and _probe(case.try_node, case.verdict)


def raise_after_the_try(case: Case) -> bool:
    """The statement right after the ``try`` raises: the function fails anyway."""
    return case.try_node is not None and _raises_after(case.try_node, case.ctx)


def prepared_default(case: Case) -> bool:
    """A default set before the ``try`` stands when the one assignment in it fails."""
    return case.try_node is not None and _preset_fallback(case.try_node, case.verdict, case.ctx)


def contract_fallback(case: Case) -> bool:
    """A resilience contract declares a fallback for every failure mode this handler catches."""
    return case.try_node is not None and declares_fallback(case.handler, case.try_node, case.ctx)


def next_alternative_or_poll(case: Case) -> bool:
    """A loop tries the next alternative, or polls again after a sleep."""
    if case.verdict not in ("continue", "pass") and not case.verdict.startswith("log:"):
        return False
    return _except.tries_alternatives(case.ctx) or _except.polls_with_sleep(case.handler, case.verdict, case.ctx)


def cleanup_method(case: Case) -> bool:
    """It sits in a cleanup or dunder method (``close``, ``__exit__``, ``__repr__``): they must not raise."""
    return case.func is not None and case.func.name in CLEANUP_FUNCTIONS


def explicit_answer(case: Case) -> bool:
    """The returned constant is the function's answer: ``False`` from a predicate or a True/False function, an
    error code from a function whose success is ``None``."""
    if not case.verdict.startswith("return") or case.func is None:
        return False
    func, verdict = case.func, case.verdict
    return _predicate_answer(func, case.handler) or _success_flag(func, verdict) or _error_code(func, verdict)


EXEMPTIONS = (
    retry_loop_that_raises,
    documented_fallback,
    telemetry_code,
    placeholder_checked_next,
    cleanup_or_optional_import,
    designed_timeout,
    probe_with_else,
    raise_after_the_try,
    prepared_default,
    contract_fallback,
    next_alternative_or_poll,
    cleanup_method,
    explicit_answer,
)


class SilentExcept(Rule):
    code = "SAD101"
    slug = "silent-except"
    summary = "A handler that swallows a failure: it passes, continues, returns a sentinel, or only logs without the traceback."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ("reraise", "translate")

    def visit_ExceptHandler(self, node: ast.ExceptHandler, ctx: ModuleContext) -> None:
        caught = _except.classify(node, ctx)
        if caught.kind not in (CatchKind.BARE, CatchKind.BROAD, CatchKind.FAILURE) or _except.raises(node, ctx):
            return
        verdict = handler_outcome(node, ctx, specific=caught.kind is CatchKind.FAILURE)
        if verdict is None:
            return
        case = Case(node, ctx, caught, verdict, ctx.enclosing_function(), _except.enclosing_try(node, ctx))
        if any(exempt(case) for exempt in EXEMPTIONS):
            return
        node, try_node, func = case.handler, case.try_node, case.func
        message = _message(node, caught, verdict, try_node, func, ctx)
        fixes = [FixOffer("reraise", "Re-raise the error after the existing handling", Applicability.UNSAFE)]
        domain = module_error_name(ctx)
        fixes.append(
            FixOffer("translate", f"Translate the error into {domain} (raise ... from exc)", Applicability.UNSAFE)
        )
        ctx.report(self, ctx.line_span(node), message, fixes=fixes, data={"verdict": verdict, "domain_error": domain})




def _probe(try_node: ast.Try, verdict: str) -> bool:
    """``try: pickle.dumps(x) except Exception: pass else: return x`` then the fallback: the failure is the answer."""
    return verdict == "pass" and any(isinstance(n, ast.Return) for s in try_node.orelse for n in ast.walk(s))


def _placeholder_checked(handler: ast.ExceptHandler, try_node: ast.Try, verdict: str, ctx: ModuleContext) -> bool:
    """``stream = None`` in the handler and ``if stream is None: raise/return`` right after the ``try``."""
    if verdict != "assign" and not verdict.startswith("log:"):
        return False
    names = {t.id for stmt in handler.body if isinstance(stmt, ast.Assign) for t in stmt.targets if isinstance(t, ast.Name)}
    found = _except.block_of(try_node, ctx)
    if found is None or not names:
        return False
    block, position = found
    following = block[position + 1 : position + 2]
    if not following or not isinstance(following[0], ast.If):
        return False
    test_names = {n.id for n in ast.walk(following[0].test) if isinstance(n, ast.Name)}
    return bool(names & test_names)


def _raises_after(try_node: ast.Try, ctx: ModuleContext) -> bool:
    """The statement right after the ``try`` raises: the handler only logs before the function fails anyway."""
    found = _except.block_of(try_node, ctx)
    if found is None:
        return False
    block, position = found
    return position + 1 < len(block) and isinstance(block[position + 1], ast.Raise)


def _preset_fallback(try_node: ast.Try, verdict: str, ctx: ModuleContext) -> bool:
    """``body = b""`` then ``try: body = e.read() except Exception: pass``: the prepared default stands."""
    if verdict != "pass" or len(try_node.body) != 1 or not isinstance(try_node.body[0], ast.Assign):
        return False
    targets = try_node.body[0].targets
    if len(targets) != 1 or not isinstance(targets[0], ast.Name):
        return False
    name = targets[0].id
    found = _except.block_of(try_node, ctx)
    if found is None:
        return False
    block, position = found
    func = ctx.enclosing_function()
    earlier = [
        stmt
        for stmt in (ast.walk(func) if func is not None else block[:position])
        if isinstance(stmt, ast.Assign) and stmt.lineno < try_node.lineno
    ]
    for stmt in earlier:
        if any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            # a real default (b"", {}, a computed value) stands in; None is only a placeholder
            return not (isinstance(stmt.value, ast.Constant) and stmt.value.value is None)
    for parent in ctx.parents:
        # for key, value in pairs: try: value = convert(value) except: pass -> the raw value stands
        if isinstance(parent, (ast.For, ast.AsyncFor)) and name in {
            n.id for n in ast.walk(parent.target) if isinstance(n, ast.Name)
        }:
            return True
    if func is not None:
        args = func.args
        return name in {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    return False


def _error_code(func: ast.AST, verdict: str) -> bool:
    """``return "cannot_connect"`` from a function whose success answer is ``None``: an error code, not a sentinel."""
    value = verdict[len("return ") :]
    if not (value[:1] in "'\"" and len(value) > 4):
        return False
    returns = [n for n in _except.walk_outside_handlers(func) if isinstance(n, ast.Return)]
    return bool(returns) and all(
        n.value is None or (isinstance(n.value, ast.Constant) and n.value.value is None) for n in returns
    )


def _success_flag(func: ast.AST, verdict: str) -> bool:
    """The function answers True on success and False on failure: False is the failure's explicit result."""
    if verdict != "return False":
        return False
    return any(
        isinstance(n, ast.Return) and isinstance(n.value, ast.Constant) and n.value.value is True
        for n in _except.walk_outside_handlers(func)
    )


def _benign_try(try_node: ast.Try, ctx: ModuleContext) -> bool:
    """A ``try`` that only imports optional modules or only cleans up."""
    body = try_node.body
    if all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in body):
        return True
    if _except.telemetry_only(try_node):
        return True
    for stmt in body:
        if isinstance(stmt, ast.Delete):
            continue
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(call, ast.Await):
            call = call.value
        if not isinstance(call, ast.Call):
            return False
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name not in CLEANUP_METHODS and not _CLEANUP_NAME.search(name):
            return False
        if call.args and name not in PATH_CLEANUP:
            return False  # gateway.cancel(charge_id) is business, not tidying up
        if external_call(call, ctx) is not None and name not in ("close", "aclose", "disconnect", "quit", "logout"):
            return False
    return True


def _logged_fallback(handler: ast.ExceptHandler, func: ast.AST, verdict: str, ctx: ModuleContext) -> bool:
    """Logged with the traceback, and the constant is also what the function returns on a normal path
    (``return None`` for "not cached"): a documented fallback, not a sentinel invented for the error."""
    logged = any(
        (log := logcalls.as_log_call(n, ctx)) is not None and logcalls.keeps_traceback(log, ctx)
        for n in _except.walk_handler(handler)
    )
    if not logged:
        return False
    value = verdict[len("return ") :]
    for node in _except.walk_outside_handlers(func):
        if isinstance(node, ast.Return):
            shown = "None" if node.value is None else ast.unparse(node.value)
            if shown == value:
                return True
    return False


def _predicate_answer(func: ast.AST, handler: ast.ExceptHandler) -> bool:
    """``def is_healthy(): ... except X: return False`` answers the question, it does not swallow."""
    name = func.name.lower()
    if not name.startswith(PREDICATE_PREFIXES) and not name.lstrip("_").startswith(PREDICATE_PREFIXES):
        return False
    for stmt in handler.body:
        if isinstance(stmt, ast.Return):
            return isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, bool)
    return False


def _message(handler, caught, verdict, try_node, func, ctx) -> str:
    what = "every error raised in the `try` block"
    if try_node is not None:
        first = _except.first_call_in(try_node.body, ctx, skip=lambda c: logcalls.as_log_call(c, ctx) is not None)
        if first is not None:
            what = f"the failure of `{first[1]}`"
    where = f"`{func.name}()`" if func is not None else "the module"
    if verdict.startswith("log:"):
        action = f"only logs it with `{verdict[4:]}` and no traceback"
        consequence = f"{where} carries on as if the work had succeeded"
    elif verdict == "continue":
        action = "only continues the loop"
        loop = ctx.enclosing(ast.For, ast.AsyncFor, ast.While)
        retrying = isinstance(loop, (ast.For, ast.AsyncFor)) and ast.unparse(loop.iter).startswith("range(")
        consequence = (
            f"when every attempt fails {where} ends without a result or an error"
            if retrying
            else "the item is skipped without a trace"
        )
    elif verdict == "break":
        action = "only leaves the loop"
        consequence = "the remaining work is dropped without a trace"
    elif verdict in ("pass", "return"):
        action = "does nothing with it" if verdict == "pass" else "returns early"
        consequence = f"{where} carries on as if the work had succeeded and nobody sees why it failed"
    elif verdict == "assign":
        action = "only stores a placeholder value"
        consequence = "later code works on the placeholder as if it were real data"
    else:
        value = verdict[len("return ") :]
        action = f"returns `{value}`"
        consequence = f"callers of {where} get `{value}` instead of an error and cannot tell failure from a real result"
    return f"{caught.label} swallows {what}: the handler {action}, so {consequence}. Re-raise or translate it."
