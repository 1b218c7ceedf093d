"""What a background task's coroutine leaves undone when one of its awaits fails.

Used by SAD207 to say what a dropped task's failure really costs: asyncio does log an unretrieved exception with
its traceback, so the defect is the application's missing context and the work after the failing step, which
never runs (a cleanup that stops half-way, a shutdown that never stops the loop, a record left 'running').
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from sadpath.engine.context import ModuleContext
from sadpath.engine.logcalls import as_log_call
from sadpath.engine.walker import NESTED_SCOPES, body_nodes

# asyncio's own waits: they do not raise the failure of what they wait for
QUIET_WAITS = frozenset({"asyncio.sleep", "asyncio.wait", "asyncio.tasks.sleep", "asyncio.tasks.wait"})
_TRIES = (ast.Try, getattr(ast, "TryStar", ast.Try))


@dataclass(frozen=True)
class UndoneSteps:
    """The first await of a coroutine that can fail unhandled (``failing``, the awaited call), and the lines of
    the work after it that a failure there skips."""

    failing: str
    first_line: int
    last_line: int

    @property
    def lines(self) -> str:
        if self.first_line == self.last_line:
            return f"line {self.first_line}"
        return f"lines {self.first_line}-{self.last_line}"


def undone_steps(func: ast.AsyncFunctionDef, ctx: ModuleContext) -> UndoneSteps | None:
    """The work a failure of the coroutine's first unguarded, failing await skips; None when nothing follows it
    (the failure loses only that one step) or no await can fail outside a ``try``."""
    steps = list(_steps(func.body))
    for index, (stmt, header) in enumerate(steps):
        failing = _failing_await(header, ctx)
        if failing is None:
            continue
        end = getattr(stmt, "end_lineno", stmt.lineno) if header is stmt else _header_end(stmt)
        rest = [s for s, _ in steps[index + 1:] if s.lineno > end and _is_work(s, ctx)]
        if not rest:
            return None
        last = max(getattr(s, "end_lineno", s.lineno) or s.lineno for s in rest)
        text = ast.unparse(failing)
        return UndoneSteps(f"`{text if len(text) <= 60 else ast.unparse(failing.func) + '(...)'}`", rest[0].lineno, last)
    return None


def _steps(body: list[ast.stmt]):
    """The coroutine's statements in order, each with the part of it that runs first (a compound statement's
    header, a simple statement itself); a ``try`` is one step (its handlers decide what a failure costs)."""
    for stmt in body:
        if isinstance(stmt, NESTED_SCOPES):
            continue
        if isinstance(stmt, _TRIES):
            yield stmt, None
            continue
        if isinstance(stmt, (ast.If, ast.While)):
            yield stmt, stmt.test
            yield from _steps(stmt.body)
            yield from _steps(stmt.orelse)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            yield stmt, stmt.iter if isinstance(stmt, ast.For) else stmt
            yield from _steps(stmt.body)
            yield from _steps(stmt.orelse)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            yield stmt, stmt if isinstance(stmt, ast.AsyncWith) else ast.Tuple([i.context_expr for i in stmt.items])
            yield from _steps(stmt.body)
        elif isinstance(stmt, ast.Match):
            yield stmt, stmt.subject
            for case in stmt.cases:
                yield from _steps(case.body)
        else:
            yield stmt, stmt


def _header_end(stmt: ast.stmt) -> int:
    body = getattr(stmt, "body", None)
    return body[0].lineno - 1 if body else stmt.lineno


def _failing_await(part: ast.AST | None, ctx: ModuleContext) -> ast.Call | None:
    """The awaited call in ``part`` whose failure is the coroutine's own."""
    if part is None:
        return None
    if isinstance(part, ast.AsyncWith):
        for item in part.items:
            if isinstance(item.context_expr, ast.Call):
                return item.context_expr  # ``async with get_db() as db``: entering it can fail; a held lock cannot
        return None
    if isinstance(part, ast.AsyncFor):
        return part.iter if isinstance(part.iter, ast.Call) else None
    nodes = ast.walk(part) if not isinstance(part, ast.stmt) else body_nodes([part], scopes=True)
    for node in nodes:
        if not isinstance(node, ast.Await) or not isinstance(node.value, ast.Call):
            continue  # ``await self._future``: a future someone else runs reports its own failure
        call = node.value
        if ctx.qualified_name(call.func) in QUIET_WAITS:
            continue
        if isinstance(call.func, ast.Attribute) and call.func.attr == "wait" and not call.args:
            continue  # ``event.wait()``
        return call
    return None


def _is_work(stmt: ast.stmt, ctx: ModuleContext) -> bool:
    """A step that does something a skipped run leaves undone (not a bare ``return``, ``pass`` or a log line)."""
    if isinstance(stmt, (ast.Pass, ast.Break, ast.Continue)):
        return False
    if isinstance(stmt, ast.Return):
        return stmt.value is not None and not isinstance(stmt.value, ast.Constant)
    if isinstance(stmt, (ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Match)):
        return False  # its body's statements are steps of their own
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return False
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and as_log_call(stmt.value, ctx) is not None:
        return False
    return True
