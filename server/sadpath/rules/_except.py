"""Shared predicates about ``except`` handlers the rules use: whether they raise, and how to name their calls.
(What a handler catches is ``engine.catching``; whether it swallows is ``engine.swallow``.)"""

from __future__ import annotations

import ast

from sadpath.engine import shapes
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.walker import body_nodes

def walk_handler(handler: ast.ExceptHandler, skip_handlers: bool = False):
    """Nodes of a handler body, not descending into nested functions, classes or lambdas (nor, with
    ``skip_handlers``, into nested handlers)."""
    return body_nodes(handler.body, scopes=True, skip=(ast.ExceptHandler,) if skip_handlers else ())


EXITING_CALLS = frozenset({"sys.exit", "os._exit", "exit", "quit", "flask.abort", "abort", "os.abort", "pytest.fail", "pytest.skip"})


def raises(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """True when the handler raises (re-raise or translation) or exits the process on some path.

    Raises inside a nested handler do not count: they run only when the clean-up fails.
    """
    for node in walk_handler(handler, skip_handlers=True):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call):
            qn = ctx.qualified_name(node.func)
            if qn in EXITING_CALLS:
                return True
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("retry",) and _is_task_retry(node):
                return True
    return False


def _is_task_retry(call: ast.Call) -> bool:
    # Celery: self.retry(...) raises Retry
    func = call.func
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "task")


def reraises(handler: ast.ExceptHandler) -> bool:
    """True when the handler re-raises the caught exception itself (``raise`` or ``raise <name>``)."""
    for node in walk_handler(handler):
        if isinstance(node, ast.Raise):
            if node.exc is None:
                return True
            if handler.name and isinstance(node.exc, ast.Name) and node.exc.id == handler.name:
                return True
    return False


def enclosing_try(handler: ast.ExceptHandler, ctx: ModuleContext) -> ast.Try | None:
    parent = ctx.parents[-1] if ctx.parents else None
    if isinstance(parent, ast.Try) or type(parent).__name__ == "TryStar":
        return parent  # type: ignore[return-value]
    return None


def first_call_in(stmts: list[ast.stmt], ctx: ModuleContext, skip=None) -> tuple[ast.Call, str] | None:
    """The first call in a block with a resolvable name (for messages), skipping ``skip(call)``."""
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call):
                    continue  # a chained call: name the call at the root of the chain
                if skip is not None and skip(node):
                    continue
                name = call_label(node, ctx)
                if name:
                    return node, name
    return None


def failing_call_in(stmts: list[ast.stmt], ctx: ModuleContext, skip=None) -> tuple[ast.Call, str] | None:
    """The call a message should name as the one that failed: the first external call (``db.execute()``, not the
    ``select()`` that builds its statement; ``client.set()``, not the ``bool()`` around it), else the first call
    that can fail at all, else the first call."""
    calls = [
        node
        for stmt in stmts
        for node in sorted((n for n in ast.walk(stmt) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset))
        if not (skip is not None and skip(node))
        and not (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call))  # name a chain's root
    ]
    for wanted in (lambda c: external_call(c, ctx) is not None, lambda c: shapes.can_fail(c, ctx) and not _builds(c, ctx)):
        for call in calls:
            if wanted(call) and (name := call_label(call, ctx)):
                return call, name
    return first_call_in(stmts, ctx, skip)


def _builds(call: ast.Call, ctx: ModuleContext) -> bool:
    """A constructor or a factory that only builds something (``ClientSession()``, ``as_view()``, ``select()``)."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and _builds(func.value, ctx):
        return True  # ``select(File).where(...)``: still building the statement
    if isinstance(func, ast.Attribute):
        return func.attr[:1].isupper() or func.attr == "as_view"
    name = func.id if isinstance(func, ast.Name) else ""  # SQLAlchemy's statement builders, ``functools.partial``
    return name[:1].isupper() or name in ("select", "insert", "update", "delete", "text", "partial")


def call_label(call: ast.Call, ctx: ModuleContext) -> str | None:
    """How to name a call in a message: ``requests.post()``, ``self.gateway.charge()``."""
    func = call.func
    qn = ctx.qualified_name(func)
    module_prefix = f"{ctx.semantic.module_name}." if ctx.semantic.module_name else None
    if qn and "." in qn and not (module_prefix and qn.startswith(module_prefix)):
        return f"{qn}()"
    text = ast.unparse(func)
    if len(text) > 60:
        return None
    return f"{text}()"
