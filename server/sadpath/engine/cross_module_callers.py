"""Who calls a module's function from the project's other modules, without importing or running them.

``callers_elsewhere(name, ctx)`` gives every call of the module's top-level function ``name`` made in another
module of the project (the folder above the module's outermost package), as ``(caller_ctx, call, parents)``,
keeping only calls whose callee resolves to this module through the caller's imports (``from web_shop.clients
import shipping_quote``, ``from worker_pipeline import enrich`` then ``enrich.fetch_customer_profile(...)``, a
relative import). None when some module of the project cannot be read or parsed: its calls cannot be seen, so
nothing can be proven about all the callers. Files that do not call the name are skipped through
``project_files``' call filter, so a project is read once, not once per question."""

from __future__ import annotations

import ast
from pathlib import Path

from sadpath.engine.call_index import calls_named
from sadpath.engine.context import ModuleContext
from sadpath.engine.project_calls import module_context
from sadpath.engine.project_files import dotted_name, project_modules_calling

Caller = tuple[ModuleContext, ast.Call, list[ast.AST]]


def callers_elsewhere(name: str, ctx: ModuleContext) -> list[Caller] | None:
    key = ("callers-elsewhere", name)
    if key not in ctx.memo:
        ctx.memo[key] = _find(name, ctx)
    return ctx.memo[key]


def _find(name: str, ctx: ModuleContext) -> list[Caller] | None:
    if not ctx.source.path or not ctx.source.path.endswith(".py"):
        return []
    here = Path(ctx.source.path)
    try:
        target = f"{dotted_name(here)}.{name}"
        own = here.resolve()
    except (OSError, ValueError):
        return []
    found: list[Caller] = []
    for candidate, tree in project_modules_calling(name, ctx.source.path):
        if tree is None:
            return None
        try:
            if candidate.resolve() == own:
                continue
        except OSError:
            return None
        other = module_context(candidate, ctx)
        if other is None:
            return None
        for call, parents in calls_named(other, name):
            if refers_to(call, other, target):
                found.append((other, call, parents))
    return found


def refers_to(call: ast.Call, ctx: ModuleContext, target: str) -> bool:
    """The call names ``target`` (a dotted module path and name), however the calling module imported it."""
    qualified = ctx.semantic.qualified_name(call.func)
    if not qualified:
        return False
    stripped = qualified.lstrip(".")
    return stripped == target or (qualified != stripped and target.endswith("." + stripped))
