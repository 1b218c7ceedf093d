"""# SAD104 lost-traceback-log

## What it does

Flags a log call in a handler that does handle the error (it answers an error
response or an exit status, returns a fallback, dead-letters or counts the
failure) but records it in a way that loses what is needed to diagnose it:

- the exception is the whole message: `print(e)`, `logger.error(e)`,
  `logger.warning(str(e))`, `logger.error("%s", e)`;
- the `try` covers several steps or calls into project code, and the record has
  no traceback: nobody can tell which step failed;
- the exception's text leaves out its payload: an HTTP status error's response
  body (`requests.HTTPError`, `httpx.HTTPStatusError`), `CalledProcessError`'s
  stderr and output, an error whose message is empty (`asyncio.TimeoutError`).

It stays quiet for handlers that swallow the error (SAD101 reports those, once,
and its fix keeps the traceback), for handlers that re-raise or translate the
error (the traceback travels on), for a descriptive message around one external
call whose exception text carries the cause (a timeout, a refused connection),
for `logger.exception(...)`, `exc_info=...`, `traceback.format_exc()` and error
trackers, for `debug` and `info` records, inside a `logging.Handler.emit` (where
printing to stderr is the only channel left), and for a command's user-facing
error printed before it exits with a non-zero status.

## Why is this bad?

The message of an exception rarely says where it happened: `Connection reset by
peer`, `'items'`, `422 Client Error`. Without the traceback, the response body or
the process's stderr, nobody can tell which call failed or why, and the handler is
the last place that has them.

## Example

```python
import logging

import requests
from flask import Flask

app = Flask(__name__)
logger = logging.getLogger(__name__)


@app.post("/token/refresh")
def refresh_token():
    try:
        resp = requests.post("https://auth.example/token", timeout=5)
        resp.raise_for_status()
        token = resp.json()["token"]
    except (requests.RequestException, KeyError) as e:
        logger.error(e)
        return {"error": "the auth service gave no token"}, 502
    return {"token": token}
```

## Use instead

```python
import logging

import requests
from flask import Flask

app = Flask(__name__)
logger = logging.getLogger(__name__)


@app.post("/token/refresh")
def refresh_token():
    try:
        resp = requests.post("https://auth.example/token", timeout=5)
        resp.raise_for_status()
        token = resp.json()["token"]
    except (requests.RequestException, KeyError):
        logger.exception("token refresh failed")
        return {"error": "the auth service gave no token"}, 502
    return {"token": token}
```

## Fix safety

Turning `logger.error(...)` into `logger.exception(...)` is safe: same level,
same message, plus the traceback. The structured log fix is unsafe: it keeps the
message and its arguments, adds the traceback and `extra` fields, and may change
the call (`print` becomes a logger call, `warning` becomes `exception`).

## Options

None.

## References

- [logging: Logger.exception](https://docs.python.org/3/library/logging.html#logging.Logger.exception)
- [logging: exc_info](https://docs.python.org/3/library/logging.html#logging.Logger.debug)
"""

from __future__ import annotations

import ast
import re

from sadpath.engine import catching, logcalls, shapes
from sadpath.engine.context import ModuleContext
from sadpath.engine.exemption_comments import handler_explanations
from sadpath.engine.trapping import traps_its_failures
from sadpath.engine.external import external_call
from sadpath.engine.swallow import exit_status, judge
from sadpath.engine.walker import body_nodes
from sadpath.model import Applicability, FixOffer
from sadpath.rules import _except
from sadpath.rules.base import Rule

# Exceptions whose text leaves out what says why: the response body, the process's stderr, or everything.
STATUS_ERRORS = frozenset(
    {"requests.exceptions.HTTPError", "httpx._exceptions.HTTPStatusError", "aiohttp.client_exceptions.ClientResponseError",
     "urllib.error.HTTPError"}
)  # fmt: skip
PROCESS_ERRORS = frozenset({"subprocess.CalledProcessError"})
EMPTY_ERRORS = frozenset({"TimeoutError", "asyncio.exceptions.TimeoutError", "concurrent.futures._base.TimeoutError", "asyncio.TimeoutError"})
# constructors that only build a client or a setting, and cannot fail on the network: not a step to trace
BUILDERS = frozenset(
    {"aiohttp.ClientTimeout", "aiohttp.ClientSession", "aiohttp.TCPConnector", "aiohttp.client.ClientTimeout",
     "aiohttp.client.ClientSession", "requests.Session", "requests.sessions.Session", "httpx.Client", "httpx.AsyncClient",
     "httpx.Timeout", "httpx.Limits", "urllib.request.Request", "boto3.session.Session", "botocore.config.Config"}
)  # fmt: skip
_SENSITIVE = re.compile(r"secret|sensitive|credential|password|passw|token|\bpii\b|leak|api[ _-]?key", re.IGNORECASE)
_PAYLOAD_ATTRS = frozenset({"response", "text", "content", "body", "stderr", "stdout", "output", "json"})
_CHECKED_CALLS = frozenset({"subprocess.run", "subprocess.check_output", "subprocess.check_call"})
_COMPOUND = (ast.With, ast.AsyncWith, ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_PURE = frozenset({"str", "int", "float", "len", "dict", "list", "tuple", "set", "sorted", "min", "max", "sum", "isinstance", "getattr", "format"})


class LostTracebackLog(Rule):
    code = "SAD104"
    slug = "lost-traceback-log"
    summary = "A handler that handles the error but logs it without what diagnoses it: the traceback, the body, the stderr."
    fix_applicabilities = (Applicability.SAFE, Applicability.UNSAFE)
    fix_kinds = ("log_exception", "log_structured")

    def visit_ExceptHandler(self, node: ast.ExceptHandler, ctx: ModuleContext) -> None:
        judgement = judge(node, ctx)
        if judgement.swallows or judgement.exemption == "signal":
            return  # SAD101's one finding (its fix keeps the traceback); cancellation and exit are SAD102's
        if _except.raises(node, ctx) and not _ends_in_exit(node, ctx):
            return  # re-raised or translated: the traceback travels on (an unchained translation is SAD103's)
        logs = logcalls.own_log_calls(node, ctx)
        if not logs or any(logcalls.keeps_traceback(log, ctx) for log in logs):
            return
        func = ctx.enclosing_function()
        if func is not None and func.name == "emit" and _in_logging_handler(ctx):
            return  # inside logging's own handler, printing to stderr is the channel left
        if shapes.retry_loop_then_raise(ctx):
            return  # one attempt of a retry loop that raises its last error: that error travels on with its traceback
        if any(_SENSITIVE.search(comment) for comment in handler_explanations(node, ctx)):
            return  # "do not log the exception: it may contain secrets": left out on purpose
        try_node = _except.enclosing_try(node, ctx)
        for log in logs:
            if log.kind == "logger" and log.level not in logcalls.ERROR_LEVELS:
                continue
            if log.kind == "print" and not _only_the_exception(log, node.name) and _user_facing(node, ctx):
                continue  # a command's message to its user before it exits non-zero
            reason = _what_is_lost(log, node, try_node, judgement.caught, ctx)
            if reason is None:
                continue  # a descriptive message around one call, whose exception text says why
            shown = "print(...)" if log.method == "print" else (f"{log.receiver}.{log.method}(...)" if log.receiver else f"{log.method}(...)")
            message = f"`{shown}` in {judgement.caught.label} {reason}. Log with the traceback (`logger.exception(...)`) and the context."
            fixes = []
            if log.kind == "logger" and log.method == "error":
                fixes.append(FixOffer("log_exception", f"Use `{log.receiver}.exception(...)` to keep the traceback", Applicability.SAFE))
            fixes.append(FixOffer("log_structured", "Log with the traceback and context", Applicability.UNSAFE))
            ctx.report(self, ctx.span(log.call), message, fixes=fixes)


def _what_is_lost(log: logcalls.LogCall, handler: ast.ExceptHandler, try_node, caught, ctx: ModuleContext) -> str | None:
    """What this record loses, as the message says it; None when it keeps enough."""
    name = handler.name
    if _only_the_exception(log, name):
        return "makes the exception the whole record: no traceback and no context, so nobody can tell what failed or for what"
    if any(isinstance(n, ast.Attribute) and n.attr in _PAYLOAD_ATTRS for n in ast.walk(log.call)):
        return None  # it logs the response body or the stderr: the author kept what says why
    payload = _payload_lost(log, handler, try_node, caught, ctx)
    if payload is not None:
        return payload
    if try_node is not None and shapes.benign_try(try_node, ctx):
        return None  # a clean-up (``session.rollback()``, ``session.remove()``): which of its steps failed matters to nobody
    steps = _steps(try_node, ctx, caught) if try_node is not None else []
    if len(steps) >= 2:
        listed = ", ".join(f"`{s}`" for s in steps[:3]) + (", ..." if len(steps) > 3 else "")
        return f"drops the traceback of a `try` that spans {len(steps)} steps ({listed}): the record cannot say which one failed"
    if steps and steps[0].startswith("project:") and caught.kind not in (catching.CatchKind.UNKNOWN, catching.CatchKind.EXPECTED):
        # (an error type of the project's own, ``InfrastructureNotAvailable``, names its cause itself)
        return f"drops the traceback of a call into the project's own code (`{steps[0][8:]}`): the record cannot say where inside it the failure happened"
    if not _names_the_error(log, handler.name) and _catches_a_family(caught, ctx):
        return "records that the work failed but not why: neither the exception nor its traceback is in the record"
    return None


def _catches_a_family(caught, ctx: ModuleContext) -> bool:
    """The handler catches a base of several different failures (``RedisError``, ``RequestException``,
    ``Exception``): which one happened is only in the exception. ``ProcessLookupError`` or ``TimeoutExpired``
    says it all by its type, and a message naming the step is enough."""
    if caught.kind in (catching.CatchKind.BARE, catching.CatchKind.BROAD):
        return True
    if caught.kind is not catching.CatchKind.FAILURE:
        return False  # ``ValueError`` from a parser: "malformed" is what the message says, and all there is to say
    return any(
        ctx.hierarchy.is_family(canonical) and ("." in canonical or canonical in ("OSError", "IOError", "ConnectionError"))
        for canonical in (ctx.hierarchy.canonical(name) for name in caught.names if name)
    )  # ``ValueError`` beside a library's error is the parser's, and says "malformed" by itself


def _names_the_error(log: logcalls.LogCall, name: str | None) -> bool:
    """The record carries the exception somehow: as an argument, in an f-string, or through ``exc_info``."""
    return bool(name) and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(log.call))


def _only_the_exception(log: logcalls.LogCall, name: str | None) -> bool:
    """``logger.error(e)``, ``print(str(e))``, ``logger.warning("%s", e)``, ``logger.error(f"{e}")``."""
    args = [a for a in log.call.args if not (log.kind == "logger" and log.method == "log" and a is log.call.args[0])]
    if not args or not name:
        return False
    first = args[0]
    if _is_exc(first, name):
        return len(args) == 1
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.strip() in ("%s", "%r", "{}", "Error: %s", "error: %s"):
        return len(args) == 2 and _is_exc(args[1], name)
    if isinstance(first, ast.JoinedStr):
        parts = [v for v in first.values if not (isinstance(v, ast.Constant) and not str(v.value).strip(" :-"))]
        return len(parts) == 1 and isinstance(parts[0], ast.FormattedValue) and _is_exc(parts[0].value, name)
    return False


def _is_exc(expr: ast.AST, name: str) -> bool:
    if isinstance(expr, ast.Name):
        return expr.id == name
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in ("str", "repr") and len(expr.args) == 1:
        return _is_exc(expr.args[0], name)
    return False


def _payload_lost(log, handler, try_node, caught, ctx: ModuleContext) -> str | None:
    """The caught error carries its reason outside its text (a response body, stderr) or has no text at all, and
    the record does not log that payload."""
    if any(isinstance(n, ast.Attribute) and n.attr in _PAYLOAD_ATTRS for n in ast.walk(log.call)):
        return None
    names = {ctx.hierarchy.canonical(n) for n in caught.names if n}
    possible = _raisable(try_node, ctx) if try_node is not None else set()
    broad = caught.kind in (catching.CatchKind.BARE, catching.CatchKind.BROAD)

    def caught_or_possible(kinds: frozenset[str]) -> bool:
        if names & kinds:
            return True
        return any(k in possible and (broad or any(ctx.hierarchy.is_subclass(k, n) for n in names)) for k in kinds)

    if caught_or_possible(STATUS_ERRORS) and not _aiohttp_only(ctx):
        return "keeps only the status line of an HTTP error, not the response body that says why the service refused"
    if caught_or_possible(PROCESS_ERRORS):
        return "keeps only the command and its exit status, not the process's stderr and output that say why it failed"
    if names & EMPTY_ERRORS and _names_the_error(log, handler.name):
        # (a record that says what timed out needs nothing more: the type is the whole story)
        return "logs a timeout whose message is empty, with no traceback: the record cannot say what timed out"
    return None


def _async_with_response(receiver: ast.expr, try_node: ast.Try) -> bool:
    """``async with session.get(url) as resp: resp.raise_for_status()``: an aiohttp response."""
    return isinstance(receiver, ast.Name) and any(
        isinstance(node, ast.AsyncWith) and any(isinstance(i.optional_vars, ast.Name) and i.optional_vars.id == receiver.id for i in node.items)
        for node in ast.walk(try_node)
    )


def _aiohttp_only(ctx: ModuleContext) -> bool:
    """The module's HTTP client is aiohttp, whose ``raise_for_status()`` releases the body before it raises: the
    error keeps the status, the reason and the URL, and no handler can log more."""
    key = ("sad104-aiohttp",)
    if key not in ctx.memo:
        roots = {name.split(".")[0] for name in _imported(ctx.tree)}
        ctx.memo[key] = "aiohttp" in roots and not roots & {"requests", "httpx", "urllib", "urllib3"}
    return ctx.memo[key]


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _raisable(try_node: ast.Try, ctx: ModuleContext) -> set[str]:
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


def _steps(try_node: ast.Try, ctx: ModuleContext, caught) -> list[str]:
    """The steps of the ``try`` body that can fail (``shapes.can_fail``: not a log, a builtin, a value method, a pure
    helper); for a narrow catch, only those that can raise it (a service call, the project's code); a single call
    into a project function is marked ``project:``."""
    narrow = caught.kind not in (catching.CatchKind.BARE, catching.CatchKind.BROAD)
    steps: list[str] = []
    firsts: list[ast.Call] = []
    simple = [n for n in body_nodes(try_node.body) if isinstance(n, ast.stmt) and not isinstance(n, _COMPOUND)]
    for node in body_nodes(try_node.body):  # what compound statements evaluate themselves: tests, iterables, contexts
        if isinstance(node, (ast.With, ast.AsyncWith)):
            simple.extend(item.context_expr for item in node.items)
        elif isinstance(node, (ast.If, ast.While)):
            simple.append(node.test)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            simple.append(node.iter)
    simple.sort(key=lambda n: (n.lineno, n.col_offset))
    for stmt in simple:
        calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call) and logcalls.as_log_call(n, ctx) is None]
        calls = [c for c in calls if not (isinstance(c.func, ast.Name) and c.func.id in _PURE) and shapes.can_fail(c, ctx)]
        if narrow:  # ``except RedisError`` around one Redis call among local steps: the type says which step
            calls = [c for c in calls if external_call(c, ctx) is not None or shapes.through_client(c) or _project_function(c, ctx)]
        calls = [
            c for c in calls
            if not traps_its_failures(c, ctx) and (ctx.qualified_name(c.func) or "") not in BUILDERS and not _reads_the_response(c)
        ]  # fmt: skip
        calls = [c for c in calls if not (isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Call))] or calls
        if not calls:
            continue
        first = min(calls, key=lambda c: (c.lineno, c.col_offset))
        label = _except.call_label(first, ctx) or "a call"
        steps.append(label)
        firsts.append(first)
    if len(steps) == 1 and external_call(firsts[0], ctx) is None and _project_function(firsts[0], ctx):
        return [f"project:{steps[0]}"]
    return steps


def _reads_the_response(call: ast.Call) -> bool:
    """``resp.raise_for_status()``, ``resp.json()``: part of the request step, whose error says which part failed."""
    return isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) and call.func.attr in _RESPONSE_READS


_RESPONSE_READS = frozenset({"raise_for_status", "json", "text", "read", "aread", "iter_content", "iter_lines"})


def _project_function(call: ast.Call, ctx: ModuleContext) -> bool:
    """A call of a function or method defined in this module (``self.sync()``, ``_load()``)."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in ctx.semantic.module_functions
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self"


def _ends_in_exit(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The handler's raise is an exit (``sys.exit(1)``, ``raise SystemExit(2)``, ``CommandError``): it still handles."""
    for node in _except.walk_handler(handler, skip_handlers=True):
        if isinstance(node, ast.Raise):
            return False
    return True


def _user_facing(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The handler ends the command with a non-zero status after printing: the print is its user interface."""
    from sadpath.engine.boundary import boundary_of
    from sadpath.engine.outcome import handler_paths

    boundary = boundary_of(ctx)
    func = ctx.enclosing_function()
    for path in handler_paths(handler, ctx):
        if path.end == "raise" or exit_status(path, func, boundary):
            return True
    return False


def _in_logging_handler(ctx: ModuleContext) -> bool:
    cls = ctx.enclosing_class()
    return cls is not None and any(ast.unparse(b).endswith("Handler") for b in cls.bases)
