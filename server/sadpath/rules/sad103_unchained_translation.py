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

from sadpath.engine import logcalls
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
        caught = f"`except {ast.unparse(handler.type)}`" if handler.type is not None else "bare `except:`"
        binding = handler.name or "exc"
        message = (
            f"`raise {raised}(...)` inside {caught} drops the caught error as its cause: the new error has no "
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
