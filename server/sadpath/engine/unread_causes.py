"""Translations whose caught error nobody needs as the declared cause (SAD103).

Shapes where ``from exc`` would add nothing a reader needs, or where the cause is noise and ``from None`` is the
idiom:

- ``noise_cause``: the cause is noise under the new error (the attribute protocol's ``KeyError`` turned into an
  ``AttributeError`` in ``__getattr__``; a ``RecursionError``'s thousand repeated frames): ``from None`` is the fix
  (``noise_message`` says so, and asks for ``AttributeError(name)`` where the new error names no attribute; it
  also says so for a one-call signal the new message restates, ``cause_advice.restated_signal``).
- ``restated_conversion``: a builtin conversion of a value (``list(hooks)``, ``bytes.fromhex(r)``) restated as the
  same error class with a fuller message: the builtin's one-line text under it says nothing more.
- ``restated_payload``: a response body's parse (``json.loads(response.text)``, ``response.json()``, with or
  without ``raise_for_status()``) restated with a message that carries the status and the body.
- ``handed_to_error``: the caught error is handed to the new error (``ParameterBindError.from_bind_failure(fn,
  exc, ...)``) after one statement of standard-library calls: its text travels, its frames are the library's.
- ``outer_quiet_catcher``: the raise sits in the ``try`` of an outer handler of the same function that answers
  without a traceback (``except Exception as e: raise HTTPException(400, detail=str(e))``): nothing prints it.
- ``table_getter_fallback``: a function used only as an entry of a table of getters, whose every user calls the
  entries in a loop with ``except ValueError: continue`` (try the next one): nobody reads the cause.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from pathlib import Path

from sadpath.engine import logcalls
from sadpath.engine.call_index import calls_named
from sadpath.engine.cause_advice import restated_signal
from sadpath.engine.catchers import framework_answer
from sadpath.engine.context import ModuleContext
from sadpath.engine.translation_shapes import is_server_code
from sadpath.engine.walker import NESTED_SCOPES, body_nodes
from sadpath.files import read_text


def caught_names(handler: ast.ExceptHandler) -> set[str]:
    """The last part of every class the handler names (``json.JSONDecodeError`` is ``JSONDecodeError``)."""
    if handler.type is None:
        return set()
    exprs = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {ast.unparse(e).rpartition(".")[2] for e in exprs}


_LOOKUP_MISSES = frozenset({"KeyError", "LookupError", "IndexError"})
_ATTRIBUTE_HOOKS = frozenset({"__getattr__", "__getattribute__", "__delattr__"})


def noise_cause(raised: str, handler: ast.ExceptHandler, ctx: ModuleContext) -> str | None:
    """Why the caught error is noise under the raised one (``from None`` is the idiom), or None."""
    caught = caught_names(handler)
    if caught == {"RecursionError"}:
        return (
            "the caught `RecursionError` is a thousand repeated frames of the recursion, which would be printed as "
            "implicit context under the new error and bury it"
        )
    func = ctx.enclosing_function()
    if raised == "AttributeError" and caught and caught <= _LOOKUP_MISSES and getattr(func, "name", "") in _ATTRIBUTE_HOOKS:
        return (
            f"in `{func.name}` the attribute protocol consumes the `AttributeError` (`hasattr()`, `getattr(obj, name, "
            f"default)`), and the `{sorted(caught)[0]}` under it only repeats the name, printed as implicit context "
            f"\"During handling of the above exception, another exception occurred\" whenever it does surface"
        )
    return None


def noise_message(
    exc: ast.expr, shown: str, raised: str, caught: str, handler: ast.ExceptHandler, ctx: ModuleContext, try_node: ast.Try | None = None
) -> str | None:
    """SAD103's message where the caught error is noise and ``from None`` is the fix; a ``raise AttributeError``
    with no message in ``__getattr__`` is asked for the attribute's name too: there the ``KeyError`` printed under
    it is the only place the missing name appears, and ``from None`` alone would lose it. A one-call ``try`` whose
    caught error is a single-meaning signal the new message restates is noise too (``cause_advice``)."""
    noise = noise_cause(raised, handler, ctx) or restated_signal(exc, handler, try_node, ctx)
    if noise is None:
        return None
    func = ctx.enclosing_function()
    params = [a.arg for a in getattr(func, "args", ast.arguments(args=[])).args]
    unnamed = raised == "AttributeError" and (not isinstance(exc, ast.Call) or not (exc.args or exc.keywords))
    if unnamed and len(params) >= 2 and getattr(func, "name", "") in _ATTRIBUTE_HOOKS:
        return (
            f"`raise {shown}` inside {caught} in `{func.name}` names no attribute: the `{sorted(caught_names(handler))[0]}` "
            "printed under it as implicit context (\"During handling of the above exception, another exception "
            "occurred\") is the only place the missing name appears, and it reads like a second bug. Raise "
            f"`AttributeError({params[1]}) from None`: the name in the error's own message, no lookup miss under it "
            "(`from None` alone would lose the name)."
        )
    binding = handler.name or "exc"
    return (
        f"`raise {shown}` inside {caught} declares no cause, and here the caught error is noise: {noise}. "
        f"Add `from None` to drop it (`from {binding}` would only make the noise the declared cause)."
    )


_CONVERSIONS = frozenset({"list", "tuple", "set", "frozenset", "dict", "int", "float", "complex", "bytes", "bytearray",
                          "str", "bool", "iter", "sorted", "len"})  # fmt: skip
_BUILTIN_TYPES = frozenset({"bytes", "bytearray", "int", "float", "str", "dict"})


def restated_conversion(call: ast.expr, raised: str, handler: ast.ExceptHandler, try_node: ast.Try | None) -> bool:
    """``try: hooks = list(hooks) except TypeError: raise TypeError("Expected iterable ...")``: one builtin
    conversion of a value, restated as the same builtin error class with a fuller message."""
    caught = caught_names(handler)
    if try_node is None or len(try_node.body) != 1 or caught != {raised} or raised not in ("ValueError", "TypeError"):
        return False
    if not isinstance(try_node.body[0], (ast.Assign, ast.AnnAssign, ast.Return, ast.Expr)):
        return False
    calls = [n for n in ast.walk(try_node.body[0]) if isinstance(n, ast.Call)]
    if not calls:
        return False
    for inner in calls:
        func = inner.func
        if isinstance(func, ast.Name) and func.id in _CONVERSIONS:
            continue
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in _BUILTIN_TYPES:
            continue  # ``bytes.fromhex(r)``, ``int.from_bytes(data)``
        return False
    texts = [n for n in ast.walk(call) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return bool(texts)  # (a message of its own: the fuller restatement)


_BODY_ATTRS = frozenset({"text", "content", "body", "data"})
_PAYLOAD_CAUGHT = frozenset({"ValueError", "JSONDecodeError", "Exception", "HTTPError", "HTTPStatusError",
                             "RequestException", "TypeError"})  # fmt: skip


def restated_payload(call: ast.expr, handler: ast.ExceptHandler, try_node: ast.Try | None) -> bool:
    """``try: response.raise_for_status(); data = json.loads(response.text) except ValueError: raise
    ApiError(f"... status {response.status_code}. Body: {response.text}")``: the message carries everything the
    status error and the parse error know (the status and the body)."""
    caught = caught_names(handler)
    if try_node is None or not caught or not caught <= _PAYLOAD_CAUGHT or not isinstance(call, ast.Call):
        return False
    response = None
    status_checked = False
    for stmt in try_node.body:
        value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Expr, ast.Return)) else None
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return False
        name, status = _body_read(value)
        if name is None or (response is not None and name != response):
            return False
        response = name
        status_checked = status_checked or status
    if response is None:
        return False
    shown = {ast.unparse(n) for n in ast.walk(call) if isinstance(n, ast.Attribute)}
    if not any(f"{response}.{attr}" in shown for attr in _BODY_ATTRS):
        return False  # the message leaves the body out
    return not status_checked or any(f"{response}.{attr}" in shown for attr in ("status_code", "status"))


def _body_read(value: ast.Call) -> tuple[str | None, bool]:
    """(the response's name, whether it is the status check) for ``r.raise_for_status()``, ``r.json()``,
    ``json.loads(r.text)``; (None, False) for anything else."""
    func = value.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and not value.args:
        if func.attr == "raise_for_status":
            return func.value.id, True
        if func.attr == "json":
            return func.value.id, False
    if isinstance(func, ast.Attribute) and func.attr == "loads" and ast.unparse(func.value) == "json" and len(value.args) == 1:
        arg = value.args[0]
        if isinstance(arg, ast.Attribute) and arg.attr in _BODY_ATTRS and isinstance(arg.value, ast.Name):
            return arg.value.id, False
    return None, False


def handed_to_error(call: ast.expr, handler: ast.ExceptHandler, try_node: ast.Try | None, ctx: ModuleContext) -> bool:
    """``try: bound = inspect.signature(fn).bind(*args) except TypeError as exc: raise
    BindError.from_bind_failure(fn, exc, args)``: the new error is built from the caught one (its text travels
    with it), and the ``try`` is one statement of standard-library calls, whose frames say nothing more."""
    if not isinstance(call, ast.Call) or not handler.name or try_node is None or len(try_node.body) != 1:
        return False
    values = [*call.args, *(k.value for k in call.keywords)]
    if not any(isinstance(v, ast.Name) and v.id == handler.name for v in values) or any(is_server_code(v) for v in values):
        return False
    calls = [n for n in ast.walk(try_node.body[0]) if isinstance(n, ast.Call)]
    return bool(calls) and all(_library_call(c, ctx) for c in calls)


def _library_call(call: ast.Call, ctx: ModuleContext) -> bool:
    root = call.func
    while isinstance(root, (ast.Attribute, ast.Call)):
        root = root.func if isinstance(root, ast.Call) else root.value
    if not isinstance(root, ast.Name):
        return False
    qualified = ctx.qualified_name(root) or ""
    if root.id == qualified and hasattr(builtins, root.id):
        return root.id[:1].islower()  # ``len(x)``, ``dict(y)``
    return qualified.partition(".")[0] in sys.stdlib_module_names  # ``inspect.signature(fn)``, ``loads`` of json


_BROAD = frozenset({"Exception", "BaseException"})
_PLAIN = frozenset({"str", "repr", "type", "isinstance", "getattr", "format"})


def outer_quiet_catcher(raised: str, handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The raise is in the ``try`` body of an outer handler of the same function, which catches it and answers
    without its traceback (``except Exception as e: log.debug(e); raise HTTPException(400, detail=str(e))``)."""
    parents = ctx.parents
    start = next((i for i, p in enumerate(parents) if p is handler), None)
    if start is None:
        return False
    for index in range(start - 1, -1, -1):
        parent = parents[index]
        if isinstance(parent, NESTED_SCOPES):
            return False
        if not isinstance(parent, ast.Try) or parents[index + 1] not in parent.body:
            continue
        for outer in parent.handlers:
            names = caught_names(outer)
            if outer.type is None or names & (_BROAD | {raised}):
                return _answers_quietly(outer, ctx)
    return False


def _answers_quietly(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    if any(logcalls.keeps_traceback(log, ctx) for log in logcalls.own_log_calls(handler, ctx)):
        return False
    for node in body_nodes(handler.body):
        if isinstance(node, ast.Raise):
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if target is None or not framework_answer(ctx.qualified_name(target) or ast.unparse(target)):
                return False  # re-raised or raised on: someone up may print the chain
        elif isinstance(node, ast.Call) and logcalls.as_log_call(node, ctx) is None:
            shown = ast.unparse(node.func)
            if shown.startswith(("traceback.", "sys.exc_info")) or "capture_exception" in shown:
                return False
            if handler.name and shown not in _PLAIN and any(
                isinstance(a, ast.Name) and a.id == handler.name for a in [*node.args, *(k.value for k in node.keywords)]
            ):
                return False  # handed on to someone who may show the traceback
    return True  # an answer, a fallback or a message: the chain is never printed


def table_getter_fallback(func: ast.AST | None, raised: str, ctx: ModuleContext) -> bool:
    """``getters = [get_github_info, get_gitlab_info]; for getter in getters: try: return getter() except
    ValueError: continue``: a function used only as an entry of a table its users try in turn, falling back to
    the next entry when it raises; the raised error is a "not this one" signal whose cause nobody reads."""
    name = getattr(func, "name", "")
    if not name or not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or func not in ctx.tree.body:
        return False
    if calls_named(ctx, name):
        return False
    users = []
    for top in ctx.tree.body:
        for node in ast.walk(top):
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
                if not isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    return False  # a module-level table: its users are unknown
                users.append(top)
    users = list({id(u): u for u in users}.values())
    if not users or not all(_tries_entries_in_turn(user, raised, ctx) for user in users):
        return False
    return not _called_elsewhere(name, ctx)


def _tries_entries_in_turn(user: ast.AST, raised: str, ctx: ModuleContext) -> bool:
    loops = [n for n in ast.walk(user) if isinstance(n, (ast.For, ast.AsyncFor)) and isinstance(n.target, ast.Name)]
    found = False
    for loop in loops:
        entry = loop.target.id
        for stmt in loop.body:
            if not isinstance(stmt, ast.Try):
                continue
            if not any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == entry for s in stmt.body for c in ast.walk(s)):
                continue
            catching = [h for h in stmt.handlers if raised in caught_names(h)]
            if not catching or not all(_falls_back(h, ctx) for h in catching):
                return False
            found = True
    return found


def _falls_back(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    if any(logcalls.keeps_traceback(log, ctx) for log in logcalls.own_log_calls(handler, ctx)):
        return False
    return not any(isinstance(n, ast.Raise) for n in body_nodes(handler.body)) and isinstance(
        handler.body[-1], (ast.Continue, ast.Pass, ast.Expr, ast.Assign)
    )


_CALLED_FILES: dict[str, list[str]] = {}


def _called_elsewhere(name: str, ctx: ModuleContext) -> bool:
    """``name(`` is written in another file of the module's package (a direct caller the table does not cover)."""
    own = Path(ctx.source.path).resolve()
    root = None
    for folder in own.parents:
        if not (folder / "__init__.py").is_file():
            break
        root = folder
    if root is None:
        return False
    key = str(root)
    if key not in _CALLED_FILES:
        texts = []
        for path in sorted(root.rglob("*.py"))[:3000]:
            if path.resolve() == own:
                continue
            try:
                texts.append(read_text(path))
            except (OSError, UnicodeDecodeError, ValueError):
                continue  # an unreadable file: nobody calls from it that we can see
        if len(_CALLED_FILES) > 4:
            _CALLED_FILES.clear()
        _CALLED_FILES[key] = texts
    pattern = re.compile(rf"(?<!def )(?<!\w){re.escape(name)}\s*\(")
    return any(name in text and pattern.search(text) for text in _CALLED_FILES[key])


_MISSES = ("NotFound", "NotFoundError", "DoesNotExist", "NoSuchKey", "NoSuchBucket", "ResourceNotFoundError")


def restated_miss_text(call: ast.expr, handler: ast.ExceptHandler) -> bool:
    """``except NotFound as e: raise StorageError(f"Error downloading file: {e}")``: an expected not-found
    restated with its own text, which names what is missing; the library's frames under it add nothing."""
    caught = caught_names(handler)
    if not handler.name or not caught or not isinstance(call, ast.Call):
        return False
    if not all(name != "ModuleNotFoundError" and name.endswith(_MISSES) for name in caught):
        return False
    values = [*call.args, *(k.value for k in call.keywords)]
    if any(isinstance(n, ast.Constant) and isinstance(n.value, int) and n.value >= 500 for v in values for n in ast.walk(v)):
        return False  # answered as a server error: logged with the traceback, where the chain reads better
    for value in values:
        for node in ast.walk(value):
            if isinstance(node, ast.FormattedValue) and isinstance(node.value, ast.Name) and node.value.id == handler.name:
                return True
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("str", "repr") and node.args and (
                isinstance(node.args[0], ast.Name) and node.args[0].id == handler.name
            ):
                return True
    return False
