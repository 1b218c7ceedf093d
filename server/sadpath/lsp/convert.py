"""Between the engine's model (1-based lines, character columns) and LSP (0-based, negotiated encoding)."""

from __future__ import annotations

from typing import Any

from lsprotocol import types as t

from sadpath.model import Applicability, Edit, Finding, FixOffer, Related, Severity, Span
from sadpath.registry import lookup
from sadpath.source import SourceFile

SEVERITIES = {
    Severity.ERROR: t.DiagnosticSeverity.Error,
    Severity.WARNING: t.DiagnosticSeverity.Warning,
    Severity.INFO: t.DiagnosticSeverity.Information,
}
SOURCE = "sadpath"


def encode_column(source: SourceFile, line: int, column: int, encoding: str) -> int:
    """A character column of a 1-based line, in the client's position encoding."""
    if encoding == t.PositionEncodingKind.Utf8:
        return source.utf8_from_char_col(line, column)
    if encoding == t.PositionEncodingKind.Utf32:
        return column
    return source.utf16_from_char_col(line, column)


def decode_column(source: SourceFile, line: int, column: int, encoding: str) -> int:
    """The character column of a client position on a 1-based line."""
    if encoding == t.PositionEncodingKind.Utf8:
        return source.char_col_from_utf8(line, column)
    if encoding == t.PositionEncodingKind.Utf32:
        return column
    return source.char_col_from_utf16(line, column)


def to_position(source: SourceFile, line: int, column: int, encoding: str) -> t.Position:
    if line > source.line_count:
        return t.Position(line=max(line - 1, 0), character=0)
    return t.Position(line=line - 1, character=encode_column(source, line, column, encoding))


def to_range(source: SourceFile, span: Span, encoding: str) -> t.Range:
    return t.Range(
        start=to_position(source, span.line, span.column, encoding),
        end=to_position(source, span.end_line, span.end_column, encoding),
    )


def from_position(source: SourceFile, position: t.Position, encoding: str) -> tuple[int, int]:
    line = position.line + 1
    return line, decode_column(source, line, position.character, encoding)


def docs_href(code: str, base: str) -> str | None:
    rule = lookup(code)
    if rule is None:
        return None
    from sadpath.registry import docs_path

    return base.rstrip("/") + "/" + docs_path(rule)


def finding_data(finding: Finding, version: int | None) -> dict[str, Any]:
    """What code actions need, carried in Diagnostic.data so they never re-run the analysis."""
    return {
        "code": finding.code,
        "slug": finding.slug,
        "span": [finding.span.line, finding.span.column, finding.span.end_line, finding.span.end_column],
        "fixes": [
            {"kind": o.kind, "title": o.title, "applicability": str(o.applicability), "preferred": o.preferred}
            for o in finding.fixes
        ],
        "data": finding.data,
        "version": version,
    }


def finding_from_data(data: Any, message: str = "") -> Finding | None:
    """Rebuild a Finding from Diagnostic.data (None when the data is not ours or malformed)."""
    if not isinstance(data, dict):
        return None
    try:
        line, column, end_line, end_column = (int(v) for v in data["span"])
        fixes = tuple(
            FixOffer(str(f["kind"]), str(f["title"]), Applicability(f["applicability"]), bool(f.get("preferred")))
            for f in data.get("fixes", [])
        )
        return Finding(
            code=str(data["code"]),
            slug=str(data["slug"]),
            span=Span(line, column, end_line, end_column),
            message=message,
            fixes=fixes,
            data=dict(data.get("data") or {}),
        )
    except (KeyError, TypeError, ValueError):
        return None


def to_diagnostic(
    finding: Finding, source: SourceFile, uri: str, version: int | None, encoding: str, docs_url: str
) -> t.Diagnostic:
    href = docs_href(finding.code, docs_url)
    related = [_related(r, source, uri, encoding) for r in finding.related] or None
    return t.Diagnostic(
        range=to_range(source, finding.span, encoding),
        message=finding.message,
        severity=SEVERITIES[finding.severity],
        code=finding.code,
        code_description=t.CodeDescription(href=href) if href else None,
        source=SOURCE,
        related_information=related,
        data=finding_data(finding, version),
    )


def unsupported_diagnostic(unsupported, source: SourceFile, encoding: str) -> t.Diagnostic:
    """The one diagnostic of a file whose syntax the running Python cannot parse (``engine.syntax.Unsupported``)."""
    span = Span(unsupported.line, unsupported.column, unsupported.line, len(source.line(unsupported.line)))
    return t.Diagnostic(
        range=to_range(source, span, encoding),
        message=f"sadpath cannot analyse this file: {unsupported.message}",
        severity=t.DiagnosticSeverity.Error,
        source=SOURCE,
    )


def _related(related: Related, source: SourceFile, uri: str, encoding: str) -> t.DiagnosticRelatedInformation:
    from pygls.uris import from_fs_path

    target_uri = uri if related.path == source.path else (from_fs_path(related.path) or uri)
    if target_uri == uri:
        rng = to_range(source, related.span, encoding)
    else:  # another file: its text is not open here; columns are characters, good enough for a pointer
        rng = t.Range(
            start=t.Position(line=related.span.line - 1, character=related.span.column),
            end=t.Position(line=related.span.end_line - 1, character=related.span.end_column),
        )
    return t.DiagnosticRelatedInformation(location=t.Location(uri=target_uri, range=rng), message=related.message)


def to_text_edits(edits: tuple[Edit, ...] | list[Edit], source: SourceFile, encoding: str) -> list[t.TextEdit]:
    return [t.TextEdit(range=to_range(source, e.span, encoding), new_text=e.text) for e in edits]
