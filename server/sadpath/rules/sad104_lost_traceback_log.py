"""# SAD104 lost-traceback-log

## What it does

Flags a log call in a handler that does handle the error (it answers an error
response or an exit status, returns a fallback, dead-letters or counts the
failure) but records it in a way that loses what is needed to diagnose it:

- the exception is the whole message: `print(e)`, `logger.error(e)`,
  `logger.warning(str(e))`, `logger.error("%s", e)`;
- the `try` covers several steps or calls into project code, and the record has
  no traceback: nobody can tell which step failed. Steps are counted on one run
  (an `if`/`else` makes one of its calls), and only calls that can raise what the
  handler catches count: not a standard-library helper under `except ClientError`,
  not a project helper that only builds a value (`f"user:{id}"`), not the getter of
  a client the next line talks through (or a zero-argument getter whose result
  is only read), not a project function that makes no I/O call, not a clock
  read; a tiny wrapper around one library call counts as that call; a narrow
  queue error (`QueueFull`) counts only the `put_nowait`/`get_nowait` that
  raises it; several commands on one known client (Redis, docker, botocore),
  with the error in the record, count as one step, since the library's text
  names the command, and so do the calls into one third-party module or on one module-level object its
  constructor built (`humanize.naturaltime()`; `sio.emit()` of `sio = socketio.AsyncServer()`), several statements on one SQLAlchemy session
  (its text carries `[SQL: ...]`), the objects of one Playwright session, of a
  media codec (pydub's "Decoding failed ... Output from ffmpeg"), of a cloud
  identity SDK (azure-identity lists every credential tried) or of a password
  hasher; a project helper whose only failing step is a pydantic validation
  (`Model.model_validate(row)`) counts as that call;
  `open()` and the writes on the file it opened are one step (the `OSError`
  names the path); a sub-step that logs its own failure before re-raising is
  not counted again, nor one that keeps its failures in (every `await` in its
  own `try` whose broad handler does not raise), nor a static helper that only
  loops over strings, nor a form or schema being built (`GroupForm(...)`); a
  narrow catch of one error with no subclasses (`except InvalidToken:`) names
  the one step that raises it; nor is the answer a view builds (`Response(...)`),
  a framework scope (`app.app_context()`), or the constructor of the object the
  `try` then calls (`observer = Observer()`, then `observer.start()`); a method of
  an instance held under its class's name (`state.oauth_manager.get_token()` of
  the module's `OAuthManager`) is judged by that method's body; with the error in
  the record, a helper that only serializes or encrypts a value and logs its own
  step before re-raising is no step, and a method that makes one HTTP request and
  checks its status (its error names the URL), or an inherited hook whose every
  override in the package does nothing or calls one check that raises with a
  message (`self.pre_delete(item)`), is no project code to trace. When the record
  holds no error at all, the message says so and names the call that does the work;
- the exception's text leaves out its payload: an HTTP status error's response
  body (`requests.HTTPError`, `httpx.HTTPStatusError`), `CalledProcessError`'s
  stderr and output (run through the module's sanitiser, when it has one), an error whose message is empty (`asyncio.TimeoutError`).
  When a step of the `try` fails with an empty message (`InvalidTag` from an
  AEAD `decrypt`, `InvalidSignature`, aiohttp's total timeout), or the caught
  project error is raised `from` another (its cause only in the chain), the
  message says so instead of counting steps. A log under `if isinstance(e, X):`
  is judged by X alone. A timeout whose record already names its type
  (`str(e) or type(e).__name__`, `repr(e)`) lacks no message: when the record
  names nothing that was called either, the message asks for the target. Under a project decorator whose wrapper already logs what escapes with the traceback (`@with_document_lock`), the advice is to drop the inner catch or re-raise, and no fix writes a second traceback.

It stays quiet for handlers that swallow the error (SAD101 reports those, once,
and its fix keeps the traceback), for handlers that re-raise or translate the
error (the traceback travels on), for a descriptive message around one external
call whose exception text carries the cause (a timeout, a refused connection),
for `logger.exception(...)`, `exc_info=...`, `traceback.format_exc()` and error
trackers, for `debug` and `info` records, inside a `logging.Handler.emit` (where
printing to stderr is the only channel left), for a click/typer command's
user-facing `print(exc)` and a script's one before it exits with a non-zero
status, for the handler of a bounded retry loop that raises its last error (or of
a one-shot retry whose second attempt logs with the traceback and re-raises, or
of a fallback that runs the same call again outside any `try`), for a narrow
catch of the project's refusals, raised with a message and never `from`
another error, answered with an error value, for
a warning that names the input of one standard-library call (`ZoneInfo(tz)`)
or of one parse of a named setting (`json.loads(REDIS_OPTIONS)`, then defaults
set on the result), for a record of `type(e).__name__` and the error beside a
branch of its own for the expected error (unless a project step can fail in
several places), for a best-effort step with a harmless default (`return
"/user.png"`, skipping an item of a few library steps) whose record names the
input and the error,
for a record of `type(e).__name__` alone (the error's text, which may carry the
user's input, kept out on purpose), for code that only runs in development (a
dev server's fetch, a reloader behind `if not app.debug: return`), for one
library parse of an input the record names, answered by a default of its own
(`rrulestr(rule)` then the event as it is),
for the timeout of a probe's own deadline (`sock.settimeout(t)`, then `except TimeoutError:`) recorded as the
state it means, for a `try` that only reads and builds values for a `debug`/`info` record, for a narrow catch of
the project's errors answered with an error value when the project's `raise ... from` sites copy the cause's text
into the message, for the calls of one resource set up and used (`with self.file.open() as f`, `f.readline()`;
`ssl.create_default_context()`, `context.wrap_socket()`, `s.connect()`) with the error in the record, for the standard library's reads and decodes of one local input the record names (`os.stat(path)`, `open(path)`, `binascii.a2b_hex()` of the text read),
for an expected protocol signal answered per the protocol (an
`OAuth2RedirectError` answered with its redirect, an oauthlib `OAuth2Error`
answered with the error redirect), for a `return None` that the function
means as "nothing there" (an `Optional` lookup: a swallow, SAD101's business),
for a `try` whose every error states its cause (project code that raises only
errors with a message, with the cause's text when raised `from` it, and library
calls on the input the record names), for a narrow catch that one reachable
`raise` alone can raise, for the one condition the record's text repeats
(`except ValueError` of `raise ValueError("Malformed frame")`), for a
check-then-act of one client on one resource (`if client.has(x):
client.delete(x)`) with the error in the record, for a constant placeholder put
in a field of side metadata (`version = "none"`, then only written into a
dict), and for a decode fallback on one response (`r.json()` failing, then
`r.text()`). A record at warning level is told to add `exc_info=True`, which
keeps its level.

## Why is this bad?

The message of an exception rarely says where it happened: `Connection reset by
peer`, `'items'`, `422 Client Error`. Without the traceback, the response body or
the process's stderr, nobody can tell which call failed or why, and the handler is
the last place that has them.

## Example

```python
import logging

import requests
from flask import Flask

app = Flask(__name__)
logger = logging.getLogger(__name__)


@app.post("/token/refresh")
def refresh_token():
    try:
        resp = requests.post("https://auth.example/token", timeout=5)
        resp.raise_for_status()
        token = resp.json()["token"]
    except (requests.RequestException, KeyError) as e:
        logger.error(e)
        return {"error": "the auth service gave no token"}, 502
    return {"token": token}
```

## Use instead

```python
import logging

import requests
from flask import Flask

app = Flask(__name__)
logger = logging.getLogger(__name__)


@app.post("/token/refresh")
def refresh_token():
    try:
        resp = requests.post("https://auth.example/token", timeout=5)
        resp.raise_for_status()
        token = resp.json()["token"]
    except (requests.RequestException, KeyError):
        logger.exception("token refresh failed")
        return {"error": "the auth service gave no token"}, 502
    return {"token": token}
```

## Fix safety

Turning `logger.error(...)` into `logger.exception(...)` is safe: same level,
same message, plus the traceback. The structured log fix is unsafe: it keeps the
message and its arguments, adds the traceback and `extra` fields, and may change
the call (`print` becomes a logger call, `warning` becomes `exception`).

## Options

None.

## References

- [logging: Logger.exception](https://docs.python.org/3/library/logging.html#logging.Logger.exception)
- [logging: exc_info](https://docs.python.org/3/library/logging.html#logging.Logger.debug)
"""

from __future__ import annotations

import ast
import re

from sadpath.engine import body_steps, cache_fallbacks, callee_traps, catching, contained_tasks, expected_outcomes, fallback_retry, guarded_types, idle_fallbacks, library_steps, logcalls, logging_wrappers, lost_detail, lost_payload, own_raises, quiet_steps, record_gaps, relogged_steps, repeated_handlers, retry_once, shapes, stated_causes, step_builders, step_sources, thin_callees, try_steps, value_reads
from sadpath.engine.context import ModuleContext
from sadpath.engine.exemption_comments import handler_explanations
from sadpath.engine.trapping import traps_its_failures
from sadpath.engine.external import external_call
from sadpath.engine.swallow import exit_status, judge
from sadpath.model import Applicability, FixOffer
from sadpath.rules import _except
from sadpath.rules.base import Rule

# constructors that only build a client or a setting, and cannot fail on the network: not a step to trace
BUILDERS = frozenset(
    {"aiohttp.ClientTimeout", "aiohttp.ClientSession", "aiohttp.TCPConnector", "aiohttp.client.ClientTimeout",
     "aiohttp.client.ClientSession", "requests.Session", "requests.sessions.Session", "httpx.Client", "httpx.AsyncClient",
     "httpx.Timeout", "httpx.Limits", "urllib.request.Request", "boto3.session.Session", "botocore.config.Config"}
)  # fmt: skip
_SENSITIVE = re.compile(r"secret|sensitive|credential|password|passw|token|\bpii\b|leak|api[ _-]?key", re.IGNORECASE)
_PURE = frozenset({"str", "int", "float", "len", "dict", "list", "tuple", "set", "sorted", "min", "max", "sum", "isinstance", "getattr", "format"})


class LostTracebackLog(Rule):
    code = "SAD104"
    slug = "lost-traceback-log"
    summary = "A handler that handles the error but logs it without what diagnoses it: the traceback, the body, the stderr."
    fix_applicabilities = (Applicability.SAFE, Applicability.UNSAFE)
    fix_kinds = ("log_exception", "log_structured")

    def visit_ExceptHandler(self, node: ast.ExceptHandler, ctx: ModuleContext) -> None:
        judgement = judge(node, ctx)
        if judgement.swallows or judgement.exemption == "signal":
            return  # SAD101's one finding (its fix keeps the traceback); cancellation and exit are SAD102's
        if _except.raises(node, ctx) and not _ends_in_exit(node, ctx):
            return  # re-raised or translated: the traceback travels on (an unchained translation is SAD103's)
        logs = logcalls.own_log_calls(node, ctx)
        if not logs or any(logcalls.keeps_traceback(log, ctx) for log in logs):
            return
        func = ctx.enclosing_function()
        if func is not None and func.name == "emit" and _in_logging_handler(ctx):
            return  # inside logging's own handler, printing to stderr is the channel left
        if shapes.retry_loop_then_raise(ctx):
            return  # one attempt of a retry loop that raises its last error: that error travels on with its traceback
        if any(_SENSITIVE.search(comment) for comment in handler_explanations(node, ctx)):
            return  # "do not log the exception: it may contain secrets": left out on purpose
        if _answers_not_found(judgement, func):
            return  # ``return None`` that the function also means as "nothing there": a swallow, SAD101's business
        if expected_outcomes.protocol_signal(node, judgement.caught, ctx):
            return  # "the user must authorise first", answered per the protocol: an outcome, not a failure
        if record_gaps.dev_only(node, func, ctx):
            return  # a dev server's or a debug reloader's handler: its reader is the developer at the console
        try_node = _except.enclosing_try(node, ctx)
        if try_node is not None and (retry_once.retries_once_then_raises(node, try_node, ctx) or contained_tasks.cannot_fire(try_node, ctx)):
            return  # a one-shot retry that logs with the traceback and re-raises; an awaited task that keeps its failures in
        if try_node is not None and fallback_retry.repeats_unguarded(node, try_node, ctx, lambda c: logcalls.as_log_call(c, ctx) is not None):
            return  # the handler runs the call again outside any ``try``: a failure of another cause travels on with its traceback
        if try_node is not None and cache_fallbacks.rebuilds_after(node, try_node, func):
            return  # a cache read (get, decode) rebuilt after the ``try`` from its source: the source's failure shows there
        for log in logs:
            if log.kind == "logger" and log.level not in logcalls.ERROR_LEVELS:
                continue
            if log.kind == "print" and _user_facing(node, ctx):
                continue  # a command's message to its user (``print(exc)``), the interface of a CLI
            if record_gaps.type_name_only(log.call, node.name):
                continue  # ``type(e).__name__`` alone: the error's text (user input, secrets) kept out on purpose
            reason = _what_is_lost(log, node, try_node, judgement.caught, ctx)
            if reason is None:
                continue  # a descriptive message around one call, whose exception text says why
            shown = "print(...)" if log.method == "print" else (f"{log.receiver}.{log.method}(...)" if log.receiver else f"{log.method}(...)")
            advice = lost_payload.advice_for(reason, try_node, ctx)
            stdlib = log.kind == "logger" and not logcalls.uses_structlog(ctx) and not logcalls.uses_loguru(ctx)  # (``exc_info=`` works)
            repeated = repeated_handlers.repeats(ctx.enclosing_function(), node, ctx.tree) if stdlib else None
            if repeated is not None and advice == lost_payload.DEFAULT_ADVICE:
                # what the structured-log fix writes there: a traceback on every pass would flood the log
                advice = (
                    f"Log the error's text, and its traceback only at DEBUG (`exc_info={log.receiver}.isEnabledFor(logging.DEBUG)`): "
                    + ("the handler runs on every pass of a loop that polls" if repeated == "poll" else "the handler fails open on every request")
                )
            elif log.kind == "logger" and log.level in ("warning", "warn") and "`logger.exception(...)`" in advice:
                kept = f"`{log.receiver}.opt(exception=True).warning(...)`" if logcalls.uses_loguru(ctx) else "`exc_info=True` on the existing warning"
                advice = advice.replace("`logger.exception(...)`", f"{kept}, which keeps its level")
            payload = reason in (lost_payload.TARGET_LOST, lost_payload.STATUS_LOST, lost_payload.PROCESS_LOST) or logging_wrappers.WRAPPED in advice
            outcome = own_raises.raised_outcome(node, try_node) if not payload and repeated is None and "with the traceback" in advice else None
            if outcome is not None:
                advice = own_raises.split_advice(outcome, "`exc_info=True`" if "exc_info=True" in advice else "`logger.exception(...)`")
            message = f"`{shown}` in {judgement.caught.label} {reason}. {advice}."
            fixes = []
            if outcome is not None:
                pass  # (the split is the project's to shape: a blanket traceback would log a stack for every such outcome)
            elif payload:
                pass  # (the missing piece is the target, the response body or the stderr, not the traceback: no fix writes it)
            elif log.kind == "logger" and log.method == "error" and repeated is None:
                fixes.append(FixOffer("log_exception", f"Use `{log.receiver}.exception(...)` to keep the traceback", Applicability.SAFE))
            if outcome is None and not payload and not logcalls.uses_loguru(ctx):  # (it writes ``exc_info=``)
                fixes.append(FixOffer("log_structured", "Log with the traceback and context", Applicability.UNSAFE))
            ctx.report(self, ctx.span(log.call), message, fixes=fixes)


def _what_is_lost(log: logcalls.LogCall, handler: ast.ExceptHandler, try_node, caught, ctx: ModuleContext) -> str | None:
    """What this record loses, as the message says it; None when it keeps enough."""
    name = handler.name
    if try_node is not None and (idle_fallbacks.decode_fallback(handler, try_node) or idle_fallbacks.placeholder_field(
            handler, try_node, ctx.enclosing_function(), lambda c: logcalls.as_log_call(c, ctx) is not None)):
        return None  # ``r.json()`` then ``r.text()``; ``version = "none"`` for a field of side metadata: nothing to diagnose
    if _only_the_exception(log, name):
        return "makes the exception the whole record: no traceback and no context, so nobody can tell what failed or for what"
    if lost_payload.logs_payload(log.call):
        return None  # it logs the response body or the stderr: the author kept what says why
    if try_node is not None and (expected_outcomes.timed_probe_outcome(log.call, handler, try_node, caught, ctx) or record_gaps.builds_record_only(try_node, handler)):
        return None  # the timeout of the probe's own deadline, recorded as the state it means; a debug dump's reads
    guarded = guarded_types.narrowed(caught, log.call, handler, ctx)  # (``if isinstance(ex, B):`` of ``except (A, B)``: B's story)
    payload = lost_payload.payload_lost(log.call, handler, try_node, guarded, ctx, named=_names_the_error(log, handler))
    if payload is not None:
        return payload
    if try_node is not None and stated_causes.one_stated_raise(log.call, try_node, caught, ctx):
        return None  # ``except ValueError`` of the one ``raise ValueError("Malformed ...")``, which the record repeats
    if try_node is not None and shapes.benign_try(try_node, ctx):
        return None  # a clean-up (``session.rollback()``, ``session.remove()``): which of its steps failed matters to nobody
    steps = _steps(try_node, ctx, caught, named=_names_the_error(log, handler)) if try_node is not None else []
    if not steps and not _names_the_error(log, handler) and try_node is not None and not _steps(try_node, ctx, caught, named=False, everything=True):
        return None  # nothing in the ``try`` can fail but a conversion (``str(exception)``): its type is the story
    if try_node is not None and lost_detail.parses_named_input(log.call, try_node, ctx, lambda c: logcalls.as_log_call(c, ctx) is not None):
        return None  # "invalid WEBSOCKET_REDIS_OPTIONS, defaulting": one parse of the named setting, the miss is the story
    named = _names_the_error(log, handler)
    project_step = bool(steps) and steps[0].startswith("project:") and caught.kind not in (catching.CatchKind.UNKNOWN, catching.CatchKind.EXPECTED)
    if (len(steps) >= 2 or project_step) and named and _diagnosable(log, handler, try_node, steps, ctx):
        return None
    if len(steps) >= 2 and not named and _one_raiser(caught, ctx):
        return None  # ``except InvalidToken:`` with "stored client X is invalid": the type names the step that raises it
    if (len(steps) >= 2 or project_step) and not named:
        return record_gaps.not_why(steps)  # no error at all in the record: that, not the count of steps, is the gap
    if len(steps) >= 2 and named and stated_causes.states_its_causes(ctx.memo.get(("sad104-found", id(try_node)), []), try_node, _record_inputs(log, handler), ctx):
        return None  # "Unexpected file in bundle: X" for the named bundle: every error that can reach here says what failed
    if (len(steps) >= 2 or project_step) and named:
        cause = _cause_lost(handler, try_node, guarded, ctx)
        if cause is not None:
            return cause
        if _answers_with_cause(handler, guarded, ctx):
            return None  # "column not found" turned into an error response: the translations copy the cause's text
    if len(steps) >= 2:  # (the unchecked body's parse and field reads, when the ``try`` has them: their errors say least)
        return body_steps.steps_message(steps, try_node, ctx)
    if len(steps) == 1 and named and (left := body_steps.left_beside_traced(steps, try_node, ctx)) is not None:
        return left or None  # ``save_docs()`` logs its own traceback: the DB update after it is the step the record cannot place
    if project_step:
        # (an error type of the project's own, ``InfrastructureNotAvailable``, names its cause itself)
        return f"drops the traceback of a call into the project's own code (`{steps[0][8:]}`): the record cannot say where inside it the failure happened"
    if steps and steps[0].startswith("stdlib:") and _names_an_input(log, handler):
        return None  # "unknown timezone %r, falling back": one library call on the named input, the miss is the story
    if try_node is not None and record_gaps.parses_named_input(log.call, handler, ctx.memo.get(("sad104-found", id(try_node)), []), ctx):
        return None  # "failed to parse RRULE for event X: <rule>", then the event as it is: reproducible from the record
    if not _names_the_error(log, handler) and _catches_a_family(caught, ctx):
        return record_gaps.not_why(steps)
    return None


def _diagnosable(log, handler: ast.ExceptHandler, try_node, steps: list[str], ctx: ModuleContext) -> bool:
    """The record already says what failed: it formats the error's type and text beside a branch of its own for the
    expected error, and no project step can fail in several places; or the handler carries on with a harmless
    default and the record names the input and the error of a few steps."""
    def is_log(call: ast.Call) -> bool:
        return logcalls.as_log_call(call, ctx) is not None

    found = ctx.memo.get(("sad104-found", id(try_node)), [])
    if lost_detail.names_type_and_text(log.call, handler.name) and lost_detail.expected_branch(handler, try_node):
        callees = [callee_traps.project_callee(call, ctx) for _, call in found if _project_call(call, ctx)]
        return all(lost_detail.failing_places(f) <= 1 for f in callees if f is not None)
    if lost_detail.harmless_fallback(handler, is_log) and _names_an_input(log, handler) and len(steps) <= 4:
        if any(s.startswith("project:") for s in steps):
            return False
        if any(isinstance(n, ast.Return) for n in handler.body):
            return True  # ``return "/user.png"``: a default the caller shows, whatever failed on the way
        # skipping an item (``continue``) loses it: not when a step is project code that can fail in several places
        callees = [callee_traps.project_callee(call, ctx) for _, call in found if _project_call(call, ctx)]
        return all(lost_detail.failing_places(f) <= 2 for f in callees if f is not None)
    return False


def _one_raiser(caught, ctx: ModuleContext) -> bool:
    """A narrow catch of one kind of error with no subclasses (``InvalidToken``): only the step that decrypts can
    raise it, so a record that names it and its input says which step failed."""
    names = [n for n in caught.names if n]
    return caught.kind is catching.CatchKind.UNKNOWN and bool(names) and not any(ctx.hierarchy.is_family(ctx.hierarchy.canonical(n)) for n in names)


def _cause_lost(handler: ast.ExceptHandler, try_node, caught, ctx: ModuleContext) -> str | None:
    """The message for an error whose text is empty or leaves out its cause, instead of a count of steps."""
    empty = lost_detail.empty_message_step(try_node, ctx)
    if empty is not None:
        return (
            f"logs only the text of the error, and `{empty[0]}` fails with an empty one (`{empty[1]}`): with no traceback"
            " the record says nothing of what failed"
        )
    if caught.kind in (catching.CatchKind.BARE, catching.CatchKind.BROAD):
        return None
    for name in (n for n in caught.names if n):
        canonical = ctx.hierarchy.canonical(name)
        if lost_detail.raised_from(canonical, ctx):
            short = canonical.rsplit(".", 1)[-1]
            return (
                f"logs the text of `{short}` but not its cause: the project raises it `from` another error, whose"
                " message and traceback only the chain carries"
            )
    return None


def _answers_with_cause(handler: ast.ExceptHandler, caught, ctx: ModuleContext) -> bool:
    """A narrow catch of the project's domain errors, answered with an error value, where the project's
    ``raise ... from`` sites of a caught error copy the cause's text into its message, and none drops it; or
    every caught error is a refusal the project raises with a message and never ``from`` another (a 403)."""
    names = [ctx.hierarchy.canonical(n) for n in caught.names if n]
    if not names or caught.kind in (catching.CatchKind.BARE, catching.CatchKind.BROAD):
        return False
    if not any(isinstance(n, ast.Return) and n.value is not None for n in _except.walk_handler(handler, skip_handlers=True)):
        return False
    if all(lost_detail.raised_plainly(n, ctx) for n in names):
        return True  # ``raise TaskPermissionDeniedError("...")`` only: no cause hides in the chain, the text is the story
    return any(lost_detail.copies_its_cause(n, ctx) for n in names) and not any(lost_detail.raised_from(n, ctx) for n in names)


def _catches_a_family(caught, ctx: ModuleContext) -> bool:
    """The handler catches a base of several different failures (``RedisError``, ``RequestException``,
    ``Exception``): which one happened is only in the exception. ``ProcessLookupError`` or ``TimeoutExpired``
    says it all by its type, and a message naming the step is enough."""
    if caught.kind in (catching.CatchKind.BARE, catching.CatchKind.BROAD):
        return True
    if caught.kind is not catching.CatchKind.FAILURE:
        return False  # ``ValueError`` from a parser: "malformed" is what the message says, and all there is to say
    return any(
        ctx.hierarchy.is_family(canonical) and ("." in canonical or canonical in ("OSError", "IOError", "ConnectionError"))
        for canonical in (ctx.hierarchy.canonical(name) for name in caught.names if name)
    )  # ``ValueError`` beside a library's error is the parser's, and says "malformed" by itself


def _names_the_error(log: logcalls.LogCall, handler: ast.ExceptHandler) -> bool:
    """The record carries the exception somehow: as an argument, in an f-string, or through ``exc_info``."""
    return any(isinstance(n, ast.Name) and n.id in logcalls.error_names(handler) for n in ast.walk(log.call))  # (``error = str(err)``)


def _names_an_input(log: logcalls.LogCall, handler: ast.ExceptHandler) -> bool:
    """The record carries a value other than the exception (or a local holding its text): the input the failed call was given."""
    held = logcalls.error_names(handler)
    return any(isinstance(n, (ast.Name, ast.Attribute)) and not (isinstance(n, ast.Name) and n.id in held) for a in log.call.args[1:] for n in ast.walk(a)) or any(
        isinstance(v, ast.FormattedValue) and not any(_is_exc(v.value, h) for h in held or {""}) for a in log.call.args[:1] if isinstance(a, ast.JoinedStr) for v in a.values
    )  # fmt: skip


def _record_inputs(log: logcalls.LogCall, handler: ast.ExceptHandler) -> set[str]:
    """The names the record logs beside the exception (the input the failed work was given)."""
    return {n.id for n in ast.walk(log.call) if isinstance(n, ast.Name)} - logcalls.error_names(handler)


def _only_the_exception(log: logcalls.LogCall, name: str | None) -> bool:
    """``logger.error(e)``, ``print(str(e))``, ``logger.warning("%s", e)``, ``logger.error(f"{e}")``."""
    args = [a for a in log.call.args if not (log.kind == "logger" and log.method == "log" and a is log.call.args[0])]
    if not args or not name:
        return False
    first = args[0]
    if _is_exc(first, name):
        return len(args) == 1
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.strip() in ("%s", "%r", "{}", "Error: %s", "error: %s"):
        return len(args) == 2 and _is_exc(args[1], name)
    if isinstance(first, ast.JoinedStr):
        parts = [v for v in first.values if not (isinstance(v, ast.Constant) and not str(v.value).strip(" :-"))]
        return len(parts) == 1 and isinstance(parts[0], ast.FormattedValue) and _is_exc(parts[0].value, name)
    return False


def _is_exc(expr: ast.AST, name: str) -> bool:
    if isinstance(expr, ast.Name):
        return expr.id == name
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in ("str", "repr") and len(expr.args) == 1:
        return _is_exc(expr.args[0], name)
    return False


def _steps(try_node: ast.Try, ctx: ModuleContext, caught, *, named: bool = False, everything: bool = False) -> list[str]:
    """The steps one run of the ``try`` body can take that can fail (``shapes.can_fail``: not a log, a builtin, a
    value method, a pure helper); for a narrow catch, only those that can raise it (a service call, the project's
    code; no standard-library call for a library's error). An ``if``/``else`` takes one branch; a project helper
    that only computes a value and the getter of a client the next step talks through are no steps; file methods
    of one path are one. A single call into a project function of more than a thin wrapper is marked ``project:``."""
    narrow = caught.kind not in (catching.CatchKind.BARE, catching.CatchKind.BROAD)
    library_only = narrow and try_steps.library_errors_only(list(caught.names), ctx)
    raisers = try_steps.raisers_of(list(caught.names), ctx) if narrow else None  # ``QueueFull``: ``put_nowait``

    def is_log(call: ast.Call) -> bool:
        return logcalls.as_log_call(call, ctx) is not None
    func = ctx.enclosing_function()
    values = try_steps.local_values(func) if func is not None else set()

    def steps_of(node: ast.AST) -> try_steps.Steps:
        calls = [n for n in ast.walk(node) if isinstance(n, ast.Call) and logcalls.as_log_call(n, ctx) is None]
        calls = [c for c in calls if not (isinstance(c.func, ast.Name) and c.func.id in _PURE) and shapes.can_fail(c, ctx)]
        if everything:
            return [("a call", calls[0])] if calls else []
        if raisers is not None:
            calls = [c for c in calls if isinstance(c.func, ast.Attribute) and c.func.attr in raisers]
        calls = [
            c for c in calls
            if not try_steps.accessor(c, node) and (ctx.qualified_name(c.func) or "") not in try_steps.CLOCKS
            and not try_steps.logs_own_failure(c, ctx, is_log) and not try_steps.computes_only(c, ctx, is_log)
        ]  # fmt: skip
        if narrow:  # ``except RedisError`` around one Redis call among local steps: the type says which step
            calls = [c for c in calls if external_call(c, ctx) is not None or shapes.through_client(c) or _project_function(c, ctx)]
        calls = [
            c for c in calls
            if not traps_its_failures(c, ctx, guards=True) and (ctx.qualified_name(c.func) or "") not in BUILDERS and not _reads_the_response(c)
            and not (isinstance(c.func, ast.Attribute) and c.func.attr in try_steps.NO_IO_METHODS)
            and not try_steps.pure_helper(c, ctx) and not try_steps.builds_client(c, node, [try_node])
            and not (library_only and try_steps.stdlib_call(c, ctx))
            and not (isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Name) and c.func.value.id in values)
            and not try_steps.on_opened_file(c, func) and not try_steps.nested_pure(c, func) and not value_reads.value_read(c, func) and not try_steps.record_builder(c, ctx)
            and not try_steps.static_pure(c, ctx) and not step_builders.builds_only(c, try_node, ctx) and not relogged_steps.traced_step(c, try_node, ctx) and not quiet_steps.not_a_step(c, ctx)
            and not (_project_call(c, ctx) and (callee_traps.contains_its_failures(c, ctx) or callee_traps.formats_only(c, ctx) or thin_callees.relogs_in_memory(c, ctx)))
        ]  # fmt: skip
        calls = [c for c in calls if not step_builders.chain_getter(c, calls)]  # ``_get_store().update_run(...)``: the update
        calls = [c for c in calls if not (isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Call) and not step_builders.getter(c.func.value))] or calls
        if not calls:
            return []
        first = min(calls, key=lambda c: (try_steps.trivial_display(c, ctx), c.lineno, c.col_offset))
        return [(_except.call_label(first, ctx) or f"{_short(first.func)}()", first)]

    found = try_steps.longest_path(try_node.body, steps_of)
    if not everything:
        ctx.memo[("sad104-found", id(try_node))] = found
    if len(found) > 1 and (try_steps.file_operations(found) or (named and step_sources.one_local_input(found, try_node, ctx))):
        found = found[:1]  # ``path.touch(); path.write_text(...)``: the ``OSError`` names the file
    if len(found) > 1 and named and (try_steps.one_receiver(found, ctx) or try_steps.one_library(found, ctx, func) or library_steps.one_third_party(found, ctx, func) or step_sources.one_backend(found, ctx) or step_sources.one_resource(found, func, ctx) or stated_causes.one_client_one_resource(found, func) or step_sources.self_described_steps(found, ctx)):
        found = [] if step_sources.self_described_steps(found, ctx) else found[:1]  # ``redis.incr(k); redis.expire(k)`` logged with ``e``: the error names what failed
    if len(found) == 1 and try_steps.stdlib_call(found[0][1], ctx):
        return [f"stdlib:{found[0][0]}"]  # ``ZoneInfo(tz)``: one standard-library call on the input
    if len(found) == 1 and external_call(found[0][1], ctx) is None and _project_function(found[0][1], ctx):
        thin = try_steps.thin_wrapper(found[0][1], ctx) or callee_traps.validates_only(found[0][1], ctx)  # (a ``model_validate``)
        # one request whose error names the URL and status, a hook whose overrides refuse with a message: the error says it
        thin = thin or (named and (thin_callees.one_request(found[0][1], ctx) or thin_callees.refusal_hook(found[0][1], ctx)))
        return [found[0][0]] if thin else [f"project:{found[0][0]}"]
    found = sorted(found, key=lambda step: try_steps.trivial_display(step[1], ctx))  # what matters first: I/O, project calls
    return [label for label, _ in found]


def _short(func: ast.expr) -> str:
    """``mcp.prompt(name=...)`` of ``mcp.prompt(name=...)(wrapped)``: the callee's text, its arguments left out."""
    while isinstance(func, ast.Call):
        func = func.func
    text = ast.unparse(func)
    return text if len(text) <= 40 else text[:37] + "..."


def _project_call(call: ast.Call, ctx: ModuleContext) -> bool:
    """A call that may run the project's own code: a local function or method, or an imported name of the project."""
    return external_call(call, ctx) is None and not try_steps.stdlib_call(call, ctx)


def _reads_the_response(call: ast.Call) -> bool:
    """``resp.raise_for_status()``, ``resp.json()``: part of the request step, whose error says which part failed."""
    return isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) and call.func.attr in _RESPONSE_READS


_RESPONSE_READS = frozenset({"raise_for_status", "json", "text", "read", "aread", "iter_content", "iter_lines"})


def _project_function(call: ast.Call, ctx: ModuleContext) -> bool:
    """A call of a function or method defined in this module (``self.sync()``, ``_load()``,
    ``Suggester._analyze(config)`` on a class of the module)."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in ctx.semantic.module_functions
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return False
    return func.value.id == "self" or func.value.id in _module_classes(ctx)


def _module_classes(ctx: ModuleContext) -> frozenset[str]:
    key = ("sad104-classes",)
    if key not in ctx.memo:
        ctx.memo[key] = frozenset(n.name for n in ctx.tree.body if isinstance(n, ast.ClassDef))
    return ctx.memo[key]


def _ends_in_exit(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The handler's raise is an exit (``sys.exit(1)``, ``raise SystemExit(2)``, ``CommandError``): it still handles."""
    for node in _except.walk_handler(handler, skip_handlers=True):
        if isinstance(node, ast.Raise):
            return False
    return True


def _user_facing(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The print is a command's user interface: the handler is in a click/typer or management command, or it ends
    the run (``main()``, a script) with a non-zero status after printing."""
    from sadpath.engine.boundary import boundary_of
    from sadpath.engine.outcome import handler_paths

    boundary = boundary_of(ctx)
    if boundary is not None and boundary.kind == "command":
        return True
    func = ctx.enclosing_function()
    for path in handler_paths(handler, ctx):
        if path.end == "raise" or exit_status(path, func, boundary):
            return True
    return False


def _answers_not_found(judgement, func) -> bool:
    """The handler answers None or an empty value that the function's own contract means as "nothing there"
    (an ``Optional`` return, a docstring about a miss), and nothing says it is the answer to a failure: callers
    cannot tell the outage from the miss, which is a swallow (SAD101's one finding), not a logging defect."""
    if judgement.exemption != "documented_fallback" or func is None or not judgement.verdict.startswith("return"):
        return False
    value = judgement.site.path.value if judgement.site is not None else None
    empty = value is None or (isinstance(value, ast.Constant) and value.value is None) or (
        isinstance(value, (ast.List, ast.Tuple, ast.Dict, ast.Set)) and not getattr(value, "elts", getattr(value, "keys", None)))
    return empty and not _FAILURE_DOC.search(ast.get_docstring(func) or "")


_FAILURE_DOC = re.compile(
    r"fail|error|exception|unavailable|unreachable|fall(s|ing)? ?back|could not|cannot|can't|invalid|unrecogni[sz]|malformed|bad ",
    re.IGNORECASE,
)
def _in_logging_handler(ctx: ModuleContext) -> bool:
    cls = ctx.enclosing_class()
    return cls is not None and any(ast.unparse(b).endswith("Handler") for b in cls.bases)
