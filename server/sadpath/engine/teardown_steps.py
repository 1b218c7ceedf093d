"""Where a swallowed failure is best-effort by its place: cleanup in a ``finally`` block, a function the module runs
in the background (``asyncio.create_task(f(...))``, ``background_tasks.add_task(f, ...)``), and a ``try`` that only
cleans up through a worker thread (``await asyncio.to_thread(os.remove, path)``).

Re-raising from such a place is the wrong advice: from a ``finally`` it replaces the function's own result or
error, and a background step has nobody to raise to. What it owes is a log line with the traceback."""

from __future__ import annotations

import ast

from sadpath.engine import shapes
from sadpath.engine.call_index import calls_named
from sadpath.engine.context import ModuleContext

_SPAWNERS = frozenset({"create_task", "ensure_future", "run_coroutine_threadsafe", "spawn", "start_soon"})
_SCHEDULERS = frozenset({"add_task", "start_soon", "spawn", "call_soon", "call_soon_threadsafe"})  # not ``submit``: its future re-raises
_THREAD_RUNNERS = frozenset({"to_thread", "run_in_executor", "run_sync"})


def in_finally(ctx: ModuleContext) -> bool:
    """The handler's ``try`` sits in the ``finally:`` block of another ``try`` of the same function."""
    parents = ctx.parents
    for index in range(len(parents) - 1, 0, -1):
        parent, child = parents[index - 1], parents[index]
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return False
        if isinstance(parent, ast.Try) and child in parent.finalbody:
            return True
    return False


def run_in_background(name: str, ctx: ModuleContext) -> bool:
    """The module hands the function to a task or a scheduler: ``asyncio.create_task(name(...))``,
    ``background_tasks.add_task(name, ...)``, ``Thread(target=name)``: nobody awaits its outcome."""
    key = ("run-in-background", name)
    if key not in ctx.memo:
        ctx.memo[key] = _spawned(name, ctx) or _scheduled(name, ctx)
    return ctx.memo[key]


def _method(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _spawned(name: str, ctx: ModuleContext) -> bool:
    for call, parents in calls_named(ctx, name):
        outer = parents[-1] if parents else None
        if isinstance(outer, ast.Call) and call in outer.args and _method(outer) in _SPAWNERS:
            return True
    return False


def _scheduled(name: str, ctx: ModuleContext) -> bool:
    for node in ast.walk(ctx.tree):
        if not isinstance(node, ast.Call):
            continue
        method = _method(node)
        if method in _SCHEDULERS and any(_names(a, name) for a in node.args):
            return True
        if method == "Thread" and any(k.arg == "target" and _names(k.value, name) for k in node.keywords):
            return True
    return False


def _names(expr: ast.expr, name: str) -> bool:
    return (isinstance(expr, ast.Name) and expr.id == name) or (
        isinstance(expr, ast.Attribute) and expr.attr == name and isinstance(expr.value, ast.Name) and expr.value.id in ("self", "cls")
    )


def thread_cleanup(try_node: ast.Try, ctx: ModuleContext) -> bool:
    """``await asyncio.to_thread(os.remove, path)``: the ``try`` only cleans up, through a worker thread."""
    body: list[ast.stmt] = []
    unwrapped = False
    for stmt in try_node.body:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(call, ast.Await):
            call = call.value
        if isinstance(call, ast.Call) and _method(call) in _THREAD_RUNNERS:
            args = call.args[1:] if _method(call) == "run_in_executor" else call.args
            if not args or not isinstance(args[0], (ast.Name, ast.Attribute)):
                return False
            stmt = ast.Expr(value=ast.Call(func=args[0], args=list(args[1:]), keywords=[]))
            unwrapped = True
        body.append(stmt)
    if not unwrapped:
        return False
    return shapes.benign_try(ast.Try(body=body, handlers=try_node.handlers, orelse=[], finalbody=[]), ctx)


# calls that remove files or directories, and the inspections a cleanup makes on the way to them
_REMOVALS = frozenset({"unlink", "remove", "rmtree", "rmdir", "removedirs"})
_INSPECTIONS = frozenset({"exists", "is_file", "is_dir", "is_symlink", "iterdir", "glob", "rglob", "listdir", "scandir", "walk", "join"})


def removes_files_only(try_node: ast.Try | None) -> bool:
    """The ``try`` only removes files or directories (``for item in STATIC_DIR.iterdir(): item.unlink()``,
    ``shutil.rmtree(tmp)``): a cleanup, whose failure leaves a stale file behind, not lost work."""
    if try_node is None:
        return False
    removes = False
    for node in ast.walk(ast.Module(body=try_node.body, type_ignores=[])):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in _REMOVALS:
            removes = True
        elif name not in _INSPECTIONS:
            return False
    return removes
