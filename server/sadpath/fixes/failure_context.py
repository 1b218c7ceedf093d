"""What a generated handler says about the failure: the operation, the external service, a correlation id."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from sadpath.engine.semantic import SemanticModel
from sadpath.fixes.request import FixRequest

GENERIC_RECEIVERS = frozenset({"session", "client", "http", "conn", "connection", "api", "db", "cursor", "cur", "pool"})
_CLASS_SUFFIXES = ("Client", "Service", "Adapter", "Api", "API", "Wrapper", "Session", "Repository")
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
    scopes: list[ast.AST] = [req.tree] + _classes_around(req.tree, func) + ([func] if func is not None else [])
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


def _classes_around(tree: ast.Module, func: ast.AST | None) -> list[ast.AST]:
    if func is None:
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and func in node.body:
            return [node]
    return []


def _enclosing_class(node: ast.AST, scopes: list[ast.AST]) -> str | None:
    for scope in scopes:
        if isinstance(scope, ast.ClassDef):
            name = scope.name
            for suffix in _CLASS_SUFFIXES:
                if name.endswith(suffix) and name != suffix:
                    name = name[: -len(suffix)]
                    break
            words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name)
            return " ".join(w.lower() for w in words) or None
    return None


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
                name = receiver.attr.lstrip("_")
                if name not in GENERIC_RECEIVERS:
                    return name
                owner = _enclosing_class(try_node, scopes)
                if owner is not None:
                    return owner  # self.session in PaymentGatewayClient -> "payment gateway"
            typ = semantic.type_of(receiver, scopes)
            qn = typ or semantic.qualified_name(node.func, scopes)
            if qn and "." in qn:
                root = qn.split(".", 1)[0]
                if root not in _LOGGING_ROOTS:
                    return root
    return None
