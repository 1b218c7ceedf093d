"""A coroutine that runs only as the body of a task nothing cancels (SAD102).

``self._task = loop.create_task(self._run())`` (or ``asyncio.ensure_future(pump(src))`` with the handle dropped),
where nothing in the project cancels the handle (no ``.cancel()`` of it), awaits it under a timeout
(``wait_for``, ``asyncio.timeout``) or hands it to anything else (``gather``, ``wait``, a set of tasks), and the
task is not started in a TaskGroup or nursery, and the coroutine is not run any other way. Such a task stops by
itself (a sentinel, its input ending); the only cancellation that can reach it is the event loop's final
teardown (``asyncio.run`` cancelling what is left and gathering it with ``return_exceptions=True``), which does
not care how the task ends. An ``except BaseException`` that records what it caught and then ends the coroutine
reports that teardown honestly: re-raising the cancellation would change nothing anyone observes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sadpath.engine.context import ModuleContext
from sadpath.engine.project_files import import_root, project_files, texts_mentioning

_MAKERS = frozenset({"create_task", "ensure_future"})
# what a handle may be used for without anyone cancelling it or bounding its await
_HARMLESS_METHODS = frozenset({"done", "cancelled", "add_done_callback", "get_name", "set_name", "result", "exception"})
_GROUP_WORDS = ("group", "nursery", "tg", "scope")


def never_cancelled(func: ast.AST, ctx: ModuleContext) -> bool:
    """``func`` (a coroutine) runs only as the body of tasks nothing in the project cancels or awaits under a
    timeout, none of them in a TaskGroup."""
    if not isinstance(func, ast.AsyncFunctionDef):
        return False
    key = ("uncancelled-task", id(func))
    if key not in ctx.memo:
        ctx.memo[key] = _never_cancelled(func, ctx)
    return ctx.memo[key]


def _never_cancelled(func: ast.AsyncFunctionDef, ctx: ModuleContext) -> bool:
    parent = {id(child): node for node in ast.walk(ctx.tree) for child in ast.iter_child_nodes(node)}
    own = ctx.enclosing_class()
    refs = [
        n for n in _walk_skipping(ctx.tree, own, lambda c: any(
            isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == func.name for s in c.body))
        if (isinstance(n, ast.Name) and n.id == func.name) or (isinstance(n, ast.Attribute) and n.attr == func.name)
    ]  # fmt: skip
    if not refs:
        return False
    handles: list[ast.expr] = []
    for ref in refs:
        call = parent.get(id(ref))
        if not (isinstance(call, ast.Call) and call.func is ref):
            return False  # handed on uncalled (a callback, a ``wait_for(self._run, ...)``): someone else runs it
        maker = parent.get(id(call))
        if not (isinstance(maker, ast.Call) and maker.args and maker.args[0] is call and _task_maker(maker, parent)):
            return False  # awaited directly, or run some other way: a caller may cancel or time it out
        holder = parent.get(id(maker))
        if isinstance(holder, ast.Expr):
            continue  # the handle is dropped
        if isinstance(holder, ast.Assign) and len(holder.targets) == 1 and isinstance(holder.targets[0], (ast.Name, ast.Attribute)):
            handles.append(holder.targets[0])
            continue
        return False  # the handle goes into a collection, a gather, a wait_for...
    return all(_handle_unbounded(h, ctx, parent, own) for h in handles)


def _walk_skipping(tree: ast.AST, own: ast.ClassDef | None, other_owner) -> list[ast.AST]:
    """The module's nodes, leaving out the classes other than ``own`` for which ``other_owner(cls)`` holds (another
    class with its own method or attribute of that name: ``self.<name>`` there is not ours)."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.ClassDef) and node is not own and own is not None and other_owner(node):
            continue
        found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _assigns_self(cls: ast.ClassDef, attr: str) -> bool:
    return any(
        isinstance(n, ast.Attribute) and n.attr == attr and isinstance(n.ctx, ast.Store)
        and isinstance(n.value, ast.Name) and n.value.id == "self"
        for n in ast.walk(cls)
    )  # fmt: skip


def _task_maker(call: ast.Call, parent: dict[int, ast.AST]) -> bool:
    """``asyncio.create_task(...)``, ``loop.create_task(...)``, ``asyncio.ensure_future(...)``: not a TaskGroup's."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in _MAKERS:
        return False
    if not isinstance(func, ast.Attribute):
        return True
    receiver = ast.unparse(func.value)
    if receiver == "asyncio" or "loop" in receiver.lower():
        return True
    if any(word in receiver.lower() for word in _GROUP_WORDS):
        return False
    node: ast.AST | None = call
    while node is not None:  # a name an ``async with`` binds: a TaskGroup (or a nursery)
        node = parent.get(id(node))
        if isinstance(node, (ast.AsyncWith, ast.With)) and any(
            item.optional_vars is not None and ast.unparse(item.optional_vars) == receiver for item in node.items
        ):
            return False
    return False  # an unknown receiver: it may own the task


def _handle_unbounded(handle: ast.expr, ctx: ModuleContext, parent: dict[int, ast.AST], own: ast.ClassDef | None) -> bool:
    """Every use of the stored handle in the module is harmless (stored over, tested, awaited plainly), and no other
    project module cancels an attribute of that name."""
    attr = handle.attr if isinstance(handle, ast.Attribute) else None
    shown = ast.unparse(handle)
    for node in _walk_skipping(ctx.tree, own, lambda c: attr is not None and _assigns_self(c, attr)):
        same = (attr is not None and isinstance(node, ast.Attribute) and node.attr == attr) or (
            attr is None and isinstance(node, ast.Name) and node.id == shown
        )
        if not same or isinstance(node.ctx, (ast.Store, ast.Del)):
            continue
        if not _harmless_use(node, parent):
            return False
    if attr is None:
        return True
    path = ctx.source.path
    if not path:
        return True
    try:
        files = project_files(Path(path))
        root = str(import_root(Path(path)))
    except (OSError, ValueError):
        return False
    cancels = re.compile(rf"\.{re.escape(attr)}\b\s*\)?\s*\.cancel\(|(wait_for|timeout|gather|wait)\([^)]*\.{re.escape(attr)}\b")
    for other, text in texts_mentioning(attr, files, root):
        if text is None:
            return False
        if str(other) != str(Path(path).resolve()) and cancels.search(text):
            return False
    return True


def _harmless_use(node: ast.expr, parent: dict[int, ast.AST]) -> bool:
    up = parent.get(id(node))
    if isinstance(up, ast.Attribute) and up.value is node:
        call = parent.get(id(up))
        return up.attr in _HARMLESS_METHODS and isinstance(call, ast.Call) and call.func is up
    if isinstance(up, ast.Await):
        return not _under_timeout(up, parent)
    if isinstance(up, (ast.Compare, ast.BoolOp, ast.UnaryOp)) or (isinstance(up, (ast.If, ast.While)) and up.test is node):
        return True  # ``if self._task is None``, ``if self._task:``
    return False


def _under_timeout(node: ast.AST, parent: dict[int, ast.AST]) -> bool:
    """The await sits in ``async with asyncio.timeout(...)`` (or any ``*timeout*`` context) of its function."""
    current: ast.AST | None = node
    while current is not None:
        current = parent.get(id(current))
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False
        if isinstance(current, (ast.AsyncWith, ast.With)) and any("timeout" in ast.unparse(i.context_expr).lower() for i in current.items):
            return True
    return False
