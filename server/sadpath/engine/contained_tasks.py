"""A ``try`` whose only work is awaiting a task that keeps its failures in: its handler cannot fire.

``update = self.app.update_workers(name)`` then ``await update``, where the project method (through one
delegation, ``return self.inspector.inspect(name)``) answers ``asyncio.ensure_future(self._inspect_all(name))``
and ``_inspect_all`` awaits ``asyncio.gather(..., return_exceptions=True)`` and logs each failed result: no error
comes out of the ``await``, so the handler around it never runs and its record would repeat one that exists.
A method reached through an attribute (``self.application.update_workers``) is the project's one method of that
name, read (never imported) from the project's files.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sadpath.engine import callee_traps
from sadpath.engine.context import ModuleContext
from sadpath.engine.project_files import import_root, parse_module, project_files, texts_mentioning

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TASK_MAKERS = frozenset({"ensure_future", "create_task"})
_LOG_METHODS = frozenset({"error", "exception", "warning", "critical"})


def cannot_fire(try_node: ast.Try, ctx: ModuleContext) -> bool:
    """Every ``await`` of the ``try`` body awaits a contained task, and its other calls only read values."""
    key = ("contained-tasks", id(try_node))
    if key not in ctx.memo:
        ctx.memo[key] = _cannot_fire(try_node, ctx)
    return ctx.memo[key]


def _cannot_fire(try_node: ast.Try, ctx: ModuleContext) -> bool:
    nodes = [n for s in try_node.body for n in ast.walk(s)]
    makers: dict[str, ast.Call] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call):
            makers[node.targets[0].id] = node.value
    awaited = [n for n in nodes if isinstance(n, ast.Await)]
    if not awaited or not all(isinstance(a.value, ast.Name) and a.value.id in makers for a in awaited):
        return False
    tasks = {id(makers[a.value.id]) for a in awaited}
    if not all(_contained_task(makers[a.value.id], ctx) for a in awaited):
        return False
    inner = {id(n) for c in makers.values() if id(c) in tasks for n in ast.walk(c) if n is not c}
    for node in nodes:
        if isinstance(node, (ast.Raise, ast.With, ast.AsyncWith, ast.AsyncFor, ast.Subscript, ast.Assert)):
            return False
        if isinstance(node, ast.Call) and id(node) not in tasks and id(node) not in inner and not callee_traps.total_call(node):
            return False  # (``self.app.workers.get(name, {})``, ``any(...)`` read values)
    return True


def _contained_task(call: ast.Call, ctx: ModuleContext) -> bool:
    """The call answers a task over a coroutine that keeps its failures in."""
    found = _method(call, ctx)
    for _ in range(2):  # ``return self.inspector.inspect(name)``: one delegation
        if found is None:
            return False
        cls, func = found
        task = _task_coroutine(func)
        if task is not None:
            coro = _class_method(cls, task)
            return coro is not None and _keeps_failures_in(coro)
        body = [s for s in func.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if len(body) != 1 or not isinstance(body[0], ast.Return) or not isinstance(body[0].value, ast.Call):
            return False
        found = _method(body[0].value, ctx)
    return False


def _method(call: ast.Call, ctx: ModuleContext) -> tuple[ast.ClassDef, ast.AST] | None:
    """The project's one method named as ``call``'s attribute, with its class."""
    if not isinstance(call.func, ast.Attribute) or not ctx.source.path:
        return None
    name = call.func.attr
    key = ("contained-tasks-method", name)
    if key not in ctx.memo:
        ctx.memo[key] = _unique_method(name, Path(ctx.source.path))
    return ctx.memo[key]


def _unique_method(name: str, path: Path) -> tuple[ast.ClassDef, ast.AST] | None:
    try:
        files = project_files(path)
        root = str(import_root(path))
    except (OSError, ValueError):
        return None
    found = []
    for candidate, text in texts_mentioning(name, files, root):
        if text is None:
            return None
        if f"def {name}(" not in text:
            continue
        tree = parse_module(candidate)
        if tree is None:
            return None
        found.extend((cls, f) for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef) for f in cls.body if isinstance(f, _FUNCTIONS) and f.name == name)
        if len(found) > 1:
            return None
    return found[0] if len(found) == 1 else None


def _class_method(cls: ast.ClassDef, name: str) -> ast.AST | None:
    return next((f for f in cls.body if isinstance(f, _FUNCTIONS) and f.name == name), None)


def _task_coroutine(func: ast.AST) -> str | None:
    """``asyncio.ensure_future(self._inspect_all(name))`` in ``func``, whose task it returns: the method's name."""
    for node in ast.walk(func):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Call)):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        coro = node.args[0].func
        if name in _TASK_MAKERS and isinstance(coro, ast.Attribute) and isinstance(coro.value, ast.Name) and coro.value.id == "self":
            returns = any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(func))
            return coro.attr if returns else None
    return None


def _keeps_failures_in(coro: ast.AST) -> bool:
    """An ``async def`` whose every ``await`` is a ``gather(..., return_exceptions=True)``, that raises nothing and
    logs the failed results."""
    if not isinstance(coro, ast.AsyncFunctionDef):
        return False
    awaits = [n for n in ast.walk(coro) if isinstance(n, ast.Await)]
    if not awaits or not all(_gathers(a.value) for a in awaits):
        return False
    if any(isinstance(n, (ast.Raise, ast.With, ast.AsyncWith, ast.AsyncFor, ast.Assert)) for n in ast.walk(coro)):
        return False
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _LOG_METHODS for n in ast.walk(coro))


def _gathers(expr: ast.AST) -> bool:
    if not (isinstance(expr, ast.Call) and isinstance(expr.func, (ast.Attribute, ast.Name))):
        return False
    name = expr.func.attr if isinstance(expr.func, ast.Attribute) else expr.func.id
    flag = next((k.value for k in expr.keywords if k.arg == "return_exceptions"), None)
    return name == "gather" and isinstance(flag, ast.Constant) and flag.value is True
