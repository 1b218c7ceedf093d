"""Hover: what fails first. Over an external call its failure-mode table leads (each mode ✔ handled and how,
⚠ swallowed by a handler SAD101 reports, or ✘ unhandled); over a finding, the rule's why, the fix choices and a
link, never the finding's message, which the editor already shows above the hover."""

from __future__ import annotations

from lsprotocol import types as t

from sadpath.engine import Analysis
from sadpath.engine.failure_view import SWALLOWED, UNHANDLED, failure_view, handler_view
from sadpath.lsp.convert import docs_href
from sadpath.model import Finding
from sadpath.registry import lookup


def _contains(finding: Finding, line: int, column: int) -> bool:
    span = finding.span
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column) or (
        span.line == line and span.end_line == line and span.column <= column <= max(span.end_column, span.column + 1)
    )


def finding_markdown(finding: Finding, docs_url: str) -> str:
    """A finding's rule: why it matters, the fixes to choose from and the documentation (not the message)."""
    rule = lookup(finding.code)
    parts = [f"**{finding.code} {finding.slug}**"]
    if rule is not None:
        why = rule.doc().why
        if why:
            parts += ["", f"*Why it matters:* {why}"]
    if finding.fixes:
        parts += ["", "Fixes:"]
        parts += [f"- {offer.title} ({offer.applicability})" for offer in finding.fixes]
    href = docs_href(finding.code, docs_url)
    if href:
        parts += ["", f"[Documentation]({href})"]
    return "\n".join(parts)


def state_cell(state) -> str:
    """The "here" cell of a mode: ✔ handled (how, by which handler), ⚠ swallowed (by which), ✘ unhandled."""
    if state.state == UNHANDLED or state.handler is None:
        return "✘ unhandled"
    where = f"`{state.handler.label}` (line {state.handler.line})"
    if state.state == SWALLOWED:
        return f"⚠ swallowed by {where}"
    return f"✔ {state.how or 'handled'}: {where}"


def failure_markdown(analysis: Analysis, line: int, column: int, settings) -> str | None:
    view = failure_view(analysis, line, column, settings)
    if view is None:
        return None
    rows = ["| failure mode | exception types | here |", "|---|---|---|"]
    for state in view.states:
        exceptions = ", ".join(f"`{e}`" for e in state.exceptions)
        rows.append(f"| {state.mode} | {exceptions} | {state_cell(state)} |")
    swallowed = [s for s in view.states if s.state == SWALLOWED]
    unhandled = [s.mode for s in view.states if s.state == UNHANDLED]
    summary: list[str] = []
    if not swallowed and not unhandled:
        summary.append("Every failure mode is handled here.")
    if swallowed:
        consequence = next((s.consequence for s in swallowed if s.consequence), "")
        summary.append(
            f"⚠ Swallowed here: {', '.join(s.mode for s in swallowed)}. The handler catches the error and carries on "
            "(SAD101 reports it)" + (f": {consequence}." if consequence else ".")
        )
    if unhandled:
        summary.append(f"✘ Unhandled here: {', '.join(unhandled)}; they propagate to the caller.")
    parts = [f"**{view.external.name}()** · {view.label} ({view.external.interface.kind})", "", *rows, "", *summary]
    if view.contract is not None:
        parts += ["", *contract_rows(view)]
    return "\n".join(parts)


def contract_rows(view) -> list[str]:
    """The contract that covers the call: each declared mode, its strategy, and whether this call keeps it."""
    rows = [f"Contract **{view.contract.name}**:", "", "| mode | declared | here |", "|---|---|---|"]
    for verdict in view.verdicts:
        if verdict.ok:
            here = "✔" + (f" (line {verdict.line})" if verdict.line else "")
        else:
            here = f"✘ {verdict.problem}"
        rows.append(f"| {verdict.mode} | {verdict.strategy.describe()} | {here} |")
    if not view.verdicts:
        rows.append("| | no declared mode applies to this call | ✔ |")
    return rows


def handler_markdown(analysis: Analysis, line: int, settings) -> str | None:
    """On an ``except`` line: whether the handler swallows, and which exemptions were weighed and why."""
    view = handler_view(analysis, line, settings)
    if view is None:
        return None
    if view.swallows:
        parts = [f"**{view.label}** swallows the failure: {view.consequence}."]
    elif view.exemption is not None:
        parts = [f"**{view.label}** is not reported as swallowing: {view.exemption[:1].lower()}{view.exemption[1:]}"]
    else:
        parts = [f"**{view.label}** handles the failure (it raises, exits, answers an error or records it)."]
    if view.considered:
        parts += ["", "Considered, and not the case here:"]
        parts += [f"- {doc}" for _name, doc in view.considered]
    return "\n".join(parts)


def hover(analysis: Analysis, line: int, column: int, docs_url: str, settings, tree_analysis: Analysis | None = None) -> str | None:
    """The hover at (1-based line, character column): the failure-mode table of the external call there first,
    then the rules of the findings there, then the judgement of the ``except`` on the line. ``tree_analysis``:
    the analysis whose tree the table and the judgement read, when ``analysis`` has none (a syntax error
    elsewhere in the file: ``lsp.resilient``)."""
    tree = tree_analysis if analysis.tree is None and tree_analysis is not None else analysis
    sections = []
    external = failure_markdown(tree, line, column, settings)
    if external:
        sections.append(external)
    sections += [finding_markdown(f, docs_url) for f in analysis.findings if _contains(f, line, column)]
    handler = handler_markdown(tree, line, settings)
    if handler:
        sections.append(handler)
    return "\n\n---\n\n".join(sections) if sections else None


def to_hover(markdown: str) -> t.Hover:
    return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=markdown))
