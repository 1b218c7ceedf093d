"""What an ``except`` handler does with the error it caught, path by path.

``handler_paths`` follows the handler's body through its ``if`` branches and returns each way out of it: it
raises (or exits, or hands the error to a task retry), returns a value, continues or leaves a loop, or falls
through to the code after the ``try``; with what the path logged (with or without the traceback) and whether it
did anything else (a call, a counter, a recorded error). ``Path.verdict`` names how a path lets the work carry on
as if nothing had failed ("pass", "continue", "return 'UNKNOWN'", "log:logger.error", ...), or None when the path
does something with the error. ``engine.swallow`` judges these paths with its exemptions; SAD101, SAD104, the
hover and the inventory all read that judgement.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace

from sadpath.engine import logcalls
from sadpath.engine.context import ModuleContext

SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "gevent.sleep", "eventlet.sleep", "trio.sleep", "anyio.sleep"})
ERROR_KEYS = frozenset({"error", "errors", "detail", "reason", "failed", "failure", "base"})
FLAG_KEYS = frozenset({"ok", "success", "succeeded", "available"})
STATUS_KEYS = frozenset({"status", "state", "result", "message"})
FAILED_WORDS = frozenset({"error", "failed", "failure", "unavailable", "down", "timeout", "rejected"})
EXITING_CALLS = frozenset({"sys.exit", "os._exit", "exit", "quit", "os.abort", "pytest.fail", "pytest.skip"})
ABORTS = frozenset({"flask.abort", "abort", "werkzeug.exceptions.abort", "django.http.Http404"})
SENTINEL_STRINGS = frozenset({"UNKNOWN", "unknown", "Unknown", "N/A", "n/a", "NA", "ERROR", "error", "FAILED", "failed", "none", "null", ""})
RESPONSE_CALLS = frozenset(
    {"Response", "JSONResponse", "HTMLResponse", "PlainTextResponse", "HttpResponse", "JsonResponse", "make_response",
     "HttpResponseBadRequest", "HttpResponseServerError", "HttpResponseNotFound", "web.Response", "web.json_response",
     "json_response", "ORJSONResponse", "UJSONResponse"}
)  # fmt: skip
MAX_PATHS = 32
CLEANUP_CALLS = frozenset({"rollback", "close", "aclose", "cancel", "release", "shutdown", "disconnect", "unlock", "reset"})
# ``ws.close(code=4001, reason="Invalid token")`` tells the peer why: an explicit error answer, not tidying up
_TELLS_PEER = frozenset({"code", "reason", "status", "status_code"})
INSPECTIONS = frozenset({"getattr", "str", "repr", "type", "isinstance", "len", "int", "get", "json", "format", "lower", "upper"})


@dataclass(frozen=True)
class Path:
    """One way out of a handler."""

    end: str  # "raise" (also exit, abort, task retry), "return", "continue", "break", "fall"
    value: ast.expr | None = None  # the returned expression
    logs: tuple[logcalls.LogCall, ...] = ()
    traced: bool = False  # some log call on the path keeps the traceback
    acted: bool = False  # did something besides logging, sleeping and placeholder assignments
    placeholder: bool = False  # set a stand-in for the missing result (``rate = None``)
    slept: bool = False  # waited (``time.sleep``) before carrying on
    conditions: tuple[tuple[ast.expr, bool], ...] = ()  # the ``if`` tests on the way, and which branch was taken
    actions: tuple[ast.AST, ...] = field(default=(), compare=False)

    @property
    def untraced_log(self) -> logcalls.LogCall | None:
        return None if self.traced or not self.logs else self.logs[0]

    def verdict(self) -> str | None:
        """How this path carries on as if the work had succeeded, or None when it handles the error."""
        if self.end == "raise" or self.acted:
            return None
        if self.end == "return" and self.value is not None:
            if empty_result(self.value):
                return f"return {ast.unparse(self.value) if len(ast.unparse(self.value)) <= 60 else short(self.value)}"
            if not is_constant(self.value) or is_error_response(self.value):
                return None  # a computed fallback or an explicit error response
            return f"return {short(self.value)}"
        if self.untraced_log is not None:
            log = self.untraced_log
            return f"log:{'print' if log.kind == 'print' else f'{log.receiver}.{log.method}'}"
        if self.traced:
            return "log+traceback"
        if self.placeholder:
            return "assign"
        return {"fall": "pass", "return": "return", "continue": "continue", "break": "break"}[self.end]


def handler_paths(handler: ast.ExceptHandler, ctx: ModuleContext) -> list[Path]:
    """Every way out of the handler (at most ``MAX_PATHS``; past that the handler counts as handling)."""
    ends: list[Path] = []
    open_paths = _block(handler.body, [Path("fall")], ends, ctx, handler.name)
    return [*ends, *open_paths][:MAX_PATHS] if len(ends) + len(open_paths) <= MAX_PATHS else [Path("fall", acted=True)]


def _block(statements: list[ast.stmt], paths: list[Path], ends: list[Path], ctx: ModuleContext, error: str | None) -> list[Path]:
    """Follow ``paths`` through ``statements``; finished paths go to ``ends``, the still-open ones are returned."""
    for stmt in statements:
        if not paths:
            break
        paths = _statement(stmt, paths, ends, ctx, error)
        if len(paths) + len(ends) > MAX_PATHS:
            return [Path("fall", acted=True)]
    return paths


def _statement(stmt: ast.stmt, paths: list[Path], ends: list[Path], ctx: ModuleContext, error: str | None) -> list[Path]:
    if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
        return paths  # pass, ..., a docstring-like string
    if isinstance(stmt, ast.Raise):
        ends.extend(replace(p, end="raise") for p in paths)
        return []
    if isinstance(stmt, ast.Return):
        ends.extend(replace(p, end="return", value=stmt.value) for p in paths)
        return []
    if isinstance(stmt, (ast.Continue, ast.Break)):
        ends.extend(replace(p, end="continue" if isinstance(stmt, ast.Continue) else "break") for p in paths)
        return []
    if isinstance(stmt, ast.If):
        taken = [replace(p, conditions=(*p.conditions, (stmt.test, True))) for p in paths]
        skipped = [replace(p, conditions=(*p.conditions, (stmt.test, False))) for p in paths]
        return _block(stmt.body, taken, ends, ctx, error) + _block(stmt.orelse, skipped, ends, ctx, error)
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return _block(stmt.body, [_acted(p, stmt) for p in paths], ends, ctx, error)
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Call, ast.Await)):
        call = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
        if isinstance(call, ast.Call):
            return _call(call, paths, ends, ctx)
    if isinstance(stmt, ast.Assign) and _is_placeholder(stmt):
        return [replace(p, placeholder=True) for p in paths]
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and _inspects(stmt, error):
        return paths  # ``code = exc.response["Error"]["Code"]``: reading the error is not handling it
    return [_acted(p, stmt) for p in paths]  # anything else (an assignment, a counter, a loop, a nested try) handles


def _call(call: ast.Call, paths: list[Path], ends: list[Path], ctx: ModuleContext) -> list[Path]:
    log = logcalls.as_log_call(call, ctx)
    if log is not None:
        traced = logcalls.keeps_traceback(log, ctx)
        return [replace(p, logs=(*p.logs, log), traced=p.traced or traced) for p in paths]
    name = ctx.qualified_name(call.func) or ""
    if name in SLEEPS:
        return [replace(p, slept=True) for p in paths]  # waiting before carrying on is not handling the error
    if name in EXITING_CALLS or name in ABORTS or is_task_retry(call):
        ends.extend(replace(p, end="raise") for p in paths)
        return []
    if isinstance(call.func, ast.Attribute) and call.func.attr in CLEANUP_CALLS and not call.args and not any(k.arg in _TELLS_PEER for k in call.keywords):
        return paths  # ``session.rollback()``, ``conn.close()``: tidying up after the failure is not handling it
    if _releases_marker(call, ctx):
        return paths  # ``os.environ.pop(key, None)`` of the ``os.environ[key] = "1"`` set for the run: tidying up too
    return [_acted(p, call) for p in paths]


def _releases_marker(call: ast.Call, ctx: ModuleContext) -> bool:
    """``X.pop(k, ...)``, ``X.discard(k)`` or ``X.remove(k)`` of a key the function itself set on ``X`` before
    (``X[k] = ...``, ``X.add(k)``): undoing the marker of a run that failed, not an answer to the failure."""
    func = ctx.enclosing_function()
    if func is None or not isinstance(call.func, ast.Attribute) or call.func.attr not in ("pop", "discard", "remove") or not call.args:
        return False
    receiver, key = ast.dump(call.func.value), ast.dump(call.args[0])
    for node in ast.walk(func):
        if getattr(node, "lineno", call.lineno) >= call.lineno:
            continue
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Subscript) and ast.dump(t.value) == receiver and ast.dump(t.slice) == key for t in node.targets
        ):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add" and ast.dump(node.func.value) == receiver and node.args and ast.dump(node.args[0]) == key:
            return True
    return False


def _inspects(stmt: ast.Assign | ast.AnnAssign, error: str | None) -> bool:
    """An assignment of plain names that reads the caught error, with no call that does work: ``code =
    exc.response["Error"]["Code"]``, ``status = getattr(exc, "status", None)``."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    if stmt.value is None or not error or not all(isinstance(t, ast.Name) for t in targets):
        return False
    if not isinstance(stmt.value, (ast.Attribute, ast.Subscript, ast.Call, ast.Name)):
        return False  # building a value from the error (``{"status": "error", "error": str(exc)}``) records it
    if not any(isinstance(n, ast.Name) and n.id == error for n in ast.walk(stmt.value)):
        return False
    for node in ast.walk(stmt.value):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if name not in INSPECTIONS:
                return False
    return True


def _acted(path: Path, node: ast.AST) -> Path:
    return replace(path, acted=True, actions=(*path.actions, node))


def is_task_retry(call: ast.Call) -> bool:
    """Celery's ``self.retry(...)`` (or ``task.retry``): it raises ``Retry``."""
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr == "retry" and isinstance(func.value, ast.Name) and func.value.id in ("self", "task")


def _is_placeholder(stmt: ast.Assign) -> bool:
    """``rate = None`` / ``status = "UNKNOWN"``: a plain name set to a stand-in for the missing result.
    Recording the failure (``errors["base"] = "cannot_connect"``, ``self.available = False``) is handling."""
    if not all(isinstance(t, ast.Name) for t in stmt.targets):
        return False
    value = stmt.value
    return isinstance(value, ast.Constant) and (value.value is None or value.value in SENTINEL_STRINGS)


def is_constant(expr: ast.AST) -> bool:
    if isinstance(expr, ast.Constant):
        return True
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return all(is_constant(e) for e in expr.elts)
    if isinstance(expr, ast.Dict):
        return all(k is not None and is_constant(k) for k in expr.keys) and all(is_constant(v) for v in expr.values)
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.operand, ast.Constant):
        return True
    return False


def empty_result(expr: ast.AST) -> bool:
    """``KnowledgeFileListResponse(items=[], total=0)``: a result class built from empty values only (an empty
    list or dict, ``0``, ``""``, ``None``), the typed form of ``return []``. Not a framework response (``Response()``
    answers the client) and not a class built with nothing (its defaults are unknown)."""
    if not isinstance(expr, ast.Call) or not (expr.args or expr.keywords):
        return False
    func = expr.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if not name[:1].isupper() or _FRAMEWORK_RESPONSE.match(name) or any(k.arg is None for k in expr.keywords):
        return False
    values = [*expr.args, *(k.value for k in expr.keywords)]
    return all(_empty_value(v) for v in values) and any(isinstance(v, (ast.List, ast.Dict, ast.Tuple, ast.Set)) for v in values)


_FRAMEWORK_RESPONSE = re.compile(r"^(?:Http|JSON|Json|Plain|PlainText|HTML|Html|Streaming|File|Redirect|ORJSON|UJSON)?Response")


def _empty_value(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is None or (node.value in (0, "") and not isinstance(node.value, bool))
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return not node.elts
    if isinstance(node, ast.Dict):
        return not node.keys
    return False


def is_error_response(expr: ast.AST) -> bool:
    """``{"error": ...}``, ``{"ok": False}``, ``{"status": "failed"}``, ``("failed", 502)``, ``(None, "unreachable")``:
    an explicit error result that names what went wrong, not a bare sentinel."""
    if isinstance(expr, ast.Dict):
        for key, value in zip(expr.keys, expr.values):
            if not isinstance(key, ast.Constant):
                continue
            if key.value in ERROR_KEYS:
                return True
            if key.value in FLAG_KEYS and isinstance(value, ast.Constant) and value.value is False:
                return True
            if key.value in STATUS_KEYS and isinstance(value, ast.Constant) and value.value in FAILED_WORDS:
                return True
        return False
    if isinstance(expr, ast.Tuple):
        return (
            any(error_status(e) for e in expr.elts)
            or any(_is_message(e) for e in expr.elts)
            or any(is_error_response(e) for e in expr.elts)
        )
    return False


def error_status(expr: ast.AST) -> bool:
    """An HTTP error status: 400-599 as a number (or ``status.HTTP_503_...``)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, int) and not isinstance(expr.value, bool):
        return 400 <= expr.value < 600
    if isinstance(expr, ast.Attribute) and expr.attr.startswith("HTTP_"):
        digits = expr.attr[5:8]
        return digits.isdigit() and 400 <= int(digits) < 600
    return False


def response_status(expr: ast.AST | None) -> str | None:
    """What a returned response says: "error" (a 4xx/5xx status), "success" (any other response or result),
    or None when nothing is returned."""
    if expr is None:
        return None
    if isinstance(expr, ast.Tuple):
        return "error" if any(error_status(e) for e in expr.elts) or is_error_response(expr) else "success"
    if isinstance(expr, ast.Call):
        for keyword in expr.keywords:
            if keyword.arg in ("status", "status_code") and error_status(keyword.value):
                return "error"
        name = expr.func.attr if isinstance(expr.func, ast.Attribute) else expr.func.id if isinstance(expr.func, ast.Name) else ""
        if name.startswith("HttpResponse") and name != "HttpResponse":
            return "error" if any(part in name for part in ("Bad", "Error", "NotFound", "Forbidden", "NotAllowed", "Gone")) else "success"
        if any(isinstance(a, ast.Dict) and is_error_response(a) for a in expr.args):
            return "error"
        return "success"
    if isinstance(expr, ast.Dict):
        return "error" if is_error_response(expr) else "success"
    return "success"


def _is_message(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) and isinstance(expr.value, str) and len(expr.value.strip()) > 2


def short(expr: ast.AST) -> str:
    text = ast.unparse(expr)
    return text if len(text) <= 30 else text[:29] + "…"
