"""Translations where ``from exc`` is the wrong advice (SAD103).

- ``generic_rewrap``: the caught error raised again as the same or a more generic builtin class (``Exception``,
  ``BaseException``, or a builtin base of every caught class) carrying only the caught error or its text
  (``raise Exception(f"{e}")``, ``raise LookupError(exc)`` under ``except KeyError``). The new error adds
  nothing and erases the class (and attributes) callers branch on (``isinstance(e, HTTPException)``,
  ``except TimeoutError``); ``from e`` would keep that wrapper. A bare ``raise`` is the fix.
- ``restated_signal``: the ``try`` is one call whose caught error is a single-meaning signal of that call
  (``asyncio.get_running_loop()``'s "no running event loop" ``RuntimeError``, ``next(it)``'s ``StopIteration``)
  and the new message says the same thing in the project's terms: the cause is noise, ``from None`` drops it.
"""

from __future__ import annotations

import ast
import builtins
import re

from sadpath.engine.context import ModuleContext

_NOT_EXCEPTIONS = frozenset({"BaseException", "KeyboardInterrupt", "SystemExit", "GeneratorExit", "CancelledError"})


def _builtin_exception(name: str) -> type | None:
    found = getattr(builtins, name, None)
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _defines(name: str, ctx: ModuleContext) -> bool:
    """The module defines or imports a name that shadows the builtin."""
    for node in ctx.tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name) == name for a in node.names):
            return True
    return False


def _only_the_error(arg: ast.expr, name: str) -> bool:
    """``e``, ``str(e)``, ``repr(e)``, ``f"{e}"``, ``"%s" % e``, ``"{}".format(e)``: the caught error or its
    text, and nothing of its own."""
    if isinstance(arg, ast.Name):
        return arg.id == name
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id in ("str", "repr"):
        return len(arg.args) == 1 and not arg.keywords and _only_the_error(arg.args[0], name)
    if isinstance(arg, ast.JoinedStr):
        return (
            len(arg.values) == 1
            and isinstance(arg.values[0], ast.FormattedValue)
            and arg.values[0].format_spec is None
            and _only_the_error(arg.values[0].value, name)
        )
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod):
        return isinstance(arg.left, ast.Constant) and arg.left.value in ("%s", "%r") and _only_the_error(arg.right, name)
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "format":
        template = arg.func.value
        return (
            isinstance(template, ast.Constant) and template.value in ("{}", "{0}", "{!s}", "{!r}")
            and len(arg.args) == 1 and not arg.keywords and _only_the_error(arg.args[0], name)
        )  # fmt: skip
    return False


def generic_rewrap(exc: ast.expr, handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """``except Exception as e: raise Exception(f"{e}")``: the caught error raised again as the same or a more
    generic builtin class, carrying only the caught error or its text."""
    if not handler.name or handler.type is None or not isinstance(exc, ast.Call) or not isinstance(exc.func, ast.Name):
        return False
    if len(exc.args) != 1 or exc.keywords or not _only_the_error(exc.args[0], handler.name):
        return False
    raised = _builtin_exception(exc.func.id)
    if raised is None or _defines(exc.func.id, ctx):
        return False
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for expr in caught:
        simple = ast.unparse(expr).rpartition(".")[2]
        if simple in _NOT_EXCEPTIONS:
            return False  # a cancellation or an exit turned into an error: SAD102's business
        if raised in (Exception, BaseException):
            continue  # a base of every error class, the project's and the libraries' too
        own = _builtin_exception(simple) if isinstance(expr, ast.Name) and not _defines(simple, ctx) else None
        if own is None or not issubclass(own, raised):
            return False  # a project or library class (its base unknown here), or a narrower class than the caught one
    return True


_EMPTY_WORDS = (
    r"\b(?:empty|exhausted|no (?:more |such )?(?:items?|elements?|values?|results?|entries|entry|rows?|records?|data)"
    r"|nothing|not found|missing|at least one|end of)\b"
)
# a call whose caught error has one fixed meaning: (the errors it signals with, the meaning, the words that restate it)
_SIGNALS = {
    "asyncio.get_running_loop": ({"RuntimeError"}, "no event loop is running", r"\b(?:async|asynchronous|event loop|loop|coroutine|await)"),
    "asyncio.events.get_running_loop": ({"RuntimeError"}, "no event loop is running", r"\b(?:async|asynchronous|event loop|loop|coroutine|await)"),
    "sniffio.current_async_library": ({"AsyncLibraryNotFoundError"}, "no async library is running", r"\b(?:async|event loop|loop)"),
    "next": ({"StopIteration"}, "the iterator is exhausted", _EMPTY_WORDS),
    "anext": ({"StopAsyncIteration"}, "the iterator is exhausted", _EMPTY_WORDS),
}  # fmt: skip


def _plain_operand(arg: ast.expr) -> bool:
    """An operand of ``next()`` that runs no code of its own that could raise ``StopIteration``: a name, an
    attribute, a generator expression (PEP 479 turns a ``StopIteration`` inside it into a ``RuntimeError``),
    ``iter(x)``."""
    if isinstance(arg, (ast.Name, ast.Attribute, ast.GeneratorExp)):
        return True
    return (
        isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id in ("iter", "aiter")
        and len(arg.args) == 1 and isinstance(arg.args[0], (ast.Name, ast.Attribute))
    )  # fmt: skip


def restated_signal(exc: ast.expr, handler: ast.ExceptHandler, try_node: ast.Try | None, ctx: ModuleContext) -> str | None:
    """Why the caught error is noise when the ``try`` is one call whose caught error has one fixed meaning and the
    new message restates it (``try: asyncio.get_running_loop() except RuntimeError: raise RuntimeError("must be
    created inside an async context")``), or None."""
    if try_node is None or len(try_node.body) != 1 or handler.type is None:
        return None
    stmt = try_node.body[0]
    value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign, ast.Return)) else None
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return None
    name = ctx.qualified_name(value.func) or ast.unparse(value.func)
    if name in ("next", "anext"):
        if _defines(name, ctx) or len(value.args) != 1 or value.keywords or not _plain_operand(value.args[0]):
            return None  # ``next(it, default)`` raises nothing; ``next(load())`` runs code of its own
    elif value.args or value.keywords:
        return None
    signal = _SIGNALS.get(name)
    caught = {ast.unparse(e).rpartition(".")[2] for e in (handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type])}
    if signal is None or not caught or not caught <= signal[0]:
        return None
    texts = " ".join(n.value for n in ast.walk(exc) if isinstance(n, ast.Constant) and isinstance(n.value, str))
    if not re.search(signal[2], texts, re.IGNORECASE):
        return None  # the new message says something else: the caught signal may be its cause
    return (
        f"the `try` is one call, `{ast.unparse(value)}`, whose `{sorted(caught)[0]}` has one fixed meaning "
        f"({signal[1]}), and the new message already says so; printed as implicit context under \"During handling "
        f"of the above exception, another exception occurred\" it only reads like a second bug in the handler"
    )
