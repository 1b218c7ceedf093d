"""Typed exception translation (SAD101): raise the service's domain error ``from`` the caught one.

The error comes from ``domain_errors``: the module's own or imported error for the service that failed
(``PaymentError`` beside ``from orders_service.errors import PaymentError``), else a ``<Service>Error`` defined
after the imports; in a route whose app registers no handler for it, one that answers its status
(``error_handler``). A line that only printed or logged the error's message goes (the raised error carries it,
traceback and all); the comments of a replaced ``pass`` stay.
"""

from __future__ import annotations

import ast
import re

import libcst as cst

from sadpath.fixes.request import (
    FixRequest,
    bind_handler,
    drop_lossy_logs,
    drop_terminal,
    free_name,
    handler_in_region,
    handler_name,
    handler_statements,
    py_string,
    refuse_at_import_time,
    simple_line,
    with_comments,
    with_statements,
)
from sadpath.fixes.additions import ModuleAdditions
from sadpath.fixes.domain_errors import DomainErrors, caught_label
from sadpath.fixes.error_handler import register_answer
from sadpath.fixes.failure_context import failure_context
from sadpath.fixes.place import fitting_handler, place_of
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.model import Edit

_IDENTIFIER = re.compile(r"^[A-Z][A-Za-z0-9_]*$")


def build(req: FixRequest) -> list[Edit]:
    proposed = str(req.finding.data.get("domain_error") or "")
    if proposed and not _IDENTIFIER.match(proposed):
        raise FixRefused("no valid domain error name")
    handler_ast = req.ast_handler()
    refuse_at_import_time(req, handler_ast)
    additions = ModuleAdditions()
    place = place_of(req, handler_ast)
    if place is not None:  # a loop, a clean-up step, a task or main(): a domain error nobody catches does not fit
        region = req.region()
        handler = handler_in_region(req, region, handler_ast)
        return finish(req, region, fitting_handler(req, region, handler, handler_ast, place, additions), additions)
    context = failure_context(req, handler_ast)
    errors = DomainErrors(req, additions)
    try_node = next((n for n in ast.walk(req.tree) if isinstance(n, ast.Try) and handler_ast in n.handlers), None)
    service = errors.service(proposed, caught_label(req, handler_ast), try_node.body if try_node is not None else None)
    domain = errors.base(service)
    if proposed and proposed != domain:
        req.title = req.offer.title.replace(proposed, domain)
    registered = register_answer(req, req.enclosing_function(handler_ast.lineno), domain, errors, additions)
    if registered:
        req.notes.append(registered)  # a route answers with the error's status, not a 500
    region = req.region()
    handler = handler_in_region(req, region, handler_ast)
    name = handler_name(handler) or free_name(handler_ast, req.enclosing_function(handler_ast.lineno))
    # translating KeyboardInterrupt or SystemExit would hide them: narrow a BaseException catch first
    narrowed = handler
    if handler.type is not None and _catches_base_exception(handler.type):
        narrowed = handler.with_changes(type=cst.Name("Exception"))
    message = f"{context.operation} failed"
    current = handler_statements(narrowed)
    if current and isinstance(current[-1], cst.SimpleStatementLine) and any(isinstance(x, cst.Raise) for x in current[-1].body):
        raise FixRefused("the handler already ends in a raise")
    statements, comments = drop_terminal(current)
    statements = drop_lossy_logs(statements, name)
    statements.append(with_comments(simple_line(f"raise {domain}({py_string(message)}) from {name}"), comments))
    new_handler = bind_handler(with_statements(narrowed, statements), name)
    module = region.module.deep_replace(handler, new_handler)
    return finish(req, region, module, additions)


def _catches_base_exception(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "BaseException"
