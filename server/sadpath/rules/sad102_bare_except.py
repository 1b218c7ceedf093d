"""# SAD102 bare-except

## What it does

Flags `except:` and `except BaseException:` handlers, and handlers that catch
`asyncio.CancelledError`, `KeyboardInterrupt`, `SystemExit` or `GeneratorExit`,
when they do not re-raise what they caught.

It stays quiet for `except CancelledError` in a plain (not `async`) function, such
as a thread's entry point around `asyncio.run(server.serve())`: no task of its own is
cancelled there. It stays quiet when the handler also swallows ordinary errors and SAD101 runs:
SAD101's single finding says so and names the bare `except:` too. It stays quiet
when the handler re-raises (`raise` or `raise exc`) after its
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
from sadpath.engine import catching, swallow
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
        names = catching.caught_names(node, ctx)
        broad = node.type is None or "BaseException" in names
        signals = [n for n in names if n in SIGNAL_NAMES]
        if not broad and not signals:
            return
        translated = _translation(node) if broad else None
        if translated is None and (_except.reraises(node) or _exits(node, ctx) or _captures(node, ctx)):
            return
        if signals == ["asyncio.CancelledError"] and _inspects_other_task(ctx):
            return
        func_here = ctx.enclosing_function()
        if signals == ["asyncio.CancelledError"] and isinstance(func_here, ast.FunctionDef) and not _keeps_looping(node, ctx):
            return  # a plain function is no task: ``asyncio.run(server.serve())`` in a thread's entry point ended
        if broad and not signals and "SAD101" in ctx.active and swallow.judge(node, ctx).swallows:
            return  # SAD101's one finding says the handler swallows, and that a bare `except:` also catches Ctrl-C
        func = ctx.enclosing_function()
        where = f"`{func.name}()`" if func is not None else "module code"
        in_async = isinstance(func, ast.AsyncFunctionDef)
        if broad and translated is not None:
            label = "bare `except:`" if node.type is None else "`except BaseException`"
            aborts = "Ctrl-C, sys.exit() and task cancellation" if in_async else "Ctrl-C and sys.exit()"
            chain = "" if _chained(node) else f", and raise `{translated}` `from` the caught error"
            message = (
                f"{label} in {where} turns {aborts} into `{translated}`: an operator's "
                f"abort becomes one more failure the caller counts and carries on after. Catch `Exception` instead{chain}."
            )
            fixes = [FixOffer("narrow_except", "Narrow the handler to `except Exception:`", Applicability.UNSAFE)]
        elif broad:
            label = "bare `except:`" if node.type is None else "`except BaseException`"
            message = (
                f"{label} in {where} also catches KeyboardInterrupt, SystemExit and task cancellation: "
                "Ctrl-C, sys.exit() and cancellations are swallowed here. Catch `Exception` instead, or re-raise."
                if in_async
                else f"{label} in {where} also catches KeyboardInterrupt and SystemExit: Ctrl-C and sys.exit() are "
                "swallowed here. Catch `Exception` (or the errors the block can raise) instead, or re-raise."
            )
            fixes = [FixOffer("narrow_except", "Narrow the handler to `except Exception:`", Applicability.UNSAFE)]
        else:
            if signals == ["asyncio.CancelledError"] and func is not None and _reaps_cancelled_task(func, node, ctx):
                return
            if set(signals) <= {"KeyboardInterrupt", "SystemExit"} and not _keeps_looping(node, ctx):
                return
            if signals == ["GeneratorExit"] and not _yields_again(node, ctx):
                return  # the generator cleans up and finishes: that is how close() is answered
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
    """The handler hands the exception object itself on (``error = exc``, ``errors.append(exc)``,
    ``future.set_exception(exc)``, ``self._exc_info = sys.exc_info()``): it is re-raised or reported by someone
    else. Its text alone (``str(exc)``, ``getattr(exc, "stderr")``, ``str(sys.exc_info()[1])``) is not the error."""
    texts = {id(n) for node in _except.walk_handler(handler) if _text_of(node) for n in ast.walk(node)}
    for node in _except.walk_handler(handler):
        if id(node) in texts:
            continue
        if isinstance(node, ast.Call):
            if ctx.qualified_name(node.func) == "sys.exc_info":
                return True
            if handler.name and logcalls.as_log_call(node, ctx) is None and any(
                isinstance(n, ast.Name) and n.id == handler.name and id(n) not in texts
                for a in [*node.args, *(k.value for k in node.keywords)]
                for n in ast.walk(a)
            ):
                return True
        if isinstance(node, ast.Assign) and handler.name and any(
            isinstance(n, ast.Name) and n.id == handler.name and id(n) not in texts for n in ast.walk(node.value)
        ):
            return True
    return False


def _text_of(node: ast.AST) -> bool:
    """``str(x)``, ``repr(x)``, ``getattr(x, ...)``, ``type(x)``, an f-string: the error's text, not the error."""
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("str", "repr", "getattr", "type", "format", "isinstance")


def _translation(handler: ast.ExceptHandler) -> str | None:
    """The name of the new error a broad handler raises (``raise RemoteCommandError(...) from exc``), if it does."""
    for node in _except.walk_handler(handler):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id == handler.name:
                continue
            shown = ast.unparse(target)
            if shown in ("SystemExit", "KeyboardInterrupt") or shown.endswith(("Exit", "Abort")):
                continue
            return shown
    return None


def _chained(handler: ast.ExceptHandler) -> bool:
    """Every raise of a new error in the handler has a ``from``."""
    return all(node.cause is not None for node in _except.walk_handler(handler) if isinstance(node, ast.Raise) and node.exc is not None)


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
    cancelled = {ast.unparse(n.func.value) for n in ast.walk(func) if _cancels(n)}
    cls = ctx.enclosing_class()
    if cls is not None:  # ``stop()`` cancels ``self.consumer_task`` that ``start()`` awaits: the idiom across methods
        cancelled |= {shown for n in ast.walk(cls) if _cancels(n) and (shown := ast.unparse(n.func.value)).startswith("self.")}
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


def _cancels(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cancel"


def _yields_again(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """After ``except GeneratorExit`` the generator yields again (in the handler, or by looping): Python then raises
    RuntimeError. Finishing (cleaning up and returning) is the correct answer to ``close()``."""
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _except.walk_handler(handler)):
        return True
    loop = ctx.enclosing(ast.For, ast.AsyncFor, ast.While)
    return loop is not None and any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(loop))


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
