"""What an error's text leaves out, and whether the handler's record logs it instead (SAD104's payload claims).

- ``payload_lost``: the caught error carries its reason outside its text (an HTTP status error's response body,
  ``CalledProcessError``'s stderr and output) or has no text at all (``asyncio.TimeoutError``), and the record does
  not log that payload;
- an empty-message timeout whose record already names the error's type (``str(e) or type(e).__name__``,
  ``repr(e)``, ``e.__class__.__name__``) is no "empty message" record: when the record also names what was called
  (a URL, an id) nothing is lost; when it names nothing else, what it lacks is that target, not a traceback, and
  the message says so;
- ``advice``: what to log for each payload (``logger.exception`` adds the traceback, not the body or the stderr);
  ``process_advice``: for a command whose output can carry credentials (the module runs a process's stderr through
  a sanitiser such as ``strip_auth_from_urls_in_text`` elsewhere, or the command names a credential), log the
  sanitised stderr instead of the raw one.
"""

from __future__ import annotations

import ast
import builtins
import re

from sadpath.engine import catching, logging_wrappers, record_gaps
from sadpath.engine.context import ModuleContext

# Exceptions whose text leaves out what says why: the response body, the process's stderr, or everything.
STATUS_ERRORS = frozenset(
    {"requests.exceptions.HTTPError", "httpx._exceptions.HTTPStatusError", "aiohttp.client_exceptions.ClientResponseError",
     "urllib.error.HTTPError"}
)  # fmt: skip
PROCESS_ERRORS = frozenset({"subprocess.CalledProcessError"})
EMPTY_ERRORS = frozenset({"TimeoutError", "asyncio.exceptions.TimeoutError", "concurrent.futures._base.TimeoutError", "asyncio.TimeoutError"})
PAYLOAD_ATTRS = frozenset({"response", "text", "content", "body", "stderr", "stdout", "output", "json"})
_CHECKED_CALLS = frozenset({"subprocess.run", "subprocess.check_output", "subprocess.check_call"})

STATUS_LOST = "keeps only the status line of an HTTP error, not the response body that says why the service refused"
PROCESS_LOST = "keeps only the command and its exit status, not the process's stderr and output that say why it failed"
EMPTY_LOST = "logs a timeout whose message is empty, with no traceback: the record cannot say what timed out"
TARGET_LOST = (
    "logs a timeout by its type alone (its message is empty) and names nothing that was called: the record cannot"
    " say what timed out"
)
_ADVICE = {
    STATUS_LOST: "Log the body (`e.response.text`) beside the status, with the traceback (`logger.exception(...)`)",
    PROCESS_LOST: "Log `e.stderr` and `e.output` beside the command, with the traceback (`logger.exception(...)`)",
    TARGET_LOST: "Add the target (the URL, or the id of the server or job that was called) to the record",
}
DEFAULT_ADVICE = "Log with the traceback (`logger.exception(...)`) and the context"


# helpers that take secrets out of a text: ``strip_auth_from_urls_in_text``, ``redact_secrets``, ``sanitize_output``
_SANITISER = re.compile(r"strip_auth|redact|saniti[sz]|scrub|mask_(secret|token|credential|password)|censor|obfuscat", re.IGNORECASE)
_CREDENTIAL = re.compile(r"credential|token|password|passwd|secret|api_?key", re.IGNORECASE)


def process_advice(try_node: ast.AST | None, ctx: ModuleContext) -> str | None:
    """The advice for a lost stderr when the raw output may hold credentials: the module sanitises a process's
    stderr elsewhere (named), or a process call of the ``try`` carries a credential; None otherwise."""
    helper = next(
        (name for node in ast.walk(ctx.tree) if isinstance(node, ast.Call)
         for name in [_callee_name(node)] if _SANITISER.search(name) and any("stderr" in ast.unparse(a) for a in node.args)),
        None,
    )  # fmt: skip
    if helper is not None:
        return (
            f"Log the exit status (`e.returncode`) and the stderr run through `{helper}(...)`, as the module does"
            " elsewhere, in place of the error's text: the command in that text and the raw output can carry credentials"
        )
    carries = try_node is not None and any(
        isinstance(node, ast.Call) and any(_CREDENTIAL.search(ast.unparse(a)) for a in [*node.args, *(k.value for k in node.keywords)])
        and (ctx.qualified_name(node.func) or "").split(".")[-1] in _PROCESS_CALLS
        for stmt in getattr(try_node, "body", []) for node in ast.walk(stmt)
    )  # fmt: skip
    if carries:
        return (
            "Log the exit status (`e.returncode`) and `e.stderr` with the credentials stripped, in place of the error's"
            " text: the command in that text carries credentials"
        )
    return None


_PROCESS_CALLS = frozenset({"run", "check_call", "check_output", "run_process", "create_subprocess_exec", "create_subprocess_shell", "Popen"})


def _callee_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def advice(reason: str) -> str:
    """What the message tells the reader to log, for the reason it gives."""
    return _ADVICE.get(reason, DEFAULT_ADVICE)


def advice_for(reason: str, try_node: ast.AST | None, ctx: ModuleContext) -> str:
    """The advice for this record: a lost stderr that may hold credentials names the way out of that; under a
    project decorator that logs with the traceback (``logging_wrappers``), dropping the inner catch."""
    if reason == PROCESS_LOST and (found := process_advice(try_node, ctx)) is not None:
        return found
    if reason not in (TARGET_LOST, STATUS_LOST, PROCESS_LOST) and (wrapper := logging_wrappers.logging_decorator(ctx.enclosing_function(), ctx)):
        return logging_wrappers.advice(wrapper)  # a decorator already logs the traceback: the inner catch is the gap
    return advice(reason)


def logs_payload(log_call: ast.Call) -> bool:
    """The record reads the response body or the process's output (``e.response.text``, ``e.stderr``)."""
    return any(isinstance(n, ast.Attribute) and n.attr in PAYLOAD_ATTRS for n in ast.walk(log_call))


def payload_lost(log_call: ast.Call, handler: ast.ExceptHandler, try_node, caught, ctx: ModuleContext, *, named: bool) -> str | None:
    """The reason the record loses the caught error's payload, or None. ``named``: the record carries the error."""
    if logs_payload(log_call):
        return None
    names = {ctx.hierarchy.canonical(n) for n in caught.names if n}
    possible = raisable(try_node, ctx) if try_node is not None else set()
    broad = caught.kind in (catching.CatchKind.BARE, catching.CatchKind.BROAD)

    def caught_or_possible(kinds: frozenset[str]) -> bool:
        if names & kinds:
            return True
        return any(k in possible and (broad or any(ctx.hierarchy.is_subclass(k, n) for n in names)) for k in kinds)

    if caught_or_possible(STATUS_ERRORS) and not record_gaps.aiohttp_only(ctx):
        return STATUS_LOST
    if caught_or_possible(PROCESS_ERRORS):
        return PROCESS_LOST
    if names & EMPTY_ERRORS and named:
        if not names_the_type(log_call, handler.name):
            return EMPTY_LOST
        # (``str(e) or type(e).__name__``: the author met the empty message; what is left to say is the target)
        return None if names_a_target(log_call, handler.name) else TARGET_LOST
    return None


def names_the_type(log_call: ast.Call, name: str | None) -> bool:
    """The record shows the error's type: ``type(e).__name__``, ``e.__class__.__name__``, ``repr(e)``, ``{e!r}``,
    or ``"%r"`` with the error."""
    if not name:
        return False
    for node in ast.walk(log_call):
        if isinstance(node, ast.Attribute) and node.attr in ("__name__", "__qualname__") and _type_of(node.value, name):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "repr" and node.args and _is(node.args[0], name):
            return True
        if isinstance(node, ast.FormattedValue) and node.conversion == ord("r") and _is(node.value, name):
            return True
    first = log_call.args[0] if log_call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and "%r" in first.value:
        return any(_is(a, name) for a in log_call.args[1:])
    return False


def names_a_target(log_call: ast.Call, name: str | None) -> bool:
    """The record carries a value that is neither the error nor its text or type: the URL, the server's id."""
    inner: set[int] = set()
    for node in ast.walk(log_call):
        if _about_error(node, name):
            inner.update(id(n) for n in ast.walk(node))
    values = [*log_call.args[1:], *(k.value for k in log_call.keywords if k.arg not in ("exc_info", "stack_info", "stacklevel"))]
    if log_call.args and isinstance(log_call.args[0], ast.JoinedStr):
        values += [v.value for v in log_call.args[0].values if isinstance(v, ast.FormattedValue)]
    for value in values:
        for node in ast.walk(value):
            if id(node) in inner:
                continue
            if isinstance(node, ast.Name) and not hasattr(builtins, node.id) and node.id != name:
                return True
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id != name:
                return True
    return False


def _about_error(node: ast.AST, name: str | None) -> bool:
    """``e``, ``str(e)``, ``repr(e)``, ``type(e).__name__``, ``e.__class__.__name__``: the error, its text or type."""
    if _is(node, name) or (isinstance(node, ast.Attribute) and node.attr in ("__name__", "__qualname__") and _type_of(node.value, name)):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("str", "repr", "type") and bool(node.args) and _is(node.args[0], name)


def _is(expr: ast.AST, name: str | None) -> bool:
    return bool(name) and isinstance(expr, ast.Name) and expr.id == name


def _type_of(expr: ast.AST, name: str) -> bool:
    """``type(e)`` or ``e.__class__``."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "type" and len(expr.args) == 1:
        return _is(expr.args[0], name)
    return isinstance(expr, ast.Attribute) and expr.attr == "__class__" and _is(expr.value, name)


def _async_with_response(receiver: ast.expr, try_node: ast.Try) -> bool:
    """``async with session.get(url) as resp: resp.raise_for_status()``: an aiohttp response."""
    return isinstance(receiver, ast.Name) and any(
        isinstance(node, ast.AsyncWith) and any(isinstance(i.optional_vars, ast.Name) and i.optional_vars.id == receiver.id for i in node.items)
        for node in ast.walk(try_node)
    )


def raisable(try_node: ast.Try, ctx: ModuleContext) -> set[str]:
    """Payload-carrying errors the ``try`` can raise: status errors after ``raise_for_status()``, process errors
    of checked subprocess calls."""
    found: set[str] = set()
    for node in ast.walk(try_node):
        if not isinstance(node, ast.Call) or any(node is h or node in ast.walk(h) for h in try_node.handlers):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr == "raise_for_status" and not _async_with_response(node.func.value, try_node):
            found |= STATUS_ERRORS  # (aiohttp's ``async with session.get() as r`` releases the body before it raises)
        name = ctx.qualified_name(node.func)
        if name in _CHECKED_CALLS and (name != "subprocess.run" or any(k.arg == "check" and isinstance(k.value, ast.Constant) and k.value.value for k in node.keywords)):
            found |= PROCESS_ERRORS
    return found
