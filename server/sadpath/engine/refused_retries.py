"""Whether a retry loop's exception filter retries a refused connect, for SAD204 (naive-retry).

Against a restarting server a connect is refused at once (``ConnectionRefusedError``, an ``OSError``; a client's
``httpx.ConnectError``, ``aiohttp.ClientConnectorError``, ``requests.ConnectionError``). A loop that retries those
spends only its pauses before it gives up, so its window is the pauses. A loop whose filter names only dropped
connections and timeouts (``except (ConnectionClosed, TimeoutError)``) does not retry a refused connect at all: the
first refused attempt reaches the caller, and a different delay changes nothing; when each connect hangs instead,
every attempt waits out its own connect timeout, which then makes the loop's span. ``refusal_retried(handlers, ctx)``
tells the three cases apart (True, False, None when the filter names errors the knowledge base does not know), and
``retryable_set(ctx)`` names the module's own tuple of retryable errors that does include a refused connect."""

from __future__ import annotations

import ast

from sadpath.engine.retry_policy import module_tuple

# a refused connect as the standard library and the common clients raise it
REFUSED_ERRORS = (
    "ConnectionRefusedError", "httpx._exceptions.ConnectError", "aiohttp.client_exceptions.ClientConnectorError",
    "requests.exceptions.ConnectionError",
)
# by name, the errors of clients the knowledge base does not list that a refused connect raises
REFUSED_WORDS = ("ConnectError", "ConnectionError", "Refused", "Connector", "NewConnection")
# by name, the errors of a dropped connection or a timeout, which a refused connect does not raise
NOT_REFUSED_WORDS = ("Closed", "Timeout", "Reset", "BrokenPipe")
BROAD = frozenset({"OSError", "Exception", "BaseException"})


def refusal_retried(handlers: list[ast.ExceptHandler], ctx) -> bool | None:
    """True when a handler catches a refused connect; False when every caught error is known not to be one (a
    dropped connection, a timeout); None when the filter names errors whose relation to a refused connect is not
    known."""
    unknown = False
    for handler in handlers:
        if handler.type is None:
            return True
        for name in _names(handler.type, ctx):
            verdict = _covers(name, ctx)
            if verdict:
                return True
            unknown = unknown or verdict is None
    return None if unknown else False


def retryable_set(ctx) -> str | None:
    """The module's own tuple of retryable errors (``RETRYABLE_EXCEPTIONS = (ConnectionClosed, OSError, ...)``)
    when it includes a refused connect: the filter to widen to."""
    for stmt in ctx.tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name) and "RETR" in target.id.upper() and module_tuple(target.id, ctx) is not None:
                if any(_covers(name, ctx) for name in _names(ast.Name(target.id), ctx)):
                    return target.id
    return None


def _names(expr: ast.AST, ctx) -> list[str]:
    exprs = expr.elts if isinstance(expr, ast.Tuple) else [expr]
    if len(exprs) == 1 and isinstance(exprs[0], ast.Name) and (constant := module_tuple(exprs[0].id, ctx)) is not None:
        exprs = constant.elts  # ``except RETRYABLE_EXCEPTIONS``: the module's tuple, as if spelled inline
    names = []
    for item in exprs:
        qn = ctx.qualified_name(item) or ast.unparse(item)
        names.append(ctx.hierarchy.canonical(qn))
    return names


def _covers(name: str, ctx) -> bool | None:
    """The caught error is a refused connect or a base of one (True), known not to be (False), or not known (None)."""
    hierarchy = ctx.hierarchy
    short = name.rsplit(".", 1)[-1]
    if short in BROAD or any(hierarchy.is_subclass(refused, name) for refused in REFUSED_ERRORS):
        return True
    if any(word in short for word in NOT_REFUSED_WORDS):
        return False  # ``ConnectionResetError``, ``requests.ConnectTimeout``: a drop or a timeout, not a refusal
    if hierarchy.is_known(name):
        return "connection" in hierarchy.modes(name)
    if any(word in short for word in REFUSED_WORDS):
        return True
    return None
