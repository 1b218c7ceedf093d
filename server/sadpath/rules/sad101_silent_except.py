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

from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.model import Applicability, FixOffer
from sadpath.engine import logcalls
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
SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "gevent.sleep", "eventlet.sleep", "trio.sleep", "anyio.sleep"})
_CLEANUP_NAME = re.compile(r"(^|_)(close|shutdown|cleanup|disconnect|teardown|terminate)(_|$)", re.IGNORECASE)
PATH_CLEANUP = frozenset({"unlink", "remove", "rmtree", "rmdir", "kill", "discard", "removeHandler", "delete_file"})
ERROR_KEYS = frozenset({"error", "errors", "detail", "message", "status", "ok", "success"})


def _contract_fallback(handler: ast.ExceptHandler, try_node: ast.Try, ctx: ModuleContext) -> bool:
    """A resilience contract declares a fallback for the failures this handler catches (and nothing else for
    any mode it catches): the team decided that this failure degrades gracefully."""
    if not getattr(ctx.settings, "contracts", ()):
        return False
    from sadpath.engine.external import external_call
    from sadpath.engine.handling import caught_by, catches
    from sadpath.engine.contract_check import covering_contract

    caught = caught_by(handler, ctx)
    seen = False
    for stmt in try_node.body:
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call):
                continue
            external = external_call(node, ctx)
            contract = covering_contract(external, ctx) if external is not None else None
            if external is None:
                continue
            if contract is None:
                return False
            strategies = dict(contract.modes)
            for mode, exceptions in external.interface.modes_of_call(node, external.name):
                if mode in strategies and any(catches(ctx.hierarchy, caught, exc) for exc in exceptions):
                    if strategies[mode].kind != "fallback":
                        return False  # a mode the contract wants translated, retried or propagated
                    seen = True
    return seen


class SilentExcept(Rule):
    code = "SAD101"
    slug = "silent-except"
    summary = "A handler that swallows a failure: it passes, continues, returns a sentinel, or only logs without the traceback."
    fix_applicabilities = (Applicability.UNSAFE,)

    def visit_ExceptHandler(self, node: ast.ExceptHandler, ctx: ModuleContext) -> None:
        caught = _except.classify(node, ctx)
        if caught.kind not in (CatchKind.BARE, CatchKind.BROAD, CatchKind.FAILURE):
            return
        if _except.raises(node, ctx):
            return
        verdict = _swallow(node, ctx, specific=caught.kind is CatchKind.FAILURE)
        if verdict is None:
            return
        if verdict == "continue" and _retry_loop_then_raise(ctx):
            return  # the attempts' errors are dropped but the loop ends in a raise (SAD204 judges the retry)
        func = ctx.enclosing_function()
        if verdict.startswith("return ") and func is not None and _logged_fallback(node, func, verdict, ctx):
            return
        if _telemetry_context(func, ctx):
            return  # recording metrics or traces must never break the work it observes
        try_node = _except.enclosing_try(node, ctx)
        if try_node is not None and (
            _placeholder_checked(node, try_node, verdict, ctx)
            or _benign_try(try_node, ctx)
            or _designed_timeout(caught, try_node, ctx)
            or _probe(try_node, verdict)
            or _raises_after(try_node, ctx)
            or _preset_fallback(try_node, verdict, ctx)
            or _contract_fallback(node, try_node, ctx)
        ):
            return
        if verdict in ("continue", "pass") or verdict.startswith("log:"):
            if _tries_alternatives(ctx) or _polls_with_sleep(node, verdict, ctx):
                return
        if func is not None and func.name in CLEANUP_FUNCTIONS:
            return
        if verdict.startswith("return") and func is not None and (
            _predicate_answer(func, node) or _success_flag(func, verdict) or _error_code(func, verdict)
        ):
            return
        message = _message(node, caught, verdict, try_node, func, ctx)
        fixes = [FixOffer("reraise", "Re-raise the error after the existing handling", Applicability.UNSAFE)]
        domain = _domain_error_name(ctx)
        fixes.append(
            FixOffer("translate", f"Translate the error into {domain} (raise ... from exc)", Applicability.UNSAFE)
        )
        ctx.report(self, ctx.line_span(node), message, fixes=fixes, data={"verdict": verdict, "domain_error": domain})


def _swallow(handler: ast.ExceptHandler, ctx: ModuleContext, specific: bool = False) -> str | None:
    """How the handler swallows the error ("pass", "continue", "return None", "log", ...), or None if it does not.

    ``specific``: the handler catches named failure types, not ``Exception`` or everything.
    """
    traceback_logged = False
    untraced_log: str | None = None
    untraced_level = False
    outcome = "pass"
    for stmt in handler.body:
        if isinstance(stmt, ast.Pass) or (
            isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        ):
            continue  # pass, ..., a docstring-like string
        if isinstance(stmt, (ast.Continue, ast.Break)):
            outcome = "continue" if isinstance(stmt, ast.Continue) else "break"
            break
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Call, ast.Await)):
            call = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
            log = logcalls.as_log_call(call, ctx)
            if log is None:
                if ctx.qualified_name(call.func) in SLEEPS:
                    continue  # waiting before carrying on is not handling the error
                return None  # some other handling: a metric, a callback, a cleanup, a fallback call
            if logcalls.keeps_traceback(log, ctx):
                traceback_logged = True
            elif untraced_log is None:
                untraced_log = "print" if log.kind == "print" else f"{log.receiver}.{log.method}"
                untraced_level = log.kind == "logger" and log.level in logcalls.ERROR_LEVELS
            continue
        if isinstance(stmt, ast.Return):
            if stmt.value is None:
                outcome = "return"
                break
            if _is_constant(stmt.value) and not _is_error_response(stmt.value):
                outcome = f"return {_short(stmt.value)}"
                break
            return None  # a computed fallback or an explicit error response
        if isinstance(stmt, ast.Assign) and _is_placeholder(stmt):
            outcome = "assign"
            continue
        return None  # anything else (compound statements, calls stored in variables) is real handling
    if outcome.startswith("return ") and outcome != "return":
        return outcome  # a sentinel result: swallowed even when logged with the traceback
    if traceback_logged:
        return None  # visible, with its traceback: a deliberate best-effort or a worker loop that moves on
    if untraced_log is not None:
        if outcome in ("return", "continue", "break") and untraced_level and specific:
            return None  # a specific failure, reported at warning level or above, and the work visibly stops
        return f"log:{untraced_log}"
    return outcome


SENTINEL_STRINGS = frozenset({"UNKNOWN", "unknown", "Unknown", "N/A", "n/a", "NA", "ERROR", "error", "FAILED", "failed", "none", "null"})


def _is_placeholder(stmt: ast.Assign) -> bool:
    """``rate = None`` / ``status = "UNKNOWN"``: a plain name set to a stand-in for the missing result.
    Recording the failure (``errors["base"] = "cannot_connect"``, ``self.available = False``) is handling."""
    if not all(isinstance(t, ast.Name) for t in stmt.targets):
        return False
    value = stmt.value
    return isinstance(value, ast.Constant) and (value.value is None or value.value in SENTINEL_STRINGS)


def _is_constant(expr: ast.AST) -> bool:
    if isinstance(expr, ast.Constant):
        return True
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return all(_is_constant(e) for e in expr.elts)
    if isinstance(expr, ast.Dict):
        return all(k is not None and _is_constant(k) for k in expr.keys) and all(_is_constant(v) for v in expr.values)
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.operand, ast.Constant):
        return True
    return False


def _is_error_response(expr: ast.AST) -> bool:
    """``{"error": ...}``, ``{"base": "cannot_connect"}``, ``("failed", 502)``, ``(None, "unreachable")``:
    an explicit error result that names what went wrong, not a bare sentinel."""
    if isinstance(expr, ast.Dict):
        return any(isinstance(k, ast.Constant) and k.value in ERROR_KEYS for k in expr.keys) or any(
            _is_message(v) for v in expr.values
        )
    if isinstance(expr, ast.Tuple):
        return (
            any(
                isinstance(e, ast.Constant) and isinstance(e.value, int) and not isinstance(e.value, bool) and 400 <= e.value < 600
                for e in expr.elts
            )
            or any(_is_message(e) for e in expr.elts)
            or any(_is_error_response(e) for e in expr.elts)
        )
    return False


def _is_message(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) and isinstance(expr.value, str) and len(expr.value.strip()) > 2


def _short(expr: ast.AST) -> str:
    text = ast.unparse(expr)
    return text if len(text) <= 30 else text[:27] + "..."


TIMEOUT_TYPES = frozenset({"TimeoutError", "concurrent.futures._base.TimeoutError"})
TIMEOUT_CONTEXTS = frozenset({"asyncio.timeout", "asyncio.wait_for", "async_timeout.timeout", "asyncio.wait"})
_TELEMETRY = re.compile(
    r"^_*(record|track|emit|report|increment|incr|decr|inc|observe|gauge|timing|histogram|set_tag|set_tags|"
    r"set_data|set_context|set_attribute|set_attributes|add_event|add_breadcrumb|capture_\w+|send_metric)"
)


def _designed_timeout(caught, try_node: ast.Try, ctx: ModuleContext) -> bool:
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


def _probe(try_node: ast.Try, verdict: str) -> bool:
    """``try: pickle.dumps(x) except Exception: pass else: return x`` then the fallback: the failure is the answer."""
    return verdict == "pass" and any(isinstance(n, ast.Return) for s in try_node.orelse for n in ast.walk(s))


def _block_of(node: ast.AST, ctx: ModuleContext) -> tuple[list, int] | None:
    index = len(ctx.parents) - 1
    if index < 1 or ctx.parents[index] is not node:
        return None
    container = ctx.parents[index - 1]
    for field in ("body", "orelse", "finalbody", "handlers"):
        block = getattr(container, field, None)
        if isinstance(block, list) and node in block:
            return block, block.index(node)
    return None


def _placeholder_checked(handler: ast.ExceptHandler, try_node: ast.Try, verdict: str, ctx: ModuleContext) -> bool:
    """``stream = None`` in the handler and ``if stream is None: raise/return`` right after the ``try``."""
    if verdict != "assign" and not verdict.startswith("log:"):
        return False
    names = {t.id for stmt in handler.body if isinstance(stmt, ast.Assign) for t in stmt.targets if isinstance(t, ast.Name)}
    found = _block_of(try_node, ctx)
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
    found = _block_of(try_node, ctx)
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
    found = _block_of(try_node, ctx)
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


def _tries_alternatives(ctx: ModuleContext) -> bool:
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


def _polls_with_sleep(handler: ast.ExceptHandler, verdict: str, ctx: ModuleContext) -> bool:
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
                if isinstance(node, ast.Call) and ctx.qualified_name(node.func) in SLEEPS:
                    return True
            return False
    return False


def _error_code(func: ast.AST, verdict: str) -> bool:
    """``return "cannot_connect"`` from a function whose success answer is ``None``: an error code, not a sentinel."""
    value = verdict[len("return ") :]
    if not (value[:1] in "'\"" and len(value) > 4):
        return False
    returns = [n for n in _walk_outside_handlers(func) if isinstance(n, ast.Return)]
    return bool(returns) and all(
        n.value is None or (isinstance(n.value, ast.Constant) and n.value.value is None) for n in returns
    )


def _success_flag(func: ast.AST, verdict: str) -> bool:
    """The function answers True on success and False on failure: False is the failure's explicit result."""
    if verdict != "return False":
        return False
    return any(
        isinstance(n, ast.Return) and isinstance(n.value, ast.Constant) and n.value.value is True
        for n in _walk_outside_handlers(func)
    )


_TELEMETRY_RECEIVER = re.compile(r"metric|collector|meter|tracer|telemetry|statsd|prometheus|profiler|span", re.IGNORECASE)


_TELEMETRY_PATH = re.compile(r"(^|/)(observability|telemetry|metrics|instrumentation)(/|\.py$)")


def _telemetry_context(func: ast.AST | None, ctx: ModuleContext) -> bool:
    """Code whose job is telemetry: a ``record_*``/``track_*`` function, or a metrics/observability module."""
    if func is not None and _TELEMETRY.match(func.name):
        return True
    return bool(_TELEMETRY_PATH.search(ctx.source.path.replace("\\", "/")))


def _telemetry_only(try_node: ast.Try) -> bool:
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


def _benign_try(try_node: ast.Try, ctx: ModuleContext) -> bool:
    """A ``try`` that only imports optional modules or only cleans up."""
    body = try_node.body
    if all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in body):
        return True
    if _telemetry_only(try_node):
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


def _retry_loop_then_raise(ctx: ModuleContext) -> bool:
    """The handler continues a ``for ... in range(n)`` loop that raises once the attempts run out."""
    for index in range(len(ctx.parents) - 1, 0, -1):
        loop = ctx.parents[index]
        if isinstance(loop, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
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
    for node in _walk_outside_handlers(func):
        if isinstance(node, ast.Return):
            shown = "None" if node.value is None else ast.unparse(node.value)
            if shown == value:
                return True
    return False


def _walk_outside_handlers(func: ast.AST):
    stack = list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ExceptHandler)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


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


def _domain_error_name(ctx: ModuleContext) -> str:
    """The domain error a translation raises: an existing module-level root error, else one named for the code."""
    for name, cls in ctx.semantic.module_classes.items():
        if name.endswith("Error") and any(
            isinstance(b, ast.Name) and b.id in ("Exception", "RuntimeError") for b in cls.bases
        ):
            return name
    cls = ctx.enclosing_class()
    if cls is not None and not cls.name.endswith(("Error", "Exception")):
        return cls.name.lstrip("_") + "Error"
    stem = ctx.semantic.module_name.rsplit(".", 1)[-1] or "service"
    words = [w for w in stem.replace("-", "_").split("_") if w]
    camel = "".join(w[:1].upper() + w[1:] for w in words) or "Service"
    return camel + "Error"
