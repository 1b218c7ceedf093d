"""The failure-mode view of an external call: what can fail at a position and what is handled there.

``failure_view(analysis, line, column)`` finds the innermost external call whose
callee covers the position and returns its interface, each failure mode with the
exception types that carry it, and for each mode the handler that catches it at
this point (an enclosing ``except`` or a registered framework handler) or None.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from sadpath.engine.analyze import Analysis
from sadpath.engine.context import ModuleContext
from sadpath.engine.walker import SCOPE_TYPES
from sadpath.engine.external import ExternalCall, external_call
from sadpath.engine.handling import ModeStatus, mode_status
from sadpath.knowledge import exception_hierarchy


@dataclass(frozen=True)
class FailureView:
    external: ExternalCall
    modes: tuple[ModeStatus, ...]
    line: int
    column: int
    end_line: int
    end_column: int
    contract: object | None = None  # the sadpath.contracts.Contract that covers the call, if any
    verdicts: tuple = ()  # its ModeVerdicts here

    @property
    def label(self) -> str:
        return self.external.interface.label


def failure_view(analysis: Analysis, line: int, column: int, settings=None) -> FailureView | None:
    """The external call at (1-based line, character column), or None when there is none."""
    if analysis.tree is None or analysis.semantic is None:
        return None
    from sadpath.settings import Settings

    source = analysis.source
    byte_column = source.utf8_from_char_col(line, column)
    ctx = ModuleContext(source, analysis.tree, analysis.semantic, exception_hierarchy(), settings or Settings())
    found: tuple[ast.Call, list[ast.AST], list[ast.AST]] | None = None
    stack: list[tuple[ast.AST, list[ast.AST], list[ast.AST]]] = [(analysis.tree, [], [])]
    while stack:
        node, parents, scopes = stack.pop()
        if isinstance(node, ast.Call) and _covers(node.func, line, byte_column):
            found = (node, parents, scopes)  # keep going: an inner call on the same spot wins
        inner_scopes = [*scopes, node] if isinstance(node, SCOPE_TYPES) else scopes
        for child in ast.iter_child_nodes(node):
            if _may_contain(child, line):
                stack.append((child, [*parents, node], inner_scopes))
    if found is None:
        return None
    call, parents, scopes = found
    ctx.parents, ctx.scopes = parents, scopes
    from sadpath.engine.contract_check import check_site, covering_contract, project_call

    external = external_call(call, ctx) or project_call(call, ctx)
    if external is None:
        return None
    span = ctx.span(call.func)

    contract = covering_contract(external, ctx)
    verdicts = tuple(check_site(external, contract, parents, ctx)) if contract is not None else ()
    modes = tuple(mode_status(external, parents, ctx))
    return FailureView(external, modes, span.line, span.column, span.end_line, span.end_column, contract, verdicts)


def _may_contain(node: ast.AST, line: int) -> bool:
    start = getattr(node, "lineno", None)
    if start is None:
        return True
    end = getattr(node, "end_lineno", start) or start
    return start <= line <= end


def _covers(node: ast.AST, line: int, byte_column: int) -> bool:
    start = (node.lineno, node.col_offset)
    end = (node.end_lineno or node.lineno, node.end_col_offset or node.col_offset)
    return start <= (line, byte_column) <= end


@dataclass(frozen=True)
class HandlerView:
    """What sadpath concluded about the ``except`` handler on a line: does it swallow, why or why not."""

    label: str  # ``except requests.RequestException``
    swallows: bool
    consequence: str  # when it swallows: what the caller or the user sees
    exemption: str | None  # when it does not: the exemption that keeps it quiet, as its one-line docstring
    considered: tuple[tuple[str, str], ...]  # exemptions considered that do not apply: (name, one-line docstring)


def handler_view(analysis: Analysis, line: int, settings=None) -> HandlerView | None:
    """The judgement of the ``except`` handler whose ``except`` line is ``line`` (1-based), or None."""
    if analysis.tree is None or analysis.semantic is None:
        return None
    from sadpath.engine import exemptions, swallow
    from sadpath.settings import Settings

    ctx = ModuleContext(analysis.source, analysis.tree, analysis.semantic, exception_hierarchy(), settings or Settings())
    stack: list[tuple[ast.AST, list[ast.AST], list[ast.AST]]] = [(analysis.tree, [], [])]
    while stack:
        node, parents, scopes = stack.pop()
        if isinstance(node, ast.ExceptHandler) and node.lineno == line:
            ctx.parents, ctx.scopes = parents, scopes
            judgement = swallow.judge(node, ctx)
            exemption = None
            if judgement.exemption is not None:
                described = {e.__name__: exemptions.describe(e) for e in exemptions.EXEMPTIONS}
                exemption = described.get(judgement.exemption, judgement.exemption.replace("_", " "))
            return HandlerView(judgement.caught.label, judgement.swallows, judgement.consequence, exemption, tuple(judgement.considered))
        inner_scopes = [*scopes, node] if isinstance(node, SCOPE_TYPES) else scopes
        for child in ast.iter_child_nodes(node):
            if _may_contain(child, line):
                stack.append((child, [*parents, node], inner_scopes))
    return None
