"""# SAD101 silent-except

## What it does

Flags an `except` handler that swallows a failure: the work carries on as if it had
succeeded. Swallowing means the handler passes, continues or breaks; returns a
constant, `None` or a sentinel (`'UNKNOWN'`, `-1`); stores a placeholder and
carries on; only logs without the traceback; or logs (even with the traceback)
and then answers success: a route, view or webhook that returns a 2xx response, a
consumer that acknowledges the message or commits its offset (in the same function
or in the caller that receives its normal return). It also flags a handler that
raises for one error kind and silently returns on all the others, every error of
a cache or flag lookup turned into the default without a log line, a bare
`except:` that returns a default, and a narrow error that loses data when it is
dropped (`UnicodeDecodeError`, the project's own error types) swallowed with
`pass` or `continue`. One handler gets one finding: when its log call also lacks
the traceback, this finding says so (SAD104 is for handlers that do handle the
error). The message names the call that can raise into the handler: the work the
`try` does, not a call in the `if` test that gates it, a parse of text it holds, a
query builder (`.filter()`: the chain's `.count()` runs the query), a value method on
a list it built, a project helper that catches its own errors, a factory that only hands
over the object the work is done on (`session = await get_session()` then
`session.get(url)`), or a flag lookup; a constructor only when nothing else can fail. When a comment says the failure must not
stop the work, or the handler serves one item of a consumer or event loop, a background
step (also a function the module hands to `create_task()` or `add_task()`), or one step
of a command that goes on with the next, it advises keeping the traceback
(`logger.exception`) and carrying on (and, for a command, a non-zero exit) rather than
re-raising; for cleanup in a `finally` block, or in a cleanup helper that only teardown paths
call, it gives the best-effort advice (log with the
traceback and carry on: re-raising there would replace the function's own result); when
a loop's `continue` skips the check that raises right after the `try`, it says the guard
fails open, as does a permission filter, redaction or authorisation check whose handler hands back the unchecked input (no comment makes that a designed fallback: the advice is to fail closed); in a socket.io event handler, a task's done-callback or a block
that only gathers diagnostics, it says what is lost there (the client's event, the
task's failure, the diagnostics) and advises a log line with the traceback; when the handler leaves a name the next line reads unbound (not one declared
`global` or `nonlocal`), it says that the real error is replaced by an
`UnboundLocalError`; in a migration's
`upgrade()`, it says the revision is recorded as applied although the step failed; when the handler falls off
the end of a Django view (or of a function a view answers with), it says Django answers a 500 ("didn't return
an HttpResponse object") and advises what the nearest handler above does (a user message and the re-rendered
page); for optional enrichment by a keyed lookup it advises skipping the expected not-found quietly and logging
the other errors; for an optional step of an interactive command, a console warning and a debug traceback; for a
fallback the function documents for one expected outcome (its docstring: "if the payload is missing, returns an
empty ``TraceData``", or another handler of it falling back to defaults) caught with `except Exception`, narrowing
the catch to that outcome and re-raising the rest; after a write of the route that is already committed, a warning
with the traceback, or doing the step before the write (a re-raise would give an error the client cannot retry);
and when a `CalledProcessError` handler tests the command's standard output (`e.output`, `e.stdout`) for the
expected case, it says that the errors are on standard error (and that a test returning when the expected text is
missing is inverted); for a polling loop beside the work (the next step reports the work's own error), it says
the loop stops with no trace and, around a blocking `time.sleep()`, that the broad catch also swallows a task's time
limit; for a step every caller runs after its main write, a log line with the traceback and the ids, and carry on. An empty result object (``ListResponse(items=[], total=0)``) returned after the failure is a
constant answer.

It stays quiet when the handler does something with the error: it raises or
translates it, exits, answers an error response, returns a computed fallback,
records or counts the failure, dead-letters the message, retries the task; when
`main()` or a command answers a non-zero exit status; and for the shapes named in
`engine/swallow.py`'s exemptions: the handler of a retry loop that retries (SAD204
judges the retry); a `None` (or a tuple with `None` in it) whose every caller tests it
(`if models is None: raise`, `stream, kind, meta = f()` then `if stream is None:`) or
hands it on unchanged beside one that does, the module's own callers or, when it has none,
those in the project's other modules (namespace packages included); a function
documented to answer `None` or an empty value on that
failure (a docstring, an `Optional` return, or the handler logs with the traceback
and returns what the normal path also returns); best-effort steps that log with the
traceback (cache writes and invalidation, metrics, cleanup, optional enrichment, a
function that says it is best effort); telemetry code; a placeholder the next
statement tests and fails on; a `try` that only cleans up (also through a worker
thread: `asyncio.to_thread(os.remove, path)`) or imports an optional module; the timeout of a wait the code bounded itself; `try`/`else` probes; a
`raise` right after the `try`; a default prepared before the `try`; a fallback a
resilience contract declares; a loop that tries the next alternative or polls
again; cleanup and dunder methods; a predicate answering `False`; an optional component
(a file watcher, a plugin, an optional integration) whose start fails with a warning
that gives the reason, the setup function ending there; a permission or validation
predicate that answers the stricter value (it fails closed), and a permission or veto
hook (`self.pre_delete(item)`) whose refusal skips the action in the `else:`; an
override that answers the empty value of its base class's default when every caller
in the package wraps the call in its own catch (the callers want that fallback); a
socket.io event handler, a task's done-callback, or a block under a debug switch that
only gathers data for a log line, when the handler logs the failure (at warning level
or above for an event handler: SAD104 judges what the line keeps); figures left out of a
collection every caller only shows (a summary table); an empty value the function already answers for a non-success reply (a status branch) or documents as silent; a
parse of a body whose status was checked, answering `None` to a caller that ignores it; a diagnostic read a docstring
says is made on failure (`read_stderr()`); a function or a `python -m`
helper whose docstring declares that it fails silently; a function nobody in the project names (no
entry point, route, hook, override or library API); a detail fetched only to word the report of a failure
already being reported (log tails for a failed job's message); one source of a fan-out whose callers combine
the answers, or a memoised derivation, logged with the traceback and answered empty; and a `try` whose only
calls are project functions that catch every error themselves (nothing reaches the
handler: the swallow to fix, if any, is in the callee), or calls that cannot raise (an
event's `set()`, an in-process queue's `get()`, a project helper that only reshapes
text or removes `in`-guarded keys, also a method reached through an attribute chain
when every project method of that name does only that, an e-mail's `attach()`); local computation, also through a project helper
that only walks its arguments (per-item statistics of a loop); a lookup whose only failure is "not there"
(`importlib.metadata.version()`; a bare `except:` there is SAD102's); one pump of a
two-way stream proxy ending when its peer leaves; a helper that answers a fallback
when the client's own request body does not parse; and a nested async generator
streaming a response whose `try` holds the `yield`; a function that lists the options of a picker
(`get_available_models()`), presets the list, returns it and logs the error at warning level or above; a narrow
integrity error of an insert race followed by a re-read of the same model or table; an in-process lookup that means
"not here" (`resolve()`, `apps.get_model()`) answered by returning; an optional discovery step whose one unguarded
failure is a directory listing, logged at warning level or above with the path and the error. Narrow expected
outcomes are not failures: `KeyError`, `StopIteration`, `FileNotFoundError`,
`ImportError`, `queue.Empty`, `DoesNotExist`, `NotFound`.

## Why is this bad?

A swallowed failure is worse than a crash. The caller receives `None` or a
sentinel instead of an error and carries on with missing or corrupt data; a
webhook that answers 200 after a failure is never redelivered; a consumer that
acknowledges a failed message loses it for good. Nobody can find out later why:
the exception, its type and its traceback are gone.

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
message that names the failed operation. Both keep the traceback in the log.

## Options

None.

## References

- [Python tutorial: handling exceptions](https://docs.python.org/3/tutorial/errors.html#handling-exceptions)
- [PEP 3134: exception chaining](https://peps.python.org/pep-3134/)
"""

from __future__ import annotations

import ast
import re

from sadpath.engine import call_index, fail_open, logcalls, named_failure, shapes
from sadpath.engine.builder_calls import bound_statements, builds_object, chained, column_expression, constructs, exception_class, factories, pure_in_thread, thread_target
from sadpath.engine.catching import CatchKind
from sadpath.engine.context import ModuleContext
from sadpath.engine.committed_writes import earlier_write
from sadpath.engine.documented_fallbacks import documented_outcome, optional_option_list, sibling_fallback
from sadpath.engine.domain import module_error_name
from sadpath.engine.process_output import stdout_test
from sadpath.engine.boundary import boundary_of
from sadpath.engine.callee_traps import abstract_callee, answers_its_own_failures
from sadpath.engine.exemption_comments import declared_non_fatal
from sadpath.engine.exemption_outcomes import builds_statement, enriched_container
from sadpath.engine.exemption_places import advice_here, lost_here, place_of
from sadpath.engine.guard_loops import GUARD_ADVICE, guard_loop
from sadpath.engine.handled_on_purpose import handled_on_purpose
from sadpath.engine.exemptions import EXEMPTIONS
from sadpath.engine.external import external_call
from sadpath.engine.hook_places import advice_in_hook, hook_of, keep_traceback, lost_in_hook
from sadpath.engine.swallow import Judgement, judge, unbound_after
from sadpath.engine.absent_answers import absent_answer
from sadpath.engine.report_fields import optional_report_field
from sadpath.engine.uncalled_functions import uncalled
from sadpath.engine.side_steps import after_committed_writes, carry_on_note, committed_step_advice, polling_story
from sadpath.engine.startup_steps import startup_story
from sadpath.engine.result_fields import field_story
from sadpath.engine.view_fall_off import fall_off_story, falls_off_a_django_view
from sadpath.engine.teardown_steps import cleanup_helper, in_finally, removes_files_only, run_in_background
from sadpath.engine.total_calls import cannot_fail, deprioritised, not_the_failure
from sadpath.engine.walker import body_nodes
from sadpath.model import Applicability, FixOffer
from sadpath.rules import _except
from sadpath.rules.base import Rule

__all__ = ["EXEMPTIONS", "SilentExcept"]


class SilentExcept(Rule):
    code = "SAD101"
    slug = "silent-except"
    summary = "A handler that swallows a failure: it passes, returns a sentinel, logs without the traceback, or answers success."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ("reraise", "translate")

    def visit_ExceptHandler(self, node: ast.ExceptHandler, ctx: ModuleContext) -> None:
        judgement = judge(node, ctx)
        if not judgement.swallows or _repeats_an_earlier_clause(node, ctx):
            return
        if judgement.site is not None and optional_option_list(judgement.site):
            return  # the options of a picker, short by one source, with the error in the log
        if judgement.site is not None and handled_on_purpose(judgement.site):
            return  # the caught error is the expected "someone else did it / not here" result, and the work completes
        if judgement.site is not None and absent_answer(judgement.site) is not None:
            return  # the empty value is the function's own "not available" (a status branch, its docstring)
        if judgement.site is not None and optional_report_field(judgement.site):
            return  # a diagnostic leaves one optional entry out of a report it shows anyway: intended
        if judgement.site is not None and _warned_after_a_write(node, judgement.site, ctx):
            return  # what the advice asks after a committed write: a warning with the traceback, and carry on
        domain = module_error_name(ctx)
        fixes = [
            FixOffer("reraise", "Re-raise the error after the existing handling", Applicability.UNSAFE),
            FixOffer("translate", f"Translate the error into {domain} (raise ... from exc)", Applicability.UNSAFE),
        ]
        data = {"verdict": judgement.verdict, "domain_error": domain, "considered": [name for name, _ in judgement.considered]}
        text, carry_on = advised(node, judgement, ctx)
        if text is None:
            return  # a fallback only callers would get, in a method nothing in the project calls
        named = _NAMED_CALL.search(text)
        if named is not None:
            data["failing_call"] = named.group(1)  # the fix's log line names the call the message names
        if carry_on:
            data["best_effort"] = True  # the fix logs with the traceback and carries on, as the message advises
            # one handling fits there, no translation beside it; the offer says what the fix writes (no re-raise)
            fixes = [FixOffer("reraise", "Log the failure with its traceback and carry on", Applicability.UNSAFE)]
        if text.endswith(GUARD_ADVICE):
            data["fail_closed"] = True  # a guard: the fix lets the error propagate, nothing carries on
            fixes = fixes[:1]
        if not carry_on and ctx.enclosing_function() is None:
            fixes = []  # at import time no fix writes a raise: it would stop the module from importing
        if "and re-raise the rest" in text or "falls off its end" in text:
            # the narrowing it asks for names an error only the project knows, and a view's own answer (a user
            # message and the form again) is the project's: no fix writes either, and a bare re-raise is a 500
            fixes = []
        ctx.report(self, ctx.line_span(node), text, fixes=fixes, data=data)


def _warned_after_a_write(handler: ast.ExceptHandler, site, ctx: ModuleContext) -> bool:
    """The handler logs at warning level or above with the traceback, and the route has already committed a write
    before the ``try`` (``earlier_write``): the handling the advice asks for there, not a swallow."""
    if not site.path.traced or not (site.after == "answers success" or site.verdict == "answers success"):
        return False
    logs = [log for n in ast.walk(handler) if (log := logcalls.as_log_call(n, ctx)) is not None and log.kind == "logger"]
    if not logs or any(log.level in ("debug", "info") for log in logs):
        return False
    return earlier_write(site) is not None


def _repeats_an_earlier_clause(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """``except A: <body>`` then ``except B: <the same body>`` on one ``try`` (message texts aside): one problem,
    one finding, on the first clause (the fix is the same edit to both)."""
    try_node = ctx.parents[-1] if ctx.parents else None
    handlers = getattr(try_node, "handlers", [])
    if handler not in handlers:
        return False
    body = _shape(handler)
    earlier = handlers[: handlers.index(handler)]
    return any(_shape(other) == body and judge(other, ctx).swallows for other in earlier)


def _shape(handler: ast.ExceptHandler) -> list[str]:
    """The handler's statements with their message texts blanked: two log lines that say different words about
    the same failure are the same handling."""
    shapes = []
    for stmt in handler.body:
        text = ast.dump(stmt)
        for node in ast.walk(stmt):
            if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                text = text.replace(ast.dump(node), "<text>")
        shapes.append(text)
    return shapes


_NAMED_CALL = re.compile(r"swallows the failure of `([^`]+)`")


def advised(handler: ast.ExceptHandler, judgement: Judgement, ctx: ModuleContext) -> tuple[str | None, bool]:
    """The finding's message (None when nobody could get the fallback), and whether its advice is to keep the
    traceback and carry on (a best-effort step, an event handler, one item of a loop): the fix then does that
    rather than re-raise."""
    site = judgement.site
    assert site is not None
    what, first = "every error of the `try` block", None
    if site.try_node is not None:
        # not a call whose project callee answers its own failures: it cannot be the one that failed
        first = _failing_call(site.try_node, ctx) or _except.failing_call_in(
            site.try_node.body, ctx, skip=lambda c: logcalls.as_log_call(c, ctx) is not None or constructs(c) or builds_statement(c, ctx) or pure_in_thread(c, ctx) or answers_its_own_failures(c, ctx)
        )
        if first is not None and (cannot_fail(first[0], ctx) or named_failure.on_local_container(first[0], site.func)) and not named_failure.query_terminal(first[0]):
            first = None  # ``history.append()`` cannot be what failed
        if first is not None:
            what = f"the failure of `{_in_thread(first[0], ctx) or first[1]}`"
    untraced = site.path.untraced_log
    if site.verdict.startswith("log:") and untraced is not None:
        name = "print" if untraced.kind == "print" else f"{untraced.receiver}.{untraced.method}"
        action = f"only logs it with `{name}` and no traceback"
    elif site.verdict in ("answers success", "acknowledges") or site.path.traced:
        action = "logs it"
    elif site.verdict == "continue":
        action = "only continues the loop"
    elif site.verdict == "break":
        action = "only leaves the loop"
    elif site.verdict == "assign":
        action = "only stores a placeholder value"
    elif site.verdict.startswith("return ") and untraced is not None and untraced.kind == "print":
        action = f"only prints it, with no traceback, and returns `{site.verdict[len('return '):]}`"
    elif site.verdict.startswith("return "):
        action = f"returns `{site.verdict[len('return '):]}`"
    elif site.verdict == "return":
        action = "returns early"
    else:
        action = "does nothing with it"
    if any(p.end == "raise" for p in [site.path]) or _raises_elsewhere(handler):
        action += " on every other path"
    if site.caught.kind is CatchKind.BARE:
        action += " (a bare `except:` also catches Ctrl-C and `SystemExit`)"
    unbound = unbound_after(site)
    if unbound is not None:
        return (
            f"{site.caught.label} swallows {what}: the handler {action} and leaves `{unbound}` unbound, so the next use of it"
            f" raises `UnboundLocalError` and the real error is lost. Assign the fallback in the handler, or drop the `try`."
        ), False
    if (test := stdout_test(site)) is not None:
        return _stdout_story(site, what, test), False
    advice = "Re-raise or translate it."
    consequence = judgement.consequence
    place = place_of(site)
    if judgement.consequence.startswith("the migration is recorded"):
        advice = "Narrow the catch to the error of the dialect that cannot run it, or re-raise."
    elif place is not None:
        consequence, advice = lost_here(place, site), advice_here(place)
    elif falls_off_a_django_view(site, ctx):
        consequence, advice = fall_off_story(site, ctx)
    elif (hook := hook_of(site)) is not None:
        consequence, advice = lost_in_hook(hook, site), advice_in_hook(hook, site)
    elif (teardown := _teardown_place(site, ctx)) is not None:
        what_failed, replaced = teardown
        trace = "with only the error's text in the log" if untraced is not None and site.verdict.startswith("log:") else "without a trace"
        consequence = f"a failure of {what_failed} goes {trace}"
        advice = f"It is best-effort cleanup: log it with the traceback (`logger.exception`) and carry on; re-raising {replaced}."
    elif (started := startup_story(site, ctx) or field_story(site) or fail_open.story(site)) is not None:
        consequence, advice = started
    elif (enriched := enriched_container(site)) is not None:
        where = f"`{site.func.name}()`" if site.func is not None else "the code"
        trace = "with only the error's text in the log" if untraced is not None and site.verdict.startswith("log:") else "and nobody can tell why"
        consequence = f"{where} goes on with `{enriched}` lacking what the `try` adds to it, {trace}"
        advice = (
            f"It is optional enrichment: log it with the traceback (`logger.exception`) and carry on without it;"
            f" re-raising would fail the whole of {where} for the missing extra."
        )
        if (lookup := _keyed_lookup(site.try_node)) is not None:
            advice = (
                f"It is optional enrichment by a lookup whose usual failure is the expected not-found: skip that case"
                f" quietly (catch the not-found error of `{lookup}`), log the other errors with the traceback"
                f" (`logger.exception`) and carry on without the extra; re-raising would fail the whole of {where}"
                f" for the missing extra, and a traceback for every missing record would flood the log."
            )
    elif removes_files_only(site.try_node) and boundary_of(ctx) is None:  # in a route the removal is the work asked for
        where = f"`{site.func.name}()`" if site.func is not None else "the module's import (and the start-up with it)"
        advice = (
            "It is best-effort cleanup of files: log it with the traceback (`logger.exception`) and carry on;"
            f" re-raising would stop {where} over a file that could not be removed."
        )
    elif (polled := polling_story(site)) is not None:
        consequence, advice = polled
    elif (write := after_committed_writes(site)) is not None:
        advice = committed_step_advice(site, write)
    elif declared_non_fatal(handler, ctx):
        advice = "It is meant to be non-fatal: keep the traceback (`logger.exception`) and carry on."
    elif guard_loop(site):
        advice = GUARD_ADVICE
    elif _one_item_of_a_loop(site, ctx):
        advice = "It handles one item of a loop: keep the traceback (`logger.exception`) and carry on with the next one."
    elif _step_of_a_command(site, ctx):
        advice = "It is one step of a command that goes on with the next: keep the traceback (`logger.exception`), carry on with the next step, and make the command exit non-zero at the end when a step failed."
    elif site.func is not None and (_BACKGROUND.search(site.func.name) or run_in_background(site.func.name, ctx)):
        advice = "It is a background step: keep the traceback (`logger.exception`) and carry on."
    if advice == "Re-raise or translate it.":
        consequence, advice = _contract_story(site, first[0] if first is not None else None, consequence, ctx)
    if advice == "Re-raise or translate it." and consequence.startswith("callers of ") and uncalled(site):
        return None, False  # the harm is what callers get, and nothing in the project calls it: no one to tell
    carry_on = "carry on" in advice
    if carry_on and (note := carry_on_note(site, advice)) is not None:
        advice += note  # a parse of malformed text, or the case the handler says it expects: split from the rest
    return f"{site.caught.label} swallows {what}: the handler {action}, so {consequence}. {advice}", carry_on


def _teardown_place(site, ctx: ModuleContext) -> tuple[str, str] | None:
    """What failed and what a re-raise would replace, for cleanup on a teardown path: in the ``finally`` of the
    function, or in a cleanup helper that only teardown paths call."""
    if site.func is None:
        return None
    if site.path.end in ("fall", "continue") and in_finally(ctx):
        return f"this cleanup in the `finally` of `{site.func.name}()`", "from a `finally` would replace the function's own result or error"
    if not site.verdict.startswith("return ") and cleanup_helper(site.func, ctx):
        return (
            f"`{site.func.name}()`, which only teardown paths call (a `finally`, an error path),",
            "would replace the result or the error of the work it cleans up after",
        )
    return None


def _contract_story(site, failed: ast.Call | None, consequence: str, ctx: ModuleContext) -> tuple[str, str]:
    """The consequence and advice where the function's own contract makes a plain re-raise wrong: an earlier write
    of the route is already committed (a re-raise gives an error the client cannot retry), or the function
    documents this fallback for one expected outcome (narrow the catch to it, re-raise the rest)."""
    where = f"`{site.func.name}()`" if site.func is not None else "the module"
    if site.after == "answers success" or site.verdict == "answers success":
        write = earlier_write(site)
        label = _except.call_label(write, ctx) if write is not None else None
        if label is not None:
            return (
                f"{where} still answers success with this step undone, after `{label}` (line {write.lineno}) has already"
                " committed its change",
                "A re-raise would answer an error to a request the client cannot simply retry, since that write is"
                f" done: {keep_traceback(site)}, or do this step before that write.",
            )
    call = f" of `{_except.call_label(failed, ctx)}`" if failed is not None and _except.call_label(failed, ctx) else ""
    tail = ""
    if call and abstract_callee(failed, ctx):  # each implementation raises its own: no one error to name yet
        call, tail = "", f" `{_except.call_label(failed, ctx)}` is abstract: have each implementation translate its own not-found error into one that the catch can name."
    value = f"`{site.verdict[len('return '):]}`" if site.verdict.startswith("return ") else "the fallback"
    if (outcome := documented_outcome(site)) is not None:
        return (
            f"callers of {where} get {value} for every error, an outage as well as the documented case ({outcome}),"
            " and cannot tell them apart",
            f"The docstring makes {value} the answer for that expected case only: narrow the catch to it (the"
            f" not-found error{call}) and re-raise the rest.{tail}",
        )
    if (sibling := sibling_fallback(site)) is not None:
        return (
            consequence,
            f"Another handler of {where} (line {sibling.lineno}) falls back to defaults on purpose, but"
            f" {site.caught.label} here also hides an outage: narrow the catch to the outcome a fallback is for (the"
            f" not-found error{call}) and re-raise the rest.{tail}",
        )
    return consequence, "Re-raise or translate it."


def _stdout_story(site, what: str, test) -> str:
    """A ``CalledProcessError`` handler that reads the command's standard output for the expected case."""
    where = f"`{site.func.name}()`" if site.func is not None else "the module"
    needle = test.needle.replace("`", "'")
    if test.inverted:
        how = f"returns early when `\"{needle}\"` is not in `{test.stream}`: the test is inverted, and"
    else:
        how = f"returns early when `{test.stream}` holds `\"{needle}\"`, but"
    return (
        f"{site.caught.label} swallows {what}: the handler {how} `{test.stream}` is the command's standard output,"
        f" while a command writes its errors to standard error (`{test.stream.split('.')[0]}.stderr`), so every real"
        f" failure, a missing permission included, is swallowed and {where} carries on as if it had succeeded. Return"
        f" only when the expected text is in `{test.stream.split('.')[0]}.stderr`"
        f" (`if \"{needle}\" in {test.stream.split('.')[0]}.stderr...: return`) and re-raise the rest."
    )


_LOOKUP = re.compile(r"^(?:get|fetch|find|lookup|load|read|retrieve|describe)_?", re.IGNORECASE)


def _keyed_lookup(try_node: ast.Try | None) -> str | None:
    """The ``try``'s first call looks a record up by a key (``client.get_logged_model(meta["model_id"])``): its
    usual failure is "there is no such record"."""
    if try_node is None:
        return None
    for node in body_nodes(try_node.body):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if _LOOKUP.match(node.func.attr) and len(node.args) == 1 and isinstance(node.args[0], (ast.Name, ast.Subscript, ast.Attribute)):
                return f"{node.func.attr}()"
            return None
    return None


_BACKGROUND = re.compile(r"background|_worker$|^worker", re.IGNORECASE)


def _failing_call(try_node: ast.Try, ctx: ModuleContext) -> tuple[ast.Call, str] | None:
    """The call to name as the one that failed: an external call, else one that can fail, in the ``try``'s own
    statements before a ``with`` item (``session.execute()``, not the ``get_db()`` that opened the session), and
    never a call that cannot raise (an event's ``set()``, a queue's ``get()``, a project helper that only reshapes
    text), a constructor (``Client().fetch()`` names ``fetch``), a flag lookup, or a function that answers its own
    failures. A ``with`` item on a client (``session.get(url)``) is the call, not a context helper. The work comes
    before what only gates it (a call in an ``if`` test) and before a parse of text it holds; a query builder's
    chain names its terminal (``.count()``); a constructor only when nothing else can fail
    (``engine.named_failure``)."""
    items = {id(n) for node in ast.walk(try_node) if isinstance(node, (ast.With, ast.AsyncWith)) for i in node.items for n in ast.walk(i.context_expr)}
    calls, built = [], []
    handed_over = factories(try_node)
    run_later = bound_statements(try_node)
    statement_parts = {
        id(n) for c in body_nodes(try_node.body) if isinstance(c, ast.Call) and builds_statement(c, ctx) for n in ast.walk(c)
    }
    for stmt in try_node.body:
        for node in sorted((n for n in ast.walk(stmt) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset)):
            terminal = named_failure.query_terminal(node)
            if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call) and not builds_object(node.func.value) and not terminal:
                continue  # name a chain's root, unless the root only builds the object or the query
            if column_expression(node):
                continue  # ``File.updated_at.desc()`` builds part of a statement: ``execute()`` runs it
            if id(node) in run_later or (named_failure.query_builder(node) and chained(node, try_node)):
                continue  # ``.filter()`` runs nothing: the chain's ``.count()`` (or ``execute(stmt)``) runs the query
            if builds_statement(node, ctx) or id(node) in statement_parts:
                continue  # ``select(File).order_by(File.created_at.desc())`` builds a statement: ``execute()`` runs it
            if id(node) in handed_over:
                built.append(node)  # ``session = await get_session()``: the calls on the session do the work
                continue
            if builds_object(node) and not exception_class(node) and node.args and not chained(node, try_node):
                built.append(node)  # ``SentenceTransformer(path)``: named only when nothing else can fail
                continue
            if builds_object(node) or constructs(node) or answers_its_own_failures(node, ctx) or pure_in_thread(node, ctx):
                continue
            if (not terminal and not_the_failure(node, ctx)) or named_failure.on_local_container(node, ctx.enclosing_function()):
                continue
            if named_failure.handles_its_own_errors(node, ctx):
                continue
            calls.append(node)
    gate = lambda c: named_failure.gating(c, try_node)  # noqa: E731
    tiers = (
        lambda c: not deprioritised(c) and not gate(c) and external_call(c, ctx) is not None,
        lambda c: (id(c) not in items or shapes.through_client(c)) and not deprioritised(c) and not gate(c) and not named_failure.parses(c),
        lambda c: not deprioritised(c) and external_call(c, ctx) is not None,
        lambda c: (id(c) not in items or shapes.through_client(c)) and not deprioritised(c) and not named_failure.parses(c),
        lambda c: True,
    )
    for wanted in tiers:
        for call in calls:
            if wanted(call) and (name := _in_thread(call, ctx) or _except.call_label(call, ctx)):
                return call, name
    for call in built:
        if name := _except.call_label(call, ctx):
            return call, name
    return None


_CLI_MODULES = ("click", "typer", "argparse")
_EVENTS = re.compile(r"event|message|subscri|consumer|stream|queue|listen", re.IGNORECASE)


def _step_of_a_command(site, ctx: ModuleContext) -> bool:
    """A command-line module (``click``, ``typer``, ``argparse``) whose loop calls this function once per item:
    the command deliberately carries on with the next one."""
    if site.func is None or site.path.end not in ("fall", "return") or site.verdict in ("answers success", "acknowledges"):
        return False
    last = site.handler.body[-1] if site.handler.body else None
    if isinstance(last, ast.Return) and not (last.value is None or (isinstance(last.value, ast.Constant) and last.value.value is None)):
        return False  # ``return 0.0``: the caller goes on with a made-up value, not past a skipped step
    imports = {
        (alias.name if isinstance(stmt, ast.Import) else stmt.module or "").split(".")[0]
        for stmt in ast.walk(ctx.tree) if isinstance(stmt, (ast.Import, ast.ImportFrom)) for alias in stmt.names
    }
    if not imports & set(_CLI_MODULES):
        return False
    return any(
        any(isinstance(p, (ast.For, ast.AsyncFor)) for p in parents) for _, parents in call_index.calls_named(ctx, site.func.name)
    )


def _one_item_of_a_loop(site, ctx: ModuleContext) -> bool:
    """The ``try`` is a statement of a loop's body and the handler falls through to the next item: a consumer or a
    batch that deliberately goes on (re-raising would end the loop every other item depends on)."""
    loop = ctx.parents[-2] if len(ctx.parents) >= 2 else None
    if not isinstance(loop, (ast.For, ast.AsyncFor, ast.While)) or site.try_node not in loop.body:
        return False
    if site.path.end not in ("fall", "continue") or site.verdict in ("answers success", "acknowledges"):
        return False
    if isinstance(loop, ast.While):
        return isinstance(loop.test, ast.Constant) and bool(loop.test.value)  # ``while True``: a serving loop
    if site.verdict == "continue" and not (isinstance(loop.iter, ast.Call) and ast.unparse(loop.iter.func) == "range"):
        return True  # ``except ...: continue`` over items, not attempts: it skips the item on purpose
    return isinstance(loop, ast.AsyncFor) or bool(_EVENTS.search(ast.unparse(loop.iter)))


def _in_thread(call: ast.Call, ctx: ModuleContext) -> str | None:
    """The function a thread runs is the call that fails, not ``asyncio.to_thread()``."""
    target = thread_target(call)
    return _except.call_label(target, ctx) if target is not None else None


def _raises_elsewhere(handler: ast.ExceptHandler) -> bool:
    return any(isinstance(node, ast.Raise) for node in _except.walk_handler(handler, skip_handlers=True))
