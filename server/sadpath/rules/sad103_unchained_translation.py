"""# SAD103 unchained-translation

## What it does

Flags `raise NewError(...)` inside an `except` block without `from`: the new
error is raised with no declared cause.

It stays quiet for a bare `raise` and for `raise exc` of the caught exception,
for Celery's `raise self.retry(exc=exc)` (the retry carries the error),
for `raise ... from exc` and the deliberate `raise ... from None`, for a raise of
a stored exception object (`raise self._error`), for an exit (`raise SystemExit(1)`,
`raise typer.Exit(code=2)`, `click.Abort`: an exit status, not a translation), for
an answer the web framework turns into a response without logging anything
(`HTTPException`, `Http404`, tornado's `web.Finish` stop signal, Django's and DRF's `ValidationError`, werkzeug's and
aiohttp's HTTP errors: a cause attached to them is never shown), after
`logger.exception(...)` in the same handler (the traceback is on record), and for
raises inside a function defined within the handler (they run later, outside it).

It also stays quiet where nobody reads the cause: a framework's "invalid input"
signal (rich's `InvalidResponse`, `click.BadParameter`, `argparse.ArgumentTypeError`, Django's paginator's `PageNotAnInteger` and `EmptyPage`), or a set-up refusal (`ImproperlyConfigured` for a caught `AttributeError` or `KeyError`),
which the framework shows as a message; a `ValueError`, `TypeError` or
`AssertionError` raised in a pydantic validator (`@field_validator`,
`@model_validator`, `@validator`, `BeforeValidator(...)`), which pydantic rebuilds
into a `ValidationError` without its cause; an expected miss (a lookup's not-found,
a parameter that does not parse) answered with a client error (a 404 or 400 status,
a not-found or invalid-parameter error code) whose message names the value; a value
that does not parse (`int(version)`, `urlparse(url)` alone in the `try`, caught as its
`ValueError`) raised on with a message naming that value; an error the enclosing
Celery task declares in `throws=(...)`, or that a helper raises only into such tasks
(Celery logs expected errors as one line without a traceback); `raise StopIteration`
and `raise StopAsyncIteration` (the iterator protocol: the loop consumes them); an
optional dependency's hint (`except ImportError: raise ImportError("pip install
boto3")`); a `...Timeout` error raised under a deadline or attempt check in the
handler of a poll loop's "not yet" outcome (`except FileExistsError:` on a lock
file): a new condition, not a translation of the last miss; and an error every
catcher of which (the callers of the raising function in its class, module and
package, or every handler of a class the package defines) branches on it (falls
back, re-raising it only under a condition), prints its message
(`typer.echo(str(exc))` then `typer.Exit`, `messages.error(request, str(e))`,
`Response({"detail": str(e)}, status=400)`) or turns it into a framework answer
(`raise ValidationError(str(exc))`), never logging its traceback or raising it on.

It stays quiet for a raise that is the function's user-facing outcome rather than a
translation: a project class the web framework answers as a client error (a DRF
`APIException` subclass with a `status_code` below 500 or one of DRF's 4xx classes, a
subclass of Django's `ValidationError`, `PermissionDenied` or `Http404`, a werkzeug
HTTP error below 500); a project class its package treats as an expected outcome (at
least three of the handlers across the package's modules that name it only show its
message, and three quarters of them neither log its traceback nor hand it on, or a task
declares it in `throws=` and its handlers show its message); a message taken from a
message table (`self.error_messages['quota']`) or marked for translation (`_("...")`)
after a domain decision (a validation error, a not-found, the project's own error). It
also stays quiet for an expected not-found restated with a message that says what is
missing and names it (`except ResourceNotFoundError: raise KeyError(f"Container not
found: {name}")`; a `KeyError` only when the `try` is one subscript, and never a
`ModuleNotFoundError`, which may be about another module); an "impossible, please
report a bug" guard under an `if` that does not test the caught error (a new condition,
not caused by it); a raise in the handler of an expected miss (`except DoesNotExist:`)
nested in an outer handler, where `from` would chain the meaningless miss instead of the
outer error; and the `ValueError` of a one-line unpacking (`tag, args =
token.contents.split(None, 1)`), whose "not enough values to unpack" says nothing.

It stays quiet, too, for a project error given a client-error status per raise
(`error_code=INVALID_PARAMETER_VALUE`, `status_code=404`, a positional
`RESOURCE_ALREADY_EXISTS`, a factory such as `.invalid_parameter_value(...)`): the
framework answers a 4xx and logs nothing, unless what was caught is a bug's `TypeError`
alone or an outage (a refused connection, a remote or database error); for a raise under
an `if` of the handler whose test does not involve the caught error and checks something
fresh (a call, or a value the handler computed: a re-read after a conflict), a new
condition rather than a translation (a deadline or attempt cap is not: the last failure
caused it); for a message that already carries the caught error's text (`str(e)`, `{e}`,
`{e!r}`, `e.args`) after a `try` of one call that is not an external call and catches
no remote error (never for a server error such as `INTERNAL_ERROR`); and in test support
and vendored code (`testing/`, `_vendor/`, `vendor/` folders next to the module).

It stays quiet, too, for the same builtin error restated fuller after one builtin conversion
(`list(hooks)` then `raise TypeError("Expected iterable ...")`); a response body's parse
restated with the status and the body (`json.loads(response.text)`); the caught error handed
to the new one after one standard-library statement (`from_bind_failure(fn, exc)`); an expected
not-found restated with its own text (`{e}`); a raise inside the `try` of an outer handler of the
same function that answers without the traceback (`HTTPException(400, detail=str(e))`); and an
entry of a table of getters its users try in turn (`except ValueError: continue`); the function's own check
(an `assert` in the `try` caught as `AssertionError`, one lookup in a dict the module or function defines caught
as `KeyError` and restated as a builtin error); a bare capability signal (`except NotImplementedError:` around
one call, restated as "not supported"); and an expected miss of one call (a lookup helper raising the `KeyError`
itself, a client's `ObjectNotFound`) restated naming the looked-up key. Where the
cause is noise (a `KeyError` under `__getattr__`'s `AttributeError`, a `RecursionError`, or a `try` of one
call whose caught error has one fixed meaning the new message restates: `asyncio.get_running_loop()`'s "no
running event loop", `next(it)`'s `StopIteration`) the finding asks for `from None`, and offers no fix. Where
the raise only re-wraps the caught error in the same or a more generic builtin class with nothing of its own
(`raise Exception(f"{e}")`, `raise LookupError(exc)` under `except KeyError`), the new error erases the class
callers branch on and `from e` would keep it: the finding asks for a bare `raise`, and its fix writes one.

## Why is this bad?

Translating a low-level error into a domain error is right, but without `from`
the original error is only the new one's implicit context (`__context__`), not its
declared cause. Its traceback is not lost: Python, `logging` and error trackers
still print it, but under "During handling of the above exception, another
exception occurred", which reads as a second bug in the handler; and `__cause__`
stays empty, so tools and code that group or map errors by their cause (retry
policies, API error mappers) find none. With `from exc` the traceback says plainly
that the timeout, refusal or 5xx below was "the direct cause" of the domain error.

## Example

```python
import requests


class PaymentGatewayError(Exception):
    pass


def charge(payload):
    try:
        return requests.post("https://pay.example/charge", json=payload, timeout=5)
    except requests.Timeout:
        raise PaymentGatewayError("charge timed out")
```

## Use instead

```python
import requests


class PaymentGatewayError(Exception):
    pass


def charge(payload):
    try:
        return requests.post("https://pay.example/charge", json=payload, timeout=5)
    except requests.Timeout as exc:
        raise PaymentGatewayError("charge timed out") from exc
```

## Fix safety

Safe: it adds `from <name>` and, when the handler does not bind the exception,
`as exc` (a name not used in the handler). Only `__cause__` changes, never which
exception propagates.

Unsafe for a generic re-wrap: it replaces `raise Exception(f"{e}")` with a bare
`raise`, so callers now receive the caught error with its own class (which is the
point, but an `except Exception` elsewhere may have relied on the wrapper).

## Options

None.

## References

- [PEP 3134: exception chaining and embedded tracebacks](https://peps.python.org/pep-3134/)
- [Python docs: the raise statement](https://docs.python.org/3/reference/simple_stmts.html#the-raise-statement)
"""

from __future__ import annotations

import ast
import re

from sadpath.engine import (
    catchers, cause_advice, expected_misses, handler_claims, logcalls, outcome_classes, own_checks, pydantic_validators,
    restated_events, translation_shapes, unread_causes,
)  # fmt: skip
from sadpath.engine.catchers import framework_answer
from sadpath.engine.context import ModuleContext
from sadpath.model import Applicability, FixOffer
from sadpath.rules.base import Rule
from sadpath.engine.walker import NESTED_SCOPES



class UnchainedTranslation(Rule):
    code = "SAD103"
    slug = "unchained-translation"
    summary = "`raise NewError(...)` inside an `except` block without `from`: the caught error is not declared as its cause."
    fix_applicabilities = (Applicability.SAFE, Applicability.UNSAFE)
    fix_kinds = ('chain_cause',)

    def visit_Raise(self, node: ast.Raise, ctx: ModuleContext) -> None:
        if node.exc is None or node.cause is not None:
            return
        handler = _enclosing_handler(ctx)
        if handler is None or translation_shapes.support_or_vendored(ctx.source.path):
            return  # (test support and vendored code: a missing ``from`` there is not worth anyone's time)
        exc = node.exc
        if isinstance(exc, ast.Name):
            if exc.id == handler.name or not exc.id[:1].isupper():
                return  # re-raise of the caught exception, or a stored exception object
            raised = exc.id
        elif isinstance(exc, ast.Call):
            if isinstance(exc.func, ast.Attribute) and exc.func.attr == "retry":
                return  # Celery's `raise self.retry(exc=exc)`: the task's Retry carries the error itself
            target = exc.func
            while isinstance(target, ast.Attribute):
                target = target.value
            if isinstance(target, ast.Name) and target.id == handler.name:
                return  # raise exc.with_traceback(tb)
            raised = ast.unparse(exc.func)
        else:
            return
        qualified = ctx.qualified_name(exc.func if isinstance(exc, ast.Call) else exc) or raised
        if qualified in EXITS:
            return  # ``raise SystemExit(1)``, ``raise typer.Exit(code=2)``: an exit status, not a translation
        if handler_claims.cause_claimed(ctx, handler):
            return  # a bare ``except:`` that translates: SAD102's one finding asks for ``Exception`` and ``from``
        if framework_answer(qualified):
            return  # ``raise HTTPException(404)``: the framework turns it into a response and logs no traceback
        if any(logcalls.keeps_traceback(log, ctx) for log in logcalls.own_log_calls(handler, ctx)):
            return  # ``logger.exception(...)`` just before: the cause's traceback is already on record
        if qualified in FRAMEWORK_SIGNALS or translation_shapes.setup_refusal(qualified, handler):
            return  # ``click.BadParameter``, a paginator's invalid page: the framework shows the message; a set-up refusal
        simple = qualified.rpartition(".")[2]
        if pydantic_validators.in_validator(simple, ctx):
            return  # pydantic rebuilds it into a ValidationError line error and never shows ``__cause__``
        if isinstance(exc, ast.Call) and _names_unparsed_value(exc, handler, ctx):
            return  # ``int(version)`` failed and the message names ``version``: the parser's text adds nothing
        if isinstance(exc, ast.Call) and _client_error_answer(exc, handler, ctx):
            return  # an expected miss answered as a 4xx naming the value: the lookup's error adds nothing
        if isinstance(exc, ast.Call) and translation_shapes.client_status_argument(exc, handler, ctx):
            return  # ``error_code=INVALID_PARAMETER_VALUE``: answered as a 4xx nobody logs, the cause is never shown
        if simple in ("StopIteration", "StopAsyncIteration"):
            return  # the iterator protocol's "no more items": the loop consumes it, nobody reads a cause
        if catchers.task_throws(ctx.enclosing_function(), simple):
            return  # ``@app.task(throws=(CartError,))``: Celery logs it as expected, one line without a traceback
        if _install_hint(exc, simple, handler):
            return  # ``except ImportError: raise ImportError("pip install boto3")``: the hint is the whole story
        if _poll_deadline(simple, handler, ctx):
            return  # the deadline of a poll loop passed: a new condition, not a translation of the last "not yet"
        if catchers.only_branching_catchers(simple, ctx.enclosing_function(), ctx):
            return  # every catcher branches on it or prints its message (``exit_with_error(str(exc))``)
        if _outcome_signal(exc, handler, ctx):
            return  # the user-facing outcome (a 4xx answer, a class the project only shows): no translation
        if isinstance(exc, ast.Call) and _restated_miss(exc, handler, ctx):
            return  # ``except NotFound: raise KeyError(f"Container not found: {name}")``: the miss, restated
        if expected_misses.restated_call_miss(exc, handler, _enclosing_try(handler, ctx), ctx):
            return  # ``lookup_type(cls, key)`` raises the KeyError itself, restated naming ``key``: the miss, restated
        if expected_misses.capability_signal(exc, handler, _enclosing_try(handler, ctx), ctx):
            return  # ``except NotImplementedError: raise Unsupported("not supported")``: the signal carries nothing
        if _invariant_guard(exc, handler, ctx):
            return  # ``if name is None: raise ValueError("impossible, please report a bug")``: a new condition
        if translation_shapes.new_condition(handler, ctx.parents):
            return  # ``rows = reread(); if not rows: raise ...``: a fresh check failed, not the caught error restated
        rewrap = cause_advice.generic_rewrap(exc, handler, ctx)  # ``raise Exception(f"{e}")``: a bare ``raise`` is the fix
        if isinstance(exc, ast.Call) and not rewrap and translation_shapes.restates_caught_text(exc, handler, _enclosing_try(handler, ctx), ctx):
            return  # ``raise ConfigError(f"bad rule: {exc}")`` after one call: the message carries the cause
        if _meaningless_inner_miss(handler, ctx):
            return  # ``except IntegrityError: try: get() except DoesNotExist: raise Taken()``: not the cause
        if _unpacking_failure(handler, ctx):
            return  # ``a, b = token.split()`` caught as ``ValueError``: "not enough values to unpack" says nothing
        try_node = _enclosing_try(handler, ctx)
        if unread_causes.restated_conversion(exc, simple, handler, try_node):
            return  # ``list(hooks)`` failed and ``TypeError("Expected iterable ...")`` says it fuller: same error
        if unread_causes.restated_payload(exc, handler, try_node):
            return  # ``json.loads(response.text)`` restated with the status and the body: the message has it all
        if unread_causes.handed_to_error(exc, handler, try_node, ctx):
            return  # ``BindError.from_bind_failure(fn, exc)`` after one stdlib call: the cause's text travels
        if unread_causes.restated_miss_text(exc, handler):
            return  # ``except NotFound as e: raise StorageError(f"...: {e}")``: the miss names what is missing
        if unread_causes.outer_quiet_catcher(simple, handler, ctx):
            return  # the function's outer ``except Exception`` answers ``HTTPException(400)``: nothing prints it
        if unread_causes.table_getter_fallback(ctx.enclosing_function(), simple, ctx):
            return  # an entry of a table of getters tried in turn (``except ValueError: continue``)
        if own_checks.own_assertion(handler, try_node) or own_checks.local_table_miss(simple, handler, try_node, ctx.enclosing_function(), ctx.tree):
            return  # ``assert reply["ok"], reason`` or ``TABLE[key]`` in the ``try``: the function's own check failed
        if restated_events.same_event(simple, handler, try_node) or restated_events.parse_outcome_code(exc, handler, try_node):
            return  # the ``try`` raised the message-less signal itself, or ``Decimal(raw)`` became "price_not_a_number"
        caught = f"`except {ast.unparse(handler.type)}`" if handler.type is not None else "bare `except:`"
        binding = handler.name or "exc"
        shown = f"{raised}(...)" if isinstance(exc, ast.Call) else raised
        noise = unread_causes.noise_message(exc, shown, simple, caught, handler, ctx, try_node)
        if noise is not None:  # (quiet when every handler of the class converts it: nobody prints the traceback)
            if not restated_events.converted_everywhere(exc.func if isinstance(exc, ast.Call) else exc, ctx):
                ctx.report(self, ctx.span(node), noise)  # ``from None`` is the fix (with the name, in ``__getattr__``)
            return
        message = (
            f"`raise {shown}` inside {caught} does not declare the caught error as its cause: Python still prints "
            f"the caught error, but as implicit context under \"During handling of the above exception, another "
            f"exception occurred\", which reads like a second bug in the handler, and `__cause__` stays empty for "
            f"the tools that group or map errors by their cause. {'' if handler.name else _binding_advice(handler)}"
            f"{'A' if handler.name else ''}dd `from {binding}` to state that it caused this one."
        )
        if rewrap:
            message = (
                f"`raise {shown}` inside {caught} raises the caught error again as a plain `{simple}` carrying only "
                f"its text: its own class and attributes, which callers branch on (`except TimeoutError`, "
                f"`isinstance(e, HTTPException)`), are lost, and the new error adds nothing. `from {binding}` would "
                f"keep that wrapper: re-raise the caught error unchanged with a bare `raise`."
            )
            fix = FixOffer("chain_cause", "Re-raise the caught error unchanged: bare `raise`", Applicability.UNSAFE)
            ctx.report(self, ctx.span(node), message, fixes=[fix], data={"binding": binding, "reraise": True})
            return
        fix = FixOffer("chain_cause", f"Chain the cause: add `from {binding}`", Applicability.SAFE)
        ctx.report(self, ctx.span(node), message, fixes=[fix], data={"binding": binding})



EXITS = frozenset(
    {"SystemExit", "KeyboardInterrupt", "typer.Exit", "typer.Abort", "click.exceptions.Exit", "click.exceptions.Abort",
     "click.Abort", "click.Exit", "typer.main.Exit"}
)  # fmt: skip


def _enclosing_handler(ctx: ModuleContext) -> ast.ExceptHandler | None:
    for parent in reversed(ctx.parents):
        if isinstance(parent, ast.ExceptHandler):
            return parent
        if isinstance(parent, NESTED_SCOPES):
            return None
    return None


# a framework's "invalid input" signal: it catches it, shows only its message (and asks again)
FRAMEWORK_SIGNALS = frozenset(
    {"rich.prompt.InvalidResponse", "click.BadParameter", "click.exceptions.BadParameter", "click.UsageError",
     "click.exceptions.UsageError", "click.ClickException", "click.exceptions.ClickException", "typer.BadParameter",
     "argparse.ArgumentTypeError", "argparse.ArgumentError", "wtforms.validators.ValidationError",
     "wtforms.validators.StopValidation", "wtforms.ValidationError", "marshmallow.ValidationError",
     "marshmallow.exceptions.ValidationError", "voluptuous.Invalid", "pydantic_core.PydanticCustomError",
     "django.core.paginator.PageNotAnInteger", "django.core.paginator.EmptyPage", "django.core.paginator.InvalidPage"}
)  # fmt: skip
_EXPECTED_MISSES = frozenset({"KeyError", "IndexError", "LookupError", "StopIteration", "ValueError", "NoResultFound",
                              "ObjectDoesNotExist", "DoesNotExist", "InvalidOperation"})  # fmt: skip
_CLIENT_ERROR_WORDS = re.compile(
    r"\b(?:RESOURCE_DOES_NOT_EXIST|INVALID_PARAMETER_VALUE|INVALID_ARGUMENT|NOT_FOUND|BAD_REQUEST|UNPROCESSABLE_ENTITY"
    r"|HTTP_4\d\d\w*|invalid_parameter_value|not_found|bad_request)\b"
)
_CLIENT_ERROR_CLASSES = ("NotFound", "NotFoundError", "DoesNotExist", "BadRequest", "BadRequestError", "InvalidParameter")


def _client_error_answer(call: ast.Call, handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """An expected miss (a lookup's not-found, a parameter that does not parse) answered with a client error (a
    404 or 400 status, a not-found or invalid-parameter error code) whose message names the value: the cause is
    the miss the message already states."""
    caught = {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(handler.type or ast.Pass()) if isinstance(n, (ast.Name, ast.Attribute))}
    if "ValueError" in caught:
        caught.discard("TypeError")  # ``int(raw)`` of a missing parameter (None) is the same bad value
    if not caught or not all(name in _EXPECTED_MISSES or name.endswith(("DoesNotExist", "NotFound")) for name in caught if name[:1].isupper()):
        return False
    if not any(_names_a_value(arg) for arg in [*call.args, *(k.value for k in call.keywords)]):
        return False
    target = call.func
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    if name.endswith(_CLIENT_ERROR_CLASSES) or _CLIENT_ERROR_WORDS.search(ast.unparse(call)):
        return True
    if any(isinstance(a, ast.Constant) and isinstance(a.value, int) and 400 <= a.value < 500 for a in [*call.args, *(k.value for k in call.keywords)]):
        return True
    return _declares_client_status(name, ctx)


def _names_a_value(arg: ast.AST) -> bool:
    if isinstance(arg, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in arg.values)
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod):
        return True
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "format":
        return True
    return isinstance(arg, ast.Call) and any(_names_a_value(a) for a in arg.args)  # ``_("... %s") % x``, ``gettext(f"")``


def _declares_client_status(name: str, ctx: ModuleContext) -> bool:
    """``class ProjectMissing(ApiError): status_code = 404`` in this module."""
    for node in ctx.tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            for stmt in node.body:
                if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Constant):
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    if any(isinstance(t, ast.Name) and t.id in ("status_code", "status", "code", "http_status") for t in targets):
                        value = stmt.value.value
                        return isinstance(value, int) and 400 <= value < 500
    return False


_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})


def _install_hint(exc: ast.expr, simple: str, handler: ast.ExceptHandler) -> bool:
    """``except ImportError: raise ImportError("... pip install boto3")``: an optional dependency's hint. The
    original "No module named boto3" is still printed as context, and the hint names the fix."""
    caught = {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(handler.type or ast.Pass()) if isinstance(n, (ast.Name, ast.Attribute))}
    if not caught or not caught <= _IMPORT_ERRORS:
        return False
    if simple in _IMPORT_ERRORS:
        return True
    texts = [n.value for n in ast.walk(exc) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return any(re.search(r"\b(?:pip|conda|uv|poetry) (?:install|add)\b|\binstall(?:ed)?\b", t, re.IGNORECASE) for t in texts)


# the "not yet" outcome of one attempt of a poll: the lock file exists, the non-blocking call would block, the
# queue is empty, this wait timed out
_NOT_YET = frozenset({"FileExistsError", "BlockingIOError", "InterruptedError", "Empty", "TimeoutError", "QueueEmpty"})
_NOT_YET_WORDS = ("Timeout", "WouldBlock", "NotReady", "Locked", "AlreadyLocked", "LockError")
_DEADLINE = re.compile(r"monotonic|time\(|elapsed|deadline|timeout|expir|attempt|retries|tries", re.IGNORECASE)


def _poll_deadline(simple: str, handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """A ``Timeout`` error raised under a deadline or attempt check in the handler of a ``while`` loop's "not
    yet" outcome (``except FileExistsError: if elapsed >= timeout: raise TimeoutError(...)``): the deadline is a
    new condition, and the last poll's miss is not its cause."""
    if "Timeout" not in simple and "Expired" not in simple:
        return False
    caught = {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(handler.type or ast.Pass()) if isinstance(n, (ast.Name, ast.Attribute))}
    if not caught or not all(name in _NOT_YET or name.endswith(_NOT_YET_WORDS) for name in caught if name[:1].isupper()):
        return False
    guarded = inside = False
    for parent in reversed(ctx.parents):
        if isinstance(parent, NESTED_SCOPES):
            return False
        if parent is handler:
            inside = True
        elif not inside and isinstance(parent, ast.If) and isinstance(parent.test, (ast.Compare, ast.BoolOp)):
            guarded = guarded or bool(_DEADLINE.search(ast.unparse(parent.test)))
        elif inside and isinstance(parent, (ast.While, ast.For, ast.AsyncFor)):
            return guarded
    return False


_PARSE_ERRORS = frozenset({"ValueError", "TypeError", "InvalidOperation", "OverflowError", "DecimalException"})
_PARSERS = frozenset({"int", "float", "complex", "Decimal", "UUID", "urlparse", "urlsplit", "fromisoformat", "strptime",
                      "ip_address", "ip_network", "ip_interface", "Version", "fromtimestamp", "bool"})  # fmt: skip


def _names_unparsed_value(call: ast.Call, handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """A ``try`` of one statement that only parses a value (``int(version)``, ``urlparse(url)``), caught as the
    parse's ``ValueError``/``TypeError``, raised on with a message that names that value: the new message states
    the cause (this value does not parse) and the parser's own text adds nothing worth a chain."""
    caught = {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(handler.type or ast.Pass()) if isinstance(n, (ast.Name, ast.Attribute))}
    if not caught or not {name for name in caught if name[:1].isupper()} <= _PARSE_ERRORS or caught <= {"TypeError"}:
        return False  # (a ``TypeError`` alone is a wrong type passed in: a bug, not a bad value)
    index = next((i for i, p in enumerate(ctx.parents) if p is handler), None)
    node = ctx.parents[index - 1] if index else None
    if not isinstance(node, ast.Try) or len(node.body) != 1:
        return False
    calls = [n for n in ast.walk(node.body[0]) if isinstance(n, ast.Call)]
    parsed = set()
    for inner in calls:
        func = inner.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in _PARSERS:
            return False  # some other work in the ``try``: its error may not be about the value
        parsed |= {n.id for a in inner.args for n in ast.walk(a) if isinstance(n, ast.Name)}
    if not calls or not parsed:
        return False
    for arg in [*call.args, *(k.value for k in call.keywords)]:
        for piece in ast.walk(arg):
            if isinstance(piece, ast.FormattedValue) and any(isinstance(n, ast.Name) and n.id in parsed for n in ast.walk(piece.value)):
                return True
    return False


def _caught_simple(handler: ast.ExceptHandler) -> set[str]:
    """The class names a handler catches, as their last part (``User.DoesNotExist`` is ``DoesNotExist``)."""
    return {ast.unparse(c).rpartition(".")[2] for c in _caught_exprs(handler)}


def _caught_exprs(handler: ast.ExceptHandler) -> list[ast.expr]:
    if handler.type is None:
        return []
    return list(handler.type.elts) if isinstance(handler.type, ast.Tuple) else [handler.type]


_DOMAIN_CAUGHT = frozenset({"ValidationError", "ValueError", "KeyError", "LookupError", "IndexError", "ObjectDoesNotExist",
                            "MultipleObjectsReturned", "PermissionDenied", "NoResultFound"})  # fmt: skip


def _outcome_signal(exc: ast.expr, handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The raised error is the function's user-facing outcome: a class the web framework answers as a client
    error (a DRF ``APIException`` below 500, Django's ``PermissionDenied``), a class the project's handlers only
    show the message of (or its tasks declare in ``throws=``), or a message taken from a message table or marked
    for translation after a domain decision (a validation error, a not-found, a project's own error)."""
    target = exc.func if isinstance(exc, ast.Call) else exc
    if outcome_classes.client_answer_class(target, ctx) or outcome_classes.shown_outcome_class(target, ctx):
        return True
    if not (isinstance(exc, ast.Call) and outcome_classes.message_table_call(exc)):
        return False
    caught = _caught_exprs(handler)
    return bool(caught) and all(
        (simple := ast.unparse(c).rpartition(".")[2]) in _DOMAIN_CAUGHT
        or simple.endswith(("DoesNotExist", "NotFound"))
        or outcome_classes.find_class(c, ctx) is not None
        for c in caught
    )


_MISS_CLASSES = ("NotFound", "NotFoundError", "DoesNotExist", "NoResultFound", "MultipleResultsFound", "MultipleObjectsReturned")
_LOOKUPS = frozenset({"KeyError", "LookupError", "IndexError"})
_MISS_WORDS = re.compile(
    r"not found|no such|missing|does not exist|doesn't exist|do not exist|not exist|could not find|cannot find"
    r"|can't find|unable to find|could not be found|cannot be found|unknown|no \w+ named|multiple|more than one",
    re.IGNORECASE,
)


def _is_miss_class(name: str) -> bool:
    return name != "ModuleNotFoundError" and (name.endswith(_MISS_CLASSES) or name.startswith("NoSuch"))


def _enclosing_try(handler: ast.ExceptHandler, ctx: ModuleContext) -> ast.Try | None:
    index = next((i for i, p in enumerate(ctx.parents) if p is handler), None)
    node = ctx.parents[index - 1] if index else None
    return node if isinstance(node, ast.Try) else None


def _restated_miss(call: ast.Call, handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """An expected not-found (a missing container, table, file or key) or an ambiguous single-row lookup
    (``MultipleResultsFound``) raised on with a message that says what is missing (or found twice) and names it: the new message carries all the miss does. (A ``ModuleNotFoundError`` may be about
    another module than the one named: not a restated miss.)"""
    caught = _caught_simple(handler)
    if not caught or not all(_is_miss_class(name) or name in _LOOKUPS for name in caught):
        return False
    if not all(_is_miss_class(name) for name in caught):
        node = _enclosing_try(handler, ctx)
        if node is None or len(node.body) != 1:
            return False  # a ``KeyError`` from several steps may be a bug's, not the lookup's
        inner = list(ast.walk(node.body[0]))
        if not any(isinstance(n, ast.Subscript) for n in inner) or any(isinstance(n, ast.Call) for n in inner):
            return False  # ``client.read_queue(name)``: its ``LookupError`` may come from anywhere beneath
    values = [*call.args, *(k.value for k in call.keywords)]
    if any(isinstance(v, ast.Constant) and isinstance(v.value, int) and v.value >= 500 for v in values):
        return False  # answered as a server error: the framework logs it with the traceback
    for arg in values:
        texts = " ".join(n.value for n in ast.walk(arg) if isinstance(n, ast.Constant) and isinstance(n.value, str))
        if any(_names_a_value(n) for n in ast.walk(arg) if isinstance(n, (ast.JoinedStr, ast.BinOp, ast.Call))) and _MISS_WORDS.search(texts):
            return True
    return False


_INVARIANT_WORDS = re.compile(
    r"\bimpossible\b|should never happen|should not happen|shouldn't happen|should never be|report (?:this |it )?"
    r"(?:as )?an? (?:bug|issue)|please report|this is a bug",
    re.IGNORECASE,
)


def _invariant_guard(exc: ast.expr, handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """An "impossible, please report a bug" assertion under an ``if`` of the handler that does not test the
    caught error (``if doc.name is None: raise ValueError("... should be impossible")``): a new condition the
    handler checks, whose cause is not the caught error."""
    texts = " ".join(n.value for n in ast.walk(exc) if isinstance(n, ast.Constant) and isinstance(n.value, str))
    if not _INVARIANT_WORDS.search(texts):
        return False
    inside = False
    for parent in ctx.parents:
        if parent is handler:
            inside = True
        elif inside and isinstance(parent, ast.If):
            names = {n.id for n in ast.walk(parent.test) if isinstance(n, ast.Name)}
            if not handler.name or handler.name not in names:
                return True
    return False


_INNER_MISSES = frozenset({"KeyError", "LookupError", "IndexError", "StopIteration", "ObjectDoesNotExist", "Empty"})


def _meaningless_inner_miss(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The raise sits in the handler of an expected miss (``except DoesNotExist:``) nested in an outer handler
    (``except IntegrityError:``): the miss is not the cause, and ``from`` it would chain the wrong error."""
    caught = _caught_simple(handler)
    if not caught or not all(_is_miss_class(name) or name in _INNER_MISSES for name in caught):
        return False
    index = next((i for i, p in enumerate(ctx.parents) if p is handler), 0)
    for parent in reversed(ctx.parents[:index]):
        if isinstance(parent, NESTED_SCOPES):
            return False
        if isinstance(parent, ast.ExceptHandler):
            return True
    return False


# (``split_contents``: a Django template tag's token, split into its arguments)
_SPLITS = frozenset({"split", "rsplit", "partition", "rpartition", "splitlines", "strip", "lstrip", "rstrip", "split_contents"})


def _unpacking_failure(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """A ``try`` of one unpacking assignment (``tag, args = token.contents.split(None, 1)``) caught as its
    ``ValueError``: "not enough values to unpack" says nothing the new message does not."""
    if _caught_simple(handler) != {"ValueError"}:
        return False
    node = _enclosing_try(handler, ctx)
    if node is None or len(node.body) != 1 or not isinstance(node.body[0], ast.Assign):
        return False
    stmt = node.body[0]
    if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], (ast.Tuple, ast.List)):
        return False
    calls = [n for n in ast.walk(stmt.value) if isinstance(n, ast.Call)]
    return all(isinstance(c.func, ast.Attribute) and c.func.attr in _SPLITS for c in calls)


def _binding_advice(handler: ast.ExceptHandler) -> str:
    """The start of the advice for a handler that names no error: bind it (a bare ``except:`` cannot be bound
    without naming a class, and ``Exception`` also lets Ctrl-C and ``SystemExit`` through)."""
    if handler.type is None:
        return "Catch `Exception` and bind it (`except Exception as exc:`), which also lets Ctrl-C and `SystemExit` through, and a"
    return f"Bind the caught error (`except {ast.unparse(handler.type)} as exc:`) and a"
