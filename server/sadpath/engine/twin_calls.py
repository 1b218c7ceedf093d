"""The same network call made twice for one purpose: one finding per problem for SAD202.

Two shapes:

- twins in the two arms of one ``if``/``else`` or ternary (``smtplib.SMTP_SSL(...)`` if TLS else
  ``smtplib.SMTP(...)``), each arm holding just the one such call: the finding sits on the first arm's call and
  its fix bounds both;
- a repeat: the very same call (same callee, same arguments) made again later in the function, bound to the same
  name (``response = requests.get(url, headers=headers)`` then, under ``if response.status_code == 429:``, the
  same line again): one request and its retry (services review round 18, SAD202 row 10). The finding sits on the
  first, and names the repeat.

``twin_call(node, ctx)`` is ``(other, first, where)``: the twin, whether ``node`` is the one that carries the
finding, and how the message names the twin's place; None when the call has no twin.
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext

__all__ = ["REDIS_URL_FACTORIES", "TWIN_SUFFIXES", "family", "twin_call"]

REDIS_URL_FACTORIES = frozenset({"redis.from_url", "redis.Redis.from_url", "redis.asyncio.from_url", "redis.asyncio.Redis.from_url"})
TWIN_SUFFIXES = ("_SSL", "_TLS", "SSL", "TLS", "Tls", "Unencrypted")


def family(node: ast.Call, ctx: ModuleContext) -> str:
    """The call's callee with a TLS suffix taken off: ``smtplib.SMTP_SSL`` and ``smtplib.SMTP`` are one family."""
    name = ctx.qualified_name(node.func) or ast.unparse(node.func)
    if name in REDIS_URL_FACTORIES:  # ``redis.Redis.from_url(url)`` builds the same client as ``redis.Redis(...)``
        return name.removesuffix(".from_url").removesuffix(".Redis") + ".Redis"
    for suffix in TWIN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def twin_call(node: ast.Call, ctx: ModuleContext) -> tuple[ast.Call, bool, str] | None:
    branch = _branch_twin(node, ctx)
    if branch is not None:
        return branch[0], branch[1], f"in the other branch (line {branch[0].lineno})"
    repeat = _repeat(node, ctx)
    if repeat is None:
        return None
    other, first = repeat
    return other, first, f"repeated at line {other.lineno}" if first else f"first made at line {other.lineno}"


def _branch_twin(node: ast.Call, ctx: ModuleContext) -> tuple[ast.Call, bool] | None:
    chain = [*ctx.parents, node]
    for index in range(len(chain) - 1, 0, -1):
        parent, child = chain[index - 1], chain[index]
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return None
        if isinstance(parent, ast.IfExp) and child is not parent.test:
            first = child is parent.body
            mine, other = ([parent.body], [parent.orelse]) if first else ([parent.orelse], [parent.body])
        elif isinstance(parent, ast.If) and parent.orelse and child is not parent.test:
            first = any(child is stmt for stmt in parent.body)
            mine, other = (parent.body, parent.orelse) if first else (parent.orelse, parent.body)
        else:
            continue
        name = family(node, ctx)
        ours = [c for part in mine for c in ast.walk(part) if isinstance(c, ast.Call) and family(c, ctx) == name]
        theirs = [c for part in other for c in ast.walk(part) if isinstance(c, ast.Call) and family(c, ctx) == name]
        if len(ours) == 1 and len(theirs) == 1:
            return theirs[0], first
        return None
    return None


def _repeat(node: ast.Call, ctx: ModuleContext) -> tuple[ast.Call, bool] | None:
    """The one other statement of the function that binds the same name to the very same call."""
    func = ctx.enclosing_function()
    target = _bound_name(node, ctx.parents)
    if func is None or target is None:
        return None
    shape = ast.dump(node)
    others = [
        stmt.value
        for stmt in ast.walk(func)
        if isinstance(stmt, ast.Assign) and stmt.value is not node and isinstance(stmt.value, ast.Call) and ast.dump(stmt.value) == shape
        and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == target
    ]
    if len(others) != 1:
        return None
    return others[0], (node.lineno, node.col_offset) < (others[0].lineno, others[0].col_offset)


def _bound_name(node: ast.Call, parents: list[ast.AST]) -> str | None:
    parent = parents[-1] if parents else None
    if isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        return parent.targets[0].id
    return None
