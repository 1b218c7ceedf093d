"""Connect-only probes and the event loop that runs them, for SAD202 (missing-timeout).

A readiness probe connects and closes at once: ``socket.create_connection(addr).close()``,
``with socket.create_connection(addr): pass``, or ``sock = socket.create_connection(addr)`` followed by
``sock.close()``. It reads nothing, so a host that does not answer cannot hold it forever: the kernel gives up on
the connect after its SYN retries (about 2 minutes on Linux). Its harm is the blocking: when a coroutine calls
the sync probe (directly, through a lambda or through the module's sync functions, not through
``asyncio.to_thread``/``run_in_executor``), the whole event loop freezes for that long.

``connect_only(node, parents)`` tells whether the call is such a probe; ``event_loop_caller(func, ctx)`` names the
``async def`` of the module that runs ``func`` (the enclosing function) on the event loop, or None.
"""

from __future__ import annotations

import ast

# calls that run a sync function off the event loop: a reference inside their arguments does not block the loop
EXECUTOR_CALLS = frozenset({"to_thread", "run_in_executor", "run_sync", "sync_to_async", "run_in_threadpool", "submit"})
_QUIET_STATEMENTS = (ast.Pass, ast.Return, ast.Break, ast.Continue)


def connect_only(node: ast.Call, parents: list[ast.AST]) -> bool:
    """``node`` (a connect call) is closed right away without a byte being sent or read."""
    if not parents:
        return False
    above = parents[-1]
    if isinstance(above, ast.Attribute) and above.attr == "close" and len(parents) >= 2:
        return isinstance(parents[-2], ast.Call) and parents[-2].func is above  # ``create_connection(...).close()``
    if isinstance(above, ast.withitem) and above.context_expr is node and len(parents) >= 2:
        statement = parents[-2]
        return isinstance(statement, (ast.With, ast.AsyncWith)) and all(_inert(s) for s in statement.body)
    if isinstance(above, ast.Assign) and len(above.targets) == 1 and isinstance(above.targets[0], ast.Name):
        name = above.targets[0].id
        following = _next_statement(above, parents[:-1])
        return following is not None and _closes(following, name)
    return False


def event_loop_caller(func: ast.AST | None, ctx) -> str | None:
    """The ``async def`` of the module that runs ``func`` on its event loop: ``func`` itself, or a coroutine that
    calls it (or a module-level sync function that does, a few levels up) outside an executor."""
    if func is None:
        return None
    if isinstance(func, ast.AsyncFunctionDef):
        return func.name
    if not isinstance(func, ast.FunctionDef):
        return None
    calls = ctx.fact("sad202-loop-callers", lambda: _references(ctx.tree))
    wanted, seen = {func.name}, set()
    for _ in range(4):
        for coroutine in (name for name, (is_async, refs) in calls.items() if is_async and refs & wanted):
            return coroutine
        seen |= wanted
        wanted = {name for name, (is_async, refs) in calls.items() if not is_async and refs & wanted} - seen
        if not wanted:
            return None
    return None


def _references(tree: ast.Module) -> dict[str, tuple[bool, set[str]]]:
    """Each module-level function (and method) name -> (is it async, the names it calls or hands to a lambda,
    outside executor calls)."""
    found: dict[str, tuple[bool, set[str]]] = {}
    defs = [s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for klass in (s for s in tree.body if isinstance(s, ast.ClassDef)):
        defs.extend(s for s in klass.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)))
    for definition in defs:
        names: set[str] = set()
        _collect(definition.body, names)
        is_async = isinstance(definition, ast.AsyncFunctionDef)
        known = found.get(definition.name)
        found[definition.name] = (is_async or bool(known and known[0]), names | (known[1] if known else set()))
    return found


def _collect(nodes: list[ast.AST], names: set[str]) -> None:
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue  # a nested definition runs only when called: not this function's own work
        if isinstance(node, ast.Call):
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) else None
            if callee in EXECUTOR_CALLS:
                stack.append(node.func)
                continue  # ``await asyncio.to_thread(probe, ...)``: the probe runs in a thread
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
            elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id in ("self", "cls"):
                names.add(node.func.attr)
        stack.extend(ast.iter_child_nodes(node))


def _inert(statement: ast.stmt) -> bool:
    if isinstance(statement, _QUIET_STATEMENTS):
        return not isinstance(statement, ast.Return) or statement.value is None or isinstance(statement.value, ast.Constant)
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def _next_statement(statement: ast.stmt, parents: list[ast.AST]) -> ast.stmt | None:
    if not parents:
        return None
    holder = parents[-1]
    for field in ("body", "orelse", "finalbody", "handlers"):
        block = getattr(holder, field, None)
        if isinstance(block, list) and statement in block:
            index = block.index(statement)
            return block[index + 1] if index + 1 < len(block) else None
    return None


def _closes(statement: ast.stmt, name: str) -> bool:
    call = statement.value if isinstance(statement, ast.Expr) else None
    return (
        isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "close"
        and isinstance(call.func.value, ast.Name) and call.func.value.id == name
    )
