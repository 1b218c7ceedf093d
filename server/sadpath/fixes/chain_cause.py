"""Chain the caught error as the cause: ``raise X(...) from exc`` (SAD103).

When the finding says the raise only re-wraps the caught error in a more generic class (``raise
Exception(f"{e}")``, data ``reraise``), the fix writes the bare ``raise`` the message asks for instead: the caught
error propagates unchanged, with its own class (so it is not a safe fix: callers now see that class)."""

from __future__ import annotations

import ast

import libcst as cst

from sadpath.fixes.request import FixRequest, bind_handler, free_name, handler_in_region, handler_name
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.fixes.unwrap import unwrapped_try
from sadpath.model import Edit
from sadpath.engine.reparse import first_line
from sadpath.engine.walker import NESTED_SCOPES


def build(req: FixRequest) -> list[Edit]:
    raise_ast = req.ast_at(ast.Raise)
    handler_ast = _enclosing_handler(req.tree, raise_ast)
    if handler_ast is None:
        raise FixRefused("the raise is not inside an except handler")
    region = req.region()
    handler = handler_in_region(req, region, handler_ast)
    raise_node = region.node_at(cst.Raise, req.finding.span.line, req.finding.span.column)
    if not isinstance(raise_node, cst.Raise) or raise_node.cause is not None:
        raise FixRefused("the raise already has a cause")
    if req.finding.data.get("reraise"):
        alone = isinstance(handler.body, cst.IndentedBlock) and len(handler.body.body) == 1 and len(getattr(handler.body.body[0], "body", ())) == 1
        unwrapped = unwrapped_try(region, handler) if alone else None
        if unwrapped is not None:  # ``try: ... except Exception: raise`` would say nothing: the body alone does the same
            req.title = "Remove the `try` that re-wraps the error: let it propagate unchanged"
            return finish(req, region, unwrapped)
        module = region.module.deep_replace(raise_node, raise_node.with_changes(exc=None, cause=None, whitespace_after_raise=cst.MaybeSentinel.DEFAULT))
        return finish(req, region, module)
    name = handler_name(handler) or free_name(handler_ast, req.enclosing_function(handler_ast.lineno))
    chained = raise_node.with_changes(cause=cst.From(item=cst.Name(name)))
    new_handler = bind_handler(handler.deep_replace(raise_node, chained), name)
    module = region.module.deep_replace(handler, new_handler)
    return finish(req, region, module)


def _enclosing_handler(tree: ast.Module, target: ast.Raise) -> ast.ExceptHandler | None:
    """The innermost handler whose body holds the raise, not crossing a function or class."""
    found: ast.ExceptHandler | None = None

    def visit(node: ast.AST, handler: ast.ExceptHandler | None) -> bool:
        nonlocal found
        if node is target:
            found = handler
            return True
        for child in ast.iter_child_nodes(node):
            start = getattr(child, "lineno", None)
            if start is not None and not first_line(child) <= target.lineno <= (getattr(child, "end_lineno", None) or start):
                continue  # the raise is not in there
            inner = handler
            if isinstance(child, ast.ExceptHandler):
                inner = child
            elif isinstance(child, NESTED_SCOPES):
                inner = None
            if visit(child, inner):
                return True
        return False

    visit(tree, None)
    return found
