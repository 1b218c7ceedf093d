"""Typed exception translation (SAD101): raise a module-level domain error ``from`` the caught one."""

from __future__ import annotations

import re

import libcst as cst

from sadpath.fixes.request import (
    FixRequest,
    bind_handler,
    free_name,
    handler_in_region,
    handler_name,
    handler_statements,
    py_string,
    simple_line,
    strip_terminal,
    with_statements,
)
from sadpath.fixes.failure_context import failure_context
from sadpath.fixes.additions import ModuleAdditions, additions_edits, module_binds
from sadpath.fixes.region import FixRefused
from sadpath.model import Edit

_IDENTIFIER = re.compile(r"^[A-Z][A-Za-z0-9_]*$")


def domain_class(name: str) -> str:
    return (
        f"class {name}(Exception):\n"
        f'    """An operation of this module failed; the original error is kept as ``__cause__``."""\n'
    )


def build(req: FixRequest) -> list[Edit]:
    domain = str(req.finding.data.get("domain_error") or "")
    if not _IDENTIFIER.match(domain):
        raise FixRefused("no valid domain error name")
    handler_ast = req.ast_handler()
    context = failure_context(req, handler_ast)
    region = req.region()
    handler = handler_in_region(req, region, handler_ast)
    name = handler_name(handler) or free_name(handler_ast, req.enclosing_function(handler_ast.lineno))
    # translating KeyboardInterrupt or SystemExit would hide them: narrow a BaseException catch first
    narrowed = handler
    if handler.type is not None and _catches_base_exception(handler.type):
        narrowed = handler.with_changes(type=cst.Name("Exception"))
    message = f"{context.operation} failed"
    statements = strip_terminal(handler_statements(narrowed))
    statements.append(simple_line(f"raise {domain}({py_string(message)}) from {name}"))
    new_handler = bind_handler(with_statements(narrowed, statements), name)
    module = region.module.deep_replace(handler, new_handler)
    edits = region.edits_for(module)
    additions = ModuleAdditions()
    if not module_binds(req.tree, domain):
        additions.definitions.append(domain_class(domain))
    return additions_edits(req.source, req.tree, additions) + edits


def _catches_base_exception(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "BaseException"
