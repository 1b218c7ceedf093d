"""Narrow ``except:`` / ``except BaseException`` to ``except Exception`` (SAD102).

Where the finding's message advises ``except asyncio.CancelledError: raise`` ahead of the handler (an async
handler that records every failure of the work it isolates), the fix writes that clause and keeps the handler as
it is: narrowing it would also let KeyboardInterrupt and SystemExit out of a task nobody awaits."""

from __future__ import annotations

import ast
import builtins

import libcst as cst

from sadpath.fixes.additions import ModuleAdditions, module_binds
from sadpath.fixes.failure_context import failure_context
from sadpath.fixes.place import is_pass, traced_statements
from sadpath.fixes.request import FixRequest, bind_handler, free_name, handler_in_region, handler_statements, with_statements
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.model import Edit


def _is_base_exception(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name):
        return expr.value == "BaseException"
    return isinstance(expr, cst.Attribute) and expr.attr.value == "BaseException"


CANCEL_FIRST = "`except asyncio.CancelledError: raise` ahead of"


def _cancelled_name(req: FixRequest, additions: ModuleAdditions) -> str:
    """How the module names asyncio's CancelledError, importing asyncio when it names it no way yet."""
    tree = req.module_tree or req.tree
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "asyncio" and not stmt.level:
            for alias in stmt.names:
                if alias.name == "CancelledError":
                    return alias.asname or alias.name
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name == "asyncio":
                    return f"{alias.asname or 'asyncio'}.CancelledError"
    additions.add_import("asyncio")
    return "asyncio.CancelledError"


def _cancellation_first(req: FixRequest, region, handler: cst.ExceptHandler) -> list[Edit]:
    """``except <CancelledError>: raise`` inserted ahead of ``handler``, which stays as it is."""
    try_node = next((n for n in region.positions if isinstance(n, cst.Try) and any(h is handler for h in n.handlers)), None)
    if try_node is None:
        raise FixRefused("the handler's try statement is not in the rewritten region")
    additions = ModuleAdditions()
    name = _cancelled_name(req, additions)
    through = cst.parse_statement(f"try:\n    pass\nexcept {name}:\n    raise\n").handlers[0]
    handlers = []
    for h in try_node.handlers:
        handlers.extend([through, h] if h is handler else [h])
    module = region.module.deep_replace(try_node, try_node.with_changes(handlers=handlers))
    req.title = f"Re-raise the task's cancellation ahead of the handler (`except {name}: raise`)"
    return finish(req, region, module, additions)


def build(req: FixRequest) -> list[Edit]:
    region = req.region()
    handler = handler_in_region(req, region, req.ast_handler())
    if CANCEL_FIRST in req.finding.message:  # the message names this handling: write it, not a narrowing
        return _cancellation_first(req, region, handler)
    additions = ModuleAdditions()
    narrow = _bound_narrowing(req, additions)
    if narrow and (handler.type is None or _is_base_exception(handler.type)):
        new = handler.with_changes(type=cst.parse_expression(narrow), whitespace_after_except=cst.SimpleWhitespace(" "))
    elif handler.type is None:
        new = handler.with_changes(type=cst.Name("Exception"), whitespace_after_except=cst.SimpleWhitespace(" "))
    elif _is_base_exception(handler.type):
        new = handler.with_changes(type=cst.Name("Exception"))
    elif isinstance(handler.type, cst.Tuple):
        elements = [
            el.with_changes(value=cst.Name("Exception")) if _is_base_exception(el.value) else el
            for el in handler.type.elements
        ]
        new = handler.with_changes(type=handler.type.with_changes(elements=elements))
    else:
        raise FixRefused("the handler does not catch BaseException")
    if LOG_DROPPED in req.finding.message and all(is_pass(s) for s in handler_statements(new)):
        # the message asks for a log line of what the ``pass`` drops: the one a best-effort step writes
        context = failure_context(req, req.ast_handler())
        new = with_statements(new, traced_statements(req, region, handler_statements(new), context, None, additions, req.ast_handler()))
        req.title = "Narrow the handler to `except Exception:` and log what it drops, with the traceback"
    if req.finding.data.get("chain"):
        new = _chained(req, new)
        shown = cst.Module([]).code_for_node(new.type) if new.type is not None else "Exception"
        req.title = f"Narrow the handler to `except {shown}:` and raise its error `from` the caught one"
    through = str(req.finding.data.get("let_through") or "")
    if through:
        return _with_let_through(req, region, handler, new, through, additions)
    return finish(req, region, region.module.deep_replace(handler, new), additions)


# what SAD102's message asks of a handler whose fallback is ``pass`` (``sad102_bare_except``)
LOG_DROPPED = "and log what is dropped"


def _bound_narrowing(req: FixRequest, additions: ModuleAdditions) -> str | None:
    """The errors the finding names for the narrowing, when the module can name each of them (a builtin, or a name
    whose root it binds); None otherwise, and the handler is narrowed to ``Exception``."""
    narrow = str(req.finding.data.get("narrow_to") or "")
    if not narrow:
        return None
    tree = req.module_tree or req.tree
    if narrow == "ObjectDoesNotExist":
        if not module_binds(tree, narrow):
            additions.add_import("django.core.exceptions", narrow)
        return narrow
    for name in narrow.strip("()").split(","):
        root = name.strip().split(".")[0]
        if not root or not (hasattr(builtins, root) or module_binds(tree, root)):
            return None
    return narrow


def _chained(req: FixRequest, handler: cst.ExceptHandler) -> cst.ExceptHandler:
    """The handler with its raise of a new error given ``from`` the caught error (bound to a name if unbound)."""
    name = handler.name.name.value if handler.name is not None and isinstance(handler.name.name, cst.Name) else None
    name = name or free_name(req.ast_handler(), req.enclosing_function(req.ast_handler().lineno))
    statements = [_with_cause(s, name) for s in handler.body.body]
    if all(a is b for a, b in zip(statements, handler.body.body)):
        return handler
    new = handler.with_changes(body=handler.body.with_changes(body=statements))
    return bind_handler(new, name)


def _with_cause(statement: cst.BaseStatement, name: str) -> cst.BaseStatement:
    if not isinstance(statement, cst.SimpleStatementLine):
        return statement
    body = [
        s.with_changes(cause=cst.From(item=cst.Name(name))) if isinstance(s, cst.Raise) and s.exc is not None and s.cause is None else s
        for s in statement.body
    ]
    return statement.with_changes(body=body)


def _with_let_through(req: FixRequest, region, handler: cst.ExceptHandler, new: cst.ExceptHandler, through: str, additions) -> list[Edit]:
    """``except <through>: raise`` ahead of the narrowed handler: the block's own error keeps its message."""
    try_node = next((n for n in region.positions if isinstance(n, cst.Try) and any(h is handler for h in n.handlers)), None)
    if try_node is None:
        raise FixRefused("the handler's try statement is not in the rewritten region")
    clause = cst.parse_statement(f"try:\n    pass\nexcept {through}:\n    raise\n").handlers[0]
    handlers = []
    for h in try_node.handlers:
        handlers.extend([clause, new] if h is handler else [h])
    shown = cst.Module([]).code_for_node(new.type) if new.type is not None else "Exception"
    req.title = f"Narrow the handler to `except {shown}:`, letting the block's own `{through}` through" + (
        " and raising from the caught error" if req.finding.data.get("chain") else ""
    )
    return finish(req, region, region.module.deep_replace(try_node, try_node.with_changes(handlers=handlers)), additions)
