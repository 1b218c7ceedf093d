"""A helper that only fills one field of a result its callers have already decided: ``output=_logs(container)``
in ``SandboxResult(exit_code=..., output=_logs(container), timed_out=True)`` (services review round 15, SAD101
census row 5).

The helper's fallback (``''``) reaches no decision: the result's outcome (its exit code, its timeout verdict)
is known before the helper runs, and the field is secondary data. A re-raise there would throw that result away,
or replace it with an error raised from inside the caller's own handler. What the handler owes is a trace: log
it with the traceback and keep the fallback. Judged only where every caller can be seen: a private module
function (``_logs``) whose every call in its module is a keyword argument of a constructor (``CapWords(...)``)
that is given other fields too."""

from __future__ import annotations

import ast

from sadpath.engine.call_index import calls_named
from sadpath.engine.handler_site import Site


def filled_field(site: Site) -> tuple[str, str] | None:
    """(the field, the result class) when the handler's function only ever fills that field of results its
    callers build; None otherwise."""
    func, ctx = site.func, site.ctx
    if func is None or not func.name.startswith("_") or func not in ctx.tree.body or not site.verdict.startswith("return "):
        return None
    calls = calls_named(ctx, func.name)
    if not calls:
        return None
    fields: set[tuple[str, str]] = set()
    for call, parents in calls:
        owner = parents[-1] if parents else None
        keyword = parents[-2] if len(parents) >= 2 else None
        if not isinstance(owner, ast.keyword) or not isinstance(keyword, ast.Call) or owner.arg is None:
            return None
        name = keyword.func.attr if isinstance(keyword.func, ast.Attribute) else getattr(keyword.func, "id", "")
        if not name[:1].isupper() or len(keyword.keywords) + len(keyword.args) < 2:
            return None  # not a result built with other fields
        fields.add((owner.arg, name))
    return sorted(fields)[0] if len(fields) == 1 else None


def logged_field(site: Site) -> bool | None:
    """It only fills one field of results its callers build with their outcome already decided (``output=_logs(c)``
    beside the exit code), and it logs the failure with the traceback: the fallback is visible, and the result stands."""
    if filled_field(site) is None:
        return None
    return bool(site.path.traced)


def field_story(site: Site) -> tuple[str, str] | None:
    """SAD101's consequence and advice for such a helper."""
    filled = filled_field(site)
    if filled is None:
        return None
    field, result = filled
    value = site.verdict[len("return "):]
    return (
        f"every `{result}` its callers build gets `{field}={value}` for every error, with no trace of why",
        f"It only fills `{field}` of a `{result}` whose outcome its callers have already decided: log the failure with"
        " the traceback (`logger.exception`) and carry on with the fallback; re-raising would throw that result away.",
    )


__all__ = ["field_story", "filled_field", "logged_field"]
