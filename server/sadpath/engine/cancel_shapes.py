"""asyncio shapes where catching a cancellation (or every BaseException) is the correct answer (SAD102).

- a handler nested in an outer ``except CancelledError:`` (or broad) block that ends with a bare ``raise``: the
  original cancellation propagates anyway, only a second cancel during the clean-up is absorbed;
- clean-up inside a ``finally`` of a coroutine that absorbs a cancellation so the remaining clean-up steps run:
  the cancellation already unwinding still propagates after the ``finally``;
- the reaping idiom with a module's task: one function awaits the task another function of the module cancels;
- a per-run isolation boundary: ``except BaseException`` that records what it caught with its traceback, after a
  handler that re-raises the cancellation.
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext
from sadpath.engine.walker import NESTED_SCOPES

_CANCELS = ("CancelledError",)


def _catches_cancel_or_all(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    shown = ast.unparse(handler.type)
    return "CancelledError" in shown or "BaseException" in shown


def _contains(stmt: ast.AST, target: ast.AST) -> bool:
    return any(node is target for node in ast.walk(stmt))


def outer_handler_reraises(handler: ast.ExceptHandler, parents: list[ast.AST]) -> bool:
    """The handler's ``try`` sits in the body of an enclosing ``except CancelledError:`` (or broad) handler of the
    same function whose block goes on to a bare ``raise``: the cancellation being handled propagates anyway."""
    for index in range(len(parents) - 1, -1, -1):
        outer = parents[index]
        if isinstance(outer, NESTED_SCOPES):
            return False
        if not isinstance(outer, ast.ExceptHandler) or outer is handler or not _catches_cancel_or_all(outer):
            continue
        for position, stmt in enumerate(outer.body):
            if _contains(stmt, handler):
                return any(isinstance(s, ast.Raise) and s.exc is None for s in outer.body[position + 1 :])
    return False


def in_coroutine_finally(handler: ast.ExceptHandler, parents: list[ast.AST]) -> bool:
    """The handler sits in the ``finally`` block of a ``try`` of the same coroutine: clean-up that must go on to
    its remaining steps. A cancellation that is already unwinding the coroutine still propagates after the
    ``finally``; only a cancel that first lands during the clean-up is absorbed. (The ``while`` loops between
    them, if any, are no clean-up: a poll there would go on after the cancel.)"""
    for index in range(len(parents) - 1, -1, -1):
        parent = parents[index]
        if isinstance(parent, ast.AsyncFunctionDef):
            return False
        if isinstance(parent, (ast.While, *NESTED_SCOPES)):
            return False  # (a ``for`` over the clients to close is clean-up; a ``while`` may poll forever)
        if isinstance(parent, ast.Try) and any(_contains(stmt, handler) for stmt in parent.finalbody):
            return any(isinstance(p, ast.AsyncFunctionDef) for p in parents[:index])
    return False


def module_cancelled_tasks(tree: ast.Module) -> set[str]:
    """Module-level task names some function of the module cancels (``_task.cancel()`` with ``global _task``, or
    a name the module assigns at its top level): a function awaiting one of them is reaping it."""
    top = set()
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        top |= {t.id for t in targets if isinstance(t, ast.Name)}
    declared = {name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names}
    known = top | declared
    found = set()
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        aliases = {  # ``task = _distributor_task; _distributor_task = None; task.cancel()``
            t.id: node.value.id
            for node in ast.walk(func)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in known
            for t in node.targets
            if isinstance(t, ast.Name)
        }
        for node in ast.walk(func):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cancel":
                name = node.func.value.id if isinstance(node.func.value, ast.Name) else ""
                if name in known or name in aliases:
                    found.add(aliases.get(name, name))
    return found


def cancel_reraised_before(handler: ast.ExceptHandler, try_node: ast.Try | None) -> bool:
    """An earlier handler of the same ``try`` catches the cancellation and re-raises it (``except CancelledError:
    raise``): this broad handler only ever sees the run's own signals and failures."""
    if try_node is None:
        return False
    for earlier in try_node.handlers:
        if earlier is handler:
            return False
        if earlier.type is not None and any(name in ast.unparse(earlier.type) for name in _CANCELS):
            if any(isinstance(n, ast.Raise) and (n.exc is None or (isinstance(n.exc, ast.Name) and n.exc.id == earlier.name)) for n in ast.walk(earlier)):
                return True
    return False


def inspects_other_task(ctx: ModuleContext) -> bool:
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


def asyncio_run_targets(ctx: ModuleContext) -> set[str]:
    def compute() -> set[str]:
        names: set[str] = set()
        if "run" not in ctx.source.text:
            return names
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Call):
                qualified = ctx.semantic.qualified_name(node.func, [ctx.tree]) or ""
                if qualified in ("asyncio.run", "anyio.run", "trio.run", "uvloop.run") or qualified.endswith(".run_until_complete"):
                    inner = node.args[0].func
                    if isinstance(inner, ast.Name):
                        names.add(inner.id)
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name):
                qualified = ctx.semantic.qualified_name(node.func, [ctx.tree]) or ""
                if qualified in ("anyio.run", "trio.run"):
                    names.add(node.args[0].id)
        return names

    return ctx.fact("sad102.asyncio_run_targets", compute)
