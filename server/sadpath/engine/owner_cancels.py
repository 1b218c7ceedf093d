"""A background task that only its owner cancels, and whose owner does not care how it ends (SAD102).

A class (or a module) starts one of its own coroutines as a task and keeps the handle private (``self._tasks =
[asyncio.create_task(self._consume())]``); its clean-up cancels the task and then waits in a way that treats a
cancelled end and a normal end alike: ``await asyncio.gather(*tasks, return_exceptions=True)``, ``asyncio.wait``,
``with suppress(CancelledError): await task``, or a ``try: await task except CancelledError:`` around the await.
An ``except CancelledError:`` inside that coroutine that ends the task (nothing but clean-up runs after it, no
loop goes on) swallows nothing anyone waits on: the canceller sees the task end either way, right after the
handler. It is the self-cancel idiom with the ``except`` inside the task instead of around the ``await``.

It does not hold when any ``.cancel()`` of the handle is not followed by such a quiet wait (a plain ``await
task`` expects the cancellation back), when the handle leaves the owner (returned, handed to a call), or when
nothing cancels it at all (then some other canceller, a timeout, is the one waiting).
"""

from __future__ import annotations

import ast

from sadpath.engine.walker import NESTED_SCOPES

_FACTORIES = frozenset({"create_task", "ensure_future"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def owner_reaps_quietly(func: ast.AsyncFunctionDef, tree: ast.Module, cls: ast.ClassDef | None) -> bool:
    """``func`` runs as a task whose handle its owner (``cls``, else the module) keeps, and every ``.cancel()`` of
    that handle is followed in its function by a wait that takes a cancelled end as a normal one."""
    owner: ast.AST = cls if cls is not None else tree
    handles = _task_handles(func, owner, cls is not None)
    if not handles:
        return False
    cancels = 0
    for scope in ast.walk(owner):
        if not isinstance(scope, _FUNCTIONS):
            continue
        loops = _loop_aliases(scope, handles)
        for node in ast.walk(scope):
            if _handle_escapes(node, handles):
                return False
            if not _is_cancel(node):
                continue
            target = ast.unparse(node.func.value)
            if target not in handles and target not in loops:
                continue
            cancels += 1
            if not _quiet_wait_after(scope, node.lineno, handles | set(loops)):
                return False
    return cancels > 0


def _task_handles(func: ast.AsyncFunctionDef, owner: ast.AST, method: bool) -> set[str]:
    """Where the owner keeps the task that runs ``func``: ``self._task = create_task(self._run())``, a list or a
    set of them (``self._tasks = [...]``, ``self._tasks.append(...)``, ``.add(...)``)."""
    wanted = f"self.{func.name}" if method else func.name
    handles: set[str] = set()
    for node in ast.walk(owner):
        if isinstance(node, ast.Assign):
            value, targets = node.value, node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            value, targets = node.value, [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("append", "add") and node.args:
            value, targets = node.args[0], [node.func.value]
        else:
            continue
        if any(_starts(call, wanted) for call in ast.walk(value) if isinstance(call, ast.Call)):
            handles |= {ast.unparse(t) for t in targets if isinstance(t, (ast.Attribute, ast.Name))}
    if method:
        handles = {h for h in handles if h.startswith("self.")}  # (a local handle would be the method's own affair)
    return handles


def _starts(call: ast.Call, wanted: str) -> bool:
    """``asyncio.create_task(self._run())``, ``loop.create_task(...)``, ``asyncio.ensure_future(...)``."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    if name not in _FACTORIES or not call.args or not isinstance(call.args[0], ast.Call):
        return False
    return ast.unparse(call.args[0].func) == wanted


def _loop_aliases(scope: ast.AST, handles: set[str]) -> set[str]:
    """``for task in self._tasks:``: the loop variable stands for each handle."""
    return {
        node.target.id
        for node in ast.walk(scope)
        if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name) and ast.unparse(node.iter) in handles
    }  # fmt: skip


def _is_cancel(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cancel" and not node.args


def _handle_escapes(node: ast.AST, handles: set[str]) -> bool:
    """The handle leaves the owner (``return self._task``): whoever gets it may cancel it and wait on it."""
    if isinstance(node, ast.Return) and node.value is not None and ast.unparse(node.value) in handles:
        return True
    return False


def _mentions(expr: ast.AST, names: set[str]) -> bool:
    return any(ast.unparse(n) in names for n in ast.walk(expr) if isinstance(n, (ast.Name, ast.Attribute)))


def _quiet_wait_after(scope: ast.AST, line: int, names: set[str]) -> bool:
    """After ``line`` the function waits for the handle in a way that takes a cancelled end as a normal one."""
    for node in ast.walk(scope):
        if getattr(node, "lineno", 0) < line or (isinstance(node, NESTED_SCOPES) and node is not scope):
            continue
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
            call = node.value
            name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            quiet = any(k.arg == "return_exceptions" and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords)
            if ((name == "gather" and quiet) or name == "wait") and any(_mentions(a, names) for a in call.args):
                return True
        if isinstance(node, ast.With) and any(_suppresses_cancel(item.context_expr) for item in node.items):
            if any(isinstance(n, ast.Await) and _mentions(n.value, names) for n in ast.walk(node)):
                return True
        if isinstance(node, ast.Try) and any(h.type is not None and "CancelledError" in ast.unparse(h.type) for h in node.handlers):
            if any(isinstance(n, ast.Await) and _mentions(n.value, names) for s in node.body for n in ast.walk(s)):
                return True
    return False


def _suppresses_cancel(expr: ast.expr) -> bool:
    if not isinstance(expr, ast.Call):
        return False
    name = expr.func.attr if isinstance(expr.func, ast.Attribute) else getattr(expr.func, "id", "")
    return name == "suppress" and any("CancelledError" in ast.unparse(a) or "BaseException" in ast.unparse(a) for a in expr.args)
