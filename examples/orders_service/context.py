"""Request-scoped context shared by the API, the workers and the log records."""

from __future__ import annotations

import contextvars
import uuid

_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")


def bind_correlation_id(value: str | None = None) -> str:
    """Use the caller's correlation id, or start a new one."""
    correlation_id = value or uuid.uuid4().hex
    _correlation_id.set(correlation_id)
    return correlation_id


def current_correlation_id() -> str:
    return _correlation_id.get()
