"""What a handler's record keeps or loses beyond the traceback, for SAD104's judgement and its message.

- ``empty_message_step``: a call in the ``try`` whose failure often has no text at all (``InvalidTag`` from an AEAD
  ``decrypt``, ``InvalidSignature`` from ``verify``, the ``asyncio.TimeoutError`` of an aiohttp request's total
  timeout): a record of ``str(e)`` is then empty, whatever the step count;
- ``raised_from``: the project raises the caught error ``from`` another (``raise SerializationError(...) from
  exc``), so its text leaves out the cause that only the traceback carries;
- ``raised_plainly``: the project raises the caught error only as a refusal of its own, with a message and never
  ``from`` another error (``raise TaskPermissionDeniedError("...")``): its text is the whole story;
- ``parses_named_input``: the ``try`` is one parse of a named setting (``json.loads(OPTIONS)``, then value methods on
  the result) and the warning names that setting: the miss is the story, as for ``ZoneInfo(tz)``;
- ``names_type_and_text``: the record formats ``type(e).__name__`` beside the error;
- ``expected_branch``: an earlier handler of the same ``try`` answers the expected error on its own;
- ``harmless_fallback``: the handler only logs and carries on, or answers a default value (``"/user.png"``).
"""

from __future__ import annotations

import ast
import builtins

from sadpath.engine import project_files
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call

# AEAD and signature checks of ``cryptography`` whose errors carry no message
_EMPTY_CRYPTO = {"decrypt": "InvalidTag", "verify": "InvalidSignature"}
_REQUEST_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "ws_connect"})


def empty_message_step(try_node: ast.Try, ctx: ModuleContext) -> tuple[str, str] | None:
    """(the call, the error it raises with an empty message) for the first such call of the ``try`` body."""
    crypto = _imports(ctx, "cryptography")
    calls = sorted((n for stmt in try_node.body for n in ast.walk(stmt) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset))
    for node in calls:
        if True:
            if not isinstance(node.func, ast.Attribute):
                continue
            method = node.func.attr
            if crypto and method in _EMPTY_CRYPTO and external_call(node, ctx) is None:
                error = "InvalidToken" if _fernet(node, ctx) else _EMPTY_CRYPTO[method]
                return f"{ast.unparse(node.func)}()", error
            found = external_call(node, ctx)
            if found is not None and method in _REQUEST_METHODS and "aiohttp" in f"{found.name} {found.client_type or ''}":
                return f"{ast.unparse(node.func)}()", "asyncio.TimeoutError"
    return None


def _fernet(call: ast.Call, ctx: ModuleContext) -> bool:
    return any(("fernet" in (ctx.qualified_name(n) or "").lower()) for n in ast.walk(ctx.tree) if isinstance(n, (ast.Name, ast.Attribute))) and not _imports(
        ctx, "cryptography.hazmat.primitives.ciphers.aead"
    )  # fmt: skip


def _imports(ctx: ModuleContext, prefix: str) -> bool:
    key = ("lost-detail-imports", prefix)
    if key not in ctx.memo:
        found = False
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.Import):
                found = found or any(a.name == prefix or a.name.startswith(prefix + ".") for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found = found or node.module == prefix or node.module.startswith(prefix + ".")
        ctx.memo[key] = found
    return ctx.memo[key]


_RAISED_FROM: dict[tuple[str, str], tuple[int, int, int]] = {}


def raised_from(name: str, ctx: ModuleContext) -> bool:
    """The package raises its own error ``name`` ``from`` another (``raise SerializationError(...) from exc``) and
    leaves the cause's text out of the message at least as often as it copies it in (``X(f"...: {ex}") from ex``):
    its text is the project's summary, and the cause is only in the chain."""
    drops, copies = translations(name, ctx)
    return drops > 0 and drops >= copies


def copies_its_cause(name: str, ctx: ModuleContext) -> bool:
    """The package raises its own error ``name`` ``from`` another, and most of those sites build its message from
    the cause (``QueryObjectValidationError(ex.message) from ex``): its text already carries the cause's."""
    drops, copies = translations(name, ctx)
    return copies > drops


def translations(name: str, ctx: ModuleContext) -> tuple[int, int]:
    """(sites that leave the cause's text out, sites that copy it) of the project's ``raise name(...) from cause``."""
    drops, copies, _ = _raise_sites(name, ctx)
    return drops, copies


def raised_plainly(name: str, ctx: ModuleContext) -> bool:
    """The package raises its own error ``name`` with a message (``raise X("Permission denied")``) and never
    ``from`` another: no cause hides in the chain, and its text is the project's own account of the refusal."""
    drops, copies, plain = _raise_sites(name, ctx)
    return plain > 0 and drops == copies == 0


def _raise_sites(name: str, ctx: ModuleContext) -> tuple[int, int, int]:
    """(``from`` sites that leave the cause's text out, ``from`` sites that copy it, sites with a message and no
    cause) of the project's ``raise name(...)``."""
    short = name.rsplit(".", 1)[-1]
    if not short or not short[:1].isupper() or hasattr(builtins, short) or "." not in name:
        return 0, 0, 0
    try:
        own = project_files.dotted_name(_path(ctx)).split(".")[0]
    except ValueError:
        return 0, 0, 0
    if name.split(".")[0] != own:
        return 0, 0, 0  # a library's error: what its text carries is the library's business
    folder = str(project_files.import_root(_path(ctx)))
    key = (folder, short)
    if key not in _RAISED_FROM:
        counts = [_raises_from(tree, short) for _, tree in project_files.modules_calling(short, ctx.source.path) if tree is not None]
        _RAISED_FROM[key] = (sum(c[0] for c in counts), sum(c[1] for c in counts), sum(c[2] for c in counts))
        if len(_RAISED_FROM) > 512:
            _RAISED_FROM.clear()
    return _RAISED_FROM.get(key, (0, 0, 0))


def _path(ctx: ModuleContext):
    from pathlib import Path

    return Path(ctx.source.path).resolve()


_NO_MESSAGE = -(10**6)  # a plain raise without a message: its text says nothing, so the error is never "plainly" told


def _raises_from(tree: ast.Module, short: str) -> tuple[int, int, int]:
    """(sites that leave the cause's text out, sites that copy it) of ``raise short(...) from cause`` in the tree,
    and the sites that raise it with a message and no cause."""
    drops = copies = plain = 0
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        func = node.exc.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if called != short:
            continue
        if node.cause is None or (isinstance(node.cause, ast.Constant) and node.cause.value is None):
            plain += 1 if node.exc.args or node.exc.keywords else _NO_MESSAGE  # (``raise X()``: nothing to tell)
        elif _copies_cause(node.exc, node.cause):
            copies += 1
        else:
            drops += 1
    return drops, copies, plain


def _copies_cause(exc: ast.Call, cause: ast.expr) -> bool:
    """``QueryObjectValidationError(ex.message)``, ``X(f"failed: {ex}")``, ``X(error_msg_from_exception(ex))``: the
    new error's message is built from the cause."""
    if not isinstance(cause, ast.Name):
        return False
    return any(isinstance(n, ast.Name) and n.id == cause.id for a in [*exc.args, *(k.value for k in exc.keywords)] for n in ast.walk(a))


_PARSERS = frozenset(
    {"json.loads", "json.load", "ast.literal_eval", "yaml.safe_load", "yaml.load", "tomllib.loads", "tomli.loads", "int", "float",
     "orjson.loads", "ujson.loads"}
)  # fmt: skip
_RESULT_METHODS = frozenset({"setdefault", "get", "update", "pop", "keys", "items", "values", "copy", "strip", "lower", "split"})


def parses_named_input(log_call: ast.Call, try_node: ast.Try, ctx: ModuleContext, is_log) -> bool:
    """The ``try`` parses one named input (``json.loads(WEBSOCKET_REDIS_OPTIONS)``, ``int(os.environ["PORT"])``) and
    does nothing else that can fail but read or default keys of the result, and the record names that input."""
    parses: list[ast.Call] = []
    results: set[str] = set()
    for stmt in try_node.body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and _parser(node.value, ctx):
                results.update(t.id for t in node.targets if isinstance(t, ast.Name))
    for stmt in try_node.body:
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call) or is_log(node):
                continue
            if _parser(node, ctx):
                parses.append(node)
            elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id in results:
                if node.func.attr not in _RESULT_METHODS:
                    return False
            elif not _reads_input(node, ctx):
                return False
    if len(parses) != 1 or not parses[0].args:
        return False
    names = _input_names(parses[0].args[0])
    text = " ".join(str(n.value) for n in ast.walk(log_call) if isinstance(n, ast.Constant) and isinstance(n.value, str)).lower()
    used = {n.id for n in ast.walk(log_call) if isinstance(n, ast.Name)}
    return any(name.lower() in text or name in used for name in names)


def _parser(call: ast.Call, ctx: ModuleContext) -> bool:
    return (ctx.qualified_name(call.func) or (call.func.id if isinstance(call.func, ast.Name) else "")) in _PARSERS


def _reads_input(call: ast.Call, ctx: ModuleContext) -> bool:
    """``os.environ.get("X")``, ``os.getenv("X")``: reading the input that is parsed."""
    return (ctx.qualified_name(call.func) or "") in ("os.getenv", "os.environ.get")


def _input_names(expr: ast.AST) -> list[str]:
    """``OPTIONS`` -> [OPTIONS]; ``settings.redis_options`` -> [redis_options]; ``os.environ["PORT"]`` -> [PORT]."""
    if isinstance(expr, ast.Name):
        return [expr.id]
    if isinstance(expr, ast.Attribute):
        return [expr.attr]
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) and isinstance(expr.slice.value, str):
        return [expr.slice.value]
    if isinstance(expr, ast.Call) and expr.args and isinstance(expr.args[0], ast.Constant) and isinstance(expr.args[0].value, str):
        return [expr.args[0].value]
    return []


def names_type_and_text(log_call: ast.Call, name: str | None) -> bool:
    """The record formats ``type(e).__name__`` (or ``e.__class__.__name__``) and the error itself."""
    if not name:
        return False
    typed = any(
        isinstance(n, ast.Attribute) and n.attr == "__name__" and (
            (isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name) and n.value.func.id == "type"
             and any(isinstance(a, ast.Name) and a.id == name for a in n.value.args))
            or (isinstance(n.value, ast.Attribute) and n.value.attr == "__class__" and isinstance(n.value.value, ast.Name) and n.value.value.id == name))
        for n in ast.walk(log_call)
    )  # fmt: skip
    texts = sum(1 for n in ast.walk(log_call) if isinstance(n, ast.Name) and n.id == name)
    return typed and texts >= 2  # (one in ``type(e)``, one more for its text)


def expected_branch(handler: ast.ExceptHandler, try_node: ast.Try) -> bool:
    """An earlier handler of the same ``try`` catches a named error of its own (``except InvalidToken:``)."""
    for other in try_node.handlers:
        if other is handler:
            return False
        if other.type is not None:
            return True
    return False


def harmless_fallback(handler: ast.ExceptHandler, is_log) -> bool:
    """The handler logs and carries on (``pass``, ``continue``, nothing else) or answers a default value
    (``return "/user.png"``): not None, False or an empty value that callers read as the failure."""
    for stmt in handler.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and is_log(stmt.value):
            continue
        if isinstance(stmt, (ast.Pass, ast.Continue)):
            continue
        if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str) and stmt.value.value:
            continue
        return False
    return True


def failing_places(func: ast.AST) -> int:
    """How many calls of a project function can fail on their own: not a builtin, not a value method."""
    count = 0
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and hasattr(builtins, node.func.id):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr in _VALUE_METHODS:
            continue
        count += 1
    return count


_VALUE_METHODS = frozenset(
    {"get", "items", "keys", "values", "append", "extend", "update", "setdefault", "pop", "copy", "join", "split", "strip",
     "lower", "upper", "replace", "startswith", "endswith", "format", "debug", "info", "warning", "error", "exception"}
)  # fmt: skip
