"""Which failure modes of an external call are handled at the call, and where.

A mode is handled when an enclosing ``try`` of the same function (the call in its
body, not in a handler, ``else`` or ``finally``) has a handler catching one of the
mode's exception types or a base of it, or when the module registers a
framework-level handler for such a type (``@app.errorhandler(X)``,
``app.register_error_handler(X, f)``, ``@app.exception_handler(X)``,
``app.add_exception_handler(X, f)``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from sadpath.engine.walker import NESTED_SCOPES
from sadpath.engine.external import ExternalCall
from sadpath.knowledge import ExceptionHierarchy

BROAD = frozenset({"Exception", "BaseException"})
_REGISTER_DECORATORS = frozenset({"errorhandler", "exception_handler", "app_errorhandler"})
_REGISTER_CALLS = frozenset({"register_error_handler", "add_exception_handler"})


@dataclass(frozen=True)
class Handler:
    where: str  # "except" or "registered"
    line: int
    label: str  # "except requests.Timeout" / "@app.errorhandler(requests.RequestException)"


@dataclass(frozen=True)
class ModeStatus:
    mode: str
    exceptions: tuple[str, ...]
    handler: Handler | None


def enclosing_try_handlers(call: ast.AST, parents: list[ast.AST]) -> list[ast.ExceptHandler]:
    """Handlers of the ``try`` statements whose body holds the call, innermost first, within its function."""
    handlers: list[ast.ExceptHandler] = []
    child = call
    for index in range(len(parents) - 1, -1, -1):
        parent = parents[index]
        if isinstance(parent, NESTED_SCOPES):
            break
        if isinstance(parent, ast.Try) or type(parent).__name__ == "TryStar":
            if any(child is stmt for stmt in parent.body):
                handlers.extend(parent.handlers)
        if isinstance(parent, (ast.With, ast.AsyncWith)) and index > 0:
            retried = _tenacity_retry_types(parent, parents[index - 1])
            if retried is not None:
                handlers.append(retried)
        child = parent
    return handlers


def _tenacity_retry_types(with_node: ast.AST, loop: ast.AST) -> ast.ExceptHandler | None:
    """``for attempt in Retrying(retry=retry_if_exception_type(X), ...): with attempt:`` retries X like a handler."""
    if not isinstance(loop, (ast.For, ast.AsyncFor)) or not isinstance(loop.iter, ast.Call):
        return None
    if not ast.unparse(loop.iter.func).endswith("Retrying"):
        return None
    if not any(isinstance(item.context_expr, ast.Name) and ast.unparse(loop.target) == item.context_expr.id for item in with_node.items):
        return None
    for keyword in loop.iter.keywords:
        if keyword.arg == "retry" and isinstance(keyword.value, ast.Call) and keyword.value.args:
            if ast.unparse(keyword.value.func).endswith("retry_if_exception_type"):
                handler = ast.ExceptHandler(type=keyword.value.args[0], name=None, body=[ast.Pass()])
                ast.copy_location(handler, loop)
                return handler
    return None


def caught_by(handler: ast.ExceptHandler, ctx) -> tuple[str, ...]:
    """Canonical names a handler catches ('' for an expression it cannot resolve); ('BaseException',) for bare."""
    if handler.type is None:
        return ("BaseException",)
    names: list[str] = []
    _add_caught(handler.type, ctx, names, depth=0)
    return tuple(names)


# exception tuples that libraries export under one name
KNOWN_TUPLES = {
    "ftplib.all_errors": ("ftplib.Error", "OSError", "EOFError"),
    "socket.error": ("OSError",),
}


def _add_caught(expr: ast.expr, ctx, names: list[str], depth: int) -> None:
    """Flatten what an ``except`` names: tuples, ``*starred`` tuples, library tuples like ``ftplib.all_errors``,
    and tuples the module binds to a name (``RETRYABLE = (Timeout, ConnectionError)``)."""
    if isinstance(expr, (ast.Tuple, ast.List)):
        for element in expr.elts:
            _add_caught(element, ctx, names, depth)
        return
    if isinstance(expr, ast.Starred):
        _add_caught(expr.value, ctx, names, depth)
        return
    qn = ctx.qualified_name(expr)
    if qn in KNOWN_TUPLES:
        names.extend(ctx.hierarchy.canonical(name) for name in KNOWN_TUPLES[qn])
        return
    bound = _module_tuple(expr, ctx) if depth < 3 else None
    if bound is not None:
        _add_caught(bound, ctx, names, depth + 1)
        return
    names.append(ctx.hierarchy.canonical(qn) if qn else "")


def _module_tuple(expr: ast.expr, ctx) -> ast.expr | None:
    """The tuple a module-level name is bound to, when it is bound once, to a tuple."""
    if not isinstance(expr, ast.Name):
        return None
    values = [
        node.value
        for node in ctx.tree.body
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)
    ]
    return values[0] if len(values) == 1 and isinstance(values[0], (ast.Tuple, ast.List)) else None


def catches(hierarchy: ExceptionHierarchy, caught: tuple[str, ...], exception: str) -> bool:
    return any(name and (name in BROAD or hierarchy.is_subclass(exception, name)) for name in caught)


def registered_handlers(ctx) -> list[tuple[str, int, str]]:
    """Framework-level handlers registered in the module: (exception, line, label)."""
    return ctx.fact("registered-handlers", lambda: _registered_handlers(ctx))


def _registered_handlers(ctx) -> list[tuple[str, int, str]]:
    found: list[tuple[str, int, str]] = []
    if not any(marker in ctx.source.text for marker in ("errorhandler", "exception_handler", "register_error_handler")):
        return found  # no framework handler in this module: skip the walk
    for node in ast.walk(ctx.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr in _REGISTER_DECORATORS
                    and decorator.args
                ):
                    found.extend(_registered(decorator.args[0], decorator, ctx))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _REGISTER_CALLS
            and node.args
        ):
            found.extend(_registered(node.args[0], node, ctx))
        if isinstance(node, ast.Call):  # ``Starlette(exception_handlers={RedisError: unavailable})``, FastAPI's too
            for keyword in node.keywords:
                if keyword.arg == "exception_handlers" and isinstance(keyword.value, ast.Dict):
                    for key in keyword.value.keys:
                        if key is not None:
                            found.extend(_registered(key, node, ctx))
    return found


def _registered(expr: ast.AST, node: ast.AST, ctx) -> list[tuple[str, int, str]]:
    exprs = expr.elts if isinstance(expr, ast.Tuple) else [expr]
    out = []
    for item in exprs:
        qn = ctx.semantic.qualified_name(item, [ctx.tree])
        if qn:
            out.append((ctx.hierarchy.canonical(qn), node.lineno, f"@{ast.unparse(node.func) if isinstance(node, ast.Call) else ''}({ast.unparse(item)})"))
    return out


def mode_status(external: ExternalCall, parents: list[ast.AST], ctx) -> list[ModeStatus]:
    """Each failure mode of the call, with the handler that catches it here (or None)."""
    hierarchy = ctx.hierarchy
    handlers = [(h, caught_by(h, ctx)) for h in enclosing_try_handlers(external.call, parents)]
    registered = registered_handlers(ctx)
    statuses = []
    for mode, exceptions in external.interface.modes_of_call(external.call, external.name):
        found: Handler | None = None
        for handler, caught in handlers:
            if any(catches(hierarchy, caught, exc) for exc in exceptions):
                label = "except:" if handler.type is None else f"except {ast.unparse(handler.type)}"
                found = Handler("except", handler.lineno, label)
                break
        if found is None:
            for name, line, label in registered:
                if any(name in BROAD or hierarchy.is_subclass(exc, name) for exc in exceptions):
                    found = Handler("registered", line, label)
                    break
        statuses.append(ModeStatus(mode, exceptions, found))
    return statuses
