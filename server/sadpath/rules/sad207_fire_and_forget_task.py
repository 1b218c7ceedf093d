"""# SAD207 fire-and-forget-task

## What it does

Flags the result of `asyncio.create_task(...)`, `asyncio.ensure_future(...)` or
`loop.create_task(...)` thrown away (a statement of its own), and a coroutine
called without `await`: the project's own `async def` functions and `self`
methods, and the coroutine methods of async clients (`httpx.AsyncClient`,
`aiohttp.ClientSession`, `redis.asyncio.Redis`, ...).

It stays quiet when the task is kept (`task = ...`, `tasks.append(...)`,
`return asyncio.create_task(...)`), awaited, created in a task group
(`tg.create_task` under `async with asyncio.TaskGroup() as tg`, anyio's
`start_soon`), and when the coroutine is handed to something that runs it
(`asyncio.run(main())`, `create_task(work())`, `gather(...)`).

## Why is this bad?

The event loop keeps only a weak reference to a task: one nobody holds can be
garbage-collected before it finishes, and when it fails its exception is never
retrieved; it shows up, if at all, as "Task exception was never retrieved" long
after the fact. A coroutine called without `await` does not run at all: the work
silently never happens.

## Example

```python
import asyncio


async def send_receipt(order_id):
    await asyncio.sleep(0)


async def checkout(order_id):
    asyncio.create_task(send_receipt(order_id))
    return {"ok": True}
```

## Use instead

```python
import asyncio
import logging

logger = logging.getLogger(__name__)
_background_tasks = set()


def _log_task_result(task):
    _background_tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("background task failed", exc_info=task.exception())


async def send_receipt(order_id):
    await asyncio.sleep(0)


async def checkout(order_id):
    task = asyncio.create_task(send_receipt(order_id))
    _background_tasks.add(task)
    task.add_done_callback(_log_task_result)
    return {"ok": True}
```

## Fix safety

Unsafe. For a discarded task the fix keeps a reference in a module-level set and
adds a done-callback that drops the task and logs its exception (defined once per
module, with a `logger` and imports added when missing). For a coroutine called
without `await` inside an `async def`, it adds `await`: the call then waits for
the work it used to skip.

## Options

None.

## References

- [asyncio.create_task: keep a reference](https://docs.python.org/3/library/asyncio-task.html#asyncio.create_task)
- [asyncio: detect never-awaited coroutines](https://docs.python.org/3/library/asyncio-dev.html#detect-never-awaited-coroutines)
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.model import Applicability, FixOffer
from sadpath.rules.base import Rule

TASK_FACTORIES = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
LOOP_GETTERS = frozenset({"asyncio.get_event_loop", "asyncio.get_running_loop", "asyncio.new_event_loop"})


class FireAndForgetTask(Rule):
    code = "SAD207"
    slug = "fire-and-forget-task"
    summary = "A task whose result is thrown away, or a coroutine called without `await`: its failure (or the work) vanishes."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ('keep_task', 'add_await')

    def visit_Expr(self, node: ast.Expr, ctx: ModuleContext) -> None:
        call = node.value
        if not isinstance(call, ast.Call):
            return
        func = ctx.enclosing_function()
        if self._is_task_factory(call, ctx):
            where = f"`{func.name}()`" if func is not None else "module code"
            message = (
                f"The task from `{ast.unparse(call.func)}(...)` in {where} is thrown away: the loop holds it only weakly, "
                "so it can be garbage-collected mid-flight, and when it fails nobody sees the exception. "
                "Keep a reference and log its outcome, or await it."
            )
            fix = FixOffer("keep_task", "Keep a reference to the task and log its failure", Applicability.UNSAFE)
            ctx.report(self, ctx.span(call), message, fixes=[fix])
            return
        coroutine = self._coroutine_name(call, ctx)
        if coroutine is None:
            return
        in_async = isinstance(func, ast.AsyncFunctionDef)
        message = (
            f"`{coroutine}(...)` is a coroutine called without `await`: it never runs, so its work silently does not happen"
            + (". Await it." if in_async else "; call it from async code with `await`, or run it with `asyncio.run`.")
        )
        fixes = [FixOffer("add_await", f"Await `{coroutine}(...)`", Applicability.UNSAFE)] if in_async else []
        ctx.report(self, ctx.span(call), message, fixes=fixes)

    @staticmethod
    def _is_task_factory(call: ast.Call, ctx: ModuleContext) -> bool:
        qn = ctx.qualified_name(call.func)
        if qn in TASK_FACTORIES:
            return True
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr != "create_task":
            return False
        receiver = func.value
        if isinstance(receiver, ast.Call) and ctx.qualified_name(receiver.func) in LOOP_GETTERS:
            return True
        name = receiver.attr if isinstance(receiver, ast.Attribute) else receiver.id if isinstance(receiver, ast.Name) else ""
        if ctx.type_of(receiver) in LOOP_GETTERS:
            return True
        return name in ("loop", "_loop", "event_loop") and not _in_task_group(name, ctx)

    @staticmethod
    def _coroutine_name(call: ast.Call, ctx: ModuleContext) -> str | None:
        func = call.func
        if isinstance(func, ast.Name):
            target = ctx.semantic.module_functions.get(func.id)
            shadowed = any(func.id in ctx.semantic.scope(s).locals for s in ctx.scopes[1:] if not isinstance(s, ast.ClassDef))
            if isinstance(target, ast.AsyncFunctionDef) and not shadowed:
                return func.id
            return None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            cls = ctx.enclosing_class()
            if cls is not None:
                for stmt in cls.body:
                    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == func.attr:
                        return f"self.{func.attr}" if isinstance(stmt, ast.AsyncFunctionDef) else None
            return None
        external = external_call(call, ctx)
        if external is not None and external.is_async:
            return ast.unparse(func)
        return None


def _in_task_group(name: str, ctx: ModuleContext) -> bool:
    """``tg`` bound by ``async with asyncio.TaskGroup() as tg`` around the call."""
    for parent in ctx.parents:
        if isinstance(parent, ast.AsyncWith):
            for item in parent.items:
                if isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name:
                    return True
    return False
