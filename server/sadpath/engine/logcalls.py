"""Shared predicates about log calls: is this a log call, at which level, does it keep the traceback."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from sadpath.engine.context import ModuleContext
from sadpath.engine.walker import NESTED_SCOPES

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "msg"})
ERROR_LEVELS = frozenset({"warning", "warn", "error", "critical", "fatal", "exception"})
_LOGGER_NAME_RE = re.compile(r"(^_*log(ger)?$)|(_log(ger)?$)|(^_*logger)", re.IGNORECASE)
_LOGGER_FACTORIES = frozenset(
    {"logging.getLogger", "structlog.get_logger", "structlog.getLogger", "logging.Logger", "loguru.logger"}
)
TRACEBACK_CAPTURES = frozenset(
    {
        "traceback.print_exc",
        "traceback.print_exception",
        "sentry_sdk.capture_exception",
        "sentry_sdk.capture_exception",
        "rollbar.report_exc_info",
        "bugsnag.notify",
    }
)
TRACEBACK_FORMATTERS = frozenset({"traceback.format_exc", "traceback.format_exception", "traceback.format_tb"})


@dataclass(frozen=True)
class LogCall:
    call: ast.Call
    kind: str  # "logger" | "print" | "capture"
    method: str  # logger method ("error", "exception", ...), "print", or the capture function
    receiver: str  # source text of the logger expression ("" for print)

    @property
    def level(self) -> str:
        if self.kind != "logger":
            return "error"
        if self.method == "log":
            return _log_level_arg(self.call)
        return "warning" if self.method == "warn" else self.method


def _log_level_arg(call: ast.Call) -> str:
    if call.args:
        arg = call.args[0]
        if isinstance(arg, ast.Attribute):
            return arg.attr.lower()
        if isinstance(arg, ast.Constant) and isinstance(arg.value, int):
            return {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}.get(arg.value, "error")
    return "error"


def is_logger_expr(expr: ast.AST, ctx: ModuleContext) -> bool:
    qn = ctx.qualified_name(expr)
    if qn in ("logging", "loguru.logger", "structlog"):
        return True
    typ = ctx.type_of(expr)
    if typ in _LOGGER_FACTORIES:
        return True
    name = None
    if isinstance(expr, ast.Name):
        name = expr.id
    elif isinstance(expr, ast.Attribute):
        name = expr.attr
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        # logging.getLogger(__name__).error(...), structlog.get_logger().info(...)
        return ctx.qualified_name(expr.func) in _LOGGER_FACTORIES
    return bool(name and _LOGGER_NAME_RE.search(name))


def as_log_call(node: ast.AST, ctx: ModuleContext) -> LogCall | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id == "print" and ctx.qualified_name(func) == "print":
        return LogCall(node, "print", "print", "")
    if isinstance(func, ast.Attribute):
        if func.attr in LOG_METHODS and is_logger_expr(func.value, ctx):
            return LogCall(node, "logger", func.attr, ast.unparse(func.value))
        if func.attr == "write":
            qn = ctx.qualified_name(func.value)
            if qn in ("sys.stderr", "sys.stdout"):
                return LogCall(node, "print", "write", qn)
    qn = ctx.qualified_name(func)
    if qn in TRACEBACK_CAPTURES:
        return LogCall(node, "capture", qn, "")
    return None


def keeps_traceback(log: LogCall, ctx: ModuleContext) -> bool:
    """True when the record keeps the exception's traceback."""
    if log.kind == "capture":
        return True
    if log.kind == "logger":
        if log.method == "exception":
            return True
        for kw in log.call.keywords:
            if kw.arg == "exc_info":
                return not (isinstance(kw.value, ast.Constant) and kw.value.value in (False, None, 0))
            if kw.arg is None:
                return True  # **kwargs may carry exc_info; do not guess
    for node in ast.walk(log.call):
        if isinstance(node, ast.Call) and ctx.qualified_name(node.func) in TRACEBACK_FORMATTERS:
            return True
    return False


def mentions(node: ast.AST, name: str | None) -> bool:
    if not name:
        return False
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def uses_structlog(ctx: ModuleContext) -> bool:
    return any(q.split(".", 1)[0] == "structlog" for q in ctx.semantic.module_scope.imports.values())


def uses_loguru(ctx: ModuleContext) -> bool:
    """The module logs through loguru (``from loguru import logger``), whose calls take no ``exc_info`` and no
    ``isEnabledFor``: a traceback there is ``logger.exception(...)`` or ``logger.opt(exception=True)``."""
    return any(q.split(".", 1)[0] == "loguru" for q in ctx.semantic.module_scope.imports.values())


def fields_of(log: LogCall, ctx: ModuleContext) -> set[str] | None:
    """Field names the call carries, or None when they cannot be known statically."""
    fields: set[str] = set()
    structlog = uses_structlog(ctx)
    for kw in log.call.keywords:
        if kw.arg is None:
            return None
        if kw.arg == "extra":
            if not isinstance(kw.value, ast.Dict):
                return None
            for key in kw.value.keys:
                if key is None:
                    return None
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    fields.add(key.value)
        elif structlog:
            fields.add(kw.arg)
    return fields


def own_log_calls(handler: ast.ExceptHandler, ctx: ModuleContext) -> list[LogCall]:
    """Log calls of this handler, not of handlers or functions nested inside it."""
    found = []
    stack = list(reversed(handler.body))
    while stack:
        node = stack.pop()
        if isinstance(node, (*NESTED_SCOPES, ast.ExceptHandler)):
            continue
        log = as_log_call(node, ctx)
        if log is not None:
            found.append(log)
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return found


def error_names(handler: ast.ExceptHandler) -> frozenset[str]:
    """The names that hold the caught error in ``handler``: its own name, and locals the handler binds from it
    (``error = str(err)``, ``message = f"request failed: {err}"``), so a record of them carries the error's text."""
    if not handler.name:
        return frozenset()
    names = {handler.name}
    for stmt in handler.body:
        if isinstance(stmt.value if isinstance(stmt, ast.Assign) else None, ast.Attribute):
            continue  # ``kind = type(err).__name__``: the type alone, not the error's text
        if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            if any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(stmt.value)):
                names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return frozenset(names)
