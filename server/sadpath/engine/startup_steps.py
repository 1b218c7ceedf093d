"""Whether a function is a step of the service's start-up: every call of it in the project runs directly in a
start-up hook (``async def lifespan(app)``, ``on_startup()``, ``startup_event()``), or in a helper only such hooks
call.

A handler there that logs the failure and carries on is the author's choice to start the service without the
step (the dependencies of one plugin, a warm-up): re-raising would stop the whole service from starting over it.
What the handler owes is the traceback. Functions that set the service up (``init_db()``, ``main()``) are not
hooks here: a failure of theirs should stop the start-up, and their own rules judge them."""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext
from sadpath.engine.naming import words
from sadpath.engine.rollback_hooks import callers_covered

_HOOK_WORDS = frozenset({"lifespan", "startup"})


def startup_hook(name: str) -> bool:
    """``lifespan``, ``on_startup``, ``app_startup``, ``startup_event``: the application runs it once as it starts."""
    return bool(_HOOK_WORDS & set(words(name)))


def startup_step(func: ast.AST | None, ctx: ModuleContext) -> bool:
    """The function (not itself a hook, nor decorated: a framework calls those) is called only from start-up hooks,
    and at least once."""
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or func.decorator_list or startup_hook(func.name):
        return False
    if not ctx.source.path or not ctx.source.path.endswith(".py"):
        return False
    key = ("startup-step", func.name, func.lineno)
    if key not in ctx.memo:
        klass = ctx.enclosing_class()
        owner = klass.name if klass is not None and func in klass.body else None
        covered = callers_covered(
            func.name, ctx.source.path, isinstance(func, ast.AsyncFunctionDef), startup_hook, target=func, owner=owner
        )
        ctx.memo[key] = covered == "start-up"
    return ctx.memo[key]


def startup_story(site, ctx: ModuleContext) -> tuple[str, str] | None:
    """SAD101's consequence and advice for a start-up step whose handler logs the error's text and carries on."""
    if site.func is None or not site.verdict.startswith("log:") or not startup_step(site.func, ctx):
        return None
    return (
        f"the service starts without `{site.func.name}()`, with only the error's text in the log",
        "It is an optional step of the start-up: log it with the traceback (`logger.exception`) and carry on;"
        " re-raising would stop the whole service from starting over it.",
    )
