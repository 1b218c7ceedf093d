"""Narrow ``except:`` / ``except BaseException`` to ``except Exception`` (SAD102).

Where the finding's message advises ``except asyncio.CancelledError: raise`` ahead of the handler (an async
handler that records every failure of the work it isolates), the fix writes that clause and keeps the handler as
it is: narrowing it would also let KeyboardInterrupt and SystemExit out of a task nobody awaits."""

from __future__ import annotations

import ast

import libcst as cst

from sadpath.fixes.additions import ModuleAdditions, module_binds
from sadpath.fixes.request import FixRequest, handler_in_region
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
    narrow = req.finding.data.get("narrow_to")  # the not-found error the message names (``Model.DoesNotExist``)
    if narrow and (handler.type is None or _is_base_exception(handler.type)):
        additions = ModuleAdditions()
        if narrow == "ObjectDoesNotExist" and not module_binds(req.module_tree or req.tree, narrow):
            additions.add_import("django.core.exceptions", narrow)
        new = handler.with_changes(type=cst.parse_expression(narrow), whitespace_after_except=cst.SimpleWhitespace(" "))
        return finish(req, region, region.module.deep_replace(handler, new), additions)
    if handler.type is None:
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
    module = region.module.deep_replace(handler, new)
    return finish(req, region, module)
