"""Where a swallowed failure is best-effort by its place: cleanup in a ``finally`` block, a function the module runs
in the background (``asyncio.create_task(f(...))``, ``background_tasks.add_task(f, ...)``), and a ``try`` that only
cleans up through a worker thread (``await asyncio.to_thread(os.remove, path)``), and a cleanup helper that only
teardown paths call (``_remove_container()``, called in a ``finally``, in an ``except`` before ``raise``, or by
``stop_executor()``).

Re-raising from such a place is the wrong advice: from a ``finally`` it replaces the function's own result or
error, and a background step has nobody to raise to. What it owes is a log line with the traceback."""

from __future__ import annotations

import ast

from sadpath.engine import shapes
from sadpath.engine.call_index import calls_named
from sadpath.engine.context import ModuleContext
from sadpath.engine.naming import words

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


# verbs of a function that tears a resource down, read as whole-word prefixes (``_remove_container``, ``cleanup_dir``)
_TEARDOWN = (
    "remove", "delete", "cleanup", "clean", "kill", "stop", "close", "teardown", "release", "purge", "destroy",
    "dispose", "unlink", "shutdown", "finalize", "reap",
)


def _tears_down(name: str) -> bool:
    return any(word.startswith(_TEARDOWN) for word in words(name))


def cleanup_helper(func: ast.AST | None, ctx: ModuleContext) -> bool:
    """The function tears a resource down (its name says remove, kill, close, cleanup...) and every call of it in the
    module runs on a teardown path: in a ``finally``, in an ``except`` block, or in a function that itself tears
    down (``_finalize()``, ``stop_executor()``). A failure there must not replace the result or the error of the work
    it cleans up after; an unused or otherwise called function is no such helper."""
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or func.decorator_list or not _tears_down(func.name):
        return False  # a decorated function (a route, a task) is called by its framework, not only by these paths
    method = bool(func.args.args) and func.args.args[0].arg in ("self", "cls")
    calls = [
        (call, parents) for call, parents in calls_named(ctx, func.name)
        if func not in parents and _calls_it(call.func, method)
    ]
    return bool(calls) and all(_on_teardown_path(call, parents) for call, parents in calls)


def _calls_it(callee: ast.expr, method: bool) -> bool:
    """``self._remove(...)`` for a method, ``_remove(...)`` for a function: not another object's method of that name."""
    if method:
        return isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name) and callee.value.id in ("self", "cls")
    return isinstance(callee, ast.Name)


def _on_teardown_path(call: ast.Call, parents: list[ast.AST]) -> bool:
    chain = [*parents, call]
    for index in range(len(chain) - 1, 0, -1):  # inner first
        parent, child = chain[index - 1], chain[index]
        if isinstance(parent, ast.Try) and child in parent.finalbody or isinstance(parent, ast.ExceptHandler):
            return True
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and _tears_down(parent.name)
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
