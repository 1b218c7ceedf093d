"""The long-running loop of a worker or poller: a boundary of its own.

A function that runs ``while True:``, ``while running:`` or ``while not stop.is_set():`` and handles some of
the failures of one pass inside the loop (``try: ... except KafkaError: log; back off; continue``) promises to
keep going when one item or one poll fails. A failure that slips past that handling leaves the loop, and the
worker or poller stops (and a supervisor's restart meets the same item again). Such a loop is a boundary like a
consumer callback: ``worker_boundary(ctx)`` names it for a node inside the loop's body.

A loop whose pass ends with ``break`` or ``return`` after success is a retry loop (SAD204's business), and a
handler that only re-raises or catches a shutdown signal (``KeyboardInterrupt``) handles nothing.

A coroutine started in an ``asyncio.TaskGroup`` beside such loops (``tg.create_task(self.sweep())``) is a
boundary too: its failure cancels every other task of the group, the worker loops with it
(``group_member_boundary``).
"""

from __future__ import annotations

import ast

from sadpath.engine.boundary import Boundary
from sadpath.engine.handling import caught_by
from sadpath.engine.walker import body_nodes

SHUTDOWN_SIGNALS = frozenset({"KeyboardInterrupt", "SystemExit", "GeneratorExit", "CancelledError"})
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def worker_boundary(ctx) -> Boundary | None:
    """The worker loop the node being visited runs in, as a boundary, or None. Only the loop's body counts:
    what the function does before it (connecting, subscribing) fails the start-up, like ``main()``'s."""
    func = None
    loop = None
    parents = ctx.parents
    for index in range(len(parents) - 1, -1, -1):
        parent = parents[index]
        if isinstance(parent, ast.Lambda):
            return None
        if isinstance(parent, FUNCTIONS):
            func = parent
            break
        if loop is None and isinstance(parent, ast.While) and _long_running(parent) and _in_body(parent, parents, index):
            loop = parent
    if func is None or loop is None:
        return None
    memo = getattr(ctx, "memo", None)
    key = ("worker-loop", id(loop))
    if memo is not None and key in memo:
        return memo[key]
    found = Boundary("worker", func.name) if _handles_a_pass(loop, ctx) else None
    if memo is not None:
        memo[key] = found
    return found


def _in_body(loop: ast.While, parents: list[ast.AST], index: int) -> bool:
    child = parents[index + 1] if index + 1 < len(parents) else None
    return any(child is stmt for stmt in loop.body)


def _long_running(loop: ast.While) -> bool:
    """``while True``, ``while running``, ``while self.running``, ``while not stop.is_set()``,
    ``while not self._stopping``: a loop that runs until it is told to stop, not a counted one."""
    test = loop.test
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if isinstance(test, ast.Constant):
        return test.value is True or test.value == 1
    if isinstance(test, ast.Call):
        return isinstance(test.func, ast.Attribute) and not test.args and test.func.attr in ("is_set", "is_running", "running", "should_stop")
    return isinstance(test, (ast.Name, ast.Attribute))


def _handles_a_pass(loop: ast.While, ctx) -> bool:
    """Some ``try`` in the loop's own body catches a failure and goes on (not only a shutdown signal, not a bare
    re-raise), and no pass ends with ``break``/``return`` after its work: a poller, not a retry loop."""
    handles = False
    for node in body_nodes(loop.body):
        if isinstance(node, ast.Try):
            if any(isinstance(s, (ast.Break, ast.Return)) for s in node.body) or any(
                isinstance(s, (ast.Break, ast.Return)) for s in node.orelse
            ):
                return False  # ``try: work(); break`` / ``else: return``: a retry loop
            for handler in node.handlers:
                caught = caught_by(handler, ctx)
                if caught and all(name.rsplit(".", 1)[-1] in SHUTDOWN_SIGNALS for name in caught):
                    continue
                if len(handler.body) == 1 and isinstance(handler.body[0], ast.Raise) and handler.body[0].exc is None:
                    continue
                handles = True
    return handles


def group_member_boundary(ctx) -> Boundary | None:
    """The function being visited when it is started in an ``asyncio.TaskGroup`` beside a worker loop of the same
    module (``tg.create_task(self.ingest())`` and ``tg.create_task(self.sweep())``): a failure that escapes it
    cancels the loops. None otherwise."""
    func = next((p for p in reversed(ctx.parents) if isinstance(p, FUNCTIONS + (ast.Lambda,))), None)
    if not isinstance(func, FUNCTIONS):
        return None
    members = _group_members(ctx)
    if func.name not in members:
        return None
    siblings = members[func.name]
    if not any(_runs_worker_loop(name, ctx) for name in siblings if name != func.name):
        return None
    return Boundary("group", func.name)


def _group_members(ctx) -> dict[str, frozenset[str]]:
    """Function name -> the names started in the same ``async with asyncio.TaskGroup() as tg`` (cached)."""
    memo = getattr(ctx, "memo", None)
    if memo is not None and "task-group-members" in memo:
        return memo["task-group-members"]
    found: dict[str, frozenset[str]] = {}
    if "TaskGroup" in ctx.source.text:
        for node in ast.walk(ctx.tree):
            if not isinstance(node, ast.AsyncWith):
                continue
            groups = [item.optional_vars.id for item in node.items if isinstance(item.optional_vars, ast.Name) and _is_task_group(item.context_expr, ctx)]
            if not groups:
                continue
            names = {_started(call) for call in body_nodes(node.body) if isinstance(call, ast.Call) and _creates_task(call, groups)}
            names.discard(None)
            for name in names:
                found[name] = frozenset(names)
    if memo is not None:
        memo["task-group-members"] = found
    return found


def _is_task_group(expr: ast.expr, ctx) -> bool:
    return isinstance(expr, ast.Call) and (ctx.qualified_name(expr.func) or "") in ("asyncio.TaskGroup", "asyncio.taskgroups.TaskGroup")


def _creates_task(call: ast.Call, groups: list[str]) -> bool:
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr == "create_task" and isinstance(func.value, ast.Name) and func.value.id in groups


def _started(call: ast.Call) -> str | None:
    """``tg.create_task(self.sweep())`` -> ``sweep``."""
    coroutine = call.args[0] if call.args else None
    if not isinstance(coroutine, ast.Call):
        return None
    target = coroutine.func
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id in ("self", "cls"):
        return target.attr
    return target.id if isinstance(target, ast.Name) else None


def _runs_worker_loop(name: str, ctx) -> bool:
    for node in ast.walk(ctx.tree):
        if isinstance(node, FUNCTIONS) and node.name == name:
            return any(isinstance(n, ast.While) and _long_running(n) and _handles_a_pass(n, ctx) for n in body_nodes(node.body))
    return False


def in_item_loop(ctx) -> bool:
    """The node being visited sits in a ``for`` over items, the innermost loop of its function around it: a
    failure there can skip the one item (``continue``) without skipping the rest of the worker's pass, its wait
    included."""
    for parent in reversed(ctx.parents):
        if isinstance(parent, FUNCTIONS + (ast.Lambda,)):
            return False
        if isinstance(parent, (ast.For, ast.AsyncFor)):
            return True
        if isinstance(parent, ast.While):
            return False
    return False
