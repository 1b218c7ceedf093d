"""Raises in a handler whose caught error is no separate cause worth chaining (SAD103).

Three shapes, each a translation where ``from exc`` would add nothing anybody reads:

- the same event restated: the ``try`` body itself raises the caught class with no message (a private
  ``raise _WaitTimeout`` signal), or a ``TimeoutError`` is raised again as a ``TimeoutError`` with a fuller message.
  The caught error is the same event, and ``from`` would print it twice, labelled the "direct cause" of itself;
- a parse of a local value turned into an outcome code: a ``try`` of one statement that only converts a value
  (``Decimal(raw)``, ``int(raw)``, a form field's ``to_python(raw)``), raised on as a fixed message the callers
  match on (``ValueError("price_not_a_number")``), or after a ``decimal`` error, whose text says only "not a number";
- a project class every handler of which in its package converts it (a framework answer such as a 422, a failed
  result appended or returned) without logging its traceback or handing it on: advice about how its printed
  traceback reads has no reader.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sadpath.engine.catchers import framework_answer, keeps_its_traceback
from sadpath.engine.context import ModuleContext
from sadpath.engine.outcome_classes import find_class
from sadpath.engine.project_calls import module_context
from sadpath.engine.project_files import package_files
from sadpath.engine.walker import NESTED_SCOPES, body_nodes
from sadpath.files import read_text


def _caught(handler: ast.ExceptHandler) -> set[str]:
    if handler.type is None:
        return set()
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {ast.unparse(t).rpartition(".")[2] for t in types}


def _own_raises(nodes: list[ast.stmt]):
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, NESTED_SCOPES):
            continue
        if isinstance(node, ast.Raise):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def same_event(raised: str, handler: ast.ExceptHandler, try_node: ast.Try | None) -> bool:
    """The caught error is the event the new raise restates: the ``try`` body raises a caught class with no
    message itself (``raise _WaitTimeout``), or ``except TimeoutError: raise TimeoutError("... after 30s")``."""
    caught = _caught(handler)
    if not caught:
        return False
    if caught == {raised} and raised == "TimeoutError":
        return True
    for node in _own_raises(try_node.body if try_node is not None else []):
        exc = node.exc
        bare = exc if not isinstance(exc, ast.Call) else (exc.func if not (exc.args or exc.keywords) else None)
        if isinstance(bare, (ast.Name, ast.Attribute)) and ast.unparse(bare).rpartition(".")[2] in caught:
            return True
    return False


_PARSE_CAUGHT = frozenset({"ValueError", "TypeError", "InvalidOperation", "DecimalException", "ConversionSyntax",
                           "OverflowError", "Exception", "ValidationError"})  # fmt: skip
_DECIMAL_ERRORS = frozenset({"InvalidOperation", "DecimalException", "ConversionSyntax"})
_PARSERS = frozenset({"int", "float", "complex", "Decimal", "to_python", "fromisoformat", "strptime", "UUID", "bool",
                      "str", "strip", "replace"})  # fmt: skip
_CODE = re.compile(r"^[a-z][a-z0-9]*(?:[_.][a-z0-9]+)+$")  # ``price_not_a_number``, ``errors.invalid_price``


def parse_outcome_code(exc: ast.expr, handler: ast.ExceptHandler, try_node: ast.Try | None) -> bool:
    """A ``try`` of one statement that only converts local values (``Decimal(raw)``, ``forms.DecimalField().
    to_python(raw)``), raised on with a fixed message that is an outcome code (``"price_not_a_number"``), or after a
    ``decimal`` error (whose text is only ``[<class 'decimal.ConversionSyntax'>]``)."""
    if try_node is None or len(try_node.body) != 1 or not isinstance(exc, ast.Call):
        return False
    stmt = try_node.body[0]
    if not isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Return, ast.Expr)):
        return False
    caught = _caught(handler)
    if handler.type is not None and not caught <= _PARSE_CAUGHT:
        return False
    calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call)]
    if not calls:
        return False
    for call in calls:
        name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        if name not in _PARSERS and not name.endswith("Field"):
            return False  # some other work in the ``try``: its error is a separate cause
    texts = [a for a in [*exc.args, *(k.value for k in exc.keywords)]]
    if not texts or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in texts):
        return False  # a message of its own built from values: not a fixed outcome
    return bool(caught & _DECIMAL_ERRORS) or any(_CODE.match(a.value) for a in texts)


_EXCEPT = re.compile(r"^\s*except\b([^:\n]*)", re.MULTILINE)
_PLAIN = frozenset({"str", "repr", "type", "isinstance", "getattr", "hasattr", "len"})


def converted_everywhere(target: ast.expr, ctx: ModuleContext) -> bool:
    """The project defines the class, at least two handlers in its package name it, and every one of them converts
    it (a framework answer, a result appended, returned or branched on) without re-raising it, logging its
    traceback or handing the error object to anyone: its traceback is never printed."""
    ref = find_class(target, ctx)
    if ref is None:
        return False
    name = ref[0].name
    key = ("restated_events.converted", name, ref[1].source.path)
    if key not in ctx.memo:
        ctx.memo[key] = _judge(name, Path(ref[1].source.path), ctx)
    return ctx.memo[key]


def _judge(name: str, defining: Path, ctx: ModuleContext) -> bool:
    total = 0
    for path in package_files(defining):
        try:
            text = read_text(path)
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if not any(name in m.group(1) for m in _EXCEPT.finditer(text)):
            continue
        hctx = module_context(path, ctx)
        if hctx is None:
            return False
        if path.resolve() != defining.resolve() and not _imports(hctx, name, defining):
            continue  # another class of the same name
        for node in ast.walk(hctx.tree):
            if isinstance(node, ast.ExceptHandler) and name in _caught(node):
                total += 1
                if not _converts(node, hctx):
                    return False
    return total >= 2


def _imports(ctx: ModuleContext, name: str, defining: Path) -> bool:
    """``from <the defining module or its package> import name`` somewhere in ``ctx``."""
    owners = {defining.stem, defining.parent.name}
    return any(
        isinstance(node, ast.ImportFrom) and (node.module or "").rpartition(".")[2] in owners
        and any(alias.name == name for alias in node.names)
        for node in ast.walk(ctx.tree)
    )


def _converts(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    bound = handler.name
    for node in body_nodes(handler.body):
        if isinstance(node, ast.Raise):
            if node.exc is None:
                return False
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if not framework_answer(ctx.qualified_name(target) or ast.unparse(target)):
                return False  # raised on: its traceback may be printed under the new one
        elif isinstance(node, ast.Call):
            kept = keeps_its_traceback(node, ctx)
            if kept:
                return False
            if kept is None and bound and ast.unparse(node.func).rpartition(".")[2] not in _PLAIN and any(
                isinstance(a, ast.Name) and a.id == bound for a in [*node.args, *(k.value for k in node.keywords)]
            ):
                return False  # handed on to someone who may print its traceback
    return True
