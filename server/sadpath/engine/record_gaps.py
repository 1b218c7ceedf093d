"""What a handler's record leaves out on purpose, or where leaving it out costs nobody anything (SAD104).

- A record of ``type(e).__name__`` alone: the author kept the error's text out (it may carry the user's input or
  a secret); advising ``logger.exception`` would log exactly that.
- Code that only runs in development (a dev server, a debug reloader): its reader is the developer at the
  console, and a message that says what to check ("start the Vite dev server") is all there is to say.
- A record that names no error at all: the message says so, and names the call that does the work.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sadpath.engine.callee_traps import project_callee
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call

# ``_get_dev_importmap``: a function named for development (a ``debug_*`` endpoint may serve production); a guard on
# debug or reload
_DEV_NAME = re.compile(r"(^|_)(dev|devserver|reloader)(_|$)", re.IGNORECASE)
_DEV_TEST = re.compile(r"\bdebug\b|DEBUG|DEV_MODE|dev_mode|RELOAD|reloader|WERKZEUG_RUN_MAIN", re.IGNORECASE)


def type_name_only(call: ast.Call, name: str | None) -> bool:
    """``log.warning("MCP elicitation failed: %s", type(e).__name__)``: the record names the error's type and
    never its text."""
    if not name:
        return False
    shown = [
        n for n in ast.walk(call)
        if isinstance(n, ast.Attribute) and n.attr == "__name__" and _type_of(n.value, name)
    ]  # fmt: skip
    if not shown:
        return False
    inner = {id(x) for s in shown for x in ast.walk(s)}
    return not any(isinstance(n, ast.Name) and n.id == name and id(n) not in inner for n in ast.walk(call))


def _type_of(expr: ast.AST, name: str) -> bool:
    """``type(e)`` or ``e.__class__``."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "type" and len(expr.args) == 1:
        return isinstance(expr.args[0], ast.Name) and expr.args[0].id == name
    return isinstance(expr, ast.Attribute) and expr.attr == "__class__" and isinstance(expr.value, ast.Name) and expr.value.id == name


def dev_only(handler: ast.ExceptHandler, func: ast.AST | None, ctx: ModuleContext) -> bool:
    """The handler runs only in development: its function is named for it (``_get_dev_importmap``), returns early
    unless a debug or reload setting is on (``if not app.debug: return``), or the ``try`` sits under ``if DEBUG:``."""
    if func is None:
        return False
    if _DEV_NAME.search(getattr(func, "name", "")):
        return True
    for stmt in getattr(func, "body", []):
        if any(handler is n for n in ast.walk(stmt)):
            break
        if _dev_guard(stmt):
            return True
    for node in ast.walk(func):
        if isinstance(node, ast.If) and not _negated(node.test) and _DEV_TEST.search(ast.unparse(node.test)):
            if any(handler is n for s in node.body for n in ast.walk(s)):
                return True
    return False


def _negated(test: ast.AST) -> bool:
    return isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)


def _dev_guard(stmt: ast.stmt) -> bool:
    """``if not (app.debug or app.config.get("FLASK_USE_RELOAD")): return``."""
    return (
        isinstance(stmt, ast.If) and _negated(stmt.test) and not stmt.orelse and len(stmt.body) == 1
        and isinstance(stmt.body[0], ast.Return) and bool(_DEV_TEST.search(ast.unparse(stmt.test)))
    )  # fmt: skip


NOT_WHY = "records that {what} failed but not why: neither the exception nor its traceback is in the record"


def not_why(steps: list[str]) -> str:
    """The message for a record that holds no error: it names the call that does the work, when there is one."""
    labels = [s.split(":", 1)[1] if s.startswith(("project:", "stdlib:")) else s for s in steps]
    if len(labels) == 1:
        return NOT_WHY.format(what=f"`{labels[0]}`")
    if labels:
        listed = ", ".join(f"`{s}`" for s in labels[:3]) + (", ..." if len(labels) > 3 else "")
        return NOT_WHY.format(what=f"one of {len(labels)} steps ({listed})")
    return NOT_WHY.format(what="the work")


def aiohttp_only(ctx: ModuleContext) -> bool:
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


def parses_named_input(log_call: ast.Call, handler: ast.ExceptHandler, found: list, ctx: ModuleContext) -> bool:
    """The ``try``'s one step is a library function parsing an input (``rrulestr(rule_str, ...)``), the record names
    that input (``rrule_str``, what ``rule_str`` was made from) and the handler answers a default of its own
    (``return [event_dict]``): the failure can be reproduced from the record, and the miss is the story. Not a
    method of an object the code was handed (``ep.load()`` runs a plugin's code), not a call to a service."""
    if len(found) != 1 or not _answers_a_default(handler):
        return False
    call = found[0][1]
    qualified = ctx.qualified_name(call.func) or ""
    root = qualified.split(".")[0]
    if "." not in qualified or not call.args or external_call(call, ctx) is not None or project_callee(call, ctx) is not None:
        return False
    if isinstance(call.func, ast.Attribute) and not _imported_name(call.func.value, ctx):
        return False  # ``ep.load()``: a method of a value, not a library function
    if root in {p.name for p in Path(ctx.source.path).resolve().parents}:
        return False  # the project's own package
    inputs = _input_names(call.args[0], ctx.enclosing_function())
    logged = {n.id for n in ast.walk(log_call) if isinstance(n, ast.Name)}
    return bool(inputs & logged)


def _imported_name(expr: ast.AST, ctx: ModuleContext) -> bool:
    return isinstance(expr, ast.Name) and ctx.qualified_name(expr) not in (None, expr.id)


def _input_names(arg: ast.AST, func: ast.AST | None) -> set[str]:
    """The names in the argument, and the names they were assigned from (one step back)."""
    names = {n.id for n in ast.walk(arg) if isinstance(n, ast.Name)}
    for node in ast.walk(func) if func is not None else []:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in names for t in node.targets):
            names |= {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
    return names


def _answers_a_default(handler: ast.ExceptHandler) -> bool:
    """The handler's last statement returns a value callers use as it is: not None, False or an empty literal."""
    last = handler.body[-1] if handler.body else None
    if not isinstance(last, ast.Return) or last.value is None:
        return False
    value = last.value
    if isinstance(value, ast.Constant):
        return bool(value.value)
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return bool(value.elts)
    return not (isinstance(value, ast.Dict) and not value.keys)


# a method that writes or sends: a ``try`` that calls one does more than build a record
_WRITES = frozenset(
    {"save", "create", "update", "delete", "post", "put", "patch", "send", "sendall", "publish", "commit", "write",
     "set", "add", "remove", "insert", "bulk_create", "emit", "apply_async", "delay", "set_lock", "release"}
)  # fmt: skip
_RECORD_LEVELS = frozenset({"debug", "info", "log"})


def builds_record_only(try_node: ast.Try, handler: ast.ExceptHandler) -> bool:
    """A diagnostic dump: the whole ``try`` only reads and computes values for a ``debug``/``info`` record (dicts
    built and trimmed with ``pop``, a serializer's ``.data``, counts), and the handler only logs. Its failure
    changes nothing for the caller, and which read failed matters to nobody but the dump's author."""
    if not all(_only_logs(stmt) for stmt in handler.body):
        return False
    built: set[str] = set()
    records = [0]
    return all(_record_step(stmt, built, records) for stmt in try_node.body) and records[0] > 0


def _only_logs(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and _log_call(stmt.value) is not None)


def _log_call(node: ast.AST) -> str | None:
    """The level of ``logger.info(...)`` (``logger.log(level, ...)`` as ``log``), else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and "log" in ast.unparse(node.func.value).lower():
        if node.func.attr in ("debug", "info", "warning", "error", "exception", "critical", "log"):
            return node.func.attr
    return None


def _record_step(stmt: ast.stmt, built: set[str], records: list[int]) -> bool:
    if isinstance(stmt, (ast.Pass, ast.Import, ast.ImportFrom)):
        return True
    if any(isinstance(n, (ast.Await, ast.Yield, ast.YieldFrom, ast.Return, ast.Raise, ast.With, ast.AsyncWith, ast.Try, ast.Delete)) for n in ast.walk(stmt)):
        return False
    if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _WRITES for n in ast.walk(stmt)):
        return False
    if isinstance(stmt, ast.If):
        return all(_record_step(s, built, records) for s in [*stmt.body, *stmt.orelse])
    if isinstance(stmt, ast.For):
        built |= {n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)}
        return not stmt.orelse and all(_record_step(s, built, records) for s in stmt.body)
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            root = target
            while isinstance(root, (ast.Subscript, ast.Attribute)):
                if isinstance(root, ast.Attribute):
                    return False  # (``obj.field = ...``: state set on an object)
                root = root.value
            if isinstance(target, ast.Name):
                built.add(target.id)
            elif not (isinstance(root, ast.Name) and root.id in built):
                return False  # (an item set in something the ``try`` did not build)
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        level = _log_call(stmt.value)
        if level is not None:
            records[0] += level in _RECORD_LEVELS
            return level in _RECORD_LEVELS
        func = stmt.value.func  # ``task.pop("data", None)``, ``task["items"][i].pop(...)`` on a value the ``try`` built
        root = func.value if isinstance(func, ast.Attribute) else None
        while isinstance(root, ast.Subscript):
            root = root.value
        return isinstance(root, ast.Name) and root.id in built
    return False
