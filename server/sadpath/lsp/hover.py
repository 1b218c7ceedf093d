"""Hover: a finding's rule in short, and the failure modes of any external call with what handles each here."""

from __future__ import annotations

from lsprotocol import types as t

from sadpath.engine import Analysis
from sadpath.engine.failure_view import failure_view, handler_view
from sadpath.lsp.convert import docs_href
from sadpath.model import Finding
from sadpath.registry import lookup


def _contains(finding: Finding, line: int, column: int) -> bool:
    span = finding.span
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column) or (
        span.line == line and span.end_line == line and span.column <= column <= max(span.end_column, span.column + 1)
    )


def finding_markdown(finding: Finding, docs_url: str) -> str:
    rule = lookup(finding.code)
    title = f"**{finding.code} {finding.slug}**"
    parts = [title, "", finding.message]
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


def failure_markdown(analysis: Analysis, line: int, column: int, settings) -> str | None:
    view = failure_view(analysis, line, column, settings)
    if view is None:
        return None
    rows = ["| failure mode | exception types | handled here |", "|---|---|---|"]
    for status in view.modes:
        exceptions = ", ".join(f"`{e}`" for e in status.exceptions)
        if status.handler is None:
            handled = "✘ unhandled"
        else:
            where = f"line {status.handler.line}"
            handled = f"✔ `{status.handler.label}` ({where})"
        rows.append(f"| {status.mode} | {exceptions} | {handled} |")
    unhandled = [s.mode for s in view.modes if s.handler is None]
    summary = (
        "Every failure mode is handled here."
        if not unhandled
        else f"Unhandled here: {', '.join(unhandled)}; they propagate to the caller."
    )
    parts = [f"**{view.external.name}()** · {view.label} ({view.external.interface.kind})", "", *rows, "", summary]
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


def hover(analysis: Analysis, line: int, column: int, docs_url: str, settings) -> str | None:
    sections = [finding_markdown(f, docs_url) for f in analysis.findings if _contains(f, line, column)]
    external = failure_markdown(analysis, line, column, settings)
    if external:
        sections.append(external)
    handler = handler_markdown(analysis, line, settings)
    if handler:
        sections.append(handler)
    return "\n\n---\n\n".join(sections) if sections else None


def to_hover(markdown: str) -> t.Hover:
    return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=markdown))
