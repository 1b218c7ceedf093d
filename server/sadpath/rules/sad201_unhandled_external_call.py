"""# SAD201 unhandled-external-call

## What it does

Flags a call to an external interface (an HTTP API, a database, a cache, a
queue, a cloud SDK, a subprocess) whose failure modes reach a boundary
unhandled: a Flask or FastAPI route, a Django view or DRF viewset, a Celery
task, a Kafka/pika consumer callback, a `threading.Thread` target, `main()` or
the `if __name__ == "__main__":` block, and the long-running loop of a worker or
poller (`while True:`, `while not stop.is_set():`) that handles some failures of
a pass and goes on: what slips past that handling stops the worker. What such a
function does before its loop fails the start-up, like `main()`'s. The call may sit in the boundary itself
or in a project function the boundary calls (in the same file or, followed with
jedi, in another file of the project). When every boundary that reaches the
call leaves it unhandled, the one finding is on the external call, with the
boundaries' calls as related locations (up to 5): the fix there serves every
caller. When some reach it handled and others not, each unguarded boundary
function gets one finding on its call, pointing at the external call. A task the
scheduler dispatches again (`@periodic_task`, a beat schedule, a periodic
signal's receiver) lets its next run be the retry, and a local program run
with `subprocess` (anything but a network command such as `git fetch` or
`docker push`) is no remote service.

A mode is handled by an enclosing `try` that catches its exception type or a
base of it (`except requests.RequestException` covers `requests.Timeout`), by a
handler registered with the framework (`@app.errorhandler(...)`,
`app.add_exception_handler(...)`, `@app.exception_handler(...)`), or for a
Celery task by `autoretry_for`. For HTTP clients the modes are the ones the call
itself raises, timeout and connection failure; status errors need an explicit
`raise_for_status()` and are SAD203's business.

It stays quiet when some of the call's failures are handled deliberately (an
`except` for one of them, an `except` of one of the project's own errors around
the helper that reaches it, a `backoff`/`tenacity` retry decorator, a loop that
answers the statuses it expects): the rest is a contract's business (SAD301).
A helper's call guarded by a parameter that defaults to a falsy value (`if
files:`, `for f in files:`) is followed only from callers that pass it.
For databases only the not-found of a single-object lookup is reported
(`.objects.get()`, `.one()`, `.scalar_one()`), and only when its key derives
from client input: a route's URL parameters, the request's data, a view's URL
kwargs, a serializer's `validated_data`, a consumer's message, what was read or
parsed from outside; through helpers, by the arguments each caller passes. A key
the code already holds cannot miss: the authenticated user, a row it loaded or
created (its `.pk`, its `<fk>_id`), a form's `cleaned_data`, a task's argument
(what the project's dispatcher passed; unless another caller of the same lookup
handles its not-found). Connection, lock and integrity
failures become the framework's 500 or a failed task, and SQLAlchemy's
`session.get()` answers None. A `main()` or script with no `except` at all lets
its traceback and exit status be the report, and `sys.exit(main())` is never a
second report of what `main()` lets through. Handlers registered on the app
count, `Starlette(exception_handlers={...})` included, and so do the usual
spellings of a handler (`ftplib.all_errors`, starred and module-level tuples).

## Why is this bad?

An external call fails in production as surely as it succeeds in tests: the
service times out, refuses the connection, throttles. Unhandled at the boundary,
that becomes a 500 with a stack trace for the user, a task that dies without a
retry, a consumer that stops; and callers cannot tell "the payment gateway is
down" from a bug.

## Example

```python
import requests
from flask import Flask

app = Flask(__name__)


@app.post("/orders")
def create_order():
    resp = requests.post("https://payments.example/charge", json={"amount": 10}, timeout=5)
    return {"charge": resp.json()["id"]}
```

## Use instead

```python
import requests
from flask import Flask

app = Flask(__name__)


class PaymentGatewayError(Exception):
    status = 502


@app.post("/orders")
def create_order():
    try:
        resp = requests.post("https://payments.example/charge", json={"amount": 10}, timeout=5)
    except requests.RequestException as exc:
        raise PaymentGatewayError("charge failed") from exc
    return {"charge": resp.json()["id"]}
```

## Fix safety

Unsafe, because callers see different exceptions. *Typed exception translation*
wraps the statement in `try`/`except` over the interface's failure types, most
specific first, one branch per failure mode, each logging the service and the
operation and raising a module-level domain error `from` the original
(`PaymentGatewayTimeout(PaymentGatewayError)` with `status = 503`); the classes
are defined once per module, or reused. When every escaping failure is worth
retrying (timeouts, connection errors), *Retry with exponential backoff (3
attempts)* retries just those with jitter and re-raises the last error: with
tenacity's `for attempt in Retrying(...)` when the project depends on tenacity,
otherwise with a small loop (the async forms in async code). An enclosing
tenacity `Retrying(retry=retry_if_exception_type(...))` block counts as handling
the failures it retries.

## Options

- `[tool.sadpath.interfaces.<name>]`: teach sadpath your own clients and their failure modes.

## References

- [Flask: handling application errors](https://flask.palletsprojects.com/en/stable/errorhandling/)
- [Celery: automatic retry for known exceptions](https://docs.celeryq.dev/en/stable/userguide/tasks.html#automatic-retry-for-known-exceptions)
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.catching import is_expected_outcome
from sadpath.engine.handling import caught_by, catches, enclosing_try_handlers, registered_handlers
from sadpath.model import Applicability, FixOffer, Related, Span
from sadpath.engine.call_index import calls_named
from sadpath.engine.boundary import boundary_of, function_boundary, may_hold_boundary, periodic_tasks
from sadpath.engine.cross_module_callers import callers_elsewhere
from sadpath.engine.domain import domain_base
from sadpath.engine.key_origin import EXTERNAL, key_origin
from sadpath.engine.redis_state import own_state_at, own_state_call
from sadpath.engine.worker_loops import group_member_boundary, in_item_loop, worker_boundary
from sadpath.engine.project_calls import ProjectCalls, catches_domain_error, param_names, remote_call, project_calls_of, runs_elsewhere, unhandled_modes
from sadpath.rules.base import Rule
from sadpath import knowledge



NONE_ANSWER = "an AttributeError on a missing row (it answers None, and the code reads an attribute of it)"
NONE_ADVICE = "Test its answer for None and answer the not-found (a 404 in a route) right after it."
ADVICE = "Translate these failures into a domain error here, or handle them."


def describe_modes(modes, call: str = "", interface: str = "") -> str:
    if list(modes) == ["not-found"] and call.endswith(".get") and interface == "SQLAlchemy":
        return NONE_ANSWER  # session.get() answers None; the not-found is the attribute read after it
    phrases = [knowledge.modes()[m].phrase if m in knowledge.modes() else m for m in modes]
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " or " + phrases[-1]


class UnhandledExternalCall(Rule):
    code = "SAD201"
    slug = "unhandled-external-call"
    summary = "An external call whose failures reach a route, task, consumer or `main` unhandled, directly or through project functions."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ('translate_external', 'retry_external')
    module_dependent = True  # follows calls into the module's other functions

    @classmethod
    def may_apply_to(cls, statement: ast.stmt, ctx: ModuleContext) -> bool:
        """Statements that can hold a boundary (decorated or entry-point functions, classes, __main__), and public
        top-level functions, which other modules' boundaries may call."""
        return may_hold_boundary(statement, ctx) or (
            isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and not statement.name.startswith("_")
        )

    def __init__(self) -> None:
        self._project: ProjectCalls | None = None

    def visit_Call(self, node: ast.Call, ctx: ModuleContext) -> None:
        boundary = boundary_of(ctx) or worker_boundary(ctx) or group_member_boundary(ctx)
        if boundary is None:
            self._helper_call(node, ctx)
            return
        if boundary.kind == "main" and not _handles_anything(ctx):
            return  # a script that handles none of its failures: its traceback and exit status are the report
        if boundary.kind == "task" and boundary.name in periodic_tasks(ctx):
            return  # the schedule dispatches it again on its next tick: the failed run's traceback is the report
        registered = tuple(name for name, _, _ in registered_handlers(ctx))
        handled_elsewhere = (*boundary.handled, *registered)
        external = external_call(node, ctx)
        if external is not None and not remote_call(external, node, ctx.enclosing_function()):
            return  # a local program: its failure is a bug or the host's, which no translation or retry cures
        if external is not None and external.interface.name == "redis" and boundary.kind in ANSWERING and own_state_call(node, ctx.tree):
            return  # the module's own state in Redis, like its database: a 500 is the honest answer when it is down
        if external is not None:
            missing = unhandled_modes(external, ctx.parents, ctx, handled_elsewhere)
            if not missing:
                return
            if external.interface.kind == "database" and not _key_can_miss(
                key_origin(node, ctx.enclosing_function(), ctx.parents), boundary
            ):
                return  # keyed by a row the code already holds, or by what the project's dispatcher passed
            modes = [m for m, _ in missing]
            mode_exceptions = {m: list(excs) for m, excs in missing}
            message = (
                f"`{_shown(node)}` ({external.interface.label}) in {boundary.describe()} can fail with "
                f"{describe_modes(modes, _shown(node)[:-2], external.interface.label)} that nothing handles: {boundary.consequence()}. "
                + (NONE_ADVICE if describe_modes(modes, _shown(node)[:-2], external.interface.label) == NONE_ANSWER else ADVICE)
            )
            self._report(ctx, node, message, mode_exceptions, external.interface.label, (), external.interface.retryable, boundary.kind)
            return
        if runs_elsewhere(node, ctx.parents):
            return  # handed to a task or an executor: SAD207 follows what happens to it
        if self._project is None:
            self._project = project_calls_of(ctx)
        target = self._project.resolve(node, ctx)
        if target is None:
            return
        if boundary.kind == "main" and boundary.name == "__main__" and function_boundary(target[1], None, target[0]) is not None:
            return  # ``sys.exit(main())``: what main() lets through is reported once, inside main()
        handlers = [caught_by(h, ctx) for h in enclosing_try_handlers(node, ctx.parents)]
        if catches_domain_error(handlers, ctx):
            return  # ``except OrderError: messages.error(...)``: the helper's failures are answered deliberately
        handlers.append(handled_elsewhere)
        escapes = []
        caller = ctx.enclosing_function()
        summary = {}
        for found in self._project.escapes(*target):
            if boundary.kind in ANSWERING and _own_redis_state(found, ctx):
                continue  # a helper's read of the module's own state in Redis: reported like a database's
            escape = self._project.bind(found, node, target[1], caller)
            if escape is None:
                continue  # this call cannot reach it, or the key it passes names a row that exists
            if escape.key_params is not None and not _key_can_miss({f"param:{p}" for p in escape.key_params}, boundary):
                if not _miss_expected_elsewhere(escape, target[1], ctx):
                    continue  # a task's argument from the project's own dispatcher, and no caller expects a miss
            still = escape.narrowed(lambda e: not any(catches(ctx.hierarchy, c, e) for c in handlers))
            if still:
                escapes.append((escape, still))
                summary[id(escape)] = found
        if not escapes:
            return
        # one finding per boundary function and external call, however many of its lines reach it
        seen = ctx.memo.setdefault(("sad201-boundary-escapes", id(caller)), set())
        escapes = [pair for pair in escapes if (pair[0].path, pair[0].line, pair[0].column) not in seen]
        seen.update((e.path, e.line, e.column) for e, _ in escapes)
        if not escapes:
            return
        # every path reaches it unhandled: reported once, at the external call, in the helper's own module
        escapes = [
            pair for pair in escapes
            if not (pair[0].path != ctx.source.path and self._left_by_every_caller(summary[id(pair[0])], *target))
        ]
        if not escapes:
            return
        here = [pair for pair in escapes if pair[0].path == ctx.source.path and _unhandled_on_every_path(pair[0], target[1], ctx)]
        for escape, still in here:
            self._report_at_the_call(escape, still, boundary, target[1], ctx, summary[id(escape)])
        escapes = [pair for pair in escapes if pair not in here]
        if not escapes:
            return
        first, _ = escapes[0]
        mode_exceptions: dict[str, list[str]] = {}
        for _, still in escapes:
            for mode, excs in still:
                mode_exceptions.setdefault(mode, [])
                mode_exceptions[mode].extend(e for e in excs if e not in mode_exceptions[mode])
        modes = list(mode_exceptions)
        where = "" if first.path == ctx.source.path else f" in {_short_path(first.path)}"
        first_modes = [mode for mode, _ in escapes[0][1]]
        others = len({(e.path, e.line) for e, _ in escapes}) - 1
        more = f" (and {others} more external call{'s' if others != 1 else ''})" if others > 0 else ""
        message = (
            f"`{_shown(node)}` in {boundary.describe()} lets {describe_modes(first_modes, first.call, first.interface)} from "
            f"`{first.call}()`{where} (line {first.line}){more} escape: {boundary.consequence()}. "
            f"Handle them around this call or inside `{target[1].name}()`."
        )
        related = tuple(
            Related(
                escape.path,
                Span(escape.line, escape.column, escape.end_line, escape.end_column),
                f"`{escape.call}()` ({escape.interface}) can fail with {describe_modes(escape.modes, escape.call, escape.interface)} here"
                + (f", reached through {' → '.join(f'`{v}()`' for v in escape.via)}" if escape.via else ""),
            )
            for escape, _ in escapes
        )
        self._report(ctx, node, message, mode_exceptions, first.interface, related, ())

    def _helper_call(self, node: ast.Call, ctx: ModuleContext) -> None:
        """An external call in a public top-level function that only other modules' boundaries call: when every
        one of them leaves its failures unhandled, one finding here, where the fix serves them all."""
        func = ctx.enclosing_function()
        if func is None or func.name.startswith("_") or not any(func is s for s in ctx.tree.body):
            return
        if external_call(node, ctx) is None:
            return
        if self._project is None:
            self._project = project_calls_of(ctx)
        span = ctx.span(node)
        escape = next((e for e in self._project.escapes(ctx, func) if (e.line, e.column) == (span.line, span.column)), None)
        if escape is None or escape.key_params is not None:
            return
        boundaries = self._boundary_callers(escape, ctx, func)
        if not boundaries or (all(b.kind in ANSWERING for _, _, b in boundaries) and _own_redis_state(escape, ctx)):
            return
        key = ("sad201-at-call", escape.line, escape.column)
        if key in ctx.memo:
            return
        ctx.memo[key] = True
        related = [
            Related(other.source.path, other.span(call), f"`{func.name}()` is called here, in {boundary.describe()}, with nothing handling its failures")
            for other, call, boundary in boundaries[:5]
        ]
        if len(boundaries) > 5:
            related[-1] = Related(related[-1].path, related[-1].span, related[-1].message + f" (and {len(boundaries) - 5} more calls)")
        first = boundaries[0][2]
        more = f" and {len(boundaries) - 1} more" if len(boundaries) > 1 else ""
        message = (
            f"`{escape.call}()` ({escape.interface}) in `{func.name}()` can fail with {describe_modes(escape.modes, escape.call, escape.interface)}, "
            f"and no caller handles that: {first.consequence()} in {first.describe()}{more}. "
            "Translate these failures into a domain error here, once for every caller, or handle them."
        )
        self._report(ctx, node, message, {m: list(e) for m, e in escape.mode_exceptions}, escape.interface, tuple(related), _retryable(node, ctx))

    def _left_by_every_caller(self, escape, helper_ctx: ModuleContext, helper) -> bool:
        """Whether ``_helper_call`` reports this escape in the helper's module (so a boundary's call of the helper
        does not report it again)."""
        if escape.via or escape.key_params is not None or not any(helper is s for s in helper_ctx.tree.body):
            return False
        if helper.name.startswith("_"):
            return False
        return bool(self._boundary_callers(escape, helper_ctx, helper))

    def _boundary_callers(self, escape, ctx: ModuleContext, helper) -> list:
        """The boundary calls of ``helper`` in the project's other modules, when no call of it anywhere handles
        the escape's failures (nor a handler the caller's app registers); empty otherwise."""
        callers = callers_elsewhere(helper.name, ctx)
        if not callers:
            return []
        exceptions = escape.exceptions
        sites = [(ctx, call, parents) for call, parents in calls_named(ctx, helper.name)] + list(callers)
        found = []
        for other, call, parents in sites:
            caller = _function_of(parents)
            if caller is None or self._project.bind(escape, call, helper, caller) is None:
                continue
            handlers = enclosing_try_handlers(call, parents)
            if any(_swallows(h, other) and any(catches(other.hierarchy, caught_by(h, other), exc) for exc in exceptions) for h in handlers):
                continue  # ``except Exception: pass``: swallowed there (SAD101's finding), handled nowhere
            caught = [caught_by(handler, other) for handler in handlers]
            if catches_domain_error(caught, other):
                return []  # ``except OrderError:`` around the call: that caller answers the helper's failures
            caught.append(tuple(name for name, _, _ in registered_handlers(other)))
            boundary = function_boundary(caller, _class_of(parents, caller), other)
            if boundary is not None:
                caught.append(tuple(boundary.handled))
            if any(catches(other.hierarchy, names, exc) for names in caught for exc in exceptions):
                return []
            if boundary is None:
                return []  # a caller that is no boundary may be handled further up: nothing is proven
            if other is not ctx and not (boundary.kind == "main" and not _has_except(caller, other)):
                found.append((other, call, boundary))
        found.sort(key=lambda f: (f[0].source.path, f[1].lineno, f[1].col_offset))
        return found

    def _report_at_the_call(self, escape, still, boundary, helper, ctx, found) -> None:
        """Every path to this external call leaves it unhandled: one finding at the call, where the fix belongs,
        with the calls that reach it as related locations (up to 5, then how many more)."""
        key = ("sad201-at-call", escape.line, escape.column)
        if key in ctx.memo:
            return
        ctx.memo[key] = True
        callers = [  # the calls that reach it: not those that leave its guard unset or pass a row they hold
            call for call, parents in calls_named(ctx, helper.name)
            if self._project.bind(found, call, helper, _function_of(parents)) is not None
        ]
        callers.sort(key=lambda c: (c.lineno, c.col_offset))
        related = [
            Related(ctx.source.path, ctx.span(call), f"`{helper.name}()` is called here, with nothing handling its failures")
            for call in callers[:5]
        ]
        if len(callers) > 5:
            related[-1] = Related(related[-1].path, related[-1].span, related[-1].message + f" (and {len(callers) - 5} more calls)")
        modes = [mode for mode, _ in still]
        via = f" in `{escape.via[-1]}()`" if escape.via else ""
        message = (
            f"`{escape.call}()` ({escape.interface}){via} can fail with {describe_modes(modes, escape.call, escape.interface)}, and no path that "
            f"reaches it handles that: {boundary.consequence()} in {boundary.describe()}. "
            "Translate these failures into a domain error here, once for every caller, or handle them."
        )
        span = Span(escape.line, escape.column, escape.end_line, escape.end_column)
        if span.end_line != span.line:
            span = Span(span.line, span.column, span.line, len(ctx.source.line(span.line)))
        ctx.report(self, span, message, fixes=[], data={"mode_exceptions": {m: list(e) for m, e in still}}, related=tuple(related))

    def _report(self, ctx, node, message, mode_exceptions, service_label, related, retryable, place: str = "") -> None:
        domain = domain_base(node, ctx)
        if place in ("worker", "group"):  # the catalog's worker loop: log with the traceback and go on, never raise out of it
            title = "Log the failure with its traceback and go on with the next item"
        else:
            title = f"Translate {service_label} errors into {domain}"
        fixes = [FixOffer("translate_external", title, Applicability.UNSAFE)]
        if place in ("worker", "group") and not in_item_loop(ctx):
            fixes = []  # skipping the rest of the pass would skip its wait too: no handling to write here
        if retryable and set(mode_exceptions) <= set(retryable) and place not in ("worker", "group"):
            # every escaping failure is worth retrying: a bounded backoff retry handles them all
            fixes.append(FixOffer("retry_external", "Retry with exponential backoff (3 attempts)", Applicability.UNSAFE))
        span = ctx.span(node)
        if span.end_line != span.line:
            span = Span(span.line, span.column, span.line, len(ctx.source.line(span.line)))
        ctx.report(
            self,
            span,
            message,
            fixes=fixes,
            data={
                "mode_exceptions": mode_exceptions,
                "service": service_label,
                "domain_error": domain,
                "retryable": list(retryable),
                "place": place,
            },
            related=related,
        )


def _unhandled_on_every_path(escape, helper, ctx: ModuleContext) -> bool:
    """No call of ``helper`` in this module sits in a ``try`` that catches one of the escaping failures (nor in a
    module that registers a handler for them): the helper's callers all leave it to the helper."""
    exceptions = [exc for _, excs in escape.mode_exceptions for exc in excs]
    registered = tuple(name for name, _, _ in registered_handlers(ctx))
    if any(catches(ctx.hierarchy, registered, exc) for exc in exceptions):
        return False
    sites = [(ctx, call, parents) for call, parents in calls_named(ctx, helper.name)]
    if any(helper is s for s in ctx.tree.body):
        sites += callers_elsewhere(helper.name, ctx) or []  # the other modules' callers count as well
    for other, call, parents in sites:
        # a swallowing handler (``except Exception: pass``) handles nothing: it does not move the anchor to the routes
        caught = [caught_by(handler, other) for handler in enclosing_try_handlers(call, parents) if not _swallows(handler, other)]
        if catches_domain_error(caught, other):
            return False  # ``except OrderError:``: that caller answers the helper's failures itself
        if any(catches(other.hierarchy, names, exc) for names in caught for exc in exceptions):
            return False
    return True


def _swallows(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The handler only passes, goes on to the next item or returns a constant: the failure vanishes there. A
    narrow expected outcome with a fallback (``except Order.DoesNotExist: return None``) is handling, not this."""
    if all(is_expected_outcome(name, ctx) for name in caught_by(handler, ctx)):
        return False
    def quiet(stmt: ast.stmt) -> bool:
        if isinstance(stmt, (ast.Pass, ast.Continue)):
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            return True  # ``...`` or a docstring-like note
        return isinstance(stmt, ast.Return) and (stmt.value is None or isinstance(stmt.value, ast.Constant))
    return all(quiet(stmt) for stmt in handler.body)


CLIENT_BOUNDARIES = frozenset({"route", "view", "consumer", "command", "worker", "group"})


def _key_can_miss(origins: set[str], boundary) -> bool:
    """A lookup's not-found is an expected outcome only when its key derives from client input: the request's
    data, or a parameter of a boundary whose arguments come from outside (a route's URL parameters, a consumer's
    message, a command's arguments). A task's or thread's arguments are what the project itself passed."""
    if EXTERNAL in origins:
        return True
    return bool(param_names(origins)) and boundary.kind in CLIENT_BOUNDARIES


# boundaries whose framework answers a failure itself: a request gets its 500, the traceback goes to the log
ANSWERING = frozenset({"route", "view"})


def _own_redis_state(escape, ctx: ModuleContext) -> bool:
    """A helper's Redis call that reads or upkeeps a structure its module maintains (engine/redis_state.py)."""
    return escape.interface == "redis" and own_state_at(escape.path, escape.line, escape.column, ctx.memo, (ctx.source.path, ctx.tree))


def _function_of(parents) -> ast.AST | None:
    return next((p for p in reversed(parents) if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))), None)


def _miss_expected_elsewhere(escape, helper, ctx: ModuleContext) -> bool:
    """Another call of ``helper`` in this module catches the lookup's not-found by name (``except
    NoResultFound:``): the project treats a missing row as an outcome of that lookup, whoever passes the key."""
    exceptions = [exc for _, excs in escape.mode_exceptions for exc in excs]
    for call, parents in calls_named(ctx, helper.name):
        for handler in enclosing_try_handlers(call, parents):
            named = tuple(n for n in caught_by(handler, ctx) if n and n not in ("Exception", "BaseException"))
            if any(catches(ctx.hierarchy, named, exc) for exc in exceptions):
                return True
    return False


SHUTDOWN_SIGNALS = frozenset({"KeyboardInterrupt", "SystemExit", "GeneratorExit", "asyncio.CancelledError", "CancelledError"})


def _handles_anything(ctx: ModuleContext) -> bool:
    """The ``main()`` (or the ``__main__`` block) the call is in has an ``except`` for a failure somewhere: it
    promises to turn failures into log lines and exit statuses, so a call that slips past it is a finding. A
    clean-shutdown handler (``except KeyboardInterrupt:``) handles no failure."""
    scope = ctx.enclosing_function()
    if scope is None:
        scope = next((p for p in reversed(ctx.parents) if isinstance(p, ast.If)), None)
    return scope is not None and _has_except(scope, ctx)


def _has_except(scope: ast.AST, ctx: ModuleContext | None = None) -> bool:
    for node in ast.walk(scope):
        if isinstance(node, ast.ExceptHandler):
            caught = caught_by(node, ctx) if ctx is not None else ()
            if not caught or not all(name.split(".")[-1] in SHUTDOWN_SIGNALS for name in caught):
                return True
    return False


def _class_of(parents, func) -> ast.ClassDef | None:
    index = next((i for i, p in enumerate(parents) if p is func), None)
    if index is not None and index > 0 and isinstance(parents[index - 1], ast.ClassDef):
        return parents[index - 1]
    return None


def _retryable(node: ast.Call, ctx: ModuleContext) -> tuple[str, ...]:
    external = external_call(node, ctx)
    return tuple(external.interface.retryable) if external is not None else ()


def _shown(call: ast.Call) -> str:
    text = ast.unparse(call.func)
    if len(text) > 50:
        text = text[:47] + "..."
    return f"{text}()"


def _short_path(path: str) -> str:
    parts = path.replace("\\", "/").split("/")
    return "/".join(parts[-2:])
