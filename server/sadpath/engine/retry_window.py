"""How long a capped retry loop with a short constant pause keeps trying, for SAD204 (naive-retry).

A loop with an attempt cap (``for i in range(self._attempts + 1)``, ``while failures <= self._attempts``) and a
constant pause of a few seconds is no retry storm: its real defect is that all its attempts are spent within a few
seconds, less than a routine server restart takes, so the caller fails where a growing delay with the same attempts
would have ridden the restart out. ``capped_pause_harm(loop, sleep, counter, handlers, ctx)`` says that, with the
number of attempts and the window in seconds when the code shows them (a constant, a parameter's or ``__init__``
parameter's default, ``max(1, n + 1)``), and the first attempts the loop runs at once (``if i > 2: sleep(1)``).

The window counts the pauses between attempts: after the k-th failed attempt (k = 1 .. attempts - 1) the pause's
guard sees the counter's value then, ``start + k - 1`` for ``range(start, n)``, and for a ``while`` counter its
first value plus k - 1, plus 1 when ``failures += 1`` comes before the guard (``failures += 1; if failures > 2:
sleep(1)`` pauses after the 3rd failure on). A loop whose filter does not retry a refused connect gets no window:
``refused_retries.unretried_refusal_message`` words that finding instead."""

from __future__ import annotations

import ast

from sadpath.engine.attempt_counter import while_counter
from sadpath.engine.refused_retries import refusal_retried
from sadpath.engine.retry_policy import SETUP_FUNCTIONS, attempt_counters
from sadpath.engine.walker import body_nodes

def capped_pause_harm(loop: ast.AST, sleep: ast.AST, counter: str | None, handlers: list[ast.ExceptHandler], ctx) -> str:
    """The consequence of the loop's constant pause, as a clause that follows "sleeps a constant `1`, "."""
    func, klass = ctx.enclosing_function(), ctx.enclosing_class()
    attempts = _attempts(loop, func, klass, ctx)
    pause = sleep.value if isinstance(sleep, ast.Constant) and isinstance(sleep.value, (int, float)) else None
    if attempts is not None and pause is not None:
        window = f"{attempts} attempts run out within about {_seconds(pauses(loop, sleep, counter, attempts, ctx) * pause)}"
    elif (cap := _cap_text(loop)) is not None and pause is not None:
        window = f"`{cap}` attempts run out within `{cap}` × {_seconds(pause)}"
    else:
        window = "attempts run out at that fixed pace"
    refused = refusal_retried(handlers, ctx)
    where = "against a restarting server, which refuses each connect at once, its" if refused else "against a restarting server its"
    times = f"{attempts} times" if attempts is not None else "once per attempt"
    tail = "" if refused else f" of pauses, plus {times} each attempt's own timeout when connects hang,"
    start = isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) and func.name in SETUP_FUNCTIONS
    gives_up = "the start fails" if start else "then the caller fails"
    then = gives_up if _raises_at_last(loop, handlers, ctx) else "then the loop gives up"
    return f"so {where} {window}{tail} and {then}, where a growing delay would ride the restart out with the same attempts"


def _raises_at_last(loop: ast.AST, handlers: list[ast.ExceptHandler], ctx) -> bool:
    """The last failed attempt reaches the caller: a ``raise`` in a retrying handler, in the loop's ``else:``, or
    right after the loop."""
    if any(isinstance(n, ast.Raise) for h in handlers for n in body_nodes(list(h.body))):
        return True
    if any(isinstance(n, ast.Raise) for n in body_nodes(list(getattr(loop, "orelse", [])))):
        return True
    parent = ctx.parents[-1] if ctx.parents else None
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and loop in block:
            after = block[block.index(loop) + 1:block.index(loop) + 2]
            return bool(after) and isinstance(after[0], ast.Raise)
    return False


def _cap_text(loop: ast.AST) -> str | None:
    """The attempt cap as the code spells it, when its value is not known: ``attempts + 1`` of ``range(attempts + 1)``."""
    if isinstance(loop, ast.For) and isinstance(loop.iter, ast.Call) and len(loop.iter.args) == 1:
        return ast.unparse(loop.iter.args[0])
    if isinstance(loop, ast.While) and while_counter(loop) is not None:
        cap = ast.unparse(loop.test.comparators[0])
        return f"{cap} + 1" if isinstance(loop.test.ops[0], ast.LtE) else cap
    return None


def _seconds(value: float) -> str:
    return f"{int(value)} s" if float(value).is_integer() else f"{value:.1f} s"


def pauses(loop: ast.AST, sleep: ast.AST, counter: str | None, attempts: int, ctx) -> int:
    """How many times the loop pauses between its ``attempts`` attempts: after each failed attempt but the last,
    when the pause's guard (``if i > 2:``) holds for the counter's value then."""
    guard = _guard(loop, sleep, counter)
    if guard is None:
        return max(attempts - 1, 0)
    name, strict, bound, position = guard
    if isinstance(loop, ast.For) and name == counter:
        args = loop.iter.args if isinstance(loop.iter, ast.Call) else []
        first = _value(args[0], ctx.enclosing_function(), ctx.enclosing_class(), ctx, 0) if len(args) >= 2 else 0
        offset = first or 0  # the k-th attempt runs with ``i == start + k - 1``
        offset -= 1
    else:
        counted = _counted_before(loop, position)
        first = _value(_assigned(ctx.enclosing_function(), name), ctx.enclosing_function(), None, ctx, 0)
        offset = (first or 0) - 1 + (1 if name in counted or _derived(loop, name, counted) else 0)
    values = [k + offset for k in range(1, attempts)]
    return sum(1 for v in values if (v > bound if strict else v >= bound))


def _guard(loop: ast.AST, sleep: ast.AST, counter: str | None) -> tuple[str, bool, int, tuple[int, int]] | None:
    """The pause's guard on an attempt counter: ``if i > 2:`` is ``("i", True, 2, its position)``."""
    counters = {counter} | attempt_counters(loop)
    for node in body_nodes(list(loop.body)):
        if not isinstance(node, ast.If) or not any(sub is sleep for sub in body_nodes(list(node.body))):
            continue
        test = node.test
        if (
            isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Gt, ast.GtE))
            and isinstance(test.left, ast.Name) and test.left.id in counters
            and isinstance(test.comparators[0], ast.Constant) and isinstance(test.comparators[0].value, int)
        ):
            return test.left.id, isinstance(test.ops[0], ast.Gt), test.comparators[0].value, (node.lineno, node.col_offset)
    return None


def _counted_before(loop: ast.AST, position: tuple[int, int]) -> set[str]:
    """The names the loop adds to (``failures += 1``) before the given position: the guard sees them counted."""
    return {
        node.target.id for node in body_nodes(list(loop.body))
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name)
        and (node.lineno, node.col_offset) < position
    }


def _derived(loop: ast.AST, name: str, counted: set[str]) -> bool:
    """``attempts = clean if ... else failures``: the guard's name is picked from counts already added to."""
    return any(
        isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        and any(isinstance(n, ast.Name) and n.id in counted for n in ast.walk(node.value))
        for node in body_nodes(list(loop.body))
    )


def attempt_count(loop: ast.AST, ctx) -> int | None:
    """The loop's attempt cap as a number, when the code shows it."""
    return _attempts(loop, ctx.enclosing_function(), ctx.enclosing_class(), ctx)


def _attempts(loop: ast.AST, func, klass, ctx) -> int | None:
    """The loop's attempt cap as a number, when the code shows it."""
    if isinstance(loop, ast.For) and isinstance(loop.iter, ast.Call) and loop.iter.args:
        args = loop.iter.args
        values = [_value(a, func, klass, ctx, 0) for a in args[:2]]
        if any(v is None for v in values):
            return None
        return values[0] if len(values) == 1 else values[1] - values[0]
    if isinstance(loop, ast.While) and while_counter(loop) is not None:
        test = loop.test
        cap = _value(test.comparators[0], func, klass, ctx, 0)
        if cap is None:
            return None
        return cap + 1 if isinstance(test.ops[0], ast.LtE) else cap
    return None


def _value(node: ast.AST, func, klass, ctx, depth: int) -> int | None:
    """An integer expression's value: a constant, ``n + 1``, ``max(1, n)``, a local name, a parameter's default,
    ``self._n`` set in ``__init__`` from a constant or a defaulted parameter."""
    if depth > 8 or node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        left, right = _value(node.left, func, klass, ctx, depth + 1), _value(node.right, func, klass, ctx, depth + 1)
        if left is None or right is None:
            return None
        return left + right if isinstance(node.op, ast.Add) else left - right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("max", "min") and node.args:
        values = [_value(a, func, klass, ctx, depth + 1) for a in node.args]
        return None if any(v is None for v in values) else (max if node.func.id == "max" else min)(values)
    if isinstance(node, ast.Name):
        value = _assigned(func, node.id)
        if value is not None:
            return _value(value, func, klass, ctx, depth + 1)
        default = _default(func, node.id)
        if default is not None:
            return _value(default, func, klass, ctx, depth + 1)
        value = _assigned(ctx.tree, node.id)  # a module constant (``MAX_ATTEMPTS = 5``)
        return _value(value, None, None, ctx, depth + 1) if value is not None and func is not None else None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" and klass is not None:
        for method in klass.body:
            if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and method.name == "__init__":
                for stmt in body_nodes(method.body):
                    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                        if any(isinstance(t, ast.Attribute) and t.attr == node.attr and isinstance(t.value, ast.Name)
                               and t.value.id == "self" for t in targets) and stmt.value is not None:
                            return _value(stmt.value, method, None, ctx, depth + 1)
    return None


def _assigned(scope: ast.AST | None, name: str) -> ast.AST | None:
    """The value of the one plain assignment to ``name`` in the scope (None when it is assigned more than once)."""
    if scope is None:
        return None
    nodes = body_nodes(scope.body) if not isinstance(scope, ast.Module) else iter(scope.body)
    values = [
        n.value for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
        and isinstance(n.targets[0], ast.Name) and n.targets[0].id == name
    ]
    return values[0] if len(values) == 1 else None


def _default(func, name: str) -> ast.AST | None:
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    positional = [*func.args.posonlyargs, *func.args.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(func.args.defaults):]], func.args.defaults))
    defaults.update({a.arg: d for a, d in zip(func.args.kwonlyargs, func.args.kw_defaults) if d is not None})
    return defaults.get(name)
