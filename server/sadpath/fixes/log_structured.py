"""A structured logging stub with the traceback (SAD104, unsafe).

Replaces the lossy call with ``logger.exception("<operation> failed", extra={...})``
carrying the operation, the external service and a correlation id when one is in
scope. Adds ``logger = logging.getLogger(__name__)`` (and the import) when the
module has no logger; follows structlog (keyword fields) when the module uses it.
"""

from __future__ import annotations

import ast

import libcst as cst

from sadpath.fixes.request import FixRequest, py_string
from sadpath.fixes.failure_context import FailureContext, failure_context
from sadpath.fixes.additions import ModuleAdditions, additions_edits, module_binds
from sadpath.fixes.nodes import imports_root, module_logger
from sadpath.fixes.region import FixRefused
from sadpath.model import Edit

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"})


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
    structlog = imports_root(req.tree, "structlog")
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


