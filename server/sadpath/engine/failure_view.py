"""The failure-mode view of an external call: what can fail at a position and what is handled there.

``failure_view(analysis, line, column)`` finds the innermost external call whose
callee covers the position and returns its interface, each failure mode with the
exception types that carry it, and for each mode the handler that catches it at
this point (an enclosing ``except`` or a registered framework handler) or None.

``mode_states`` says which of three states each mode is in, the ones the hover and ``sadpath report`` show:
*handled* (and how: re-raised, translated, retried, logged with the traceback, turned into a response or an
exit status), *swallowed* (caught by a handler that ``engine.swallow`` judges to swallow, the handler SAD101
reports) or *unhandled* (nothing here catches it: it propagates to the caller).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from sadpath.engine.analyze import Analysis
from sadpath.engine.context import ModuleContext
from sadpath.engine.walker import SCOPE_TYPES, body_nodes
from sadpath.engine.external import ExternalCall, external_call
from sadpath.engine.handling import Handler, ModeStatus, mode_status
from sadpath.engine.outcome import EXITING_CALLS, handler_paths, is_constant, is_error_response, is_task_retry
from sadpath.knowledge import exception_hierarchy

HANDLED, SWALLOWED, UNHANDLED = "handled", "swallowed", "unhandled"
STATE_MARKS = {HANDLED: "✔", SWALLOWED: "⚠", UNHANDLED: "✘"}


@dataclass(frozen=True)
class ModeState:
    """One failure mode of a call in one of the three states, with the handler that catches it (if any), how it
    handles the error (``how``: "re-raised", "translated into `PaymentError`", ...) or, when it swallows it,
    what the caller sees (``consequence``)."""

    mode: str
    exceptions: tuple[str, ...]
    state: str  # HANDLED, SWALLOWED or UNHANDLED
    handler: Handler | None = None
    how: str = ""
    consequence: str = ""

    @property
    def mark(self) -> str:
        return STATE_MARKS[self.state]


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
    states: tuple[ModeState, ...] = ()  # each of ``modes`` in one of the three states (``mode_states``)

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
    states = mode_states(modes, parents, scopes, ctx)
    return FailureView(external, modes, span.line, span.column, span.end_line, span.end_column, contract, verdicts, states)


def mode_states(modes, parents: list[ast.AST], scopes: list[ast.AST], ctx: ModuleContext) -> tuple[ModeState, ...]:
    """Each ``ModeStatus`` of a call (whose ancestors are ``parents``, scopes ``scopes``) in its state: the
    ``except`` that catches it judged by ``engine.swallow`` (as SAD101 judges it)."""
    from sadpath.engine import swallow

    saved = (ctx.parents, ctx.scopes)
    judged: dict[int, tuple[str, str, str]] = {}
    states: list[ModeState] = []
    try:
        for status in modes:
            handler = status.handler
            if handler is None:
                states.append(ModeState(status.mode, status.exceptions, UNHANDLED))
                continue
            if handler.where != "except":
                states.append(ModeState(status.mode, status.exceptions, HANDLED, handler, "answered by the framework"))
                continue
            found = _except_node(handler, parents)
            if found is None:  # not an ``except`` of the code: a tenacity ``Retrying(retry=...)`` loop
                states.append(ModeState(status.mode, status.exceptions, HANDLED, handler, "retried"))
                continue
            node, index = found
            if id(node) not in judged:
                ctx.parents, ctx.scopes = parents[: index + 1], scopes
                judgement = swallow.judge(node, ctx)
                if judgement.swallows:
                    judged[id(node)] = (SWALLOWED, "", judgement.consequence)
                else:
                    judged[id(node)] = (HANDLED, how_handled(node, ctx), "")
            state, how, consequence = judged[id(node)]
            states.append(ModeState(status.mode, status.exceptions, state, handler, how, consequence))
    finally:
        ctx.parents, ctx.scopes = saved
    return tuple(states)


def _except_node(handler: Handler, parents: list[ast.AST]) -> tuple[ast.ExceptHandler, int] | None:
    """The ``except`` clause a ``Handler`` names, and the index of its ``try`` among ``parents``."""
    for index in range(len(parents) - 1, -1, -1):
        parent = parents[index]
        if isinstance(parent, ast.Try) or type(parent).__name__ == "TryStar":
            for node in parent.handlers:
                if node.lineno == handler.line:
                    return node, index
    return None


def how_handled(handler: ast.ExceptHandler, ctx: ModuleContext) -> str:
    """What a handler that does not swallow does with the error, in a few words."""
    said: list[str] = []

    def say(text: str) -> None:
        if text not in said:
            said.append(text)

    for node in body_nodes(handler.body, scopes=True):
        if isinstance(node, ast.Raise):
            if node.exc is None or (isinstance(node.exc, ast.Name) and node.exc.id == handler.name):
                say("re-raised")
            else:
                raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                say(f"translated into `{ast.unparse(raised)}`")
        elif isinstance(node, ast.Call):
            name = ctx.qualified_name(node.func) or ast.unparse(node.func)
            if name in EXITING_CALLS:
                say("turned into an exit status")
            elif is_task_retry(node):
                say("retried")
    paths = handler_paths(handler, ctx)
    if any(p.traced for p in paths):
        say("logged with the traceback")
    if any(p.end == "continue" and p.slept for p in paths):
        say("retried")
    for path in paths:
        if path.end == "return" and path.value is not None:
            if is_error_response(path.value):
                say("turned into an error response")
            elif not is_constant(path.value):
                say("a computed fallback")
    return ", ".join(said) if said else "handled"


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
