"""A structured logging stub with the traceback (SAD104, unsafe).

Replaces the lossy call with ``logger.exception("<operation> failed", extra={...})``
carrying the operation, the external service and a correlation id when one is in
scope. Adds ``logger = logging.getLogger(__name__)`` (and the import) when the
module has no logger; follows structlog (keyword fields) when the module uses it.
"""

from __future__ import annotations

import ast

import libcst as cst

from sadpath.fixes._base import FixRequest, py_string
from sadpath.fixes._failure_context import FailureContext, failure_context
from sadpath.fixes._module import ModuleAdditions, additions_edits, module_binds
from sadpath.fixes._region import FixRefused
from sadpath.model import Edit

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"})
LOGGER_FACTORIES = {"logging": "getLogger", "structlog": "get_logger"}


def build(req: FixRequest) -> list[Edit]:
    call_ast = req.ast_at(ast.Call)
    handler_ast = innermost_handler(req.tree, call_ast.lineno)
    if handler_ast is None:
        raise FixRefused("the log call is not inside an except handler")
    context = failure_context(req, handler_ast)
    region = req.region()
    call = region.node_at(cst.Call, req.finding.span.line, req.finding.span.column)
    if not isinstance(call, cst.Call):
        raise FixRefused("no call at the finding")
    additions = ModuleAdditions()
    structlog = _imports_root(req.tree, "structlog")
    if isinstance(call.func, cst.Attribute) and call.func.attr.value in LOG_METHODS:
        logger = region.module.code_for_node(call.func.value)
    else:
        logger = module_logger(req.tree)
        if logger is None:
            logger = "logger" if not module_binds(req.tree, "logger") else "_sadpath_logger"
            factory = "structlog.get_logger()" if structlog else "logging.getLogger(__name__)"
            additions.imports.append(("structlog" if structlog else "logging", None))
            additions.definitions.append(f"{logger} = {factory}")
    code = stub_code(logger, context, req.settings.required_log_fields, structlog)
    module = region.module.deep_replace(call, cst.parse_expression(code))
    return additions_edits(req.source, req.tree, additions) + region.edits_for(module)


def stub_code(logger: str, context: FailureContext, required: tuple[str, ...], structlog: bool) -> str:
    fields: list[tuple[str, str]] = [("operation", py_string(context.operation))]
    if context.service:
        fields.append(("service", py_string(context.service)))
    if context.correlation:
        fields.append(("correlation_id", context.correlation))
    for name in required:
        if name in context.in_scope and name not in {k for k, _ in fields}:
            fields.append((name, name))
    message = py_string(f"{context.operation} failed")
    if structlog:
        kwargs = ", ".join(f"{k}={v}" for k, v in fields)
        return f"{logger}.exception({message}, {kwargs})"
    extra = ", ".join(f"{py_string(k)}: {v}" for k, v in fields)
    return f"{logger}.exception({message}, extra={{{extra}}})"


def innermost_handler(tree: ast.Module, line: int) -> ast.ExceptHandler | None:
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.lineno < line <= (node.end_lineno or node.lineno):
            if best is None or node.lineno > best.lineno:
                best = node
    return best


def module_logger(tree: ast.Module) -> str | None:
    """The name of a module-level logger made by logging.getLogger or structlog.get_logger."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            value = stmt.value
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
                owner = value.func.value
                if isinstance(owner, ast.Name) and LOGGER_FACTORIES.get(owner.id) == value.func.attr:
                    return stmt.targets[0].id
    return None


def _imports_root(tree: ast.Module, root: str) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.Import) and any(a.name.split(".")[0] == root for a in stmt.names):
            return True
        if isinstance(stmt, ast.ImportFrom) and (stmt.module or "").split(".")[0] == root:
            return True
    return False
