"""# SAD102 bare-except

## What it does

Flags `except:` and `except BaseException:` handlers, and handlers that catch
`asyncio.CancelledError`, `KeyboardInterrupt`, `SystemExit` or `GeneratorExit`,
when they do not re-raise what they caught.

It stays quiet when the handler re-raises (`raise` or `raise exc`) after its
clean-up, when it keeps the exception to re-raise or report later
(`error = exc`, `errors.append(exc)`, `sys.exc_info()`, `callback(exc)`) or
hands it to a `reraise(...)` helper, when a done-callback inspects another task
(`task.result()`: the cancellation is that task's, not its own), when it exits the process (`sys.exit(1)`), when a `main()` function or
the `__main__` block turns Ctrl-C into a clean exit, and when the function
cancelled the task it is awaiting (`task.cancel()` then `await task` inside
`except asyncio.CancelledError`), which is how a cancelled task is reaped.

## Why is this bad?

These handlers catch the signals that stop a program, not only errors. Ctrl-C
and `sys.exit()` are swallowed and the process keeps running; a cancelled
asyncio task reports success to whoever cancelled it, so timeouts
(`asyncio.wait_for`) and graceful shutdowns hang or act on work that never ended.

## Example

```python
import time


def worker(queue):
    while True:
        try:
            queue.process_next()
        except:
            time.sleep(1)
```

## Use instead

```python
import logging
import time

logger = logging.getLogger(__name__)


def worker(queue):
    while True:
        try:
            queue.process_next()
        except Exception:
            logger.exception("processing failed; retrying in 1s")
            time.sleep(1)
```

## Fix safety

Unsafe. For `except:` and `except BaseException:` the fix narrows the handler to
`except Exception:`, so interrupts and exits propagate again; for an explicit
signal (`CancelledError`, `KeyboardInterrupt`, `SystemExit`) it appends `raise`
after the existing handling. Both change what reaches the caller.

## Options

None.

## References

- [Python docs: exception hierarchy](https://docs.python.org/3/library/exceptions.html#exception-hierarchy)
- [asyncio: Task cancellation](https://docs.python.org/3/library/asyncio-task.html#task-cancellation)
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext
from sadpath.model import Applicability, FixOffer
from sadpath.engine import logcalls
from sadpath.rules import _except
from sadpath.rules.base import Rule
from sadpath.engine.walker import NESTED_SCOPES

SIGNAL_NAMES = {
    "asyncio.CancelledError": "the task's cancellation",
    "KeyboardInterrupt": "Ctrl-C (KeyboardInterrupt)",
    "SystemExit": "sys.exit() (SystemExit)",
    "GeneratorExit": "the generator's close() (GeneratorExit)",
}
EXITS = frozenset({"sys.exit", "os._exit", "exit", "quit"})


class BareExcept(Rule):
    code = "SAD102"
    slug = "bare-except"
    summary = "`except:` or `except BaseException:`, or catching cancellation, Ctrl-C or exit, without re-raising."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ('narrow_except', 'reraise')

    def visit_ExceptHandler(self, node: ast.ExceptHandler, ctx: ModuleContext) -> None:
        names = _except.caught_names(node, ctx)
        broad = node.type is None or "BaseException" in names
        signals = [n for n in names if n in SIGNAL_NAMES]
        if not broad and not signals:
            return
        if _except.reraises(node) or _exits(node, ctx) or _captures(node, ctx):
            return
        if signals == ["asyncio.CancelledError"] and _inspects_other_task(ctx):
            return
        func = ctx.enclosing_function()
        where = f"`{func.name}()`" if func is not None else "module code"
        if broad:
            label = "bare `except:`" if node.type is None else "`except BaseException`"
            message = (
                f"{label} in {where} also catches KeyboardInterrupt, SystemExit and task cancellation: "
                "Ctrl-C, sys.exit() and cancellations are swallowed here. Catch `Exception` instead, or re-raise."
            )
            fixes = [FixOffer("narrow_except", "Narrow the handler to `except Exception:`", Applicability.UNSAFE)]
        else:
            if signals == ["asyncio.CancelledError"] and func is not None and _reaps_cancelled_task(func, node, ctx):
                return
            if set(signals) <= {"KeyboardInterrupt", "SystemExit"} and not _keeps_looping(node, ctx):
                return
            what = " and ".join(SIGNAL_NAMES[s] for s in signals)
            consequence = (
                "the task reports success to whoever cancelled it, and timeouts and shutdown wait on work that never ended"
                if "asyncio.CancelledError" in signals
                else "the program keeps running when it was told to stop"
            )
            message = f"`except {ast.unparse(node.type)}` in {where} swallows {what}: {consequence}. Re-raise after clean-up."
            fixes = [FixOffer("reraise", "Re-raise after the existing clean-up", Applicability.UNSAFE)]
        ctx.report(self, ctx.line_span(node), message, fixes=fixes, data={"signals": signals, "broad": broad})


def _captures(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The handler keeps the exception for later (``error = exc``, ``errors.append(exc)``,
    ``sys.exc_info()``, ``callback(exc)``): it is re-raised or reported by someone else."""
    for node in _except.walk_handler(handler):
        if isinstance(node, ast.Call):
            if ctx.qualified_name(node.func) == "sys.exc_info":
                return True
            if handler.name and logcalls.as_log_call(node, ctx) is None and any(
                logcalls.mentions(a, handler.name) for a in [*node.args, *(k.value for k in node.keywords)]
            ):
                return True
        if isinstance(node, ast.Assign) and handler.name and logcalls.mentions(node.value, handler.name):
            return True
    return False


def _inspects_other_task(ctx: ModuleContext) -> bool:
    """``task.result()`` / ``task.exception()`` in a done-callback: the CancelledError is that task's, not ours."""
    try_node = ctx.parents[-1] if ctx.parents else None
    if not isinstance(try_node, ast.Try):
        return False
    for stmt in try_node.body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Await):
                return False  # awaiting in the try: a cancellation may be ours
    for stmt in try_node.body:
        for node in ast.walk(stmt):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("result", "exception")
                and not node.args
            ):
                return True
    return False


def _exits(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    for node in _except.walk_handler(handler):
        if isinstance(node, ast.Call) and ctx.qualified_name(node.func) in EXITS:
            return True
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "reraise":
                return True  # six.reraise / a project's reraise(*exc_info) raises again
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id in ("SystemExit", "KeyboardInterrupt"):
                return True
    return False


def _reaps_cancelled_task(func: ast.AST, handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The function cancelled a task and awaits that same task in the ``try``: the CancelledError is the answer."""
    cancelled = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cancel":
            cancelled.add(ast.unparse(node.func.value))
    for node in ast.walk(func):
        # for task in tasks: task.cancel()  ->  the collection was cancelled too
        if isinstance(node, (ast.For, ast.AsyncFor)) and ast.unparse(node.target) in cancelled:
            cancelled.add(ast.unparse(node.iter))
    if not cancelled:
        return False
    try_node = ctx.parents[-1] if ctx.parents else None
    if not isinstance(try_node, ast.Try):
        return False
    for stmt in try_node.body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Await):
                awaited = node.value
                targets = [awaited]
                if isinstance(awaited, ast.Call):
                    targets = [a.value if isinstance(a, ast.Starred) else a for a in awaited.args]
                if any(ast.unparse(t) in cancelled for t in targets):
                    return True
    return False


def _keeps_looping(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """Inside a loop of its function, the handler lets the loop go on (no return, break or exit)."""
    in_loop = False
    for parent in reversed(ctx.parents):
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.While)):
            in_loop = True
            break
        if isinstance(parent, NESTED_SCOPES):
            break
    if not in_loop:
        return False  # the program stops after the handler: a clean exit on Ctrl-C
    for node in _except.walk_handler(handler):
        if isinstance(node, (ast.Return, ast.Break)):
            return False
    return True
