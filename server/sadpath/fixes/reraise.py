"""Re-raise after the existing handling (SAD101, SAD102): ``raise`` replaces a trailing pass/continue/return.
A ``try`` whose only handler would then hold nothing but ``raise`` is replaced by its body. A handler at module
level (it runs at import time) is refused: re-raising there stops the module from importing.

The comments of what it replaces stay, above the ``raise``. A handler that already ends in a ``raise`` either
translates a cancellation along with other errors (``except (TimeoutError, CancelledError)``: the cancellation
gets its own ``except CancelledError: raise`` first), or swallows in a branch (``if "exists" in e.output:
return``): there the branch's ``return`` becomes the ``raise``."""

from __future__ import annotations

import libcst as cst

from sadpath.fixes.additions import ModuleAdditions
from sadpath.fixes.framework_answer import server_error_answer
from sadpath.fixes.nodes import fitted, line_limit
from sadpath.fixes.place import fitting_handler, place_of
from sadpath.fixes.region import FixRefused
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
from sadpath.fixes.tidy import finish
from sadpath.fixes.unwrap import unwrapped_try
from sadpath.model import Edit


def build(req: FixRequest) -> list[Edit]:
    region = req.region()
    handler_ast = req.ast_handler()
    handler = handler_in_region(req, region, handler_ast)
    place = place_of(req, handler_ast) if req.finding.code == "SAD101" else None
    if place is None:
        refuse_at_import_time(req, handler_ast)
    else:  # a loop, a clean-up step, a task or main(): re-raising is not what fits there
        additions = ModuleAdditions()
        return finish(req, region, fitting_handler(req, region, handler, handler_ast, place, additions), additions)
    statements = handler_statements(handler)
    if statements and _raises(statements[-1]) and _split(handler) is not None:
        # except (TimeoutError, CancelledError) as exc: raise DomainError from exc -> cancellation goes on first
        kept, passed = _split(handler)
        through = cst.parse_statement(f"try:\n    pass\nexcept {passed}:\n    raise\n").handlers[0]
        narrowed = handler.with_changes(type=kept)
        try_node = next(n for n in region.positions if isinstance(n, cst.Try) and any(h is handler for h in n.handlers))
        handlers = []
        for h in try_node.handlers:
            handlers.extend([through, narrowed] if h is handler else [h])
        module = region.module.deep_replace(try_node, try_node.with_changes(handlers=handlers))
        return finish(req, region, module)
    if statements and _raises(statements[-1]):
        new_statements = [_reraise_branches(s) for s in statements]
        if all(a is b for a, b in zip(new_statements, statements)):
            raise FixRefused("the handler already ends in a raise")
        module = region.module.deep_replace(handler, with_statements(handler, new_statements))
        return finish(req, region, module)
    statements, comments = drop_terminal(statements)
    func = req.enclosing_function(handler_ast.lineno)
    name = handler_name(handler) or free_name(handler_ast, func)
    answer = server_error_answer(req, func, name) if req.finding.code == "SAD101" else None
    if answer is not None:
        # a route answers with the framework's error (a status and a detail), not a bare 500 logged twice
        template, (module_name, imported) = answer
        message = py_string(f"{func.name.replace('_', ' ').strip()} failed")
        raise_line = simple_line(f"raise {template.format(message=message)} from {name}")
        raised = raise_line.body[0]
        assert isinstance(raised, cst.Raise) and isinstance(raised.exc, cst.Call)
        column = region.positions[handler].start.column + 4 + len("raise ")
        call = fitted(raised.exc, column, line_limit(req.source) - len(f" from {name}"), region.module)
        raise_line = with_comments(raise_line.with_changes(body=[raised.with_changes(exc=call)]), comments)
        additions = ModuleAdditions(imports=[(module_name, imported)])
        req.title = "Answer the route with HTTPException(500) raised from the error"
        new_handler = bind_handler(with_statements(handler, [*statements, raise_line]), name)
        return finish(req, region, region.module.deep_replace(handler, new_handler), additions)
    if req.finding.code == "SAD101":  # print(e) before the raise says nothing the traceback does not
        statements = drop_lossy_logs(statements, handler_name(handler))
    if not statements and not comments:
        unwrapped = unwrapped_try(region, handler)
        if unwrapped is not None:  # ``try: ... except E: raise`` says nothing: the body alone does the same
            req.title = "Remove the `try` that swallows the error: let it propagate"
            return finish(req, region, unwrapped)
    statements.append(with_comments(simple_line("raise"), comments))
    module = region.module.deep_replace(handler, with_statements(handler, statements))
    return finish(req, region, module)


_PASS_THROUGH = ("CancelledError", "KeyboardInterrupt", "SystemExit", "GeneratorExit")


def _split(handler: cst.ExceptHandler) -> tuple[cst.BaseExpression, str] | None:
    """For ``except (A, CancelledError)``: the rest of the tuple, and the code of what must pass through."""
    if not isinstance(handler.type, cst.Tuple):
        return None
    code = cst.Module([]).code_for_node
    through = [e for e in handler.type.elements if code(e.value).rsplit(".", 1)[-1] in _PASS_THROUGH]
    rest = [e for e in handler.type.elements if e not in through]
    if not through or not rest:
        return None
    passed = ", ".join(code(e.value) for e in through)
    if len(through) > 1:
        passed = f"({passed})"
    if len(rest) == 1:
        return rest[0].value, passed
    elements = [e.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for e in rest[:-1]]
    elements.append(rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT))
    return handler.type.with_changes(elements=elements), passed


def _raises(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(isinstance(s, cst.Raise) for s in statement.body)


def _reraise_branches(statement: cst.BaseStatement) -> cst.BaseStatement:
    """An ``if`` whose branches end in ``return`` (or ``pass``), with ``raise`` there instead."""
    if not isinstance(statement, cst.If):
        return statement
    body = statement.body
    new = statement
    if isinstance(body, cst.IndentedBlock):
        inner = list(body.body)
        if inner and not _raises(inner[-1]):
            kept, comments = drop_terminal(inner)
            if len(kept) < len(inner) or (kept and kept[-1] is not inner[-1]):
                new = new.with_changes(body=body.with_changes(body=[*kept, with_comments(simple_line("raise"), comments)]))
    if isinstance(statement.orelse, (cst.If, cst.Else)):
        orelse = statement.orelse
        if isinstance(orelse, cst.If):
            changed = _reraise_branches(orelse)
        else:
            changed = orelse
            block = orelse.body
            if isinstance(block, cst.IndentedBlock) and block.body and not _raises(block.body[-1]):
                kept, comments = drop_terminal(list(block.body))
                if len(kept) < len(block.body) or (kept and kept[-1] is not block.body[-1]):
                    changed = orelse.with_changes(body=block.with_changes(body=[*kept, with_comments(simple_line("raise"), comments)]))
        if changed is not orelse:
            new = new.with_changes(orelse=changed)
    return new
