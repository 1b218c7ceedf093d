"""A coroutine's cancellation handler that a flag ties to a later re-raise or to its canceller's stop request.

Three shapes where ``except asyncio.CancelledError:`` does not swallow the cancellation:

- deferred re-raise: the handler sets a flag (``cancelled = True``) and every way out of the function after the
  ``try`` passes an ``if cancelled: raise asyncio.CancelledError`` first, so the cancellation propagates after the
  clean-up that follows the ``try``;
- a stop guard: the handler ends the task under a flag (``if stopping: return``) that the task's canceller sets
  just before it calls ``.cancel()`` (``stopping = True`` then ``task.cancel()``): the requested cancellation ends
  the task as asked, and the other branch deliberately survives a ``CancelledError`` nobody requested (one a
  database driver raises during an outage);
- a "run until cancelled" coroutine (``waits_for_cancel``): the ``try`` only awaits a future nobody resolves or
  an event nobody sets, and the handler ends the function: cancellation is its one way out, nothing is left running.
"""

from __future__ import annotations

import ast

from sadpath.engine.walker import NESTED_SCOPES, body_nodes


def _flag_sets(statements: list[ast.stmt]) -> set[str]:
    """The flags ``statements`` set to ``True`` (``cancelled = True``, ``self._cancelled = True``)."""
    found = set()
    for node in body_nodes(statements):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is True:
            found |= {ast.unparse(t) for t in node.targets if isinstance(t, (ast.Name, ast.Attribute))}
    return found


def _raises_cancel(statements: list[ast.stmt]) -> bool:
    return any(
        isinstance(n, ast.Raise) and n.exc is not None and "Cancel" in ast.unparse(n.exc) for n in body_nodes(statements)
    )


def deferred_reraise(handler: ast.ExceptHandler, func: ast.AST) -> bool:
    """The handler sets a flag, and every ``return`` after it (and the function's end) is preceded by ``if flag:
    raise ...CancelledError``: the cancellation is re-raised once the clean-up after the ``try`` has run."""
    flags = _flag_sets(handler.body)
    if not flags:
        return False
    end = handler.end_lineno or handler.lineno
    later = [n for n in body_nodes(func.body) if getattr(n, "lineno", 0) > end]
    guards = [n.lineno for n in later if isinstance(n, ast.If) and ast.unparse(n.test) in flags and _raises_cancel(n.body)]
    if not guards:
        return False
    exits = [n.lineno for n in later if isinstance(n, ast.Return)]
    last = func.body[-1]
    if not isinstance(last, (ast.Return, ast.Raise)):
        exits.append(last.end_lineno or last.lineno)  # falling off the end
    return all(any(guard <= line for guard in guards) for line in exits)


def stop_flag_guard(handler: ast.ExceptHandler, parents: list[ast.AST]) -> bool:
    """``except CancelledError: if stopping: return`` where the scope that owns ``stopping`` sets it to ``True``
    right before a ``.cancel()`` call: the requested stop ends the task, an unrequested cancel is survived."""
    guards = set()
    for stmt in handler.body:
        if isinstance(stmt, ast.If) and isinstance(stmt.test, (ast.Name, ast.Attribute)) and stmt.body:
            if isinstance(stmt.body[-1], (ast.Return, ast.Break)) or _raises_cancel(stmt.body):
                guards.add(ast.unparse(stmt.test))
    if not guards:
        return False
    scope = next((p for p in parents if isinstance(p, NESTED_SCOPES)), parents[0] if parents else None)
    if scope is not None:  # the outermost function or class around the handler: the flag's owner
        for node in ast.walk(scope):
            block = getattr(node, "body", None)
            for statements in (block, getattr(node, "finalbody", None), getattr(node, "orelse", None)):
                if isinstance(statements, list) and _sets_then_cancels(statements, guards):
                    return True
    return False


def _sets_then_cancels(statements: list, guards: set[str]) -> bool:
    for first, second in zip(statements, statements[1:]):
        if isinstance(first, ast.Assign) and _flag_sets([first]) & guards and any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "cancel" for n in ast.walk(second)
        ):
            return True
    return False


_FOREVER_CALLS = frozenset({"sleep_forever", "create_future", "Future", "Event"})


def waits_for_cancel(handler: ast.ExceptHandler, try_node: ast.Try | None, func: ast.AST, parents: list[ast.AST]) -> bool:
    """A "run until cancelled" coroutine: its ``try`` only awaits something that never finishes by itself (a fresh
    ``loop.create_future()`` nobody resolves, an ``asyncio.Event()`` nobody sets, ``anyio.sleep_forever()``), and
    the handler ends the function, outside any loop. The cancellation is its one designed way out, and the work it
    kept running is stopped by the ``async with``/``finally`` around it: no work is left unfinished."""
    if try_node is None or not isinstance(func, ast.AsyncFunctionDef) or len(try_node.body) != 1:
        return False
    stmt = try_node.body[0]
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Await)):
        return False
    for parent in reversed(parents):
        if parent is func:
            break
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.While)):
            return False  # (a loop goes on after the handler)
    if any(isinstance(n, (ast.Await, ast.For, ast.AsyncFor, ast.While)) for n in body_nodes(handler.body)):
        return False  # the handler goes on to new work
    return _never_finishes(stmt.value.value, func)


def _never_finishes(awaited: ast.expr, func: ast.AST) -> bool:
    target = awaited
    if isinstance(awaited, ast.Call) and isinstance(awaited.func, ast.Attribute) and awaited.func.attr == "wait" and not awaited.args:
        target = awaited.func.value  # ``stop.wait()``: an event
    if isinstance(target, ast.Call):
        name = target.func.attr if isinstance(target.func, ast.Attribute) else getattr(target.func, "id", "")
        return name in _FOREVER_CALLS and (name != "Event" or target is not awaited)
    if not isinstance(target, ast.Name):
        return False
    made = [
        n for n in ast.walk(func)
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == target.id for t in n.targets)
    ]  # fmt: skip
    if len(made) != 1 or not isinstance(made[0].value, ast.Call) or not _never_finishes(made[0].value, func):
        return False
    # nobody resolves it: no ``.set_result()``/``.set()`` on it, and it is not handed to anyone
    for node in ast.walk(func):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == target.id and node.attr != "wait":
            return False
        if isinstance(node, ast.Call) and any(isinstance(a, ast.Name) and a.id == target.id for a in [*node.args, *(k.value for k in node.keywords)]):
            return False
    return True
