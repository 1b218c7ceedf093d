"""# SAD207 fire-and-forget-task

## What it does

Flags the result of `asyncio.create_task(...)`, `asyncio.ensure_future(...)` or
`loop.create_task(...)` thrown away (a statement of its own, however the factory
is imported: `from asyncio.tasks import create_task`, an alias, a loop held on
`self`), the same in a callback whose value nobody reads (`loop.add_signal_handler(sig,
lambda: asyncio.ensure_future(reload()))`, `call_soon`, `add_done_callback`), and a
coroutine called without `await`: the project's own `async def` functions (in the
module or imported from another project module) and `self` methods, asyncio's own
coroutines (`asyncio.sleep(1)`, `asyncio.wait_for(...)`, `queue.put(item)` on an
`asyncio.Queue`), and the coroutine methods of async clients (`httpx.AsyncClient`,
`aiohttp.ClientSession`, `redis.asyncio.Redis`, ...).

It stays quiet when the task is kept (`task = ...`, `tasks.append(...)`,
`return asyncio.create_task(...)`), awaited, created in a task group
(`tg.create_task` under `async with asyncio.TaskGroup() as tg`, anyio's
`start_soon`), when the coroutine is handed to something that runs it
(`asyncio.run(main())`, `create_task(work())`, `gather(...)`), and for names that
only look like coroutines: a synchronous `run()` of the project beside
`asyncio.run`, `queue.put_nowait(...)`, and the plain methods of async clients that
build an object rather than run I/O (`redis.pipeline()`, `pubsub()`, `session.add()`).

It looks into the dropped task's coroutine (a nested, module, `self` or project `async def`). One with no `await`
at all runs in one step: quiet. One that handles its own failures (its work inside `try`/`except` that logs the
error or records it) loses no exception: the finding says only that the task can be garbage-collected before it
finishes. When a read that decides what to do (`if not await Config.get(...)`, `for hook in await get_hooks()`)
sits outside every `try`, its failure is lost: the finding says so and asks for a done-callback that logs. One
that waits on a future an object holds
(`await self._finish_future`, `spawner._stop_future` passed in) cannot be collected: the finding says only that its
failure is never retrieved, and when it handles its failures too, it stays quiet. The same coroutine dropped
again in one function is one finding, at the first, naming the other lines.

The failing step it names is one that can really fail: it skips a project callee that catches every error and
returns a sentinel (`except Exception: return None`) and an await in a branch that returns anyway. When that step
reaches a project function that refuses on purpose (`if spawner.active: raise RuntimeError(...)`) and the steps it
skips delete or commit, the advice is a done-callback that logs the failure with context, not to let them run.

## Why is this bad?

The event loop keeps only a weak reference to a task: one nobody holds can be
garbage-collected before it finishes, its work stopping part way; asyncio's "Task was
destroyed but it is pending!" line on the `asyncio` logger is the only report.
When it fails, its exception is never retrieved: asyncio's generic "Task exception
was never retrieved" line (traceback and coroutine name, on the `asyncio` logger)
is its only report, nothing in the application logs it with context or acts on
it, and the coroutine's steps after the failing one never run (the finding names
them). A coroutine called without `await` does not run at all: the work silently
never happens.

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
from sadpath.engine.project_calls import ProjectCalls, project_base, project_calls_of
from sadpath.engine.task_outcome import awaits_anything, guards_itself, local_coroutine, outcome_key, package_coroutine, waits_on_held_future
from sadpath.engine.task_failures import Refusal, real_undone, refusal
from sadpath.engine.task_steps import UndoneSteps
from sadpath.engine.unguarded_reads import unguarded_reads
from sadpath.model import Applicability, FixOffer
from sadpath.rules.base import Rule

TASK_FACTORIES = frozenset(
    {"asyncio.create_task", "asyncio.ensure_future", "asyncio.tasks.create_task", "asyncio.tasks.ensure_future"}
)
LOOP_GETTERS = frozenset({"asyncio.get_event_loop", "asyncio.get_running_loop", "asyncio.new_event_loop", "asyncio.events.get_event_loop", "asyncio.events.get_running_loop", "asyncio.events.new_event_loop"})
LOOP_TYPES = frozenset({"asyncio.AbstractEventLoop", "asyncio.BaseEventLoop", "asyncio.events.AbstractEventLoop", "asyncio.base_events.BaseEventLoop", *LOOP_GETTERS})
# the standard library's coroutine functions: called without await they do nothing at all
ASYNCIO_COROUTINES = frozenset(
    f"asyncio.{name}"
    for name in (
        "sleep", "wait_for", "wait", "open_connection", "open_unix_connection", "start_server", "start_unix_server",
        "create_subprocess_exec", "create_subprocess_shell", "to_thread", "staggered_race",
    )
) | frozenset({"asyncio.tasks.sleep", "asyncio.tasks.wait_for", "asyncio.tasks.wait"})
# coroutine methods of asyncio's own types (the receiver's type must be known)
ASYNCIO_METHODS = {
    "asyncio.Queue": frozenset({"put", "get", "join"}),
    "asyncio.PriorityQueue": frozenset({"put", "get", "join"}),
    "asyncio.LifoQueue": frozenset({"put", "get", "join"}),
    "asyncio.Event": frozenset({"wait"}),
    "asyncio.Lock": frozenset({"acquire"}),
    "asyncio.Semaphore": frozenset({"acquire"}),
    "asyncio.BoundedSemaphore": frozenset({"acquire"}),
    "asyncio.Condition": frozenset({"wait", "wait_for", "acquire"}),
    "asyncio.StreamWriter": frozenset({"drain", "wait_closed", "start_tls"}),
    "asyncio.StreamReader": frozenset({"read", "readline", "readexactly", "readuntil"}),
}
# methods of async clients that are plain functions (they build an object, they do not run I/O)
SYNC_CLIENT_METHODS = frozenset(
    {"pipeline", "pubsub", "lock", "register_script", "monitor", "client", "stream", "copy", "set_response_callback",
     "get_encoder", "get_connection_kwargs", "get_retry", "set_retry", "build_request", "cursor", "add", "add_all",
     "expunge", "expunge_all"}
)
# what becomes of a dropped task's exception: asyncio logs it, traceback included, but out of the application's hands
UNRETRIEVED = (
    "asyncio's \"Task exception was never retrieved\" line on the `asyncio` logger (the traceback and the coroutine's "
    "name) is its only report"
)
# what becomes of a pending task that is garbage-collected: asyncio's exception handler logs one line, no more
DESTROYED = (
    "asyncio's \"Task was destroyed but it is pending!\" line on the `asyncio` logger (with the task's coroutine) "
    "is the only report"
)
# calls that register a callback whose return value nobody reads
CALLBACK_REGISTRARS = frozenset(
    {"add_signal_handler", "call_soon", "call_soon_threadsafe", "call_later", "call_at", "add_done_callback",
     "add_reader", "add_writer", "signal", "register"}
)


class FireAndForgetTask(Rule):
    code = "SAD207"
    slug = "fire-and-forget-task"
    summary = "A task whose result is thrown away, or a coroutine called without `await`: its failure (or the work) vanishes."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ('keep_task', 'add_await')

    @classmethod
    def context_key(cls, ctx: ModuleContext) -> str:
        return outcome_key(ctx)  # a fired task is judged by its coroutine's body, often in another unit

    def __init__(self) -> None:
        self._project: ProjectCalls | None = None

    def visit_Expr(self, node: ast.Expr, ctx: ModuleContext) -> None:
        call = node.value
        if isinstance(call, ast.Call):
            self._dropped(call, ctx, None)

    def visit_Lambda(self, node: ast.Lambda, ctx: ModuleContext) -> None:
        """``loop.add_signal_handler(SIGHUP, lambda: asyncio.ensure_future(reload()))``: the callback's value is
        dropped by whoever calls it."""
        parent = ctx.parents[-1] if ctx.parents else None
        if not (isinstance(node.body, ast.Call) and isinstance(parent, ast.Call) and node in parent.args):
            return
        func = parent.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in CALLBACK_REGISTRARS:
            self._dropped(node.body, ctx, f"`{ast.unparse(func)}()`")

    def _dropped(self, call: ast.Call, ctx: ModuleContext, callback_of: str | None) -> None:
        """A call whose value is thrown away: a statement of its own, or the body of a registered callback."""
        func = ctx.enclosing_function()
        if self._is_task_factory(call, ctx):
            if callback_of is not None:
                where = f"a callback registered with {callback_of}"
            else:
                where = f"`{func.name}()`" if func is not None else "module code"
            outcome = self._task_outcome(call, ctx)
            if outcome == "quiet":
                return
            again = self._fired_again(call, func, ctx)
            if again is None:
                return
            factory = f"`{ast.unparse(call.func)}(...)`"
            coroutine = call.args[0] if call.args and isinstance(call.args[0], ast.Call) else None
            what = f"`{ast.unparse(coroutine.func)}()`" if coroutine is not None else "the work"
            undone, refused = self._undone(coroutine, ctx) if outcome != "guarded" else (None, None)
            if refused is not None:  # the callee refuses on purpose and the skipped steps delete or commit
                lost = (
                    f"when {undone.failing} fails, the rest of {what} ({undone.lines}) never runs, as intended: "
                    f"`{refused.callee}()` raises `{refused.error}` on purpose ({refused.path} line {refused.line}) "
                    "and those steps delete or commit; but nothing in the application logs the failure with context "
                    f"or acts on it: {UNRETRIEVED}"
                )
                advice = (
                    "Keep a reference and add a done-callback that logs the failure with context and reports it; "
                    "do not let the skipped steps run anyway."
                )
            elif undone is not None:
                lost = (
                    f"when {undone.failing} fails, the rest of {what} ({undone.lines}) never runs and nothing in the "
                    f"application logs the failure with context or acts on it: {UNRETRIEVED}"
                )
                advice = (
                    f"Handle that failure in {what} so its remaining steps still run or are undone, or keep a reference "
                    "and act on the outcome in a done-callback."
                )
            else:
                lost = (
                    f"when {what} fails, nothing in the application logs the failure with context or acts on it: "
                    f"{UNRETRIEVED}"
                )
                advice = None
            reads = self._unguarded_reads(coroutine, ctx) if outcome == "guarded" else []
            if reads:  # the work is guarded, but a leading read outside every ``try`` fails unseen
                shown = ", ".join(f"`{ast.unparse(r)[:60]}` (line {r.lineno})" for r in reads[:2])
                message = (
                    f"The task from {factory} in {where} is thrown away: {what} catches the failures of its main work, "
                    f"but {shown} sits outside every `try`: when it fails, the task ends with that error and nothing "
                    f"in the application logs it: {UNRETRIEVED}; and the loop holds the task only weakly, so it can be "
                    f"garbage-collected before it is done: {DESTROYED}. Keep a reference (a set and "
                    "`add_done_callback`) and log the task's exception with context in that done-callback."
                )
            elif outcome == "guarded":
                message = (
                    f"The task from {factory} in {where} is thrown away: {what} handles its own failures, so no error "
                    "is lost; only the reference is missing: the loop holds a task only weakly, and one nobody "
                    f"references can be garbage-collected before it is done, its work stopping part way: {DESTROYED}. "
                    "Keep a reference until it is done (a set, and a done-callback that discards the task and logs "
                    "whatever its own handling lets through)."
                )
            elif outcome == "held":
                message = (
                    f"The task from {factory} in {where} is thrown away: {lost}. "
                    + (advice or "Add a done-callback that logs its outcome with context, or await it.")
                )
            else:
                message = (
                    f"The task from {factory} in {where} is thrown away: the loop holds it only weakly, so it can be "
                    f"garbage-collected before it is done, and {lost}. "
                    + (advice or "Keep a reference and log its outcome with context, or await it.")
                )
            if again:
                message += f" The same {what} is also fired and forgotten on line {', '.join(map(str, again))}."
            # one fix per task: with the same coroutine dropped again below, a fix here would only move the finding
            keep = callback_of is None and not again
            fixes = [FixOffer("keep_task", "Keep a reference to the task and log its failure", Applicability.UNSAFE)] if keep else []
            ctx.report(self, ctx.span(call), message, fixes=fixes)
            return
        coroutine = self._coroutine_name(call, ctx)
        if coroutine is None:
            return
        in_async = isinstance(func, ast.AsyncFunctionDef) and callback_of is None
        message = (
            f"`{coroutine}(...)` is a coroutine called without `await`: it never runs, so its work silently does not happen"
            + (". Await it." if in_async else "; call it from async code with `await`, or run it with `asyncio.run`.")
        )
        fixes = [FixOffer("add_await", f"Await `{coroutine}(...)`", Applicability.UNSAFE)] if in_async else []
        ctx.report(self, ctx.span(call), message, fixes=fixes)

    def _task_outcome(self, call: ast.Call, ctx: ModuleContext) -> str:
        """"lost": nobody sees the failure and the task can be collected; "held": an object keeps the task alive,
        only the unobserved failure is left; "guarded": the coroutine logs or records its own failures, only the
        weak reference is left; "quiet": nothing is left (no ``await`` at all, or guarded and held)."""
        if not call.args or not isinstance(call.args[0], ast.Call):
            return "lost"
        coroutine = call.args[0]
        target = self._coroutine_def(coroutine, ctx)
        if target is None:
            return "lost"
        target_ctx, target_def = target
        if not awaits_anything(target_def):
            return "quiet"
        held = waits_on_held_future(target_def, coroutine)
        guarded = guards_itself(target_def, target_ctx)
        if held and guarded:
            return "quiet"
        return "held" if held else "guarded" if guarded else "lost"

    def _unguarded_reads(self, coroutine: ast.Call | None, ctx: ModuleContext) -> list[ast.Await]:
        target = self._coroutine_def(coroutine, ctx) if coroutine is not None else None
        return unguarded_reads(target[1], target[0]) if target is not None else []

    def _undone(self, coroutine: ast.Call | None, ctx: ModuleContext) -> tuple[UndoneSteps | None, Refusal | None]:
        """The steps of the dropped coroutine that a failure of its first await that can really fail skips, and
        whether that failure is the callee's deliberate refusal to let them run."""
        target = self._coroutine_def(coroutine, ctx) if coroutine is not None else None
        if target is None:
            return None, None
        project = project_calls_of(target[0])
        undone = real_undone(target[1], target[0], project)
        return undone, (refusal(target[1], target[0], project, undone) if undone is not None else None)

    def _coroutine_def(self, coroutine: ast.Call, ctx: ModuleContext) -> tuple[ModuleContext, ast.AsyncFunctionDef] | None:
        if isinstance(coroutine.func, ast.Name):
            local = local_coroutine(coroutine.func.id, ctx, coroutine.lineno)
            if local is not None:
                return ctx, local
        qn = ctx.qualified_name(coroutine.func) or ""
        if isinstance(coroutine.func, ast.Name) and qn and qn != coroutine.func.id:
            head = qn.split(".", 1)[0]
            if not ctx.fact(f"sad207-project-module:{head}", lambda: project_base(head, ctx) is not None):
                return package_coroutine(qn, ctx)
        if self._project is None:
            self._project = project_calls_of(ctx)
        target = self._project.resolve(coroutine, ctx)
        if target is None or not isinstance(target[1], ast.AsyncFunctionDef):
            return None
        return target[0], target[1]

    def _fired_again(self, call: ast.Call, func: ast.AST | None, ctx: ModuleContext) -> list[int] | None:
        """The other lines of the same function that fire the same coroutine and drop the task; None when this call
        is not the first of them (one finding per problem, at the first)."""
        if func is None or not call.args or not isinstance(call.args[0], ast.Call):
            return []
        name = ast.unparse(call.args[0].func)
        lines = []
        for node in ast.walk(func):
            body = node.value if isinstance(node, ast.Expr) else node.body if isinstance(node, ast.Lambda) else None
            if (
                isinstance(body, ast.Call) and body.args and isinstance(body.args[0], ast.Call)
                and ast.unparse(body.args[0].func) == name and ast.unparse(body.func) == ast.unparse(call.func)
            ):
                lines.append(body.lineno)
        lines = sorted(set(lines) - {call.lineno})
        if any(line < call.lineno for line in lines):
            return None
        return lines

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
        if ctx.type_of(receiver) in LOOP_TYPES:
            return True
        return name in ("loop", "_loop", "event_loop") and not _in_task_group(name, ctx)

    def _coroutine_name(self, call: ast.Call, ctx: ModuleContext) -> str | None:
        func = call.func
        qn = ctx.qualified_name(func)
        if qn in ASYNCIO_COROUTINES:
            return ast.unparse(func)
        if isinstance(func, ast.Name):
            target = ctx.semantic.module_functions.get(func.id)
            shadowed = any(func.id in ctx.semantic.scope(s).locals for s in ctx.scopes[1:] if not isinstance(s, ast.ClassDef))
            if target is not None or shadowed:
                return func.id if isinstance(target, ast.AsyncFunctionDef) and not shadowed else None
            return func.id if qn and qn != func.id and self._project_coroutine(call, qn, ctx) else None
        if isinstance(func, ast.Attribute) and func.attr in ASYNCIO_METHODS.get(ctx.type_of(func.value) or "", ()):
            return ast.unparse(func)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            cls = ctx.enclosing_class()
            if cls is not None:
                for stmt in cls.body:
                    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == func.attr:
                        return f"self.{func.attr}" if isinstance(stmt, ast.AsyncFunctionDef) else None
            return None
        external = external_call(call, ctx)
        if external is not None and external.is_async and external.method not in SYNC_CLIENT_METHODS:
            return ast.unparse(func)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and qn and ctx.type_of(func.value) is None:
            return ast.unparse(func) if self._project_coroutine(call, qn, ctx) else None  # ``module.coroutine()``
        return None

    def _project_coroutine(self, call: ast.Call, qn: str, ctx: ModuleContext) -> bool:
        """An ``async def`` of another project module (``from app.clients import warm_cache``)."""
        head = qn.split(".", 1)[0]
        if not ctx.fact(f"sad207-project-module:{head}", lambda: project_base(head, ctx) is not None):
            return False
        if self._project is None:
            self._project = project_calls_of(ctx)
        target = self._project.resolve(call, ctx)
        return target is not None and isinstance(target[1], ast.AsyncFunctionDef)


def _in_task_group(name: str, ctx: ModuleContext) -> bool:
    """``tg`` bound by ``async with asyncio.TaskGroup() as tg`` around the call."""
    for parent in ctx.parents:
        if isinstance(parent, ast.AsyncWith):
            for item in parent.items:
                if isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name:
                    return True
    return False
