"""# SAD105 log-missing-context

## What it does

Opt-in: active only when `required-log-fields` is configured. Flags a warning-
or error-level log call in an `except` block whose structured fields lack one of
the required ones. Fields are the keys of a literal `extra={...}` (standard
logging) or the keyword arguments of a structlog call.

It stays quiet when the fields cannot be known statically (`extra=ctx`,
`**fields`), for `debug` and `info` records, and for `print` (SAD104 covers it).

## Why is this bad?

In a service handling many requests at once, an error record without the
correlation id, tenant or service name cannot be tied to the request that
failed, to its other log lines, or to the user who saw the error. The handler is
the only place that still has those values.

## Example

```python
import logging

logger = logging.getLogger(__name__)


def settle(gateway, order_id, correlation_id):
    try:
        gateway.settle(order_id)
    except Exception:
        logger.exception("settlement failed", extra={"order_id": order_id})
        raise
```

## Use instead

```python
import logging

logger = logging.getLogger(__name__)


def settle(gateway, order_id, correlation_id):
    try:
        gateway.settle(order_id)
    except Exception:
        logger.exception("settlement failed", extra={"order_id": order_id, "correlation_id": correlation_id})
        raise
```

## Fix safety

Unsafe, and offered only when every missing field has a value in scope: a name
spelled like the field (a parameter, a local or a module-level name), or a
`current_<field>()` / `get_<field>()` function the module defines or imports
(a context-variable accessor). It adds the missing keys to `extra={...}` (or as
structlog keyword arguments).

## Options

- `required-log-fields`: the field names every error record in a handler must carry, for example `["correlation_id", "service"]`.

## References

- [logging: the extra argument](https://docs.python.org/3/library/logging.html#logging.Logger.debug)
- [structlog: binding context](https://www.structlog.org/en/stable/bound-loggers.html)
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext
from sadpath.model import Applicability, FixOffer
from sadpath.engine import logcalls
from sadpath.rules.base import Rule


class LogMissingContext(Rule):
    code = "SAD105"
    slug = "log-missing-context"
    summary = "An error log in a handler without the required structured fields (opt-in: `required-log-fields`)."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ('log_fields',)

    @classmethod
    def is_active(cls, settings) -> bool:
        return bool(settings.required_log_fields)

    def visit_ExceptHandler(self, node: ast.ExceptHandler, ctx: ModuleContext) -> None:
        required = ctx.settings.required_log_fields
        if not required:
            return
        for log in logcalls.own_log_calls(node, ctx):
            if log.kind != "logger" or log.level not in logcalls.ERROR_LEVELS:
                continue
            present = logcalls.fields_of(log, ctx)
            if present is None:
                continue
            missing = [f for f in required if f not in present]
            if not missing:
                continue
            names = ", ".join(f"`{m}`" for m in missing)
            message = (
                f"`{log.receiver}.{log.method}(...)` lacks the required log field(s) {names}: this error record "
                "cannot be tied to the request or service that failed. Add them to `extra={...}`."
            )
            in_scope = ctx.names_in_scope()
            fixes = []
            if all(_has_value(m, in_scope) for m in missing):
                fixes.append(FixOffer("log_fields", f"Add {names} to the log record", Applicability.UNSAFE))
            ctx.report(self, ctx.span(log.call), message, fixes=fixes, data={"missing": missing})


def _has_value(field: str, in_scope) -> bool:
    """The field's value can be written here: a name spelled like it, or its context accessor."""
    return field in in_scope or f"current_{field}" in in_scope or f"get_{field}" in in_scope
