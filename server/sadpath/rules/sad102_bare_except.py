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
`except asyncio.CancelledError`), which is how a cancelled task is reaped. The same idiom with the
`except` inside the task stays quiet too: a private task whose handler ends it, when every `.cancel()`
of its handle is its owner's (the same class or module) and is followed by a wait that takes a
cancelled end as a normal one (`gather(..., return_exceptions=True)`, `asyncio.wait`,
`suppress(CancelledError)`, an `except CancelledError` around the `await`).

It also stays quiet when a thread hands the stop on to the main thread
(`_thread.interrupt_main()`, `os.kill(os.getpid(), SIGINT)`, or a stop event set in
a thread's entry point); when a CLI command, `main()` or a coroutine the module runs
with `asyncio.run` ends on `CancelledError` or `KeyboardInterrupt` (how Ctrl-C
reaches it under `asyncio.run`); and when the author already declared the same
decision for the same check on the `except` line: `# noqa` (blanket),
`# noqa: E722` (or bugbear's `B001`) on a bare `except:`, `# noqa: BLE001` on
`except BaseException`, or `# pylint: disable=bare-except` / `broad-except` /
`broad-exception-caught`. A declaration for another check (`# noqa: E501`) silences
nothing.

In a coroutine it also stays quiet for a handler of the cancellation (or an explicit
`except BaseException`) nested in an outer `except CancelledError:` block that ends with
a bare `raise` (the cancellation propagates anyway); for clean-up in a `finally` that
absorbs a cancellation so its next clean-up steps run (the cancellation already
unwinding propagates after the `finally`); for the reaping idiom across functions
(`start()` awaits a module task that `stop_worker()` cancels, through a local alias
too); for a cancellation re-raised later through a flag (`cancelled = True`, then `if
cancelled: raise asyncio.CancelledError` before every way out); for a stop guard (`if
stopping: return`, where the canceller sets `stopping = True` just before `.cancel()`);
and for a per-run isolation boundary, an `except BaseException` that records what
it caught with the traceback after an `except CancelledError: raise` of the same `try`.
It stays quiet, too, for such a recording `except BaseException` that ends a coroutine run only as
the body of tasks nothing cancels (`loop.create_task(self._run())` with the handle dropped or only
awaited plainly: no `.cancel()` of it anywhere in the project, no `wait_for` or `timeout` around it,
no TaskGroup): only the event loop's final teardown can cancel it, and there the record is honest.
Without that re-raise the finding says the boundary also records the task's own
cancellation (and, where the handler ends the coroutine, that the task then returns as if
it had finished), and asks for it.

One finding per problem: a broad handler nested in another reported broad handler's
`try` or in its fallback (`try: A except: try: B except: ...`) is named in the outer
handler's finding ("the bare `except:` on line N, nested in its fallback, catches
everything too") and gets none of its own.

The message says what is true where the handler stands. Where an abort is
realistically delivered (`main()`, a CLI command or a command-line program, a thread
target, a consumer callback, a `while` loop, a coroutine, a gevent module) it says
that Ctrl-C, `sys.exit()`, the task's cancellation or gevent's `Timeout` and
`GreenletExit` are swallowed, or turned into the domain error the handler raises.
Elsewhere it says what does arrive there beyond `Exception`: in request code (a route,
a view, or a function handed the `request`: middleware, context processors) the web
worker's own stop (gunicorn's worker raises `SystemExit` from its SIGQUIT, SIGINT and
SIGABRT handlers in the running request, which then goes on with the fallback); in a
Celery task the solo pool's hard-shutdown `WorkerTerminate` (prefork children ignore
SIGINT); in a helper, whatever stops its caller. A handler that translates says that
every exception, SystemExit and KeyboardInterrupt included (GeneratorExit too where the
`try` yields), becomes the domain error: a bug in the block (a `NameError`, an `AttributeError`) too. When a handler
that translates also replaces an error the `try` raises itself, or a fallback falls
through leaving names the `try` binds unbound for the next read (`UnboundLocalError`),
the message says so.

Around pure in-memory work (a parse, a format, dict or index lookups, text
reshaping) no abort is realistically delivered, so the message says what is wrong
there instead: every error, bugs included, becomes the fallback, and the errors the
block raises (`ValueError`, `KeyError`, ...) should be named; a subscript of a value
of unknown type adds `TypeError` (`None[key]`, a str key on a list), while a subscript
of Django's connection handlers names their own error (`caches[alias]` raises
`InvalidCacheBackendError`, `connections[alias]` `ConnectionDoesNotExist`). A DRF field's parse
(`serializers.DateField().to_internal_value(text)`, naming DRF's `ValidationError`) and building a Django
email (`email.attach(...)`) are such work too; where the fallback is `pass` and the block only adds a part
to an output (`email.attach(...)`, `rows.append(...)`), the message says the part is dropped without a log line. A read of a Django reverse one-to-one that the loop's
query loads with its rows (`select_related`) is such work too: the one error expected there is the
missing related row, and the message and the fix name `<Model>.DoesNotExist` (`ObjectDoesNotExist`
when the module does not name the model). Around such work
a fallback that logs with the traceback (`logger.exception(...)` then the generic
rendering) is no finding: no abort lands there and a bug is on record.

## Why is this bad?

These handlers catch the signals that stop a program, not only errors. Ctrl-C
and `sys.exit()` are swallowed and the process keeps running; a cancelled
asyncio task reports success to whoever cancelled it, so timeouts
(`asyncio.wait_for`) and graceful shutdowns hang or act on work that never ended.
Wherever they stand, they also hide which failures the handling is meant for: a bug
in the block is handled as one of them and nobody sees it.

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
after the existing handling. Both change what reaches the caller. No fix is offered
for a nested pair of broad handlers: narrowing one alone leaves the other catching
everything.

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
from sadpath.engine import abort_places, cancel_flags, cancel_shapes, owner_cancels, catching, memory_calls, nested_handlers, error_path_steps, fallback_unbound, handler_claims, place_stories, related_reads, swallow, uncancelled_tasks
from sadpath.engine.boundary import boundary_of
from sadpath.rules import _except
from sadpath.rules.base import Rule
from sadpath.engine.walker import NESTED_SCOPES, body_nodes

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
        if _exempt(node, ctx, broad, signals):
            return
        if broad and _claimed_by_outer(node, ctx):
            return  # the enclosing broad handler's one finding names this one too
        func = ctx.enclosing_function()
        where = f"`{func.name}()`" if func is not None else "module code"
        if not broad:
            what = " and ".join(SIGNAL_NAMES[s] for s in signals)
            consequence = (
                "the task reports success to whoever cancelled it, and timeouts and shutdown wait on work that never ended"
                if "asyncio.CancelledError" in signals
                else "the program keeps running when it was told to stop"
            )
            message = f"`except {ast.unparse(node.type)}` in {where} swallows {what}: {consequence}. Re-raise after clean-up."
            fixes = [FixOffer("reraise", "Re-raise after the existing clean-up", Applicability.UNSAFE)]
            ctx.report(self, ctx.line_span(node), message, fixes=fixes, data={"signals": signals, "broad": broad})
            return
        label = "bare `except:`" if node.type is None else "`except BaseException`"
        translated = _translation(node)
        chain = "" if translated is None or _chained(node) else f", and raise `{translated}` `from` the caught error"
        try_node = _except.enclosing_try(node, ctx)
        pure = memory_calls.block_errors(try_node.body, ctx) if try_node is not None else None
        place = abort_places.abort_place(node, ctx)
        if pure is not None and translated is None and any(logcalls.keeps_traceback(log, ctx) for log in logcalls.own_log_calls(node, ctx)):
            return  # a display fallback around in-memory work that logs the traceback: no abort lands, no bug hides
        related = related_reads.not_found_read(try_node, ctx) if pure is None and try_node is not None and translated is None else None
        if related is not None:
            message = related_reads.message(label, where, *related)
        elif pure is not None:
            named = f" ({', '.join(f'`{e}`' for e in pure)})" if pure else ", or at least `Exception`"
            outcome = f"`{translated}`" if translated is not None else "the fallback"
            dropped = memory_calls.dropped_output(node, try_node.body) if translated is None else None
            if dropped is not None:  # ``except: pass`` around ``email.attach(...)``: the part is lost, not a fallback
                outcome += (f", and as the fallback is `pass`, the part a failing `{dropped}` adds is dropped without a "
                            "log line while the rest goes on without it")
            message = (
                f"{label} in {where} around in-memory work (parsing, formatting, lookups) turns every error, a bug "
                f"such as a `NameError` included, into {outcome}. Name the errors the block raises{named} instead{chain}"
                + (", and log what is dropped." if dropped is not None else ".")
            )
        elif place == "async" and node.type is not None and translated is None and _records(node, ctx):
            if func is not None and _last_in_function(try_node, func, ctx) and uncancelled_tasks.never_cancelled(func, ctx):
                return  # a task nothing cancels: only the loop's final teardown reaches it, and the record is honest
            message = (
                f"{label} in {where} records every failure and signal of the work it isolates, but it also catches "
                "this task's own cancellation: a shutdown or timeout that cancels the task is logged as one more "
                + ("failure and the task then returns as if it had finished, so whoever cancelled it sees a normal end."
                   if func is not None and _last_in_function(try_node, func, ctx) else "failure and the task carries on.")
                + " Put `except asyncio.CancelledError: raise` ahead of it."
            )
        elif place is not None:
            message = place_stories.abort_message(label, where, place, translated, chain)
        elif translated is not None:
            signals_caught = "SystemExit, KeyboardInterrupt and GeneratorExit" if _yields_in(try_node) else "SystemExit and KeyboardInterrupt"
            message = (
                f"{label} in {where} turns every exception into `{translated}`, {signals_caught} "
                "included, and hides which errors it is meant for: a bug in the block (a `NameError`, an "
                f"`AttributeError`) becomes `{translated}` too. Catch `Exception` at least, or the errors the block can "
                f"raise{chain}."
            )
        else:
            logged = any(logcalls.keeps_traceback(log, ctx) for log in logcalls.own_log_calls(node, ctx))
            message = place_stories.broad_message(label, where, place_stories.quiet_place(ctx), logged)
        own = _own_raise(try_node) if try_node is not None and translated is not None else None
        if own is not None:  # (raising to take a fallback is deliberate; replacing a raised error loses it)
            instead = "replaced by this handler's own, so its message is lost" if translated == own[0] else f"replaced by `{translated}`"
            message += (
                f" The `{own[0]}` the block raises itself on line {own[1]} is caught here too and {instead}: "
                "catch only what the block's calls raise."
            )
        unbound = fallback_unbound.unbound_after(node, try_node, func, ctx.parents) if try_node is not None else None
        if unbound is not None and translated is None:
            shown = " and ".join(f"`{n}`" for n in unbound[0])
            message += (
                f" After this fallback {shown} {'is' if len(unbound[0]) == 1 else 'are'} unbound: reading "
                f"{'it' if len(unbound[0]) == 1 else 'them'} on line {unbound[1]} raises `UnboundLocalError`, so the "
                "failure is not handled, only moved: give the fallback a value or leave the function."
            )
        inner = nested_handlers.nested_broad(node, try_node, lambda h: _catches_all(h, ctx)) if try_node is not None else []
        if inner:
            message += " " + nested_handlers.nested_clause(inner, ctx)
        named_errors = pure if pure and related is None and all("." not in e for e in pure) else None  # builtins the message names
        narrow = related[0] if related is not None else f"({', '.join(named_errors)})" if named_errors and len(named_errors) > 1 else named_errors[0] if named_errors else "Exception"
        fixes = [] if inner else [FixOffer("narrow_except", f"Narrow the handler to `except {narrow}:`", Applicability.UNSAFE)]
        data = {"signals": signals, "broad": broad, **({"narrow_to": narrow} if narrow != "Exception" else {})}
        if chain and chain in message:
            data["chain"] = True  # the fix raises the translation ``from`` the caught error, as the message asks
        if own is not None and translated == own[0]:
            data["let_through"] = own[0]  # and lets the block's own error through ahead of the handler
        ctx.report(self, ctx.line_span(node), message, fixes=fixes, data=data)
        if chain and chain in message:
            handler_claims.claim_cause(ctx, node)  # this finding asks for ``from``: SAD103 stays quiet on its raise


def _exempt(node: ast.ExceptHandler, ctx: ModuleContext, broad: bool, signals: list[str]) -> bool:
    """The handler is no finding where it stands (its re-raise, its exit, a clean shutdown, the author's
    declaration, SAD101's finding), judged with ``ctx.parents`` as at the handler's visit."""
    if broad and abort_places.declared_broad(node, ctx):
        return True  # ``# noqa: E722``, ``# pylint: disable=bare-except``: the author already decided
    translated = _translation(node) if broad else None
    if translated is None and (_except.reraises(node) or _exits(node, ctx) or _captures(node, ctx)):
        return True
    if broad and translated is None and error_path_steps.reraised_after(node, ctx.parents):
        return True  # a bookkeeping step on another error's way out (``cache.set(...)`` then ``raise e``)
    if signals == ["asyncio.CancelledError"] and cancel_shapes.inspects_other_task(ctx):
        return True
    if _forwards_stop(node, ctx):
        return True  # a thread hands Ctrl-C or the stop to the main thread (``_thread.interrupt_main()``)
    if signals and set(signals) <= {"asyncio.CancelledError", "KeyboardInterrupt"} and _entry_point_stops(node, ctx):
        return True  # a command under ``asyncio.run`` answers Ctrl-C (its CancelledError) by ending: a clean shutdown
    func = ctx.enclosing_function()
    if signals == ["asyncio.CancelledError"] and isinstance(func, ast.FunctionDef) and not _keeps_looping(node, ctx):
        return True  # a plain function is no task: ``asyncio.run(server.serve())`` in a thread's entry point ended
    if broad and not signals and "SAD101" in ctx.active and swallow.judge(node, ctx).swallows:
        return True  # SAD101's one finding says the handler swallows, and that a bare `except:` also catches Ctrl-C
    cancel = "asyncio.CancelledError" in signals or (broad and node.type is not None)  # (a bare ``except:`` stays)
    if cancel and cancel_shapes.outer_handler_reraises(node, ctx.parents):
        return True  # ``except CancelledError: ... try: await save() except CancelledError: pass ... raise``
    if cancel and cancel_shapes.in_coroutine_finally(node, ctx.parents):
        return True  # clean-up in a ``finally`` goes on to its next steps; the unwinding cancel still propagates
    if broad and node.type is not None and _records(node, ctx) and cancel_shapes.cancel_reraised_before(node, _except.enclosing_try(node, ctx)):
        return True  # a per-run isolation boundary: the cancellation re-raised first, the run's signals recorded
    if broad:
        return False
    if signals == ["asyncio.CancelledError"] and func is not None and _reaps_cancelled_task(func, node, ctx):
        return True
    if signals == ["asyncio.CancelledError"] and isinstance(func, ast.AsyncFunctionDef) and _ends_quietly(node, func, ctx):
        return True  # a private task its owner cancels, then gathers with ``return_exceptions=True``: it just ends
    if signals == ["asyncio.CancelledError"] and func is not None and cancel_flags.deferred_reraise(node, func):
        return True  # ``cancelled = True``, then ``if cancelled: raise CancelledError`` on every way out
    if signals == ["asyncio.CancelledError"] and func is not None and cancel_flags.waits_for_cancel(node, _except.enclosing_try(node, ctx), func, ctx.parents):
        return True  # ``await loop.create_future()``: it only waits to be cancelled, its clean-up is around it
    if signals == ["asyncio.CancelledError"] and cancel_flags.stop_flag_guard(node, ctx.parents):
        return True  # ``if stopping: return``, and the canceller sets ``stopping = True`` before ``.cancel()``
    if set(signals) <= {"KeyboardInterrupt", "SystemExit"} and not _keeps_looping(node, ctx):
        return True
    if signals == ["GeneratorExit"] and not _yields_again(node, ctx):
        return True  # the generator cleans up and finishes: that is how close() is answered
    return False


def _yields_in(try_node: ast.Try | None) -> bool:
    """The ``try`` yields (its function is a generator suspended inside it): ``close()``'s GeneratorExit lands here."""
    return try_node is not None and any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in body_nodes(try_node.body))


def _own_raise(try_node: ast.Try) -> tuple[str, int] | None:
    """A ``raise SomeError(...)`` the ``try`` body itself runs (not inside a nested ``try`` or function)."""
    stack: list[ast.AST] = list(try_node.body)
    while stack:
        current = stack.pop(0)
        if isinstance(current, (ast.Try, *NESTED_SCOPES)) or (hasattr(ast, "TryStar") and isinstance(current, ast.TryStar)):
            continue
        if isinstance(current, ast.Raise) and current.exc is not None:
            target = current.exc.func if isinstance(current.exc, ast.Call) else current.exc
            return ast.unparse(target), current.lineno
        stack.extend(ast.iter_child_nodes(current))
    return None


def _claimed_by_outer(node: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """An enclosing broad handler of the same function is reported, and this handler sits in its ``try`` or in its
    own body (a fallback pair: ``try A except: try B except: ...``): that finding names this one too."""
    saved = ctx.parents
    try:
        for index in range(len(saved) - 2, -1, -1):
            parent = saved[index]
            if isinstance(parent, NESTED_SCOPES):
                return False
            if not isinstance(parent, ast.Try) or parent is saved[-1]:
                continue
            child = saved[index + 1]
            if any(child is s for s in parent.body):
                outers = [h for h in parent.handlers if _catches_all(h, ctx)]
            elif isinstance(child, ast.ExceptHandler) and _catches_all(child, ctx):
                outers = [child]
            else:
                continue
            ctx.parents = saved[: index + 1]
            for outer in outers:
                if not _exempt(outer, ctx, True, [n for n in catching.caught_names(outer, ctx) if n in SIGNAL_NAMES]):
                    return True
            ctx.parents = saved
        return False
    finally:
        ctx.parents = saved


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
    """The name of the new error a broad handler raises (``raise RemoteCommandError(...) from exc``), if it does
    (not one a nested handler raises when the handler's own fallback fails)."""
    for node in _except.walk_handler(handler, skip_handlers=True):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id == handler.name:
                continue
            shown = ast.unparse(target)
            if shown in ("SystemExit", "KeyboardInterrupt") or shown.endswith(("Exit", "Abort", "Signal", "Interrupt", "CancelledError")):
                continue
            return shown
    return None


def _chained(handler: ast.ExceptHandler) -> bool:
    """Every raise of a new error in the handler has a ``from``."""
    return all(node.cause is not None for node in _except.walk_handler(handler) if isinstance(node, ast.Raise) and node.exc is not None)


def _records(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The handler logs what it caught with the traceback, or hands the exception object on."""
    return _captures(handler, ctx) or any(logcalls.keeps_traceback(log, ctx) for log in logcalls.own_log_calls(handler, ctx))


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
    cancelled |= ctx.fact("sad102.module_tasks", lambda: cancel_shapes.module_cancelled_tasks(ctx.tree))
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


def _ends_quietly(handler: ast.ExceptHandler, func: ast.AsyncFunctionDef, ctx: ModuleContext) -> bool:
    """The handler ends the task (no loop goes on, no new await, nothing after the ``try``), and only the task's owner
    cancels it, then waits without caring how it ended."""
    try_node = _except.enclosing_try(handler, ctx)
    if try_node is None or _keeps_looping(handler, ctx) or not _last_in_function(try_node, func, ctx):
        return False
    if any(isinstance(n, ast.Await) for n in _except.walk_handler(handler)):
        return False
    return owner_cancels.owner_reaps_quietly(func, ctx.tree, ctx.enclosing_class())


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


_FORWARDERS = frozenset({"_thread.interrupt_main", "thread.interrupt_main", "signal.raise_signal", "signal.pthread_kill"})


def _forwards_stop(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The handler hands the stop to the main thread: ``_thread.interrupt_main()``, ``os.kill(os.getpid(), SIGINT)``,
    ``signal.raise_signal(...)``, or (in a thread's entry point) ``stop_event.set()`` for the main thread to see."""
    in_thread = _in_thread_entry(ctx)
    for node in _except.walk_handler(handler):
        if not isinstance(node, ast.Call):
            continue
        qualified = ctx.qualified_name(node.func) or ""
        if qualified in _FORWARDERS:
            return True
        if qualified == "os.kill" and node.args and "getpid" in ast.unparse(node.args[0]):
            return True
        if in_thread and isinstance(node.func, ast.Attribute) and node.func.attr == "set" and not node.args:
            return True  # ``self._stop.set()``: the event the main thread waits on
    return False


def _in_thread_entry(ctx: ModuleContext) -> bool:
    """``run()`` of a ``threading.Thread`` subclass, or a function handed to a thread as its ``target=``."""
    if abort_places.in_thread_run(ctx):
        return True
    boundary = boundary_of(ctx)
    return boundary is not None and boundary.kind == "thread"


def _entry_point_stops(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """A CLI command, ``main()`` or a coroutine the module runs with ``asyncio.run``, whose handler of Ctrl-C (which
    ``asyncio.run`` delivers to the main task as ``CancelledError``) ends the command: the work below it did its
    own teardown while the cancellation unwound it."""
    func = ctx.enclosing_function()
    if func is None or _keeps_looping(handler, ctx):
        return False
    boundary = boundary_of(ctx)
    entry = (boundary is not None and boundary.kind in ("command", "main")) or func.name in cancel_shapes.asyncio_run_targets(ctx)
    if not entry:
        return False
    try_node = _except.enclosing_try(handler, ctx)
    if try_node is None:
        return False
    ends = bool(handler.body) and isinstance(handler.body[-1], ast.Return)
    return ends or _last_in_function(try_node, func, ctx)


def _last_in_function(stmt: ast.stmt, func: ast.AST, ctx: ModuleContext) -> bool:
    """Nothing runs after ``stmt`` in its function: it ends every block around it (``with``, ``if``), no loop."""
    ids = [id(p) for p in ctx.parents]
    if id(func) not in ids or id(stmt) not in ids:
        return False
    path = ctx.parents[ids.index(id(func)) : ids.index(id(stmt)) + 1]
    node: ast.AST = stmt
    for parent in reversed(path[:-1]):
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.While)):
            return False
        blocks = [getattr(parent, f, None) for f in ("body", "orelse", "finalbody")]
        if not any(isinstance(b, list) and b and b[-1] is node for b in blocks):
            return False
        node = parent
    return True


def _catches_all(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    return (handler.type is None or "BaseException" in catching.caught_names(handler, ctx)) and not _except.reraises(handler)
