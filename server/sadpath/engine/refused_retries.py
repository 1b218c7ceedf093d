"""Whether a retry loop's exception filter retries a refused connect, for SAD204 (naive-retry).

Against a restarting server a connect is refused at once (``ConnectionRefusedError``, an ``OSError``; a client's
``httpx.ConnectError``, ``aiohttp.ClientConnectorError``, ``requests.ConnectionError``). A loop that retries those
spends only its pauses before it gives up, so its window is the pauses. A loop whose filter names only dropped
connections and timeouts (``except (ConnectionClosed, TimeoutError)``) does not retry a refused connect at all: the
first refused attempt reaches the caller, and a different delay changes nothing; when each connect hangs instead,
every attempt waits out its own connect timeout, which then makes the loop's span. ``refusal_retried(handlers, ctx)``
tells the three cases apart (True, False, None when the filter names errors the knowledge base does not know).

``unretried_refusal_message(...)`` words the finding for the third case. It names the one missing error (the
standard library's ``ConnectionRefusedError``, or the connect error of the client whose errors the filter names:
``httpx.ConnectError``, ``aiohttp.ClientConnectorError``, ``requests.ConnectionError``), never the whole ``OSError``
family: widening to every ``OSError`` would also retry configuration errors (DNS, TLS verification) that fail the
same way each time, and a narrow initial-connect filter is often deliberate ("other errors propagate at once")."""

from __future__ import annotations

import ast

from sadpath.engine.retry_policy import SETUP_FUNCTIONS, module_tuple

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
# the error a client raises for a refused connect, by the package whose errors the filter names
# (package, its refused-connect error, the wider family that would also retry configuration errors)
CLIENT_REFUSALS = (
    ("httpx", "httpx.ConnectError", "httpx.TransportError"),
    ("aiohttp", "aiohttp.ClientConnectorError", "aiohttp.ClientError"),
    ("requests", "requests.ConnectionError", "requests.RequestException"),
)
STANDARD_REFUSAL = ("ConnectionRefusedError", "OSError")


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


def missing_refusal(handlers: list[ast.ExceptHandler], ctx) -> tuple[str, str]:
    """The one error to add so that a refused connect is retried, and the wider family not to widen to: the connect
    error of the client whose errors the filter names, else the standard library's ``ConnectionRefusedError``
    (what an asyncio or websockets connect raises) and ``OSError``."""
    names = [name for handler in handlers if handler.type is not None for name in _names(handler.type, ctx)]
    for package, error, family in CLIENT_REFUSALS:
        if any(name.split(".", 1)[0] == package for name in names):
            return error, family
    return STANDARD_REFUSAL


def unretried_refusal_message(
    loop: ast.AST, header: str, handlers: list[ast.ExceptHandler], ctx, attempts: int | None,
) -> str | None:
    """The message for a capped loop whose filter does not retry a refused connect (``except (ConnectionClosed,
    TimeoutError)``), or None when it does (or may): no window and no back-off advice, since the refused connect
    is not retried at all; when connects hang, each attempt's own timeout, not the pause, sets the loop's span.
    It names the one missing error and says that the narrow set may be deliberate."""
    if refusal_retried(handlers, ctx) is not False:
        return None
    caught = ", ".join(
        f"`{ast.unparse(e)}`" for h in handlers for e in (h.type.elts if isinstance(h.type, ast.Tuple) else [h.type])
    )
    missing, family = missing_refusal(handlers, ctx)
    func = ctx.enclosing_function()
    start = isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) and func.name in SETUP_FUNCTIONS
    fails = "the start fails" if start else "the caller gets the error"
    each = f"each of its {attempts} attempts" if attempts is not None else "each attempt"
    return (
        f"The retry loop `{header}` does not retry a refused connect: it catches only {caught}, so a restarting "
        f"server's refused connect (`{missing}`) is not retried and {fails} at once; when connects hang "
        f"instead, {each} waits out its own connect timeout, which, not the pause, sets how long the loop keeps "
        f"trying. Add `{missing}` to the filter. The narrow set may be deliberate (configuration errors such as a "
        f"DNS or TLS-verification failure should fail at once, and all of `{family}` would retry them too): adding "
        f"only `{missing}` keeps that."
    )
