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
re-raising; for cleanup in a `finally` block it gives the best-effort advice (log with the
traceback and carry on: re-raising there would replace the function's own result); when
a loop's `continue` skips the check that raises right after the `try`, it says the guard
fails open; in a socket.io event handler, a task's done-callback or a block
that only gathers diagnostics, it says what is lost there (the client's event, the
task's failure, the diagnostics) and advises a log line with the traceback; when the handler leaves a name the next line reads unbound (not one declared
`global` or `nonlocal`), it says that the real error is replaced by an
`UnboundLocalError`; in a migration's
`upgrade()`, it says the revision is recorded as applied although the step failed; when the handler falls off
the end of a Django view (or of a function a view answers with), it says Django answers a 500 ("didn't return
an HttpResponse object") and advises what the nearest handler above does (a user message and the re-rendered
page); for optional enrichment by a keyed lookup it advises skipping the expected not-found quietly and logging
the other errors; for an optional step of an interactive command, a console warning and a debug traceback. An
empty result object (``ListResponse(items=[], total=0)``) returned after the failure is a constant answer.

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
collection every caller only shows (a summary table); a function or a `python -m`
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
streaming a response whose `try` holds the `yield`. Narrow expected
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

from sadpath.engine import call_index, logcalls, named_failure, shapes
from sadpath.engine.catching import CatchKind
from sadpath.engine.context import ModuleContext
from sadpath.engine.domain import module_error_name
from sadpath.engine.callee_traps import answers_its_own_failures
from sadpath.engine.exemption_comments import declared_non_fatal
from sadpath.engine.exemption_outcomes import builds_statement, enriched_container
from sadpath.engine.exemption_places import advice_here, lost_here, place_of
from sadpath.engine.exemptions import EXEMPTIONS
from sadpath.engine.external import external_call
from sadpath.engine.hook_places import advice_in_hook, hook_of, lost_in_hook
from sadpath.engine.swallow import Judgement, judge, unbound_after
from sadpath.engine.view_fall_off import fall_off_story, falls_off_a_django_view
from sadpath.engine.teardown_steps import in_finally, run_in_background
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
        domain = module_error_name(ctx)
        fixes = [
            FixOffer("reraise", "Re-raise the error after the existing handling", Applicability.UNSAFE),
            FixOffer("translate", f"Translate the error into {domain} (raise ... from exc)", Applicability.UNSAFE),
        ]
        data = {"verdict": judgement.verdict, "domain_error": domain, "considered": [name for name, _ in judgement.considered]}
        text, carry_on = advised(node, judgement, ctx)
        if carry_on:
            data["best_effort"] = True  # the fix logs with the traceback and carries on, as the message advises
            fixes = fixes[:1]  # one handling fits there: no translation to offer beside it
        ctx.report(self, ctx.line_span(node), text, fixes=fixes, data=data)


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


def message(handler: ast.ExceptHandler, judgement: Judgement, ctx: ModuleContext) -> str:
    return advised(handler, judgement, ctx)[0]


def advised(handler: ast.ExceptHandler, judgement: Judgement, ctx: ModuleContext) -> tuple[str, bool]:
    """The finding's message, and whether its advice is to keep the traceback and carry on (a best-effort step,
    an event handler, one item of a loop): the fix then does that rather than re-raise."""
    site = judgement.site
    assert site is not None
    what = "every error of the `try` block"
    if site.try_node is not None:
        # not a call whose project callee answers its own failures: it cannot be the one that failed
        first = _failing_call(site.try_node, ctx) or _except.failing_call_in(
            site.try_node.body, ctx, skip=lambda c: logcalls.as_log_call(c, ctx) is not None or _constructs(c) or builds_statement(c, ctx) or _pure_in_thread(c, ctx) or answers_its_own_failures(c, ctx)
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
        consequence, advice = lost_in_hook(hook, site), advice_in_hook(hook)
    elif site.func is not None and site.path.end in ("fall", "continue") and in_finally(ctx):
        where = f"`{site.func.name}()`"
        trace = "with only the error's text in the log" if untraced is not None and site.verdict.startswith("log:") else "without a trace"
        consequence = f"a failure of this cleanup in the `finally` of {where} goes {trace}"
        advice = (
            "It is best-effort cleanup: log it with the traceback (`logger.exception`) and carry on; re-raising from a"
            " `finally` would replace the function's own result or error."
        )
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
    elif declared_non_fatal(handler, ctx):
        advice = "It is meant to be non-fatal: keep the traceback (`logger.exception`) and carry on."
    elif _one_item_of_a_loop(site, ctx):
        advice = "It handles one item of a loop: keep the traceback (`logger.exception`) and carry on with the next one."
    elif _step_of_a_command(site, ctx):
        advice = (
            "It is one step of a command that goes on with the next: keep the traceback (`logger.exception`), carry on"
            " with the next step, and make the command exit non-zero at the end when a step failed."
        )
    elif site.func is not None and (_BACKGROUND.search(site.func.name) or run_in_background(site.func.name, ctx)):
        advice = "It is a background step: keep the traceback (`logger.exception`) and carry on."
    carry_on = "carry on" in advice
    return f"{site.caught.label} swallows {what}: the handler {action}, so {consequence}. {advice}", carry_on


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
    factories = _factories(try_node)
    run_later = _bound_statements(try_node)
    statement_parts = {
        id(n) for c in body_nodes(try_node.body) if isinstance(c, ast.Call) and builds_statement(c, ctx) for n in ast.walk(c)
    }
    for stmt in try_node.body:
        for node in sorted((n for n in ast.walk(stmt) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset)):
            terminal = named_failure.query_terminal(node)
            if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call) and not _except_builds(node.func.value) and not terminal:
                continue  # name a chain's root, unless the root only builds the object or the query
            if _column_expression(node):
                continue  # ``File.updated_at.desc()`` builds part of a statement: ``execute()`` runs it
            if id(node) in run_later or (named_failure.query_builder(node) and _chained(node, try_node)):
                continue  # ``.filter()`` runs nothing: the chain's ``.count()`` (or ``execute(stmt)``) runs the query
            if builds_statement(node, ctx) or id(node) in statement_parts:
                continue  # ``select(File).order_by(File.created_at.desc())`` builds a statement: ``execute()`` runs it
            if id(node) in factories:
                built.append(node)  # ``session = await get_session()``: the calls on the session do the work
                continue
            if _except_builds(node) and not _exception_class(node) and node.args and not _chained(node, try_node):
                built.append(node)  # ``SentenceTransformer(path)``: named only when nothing else can fail
                continue
            if _except_builds(node) or _constructs(node) or answers_its_own_failures(node, ctx) or _pure_in_thread(node, ctx):
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


def _factories(try_node: ast.Try) -> set[int]:
    """Calls whose answer the ``try`` binds to a name and then calls methods on (``session = await get_session()``
    then ``session.get(url)``, ``client = self.get_client()`` then ``client.get_bucket(name)``): they hand over the
    object that does the work, and the work is what fails."""
    nodes = list(body_nodes(try_node.body))
    receivers = {
        n.func.value.id for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
    }
    found: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and node.targets[0].id in receivers:
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(value, ast.Call) and not value.args and not value.keywords:
                found.add(id(value))
    return found


_COLUMN_OPERATORS = frozenset(
    {"desc", "asc", "is_", "isnot", "is_not", "in_", "notin_", "not_in", "ilike", "like", "notilike", "notlike",
     "contains", "startswith", "endswith", "as_string", "as_integer", "as_boolean", "as_float", "astext", "label",
     "between", "nullsfirst", "nullslast", "nulls_first", "nulls_last", "any", "has", "distinct", "op", "match"}
)  # fmt: skip


def _column_expression(call: ast.Call) -> bool:
    """``File.updated_at.desc()``, ``Knowledge.meta["source"].as_string()``: an SQL expression built on a model
    class's column, which runs nothing."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in _COLUMN_OPERATORS:
        return False
    root, depth = func.value, 0
    while isinstance(root, (ast.Attribute, ast.Subscript)):
        root, depth = root.value, depth + 1
    return depth >= 1 and isinstance(root, ast.Name) and root.id[:1].isupper()


def _bound_statements(try_node: ast.Try) -> set[int]:
    """Query builders bound to a name that a later call of the ``try`` is handed (``stmt = stmt.filter(...)``
    then ``db.execute(stmt)``): the call that is handed the statement runs it, the builder runs nothing."""
    nodes = list(body_nodes(try_node.body))
    handed = {a.id for n in nodes if isinstance(n, ast.Call) for a in n.args if isinstance(a, ast.Name)}
    return {
        id(part)
        for n in nodes
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and named_failure.query_builder(n.value)
        and any(isinstance(t, ast.Name) and t.id in handed for t in n.targets)
        for part in ast.walk(n.value)
    }


def _chained(call: ast.Call, try_node: ast.Try) -> bool:
    """The call is the receiver of another call (``Client().fetch()``, ``qs.filter().count()``)."""
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.value is call for n in ast.walk(ast.Module(body=try_node.body, type_ignores=[]))
    )


def _exception_class(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name.endswith(("Error", "Exception", "Response", "Model", "Form", "Schema", "Result", "Request"))


def _except_builds(call: ast.Call) -> bool:
    """``Client()``, ``self.Factory()``: a class called to build an object."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name[:1].isupper()


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
    return isinstance(loop, ast.AsyncFor) or bool(_EVENTS.search(ast.unparse(loop.iter)))


def _constructs(call: ast.Call) -> bool:
    """``handler_class()``, ``factory()``: a class or factory handed in, called to build an object."""
    return isinstance(call.func, ast.Name) and bool(re.search(r"(?:_class|_cls|^cls|_type|_factory|^factory)$", call.func.id))


def _thread_target(call: ast.Call) -> ast.Call | None:
    """``asyncio.to_thread(os.listdir, path)``, ``loop.run_in_executor(None, fn)``: the call run in the thread."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    args = call.args[1:] if name == "run_in_executor" else call.args
    if name not in ("to_thread", "run_in_executor", "run_sync") or not args or not isinstance(args[0], (ast.Name, ast.Attribute)):
        return None
    return ast.Call(func=args[0], args=[], keywords=[])


def _pure_in_thread(call: ast.Call, ctx: ModuleContext) -> bool:
    """``asyncio.to_thread(os.path.exists, folder)``: a check that cannot fail, run in a thread."""
    target = _thread_target(call)
    return target is not None and not shapes.can_fail(target, ctx)


def _in_thread(call: ast.Call, ctx: ModuleContext) -> str | None:
    """The function a thread runs is the call that fails, not ``asyncio.to_thread()``."""
    target = _thread_target(call)
    return _except.call_label(target, ctx) if target is not None else None


def _raises_elsewhere(handler: ast.ExceptHandler) -> bool:
    return any(isinstance(node, ast.Raise) for node in _except.walk_handler(handler, skip_handlers=True))
