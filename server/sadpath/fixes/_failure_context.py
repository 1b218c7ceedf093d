"""What a generated handler says about the failure: the operation, the external service, a correlation id."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from sadpath.engine.semantic import SemanticModel
from sadpath.fixes._base import FixRequest

CORRELATION_NAMES = ("correlation_id", "request_id", "trace_id", "x_request_id", "cid")
_LOGGING_ROOTS = ("logging", "structlog", "print")


@dataclass(frozen=True)
class FailureContext:
    operation: str
    service: str | None
    correlation: str | None
    in_scope: frozenset[str]


def failure_context(req: FixRequest, handler: ast.ExceptHandler) -> FailureContext:
    func = req.enclosing_function(handler.lineno)
    operation = func.name if func is not None else "module initialisation"
    semantic = SemanticModel(req.tree)
    scopes: list[ast.AST] = [req.tree] + ([func] if func is not None else [])
    names: set[str] = set()
    for scope_node in scopes:
        scope = semantic.scope(scope_node)
        names |= scope.locals | set(scope.types) | set(scope.imports)
    correlation = next((n for n in CORRELATION_NAMES if n in names), None)
    service = None
    try_node = _try_of(req.tree, handler)
    if try_node is not None:
        service = _service_of(try_node, semantic, scopes)
    return FailureContext(operation, service, correlation, frozenset(names))


def _try_of(tree: ast.Module, handler: ast.ExceptHandler) -> ast.Try | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and handler in node.handlers:
            return node
    return None


def _service_of(try_node: ast.Try, semantic: SemanticModel, scopes: list[ast.AST]) -> str | None:
    for stmt in try_node.body:
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            receiver = node.func.value
            if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) and receiver.value.id == "self":
                return receiver.attr.lstrip("_")
            typ = semantic.type_of(receiver, scopes)
            qn = typ or semantic.qualified_name(node.func, scopes)
            if qn and "." in qn:
                root = qn.split(".", 1)[0]
                if root not in _LOGGING_ROOTS:
                    return root
    return None
