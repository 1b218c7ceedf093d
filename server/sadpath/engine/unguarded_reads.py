"""The awaits of a background coroutine that sit outside every ``try`` of it (SAD207).

A coroutine that guards its real work (each webhook, each recipient) in a ``try`` that logs may still first await
a read that decides what to do (``if not await Config.get(...)``, ``for hook in await get_webhooks()``) outside
any ``try``: when that read fails, the task ends with the error and nothing in the application logs it.
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext
from sadpath.engine.task_outcome import HARMLESS_WAITS
from sadpath.engine.walker import NESTED_SCOPES


def unguarded_reads(func: ast.AsyncFunctionDef, ctx: ModuleContext) -> list[ast.Await]:
    """The awaits in an ``if``/``while`` test or a ``for`` iterable of ``func`` that no ``try`` with a handler
    encloses (asyncio's sleeps and waits, and a future awaited by name, left out)."""
    found: list[ast.Await] = []
    _scan(func.body, False, found, ctx)
    return found


def _scan(body: list[ast.stmt], in_try: bool, found: list[ast.Await], ctx: ModuleContext) -> None:
    for stmt in body:
        if isinstance(stmt, NESTED_SCOPES):
            continue
        if isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            _scan(stmt.body, in_try or bool(stmt.handlers), found, ctx)
            for part in (stmt.orelse, stmt.finalbody, *(h.body for h in stmt.handlers)):
                _scan(part, in_try, found, ctx)
            continue
        heads = []
        if isinstance(stmt, (ast.If, ast.While)):
            heads = [stmt.test]
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            heads = [stmt.iter]
        if not in_try:
            found.extend(n for head in heads for n in ast.walk(head) if isinstance(n, ast.Await) and _risky(n, ctx))
        for part in ("body", "orelse"):
            inner = getattr(stmt, part, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                _scan(inner, in_try, found, ctx)
        if isinstance(stmt, ast.Match):
            for case in stmt.cases:
                _scan(case.body, in_try, found, ctx)


def _risky(node: ast.Await, ctx: ModuleContext) -> bool:
    value = node.value
    if not isinstance(value, ast.Call):
        return False  # a future someone else runs
    return ctx.qualified_name(value.func) not in HARMLESS_WAITS
