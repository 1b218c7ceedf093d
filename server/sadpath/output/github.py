"""GitHub Actions workflow commands: one ``::warning``/``::error`` annotation per finding."""

from __future__ import annotations

from sadpath.model import Severity
from sadpath.output import RenderOptions, Report


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, options: RenderOptions | None = None) -> str:
    lines = []
    for path, f in report.all_findings():
        level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}[f.severity]
        props = (
            f"file={_escape_property(path)},line={f.span.line},col={f.span.column + 1},"
            f"endLine={f.span.end_line},endColumn={f.span.end_column + 1},"
            f"title={_escape_property(f'{f.code} ({f.slug})')}"
        )
        lines.append(f"::{level} {props}::{_escape_data(f'{f.code} {f.message}')}")
    for error in report.errors:
        lines.append(f"::error file={_escape_property(error.path)},title=sadpath::{_escape_data(error.message)}")
    return "\n".join(lines) + ("\n" if lines else "")
