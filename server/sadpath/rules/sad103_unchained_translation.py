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
(`HTTPException`, `Http404`, Django's and DRF's `ValidationError`, werkzeug's and
aiohttp's HTTP errors: a cause attached to them is never shown), after
`logger.exception(...)` in the same handler (the traceback is on record), and for
raises inside a function defined within the handler (they run later, outside it).

It also stays quiet where nobody reads the cause: a framework's "invalid input"
signal (rich's `InvalidResponse`, `click.BadParameter`, `argparse.ArgumentTypeError`),
which the framework shows as a message; a `ValueError`, `TypeError` or
`AssertionError` raised in a pydantic validator (`@field_validator`,
`@model_validator`, `@validator`, `BeforeValidator(...)`), which pydantic rebuilds
into a `ValidationError` without its cause; an expected miss (a lookup's not-found,
a parameter that does not parse) answered with a client error (a 404 or 400 status,
a not-found or invalid-parameter error code) whose message names the value; and an
error every catcher of which (the callers of the raising function in its class,
module and package, or every handler of a class the package defines) branches on
it or prints its message (`typer.echo(str(exc))` then `typer.Exit`), never logging
its traceback or raising it on.

## Why is this bad?

Translating a low-level error into a domain error is right, but without `from`
the original error is not its cause: error trackers and `logger.exception` show
"During handling of the above exception, another exception occurred", which
reads as a second bug in the handler, and code that inspects `__cause__` (retry
policies, API error mappers) finds nothing. With `from exc` the traceback says
plainly that the domain error was caused by the timeout, refusal or 5xx below it.

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

## Options

None.

## References

- [PEP 3134: exception chaining and embedded tracebacks](https://peps.python.org/pep-3134/)
- [Python docs: the raise statement](https://docs.python.org/3/reference/simple_stmts.html#the-raise-statement)
"""

from __future__ import annotations

import ast
import re

from sadpath.engine import catchers, logcalls
from sadpath.engine.context import ModuleContext
from sadpath.model import Applicability, FixOffer
from sadpath.rules.base import Rule
from sadpath.engine.walker import NESTED_SCOPES



class UnchainedTranslation(Rule):
    code = "SAD103"
    slug = "unchained-translation"
    summary = "`raise NewError(...)` inside an `except` block without `from`: the cause is dropped."
    fix_applicabilities = (Applicability.SAFE,)
    fix_kinds = ('chain_cause',)

    def visit_Raise(self, node: ast.Raise, ctx: ModuleContext) -> None:
        if node.exc is None or node.cause is not None:
            return
        handler = _enclosing_handler(ctx)
        if handler is None:
            return
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
        if "SAD102" in ctx.active and (handler.type is None or "BaseException" in ast.unparse(handler.type)):
            return  # a bare ``except:`` that translates: SAD102's one finding asks for ``Exception`` and ``from``
        if framework_answer(qualified):
            return  # ``raise HTTPException(404)``: the framework turns it into a response and logs no traceback
        if any(logcalls.keeps_traceback(log, ctx) for log in logcalls.own_log_calls(handler, ctx)):
            return  # ``logger.exception(...)`` just before: the cause's traceback is already on record
        if qualified in FRAMEWORK_SIGNALS:
            return  # rich's ``InvalidResponse``, ``click.BadParameter``: the framework shows the message and asks again
        simple = qualified.rpartition(".")[2]
        if simple in VALIDATOR_ERRORS and _in_validator(ctx):
            return  # pydantic rebuilds it into a ValidationError line error and never shows ``__cause__``
        if isinstance(exc, ast.Call) and _client_error_answer(exc, handler, ctx):
            return  # an expected miss answered as a 4xx naming the value: the lookup's error adds nothing
        if catchers.only_branching_catchers(simple, ctx.enclosing_function(), ctx):
            return  # every catcher branches on it or prints its message (``exit_with_error(str(exc))``)
        caught = f"`except {ast.unparse(handler.type)}`" if handler.type is not None else "bare `except:`"
        binding = handler.name or "exc"
        shown = f"{raised}(...)" if isinstance(exc, ast.Call) else raised
        message = (
            f"`raise {shown}` inside {caught} drops the caught error as its cause: the new error has no "
            f"`__cause__`, and tracebacks show \"another exception occurred\" instead of what failed. "
            f"Add `from {binding}`."
        )
        fix = FixOffer("chain_cause", f"Chain the cause: add `from {binding}`", Applicability.SAFE)
        ctx.report(self, ctx.span(node), message, fixes=[fix], data={"binding": binding})


EXITS = frozenset(
    {"SystemExit", "KeyboardInterrupt", "typer.Exit", "typer.Abort", "click.exceptions.Exit", "click.exceptions.Abort",
     "click.Abort", "click.Exit", "typer.main.Exit"}
)  # fmt: skip


# exceptions a web framework answers as a response, without logging: a cause attached to them is never shown
FRAMEWORK_ANSWERS = frozenset(
    {"fastapi.HTTPException", "fastapi.exceptions.HTTPException", "starlette.exceptions.HTTPException",
     "django.http.Http404", "django.http.response.Http404", "django.core.exceptions.PermissionDenied",
     "django.core.exceptions.ValidationError", "django.core.exceptions.SuspiciousOperation",
     "django.core.exceptions.BadRequest", "django.forms.ValidationError", "tornado.web.HTTPError",
     "flask_restful.abort", "fastapi.exceptions.RequestValidationError", "graphql.GraphQLError"}
)  # fmt: skip
FRAMEWORK_ANSWER_MODULES = ("werkzeug.exceptions.", "rest_framework.exceptions.", "sanic.exceptions.", "falcon.errors.")


def framework_answer(qualified: str) -> bool:
    """``HTTPException``, ``Http404``, DRF's and werkzeug's HTTP errors, aiohttp's ``web.HTTPNotFound``."""
    if qualified in FRAMEWORK_ANSWERS or qualified.startswith(FRAMEWORK_ANSWER_MODULES):
        return True
    module, _, name = qualified.rpartition(".")
    return module in ("aiohttp.web", "aiohttp.web_exceptions") and name.startswith("HTTP")


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
     "marshmallow.exceptions.ValidationError", "voluptuous.Invalid", "pydantic_core.PydanticCustomError"}
)  # fmt: skip
VALIDATOR_ERRORS = frozenset({"ValueError", "TypeError", "AssertionError", "PydanticCustomError"})
VALIDATOR_DECORATORS = frozenset({"field_validator", "model_validator", "validator", "root_validator"})
VALIDATOR_WRAPPERS = frozenset({"BeforeValidator", "AfterValidator", "WrapValidator", "PlainValidator"})


def _in_validator(ctx: ModuleContext) -> bool:
    """Inside a pydantic validator: a ``@field_validator``/``@model_validator``/``@validator`` method, or a function
    the module hands to ``BeforeValidator``/``AfterValidator``/``WrapValidator``/``PlainValidator``."""
    for parent in reversed(ctx.parents):
        if not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in parent.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name in VALIDATOR_DECORATORS and (ctx.qualified_name(target) or "").startswith(("pydantic", name)):
                return True
        if parent.name in _wrapped_validators(ctx):
            return True
    return False


def _wrapped_validators(ctx: ModuleContext) -> set[str]:
    def compute() -> set[str]:
        if "Validator" not in ctx.source.text:
            return set()
        names = set()
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in VALIDATOR_WRAPPERS:
                    names.add(node.args[0].id)
        return names

    return ctx.fact("sad103.wrapped_validators", compute)


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
