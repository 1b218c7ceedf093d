"""# SAD104 lost-traceback-log

## What it does

Flags a log call in an `except` block that records the failure without its
traceback: `print(e)`, `logger.error(e)`, `logger.error("... %s", e)`,
`logger.warning(str(e))`, with no `exc_info`, in a handler that catches broadly
or catches an external interface's failure and does not re-raise.

It stays quiet for `logger.exception(...)`, for `exc_info=True` (or the
exception) on any call of the handler, for log records in handlers of a specific
failure type (`requests.Timeout`, `ConnectionError`, `NotFound`: the type already
says what happened; `print` is still flagged), as opposed to a catch-all such as
`Exception` or a library's root error (`requests.RequestException`,
`aiohttp.ClientError`, `redis.RedisError`) that lumps every failure together
(unless the handler reads the error's details, `e.response["Error"]["Code"]`,
`err.status`, to tell the failures apart), for `traceback.print_exc()` and error
trackers such as `sentry_sdk.capture_exception`, for messages that embed
`traceback.format_exc()`, for `debug` and `info` records, for narrow expected
errors (`KeyError`, `ValueError`, ...) where the message is the whole story, and
when the handler re-raises or translates the error (the traceback travels on).

## Why is this bad?

The message of an exception rarely says where it happened: `Connection reset by
peer`, `'NoneType' object is not subscriptable`, `500 Server Error`. Without the
traceback nobody can tell which call, in which code path, failed, and the
handler is the last place that has it.

## Example

```python
import logging

import requests

logger = logging.getLogger(__name__)


def refresh_token(session):
    try:
        session.post("https://auth.example/token", timeout=5).raise_for_status()
    except requests.RequestException as e:
        logger.error("token refresh failed: %s", e)
```

## Use instead

```python
import logging

import requests

logger = logging.getLogger(__name__)


def refresh_token(session):
    try:
        session.post("https://auth.example/token", timeout=5).raise_for_status()
    except requests.RequestException as e:
        logger.exception("token refresh failed: %s", e)
```

## Fix safety

Turning `logger.error(...)` into `logger.exception(...)` is safe: same level,
same message, plus the traceback. Replacing any other call (`print`, `warning`,
`critical`) with a structured `logger.exception("<operation> failed",
extra={...})` stub is unsafe: it changes the level and the text, and adds a
module-level `logger` (and `import logging`) when the module has none. Modules
that use structlog get a structlog call with keyword fields.

## Options

None.

## References

- [logging: Logger.exception](https://docs.python.org/3/library/logging.html#logging.Logger.exception)
- [logging: exc_info](https://docs.python.org/3/library/logging.html#logging.Logger.debug)
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext
from sadpath.model import Applicability, FixOffer
from sadpath.engine import logcalls
from sadpath.rules import _except
from sadpath.rules._except import CatchKind
from sadpath.rules.base import Rule


class LostTracebackLog(Rule):
    code = "SAD104"
    slug = "lost-traceback-log"
    summary = "A log call in a handler that records the failure without its traceback (`print(e)`, `logger.error(e)`)."
    fix_applicabilities = (Applicability.SAFE, Applicability.UNSAFE)
    fix_kinds = ('log_exception', 'log_structured')

    def visit_ExceptHandler(self, node: ast.ExceptHandler, ctx: ModuleContext) -> None:
        caught = _except.classify(node, ctx)
        if caught.kind not in (CatchKind.BARE, CatchKind.BROAD, CatchKind.FAILURE):
            return
        if _except.raises(node, ctx):
            return
        logs = [log for log in logcalls.own_log_calls(node, ctx)]
        if any(logcalls.keeps_traceback(log, ctx) for log in logs):
            return
        func = ctx.enclosing_function()
        where = f"`{func.name}()`" if func is not None else "this module"
        lumped = (caught.kind in (CatchKind.BARE, CatchKind.BROAD) or any(
            _except.is_library_root(name, ctx) for name in caught.names
        )) and not _inspects_error(node)
        for log in logs:
            if log.kind == "logger" and log.level not in logcalls.ERROR_LEVELS:
                continue
            if log.kind == "logger" and not lumped:
                continue  # a specific failure type (Timeout, NotFound...) already says what happened
            shown = "print(...)" if log.kind == "print" and log.method == "print" else (
                f"{log.receiver}.{log.method}(...)"
            )
            about = "the error's message" if logcalls.mentions(log.call, node.name) else "that something failed"
            message = (
                f"`{shown}` in {caught.label} records only {about}, not the traceback: "
                f"nobody can tell which call in {where} failed or why. "
                "Use `logger.exception(...)` or pass `exc_info=True`."
            )
            fixes = []
            if log.kind == "logger" and log.method == "error":
                fixes.append(FixOffer("log_exception", f"Use `{log.receiver}.exception(...)` to keep the traceback", Applicability.SAFE))
            fixes.append(FixOffer("log_structured", "Log with traceback and context", Applicability.UNSAFE))
            ctx.report(self, ctx.span(log.call), message, fixes=fixes)


_DETAIL_ATTRS = frozenset({"response", "code", "status", "status_code", "reason", "errno", "returncode", "args", "message"})


def _inspects_error(handler: ast.ExceptHandler) -> bool:
    """The handler reads the error's details (``e.response["Error"]["Code"]``, ``err.status``, ``err.reason``)
    to decide or report what failed: it has classified the failure, the traceback would add little."""
    if not handler.name:
        return False
    for node in _except.walk_handler(handler):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == handler.name
            and node.attr in _DETAIL_ATTRS
        ):
            return True
    return False
