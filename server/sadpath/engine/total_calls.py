"""Calls that cannot realistically raise an ``Exception``, so a handler around them catches nothing and a message
must not name them as the one that failed.

- a builtin or value method that cannot raise (``isinstance()``, ``text.strip()``, ``d.pop(key, None)``);
- an ``asyncio.Event`` (or ``threading.Event``) operation: ``event.set()``, ``event.clear()``, ``event.is_set()``;
- the blocking ``get()`` of an in-process queue (``await queue.get()``, no arguments): cancellation is a
  ``BaseException``, not an error;
- a project function whose body is total (``engine.callee_traps.total_body``): string reshaping, ``in``-guarded
  dict removals, log lines, a parse inside its own ``try``.

Flag lookups (``is_feature_enabled()``) can fail (a remote flag service) but are never the step that failed when
the ``try`` does real work: ``deprioritised`` says so for the message's choice of call.
"""

from __future__ import annotations

import ast
import re

from sadpath.engine import logcalls, shapes
from sadpath.engine.callee_traps import callee_is_total, total_call
from sadpath.engine.context import ModuleContext

_EVENT_OPS = frozenset({"set", "clear", "is_set"})
_QUEUE = re.compile(r"queue$|^q$|_q$", re.IGNORECASE)
_FLAG = re.compile(r"feature|flag|is_enabled|enabled_for|toggle", re.IGNORECASE)
# only the sentinel of a lookup that is not there: ``importlib.metadata.distribution(name)`` raises only
# ``PackageNotFoundError``, ``importlib.util.find_spec`` only a "not found" (``ModuleNotFoundError``, ``ValueError``)
_NOT_FOUND_ONLY = (
    "importlib.metadata.distribution", "importlib.metadata.version", "importlib.metadata.metadata",
    "importlib_metadata.distribution", "importlib_metadata.version", "importlib_metadata.metadata",
    "importlib.util.find_spec", "pkg_resources.get_distribution",
)  # fmt: skip


def not_the_failure(call: ast.Call, ctx: ModuleContext) -> bool:
    """A message must not name the call as the one that failed: it is local (``shapes.can_fail``) or total."""
    return not shapes.can_fail(call, ctx) or cannot_fail(call, ctx)


def cannot_fail(call: ast.Call, ctx: ModuleContext) -> bool:
    """The call cannot realistically raise an ``Exception`` (remembered per call). Stricter than ``not can_fail``:
    ``json.loads()`` is local but raises."""
    key = ("cannot-fail", id(call))
    if key not in ctx.memo:
        ctx.memo[key] = _cannot_fail(call, ctx)
    return ctx.memo[key]


def _cannot_fail(call: ast.Call, ctx: ModuleContext) -> bool:
    if logcalls.as_log_call(call, ctx) is not None or (total_call(call) and not shapes.can_fail(call, ctx)):
        return True
    func = call.func
    if isinstance(func, ast.Attribute) and not call.args and not call.keywords:
        receiver = func.value
        last = receiver.attr if isinstance(receiver, ast.Attribute) else receiver.id if isinstance(receiver, ast.Name) else ""
        if func.attr in _EVENT_OPS and not shapes.CLIENT_NAME.search(last or "-") or isinstance(receiver, ast.Subscript) and func.attr in _EVENT_OPS:
            return True  # ``done.set()``, ``self._events[key].set()``
        if func.attr == "get" and _QUEUE.search(last or "-"):
            return True  # ``await queue.get()``: it waits; only a cancellation (not an error) ends the wait
    return callee_is_total(call, ctx)


def deprioritised(call: ast.Call) -> bool:
    """A feature-flag lookup: a message names the work of the ``try``, not the flag that gated it."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return bool(_FLAG.search(name))


def only_not_found(call: ast.Call, ctx: ModuleContext) -> bool:
    """A lookup whose only failure is "it is not there" (a package's metadata, a module spec)."""
    qualified = ctx.qualified_name(call.func) or ""
    return qualified.startswith(_NOT_FOUND_ONLY)
