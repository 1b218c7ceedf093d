"""The JSON contract (version 1): stable keys, 1-based lines and columns counted in characters; ``json-lines``:
one finding object of that contract per line."""

from __future__ import annotations

import json

from sadpath.model import Finding
from sadpath.output import RenderOptions, Report


def finding_object(path: str, finding: Finding) -> dict:
    offer = finding.fix
    return {
        "path": path,
        "line": finding.span.line,
        "column": finding.span.column + 1,
        "end_line": finding.span.end_line,
        "end_column": finding.span.end_column + 1,
        "code": finding.code,
        "rule": finding.slug,
        "severity": str(finding.severity),
        "message": finding.message,
        "fix": {"title": offer.title, "applicability": str(offer.applicability)} if offer else None,
    }


def render(report: Report, options: RenderOptions | None = None) -> str:
    document = {
        "version": 1,
        "files_checked": report.files_checked,
        "findings": [finding_object(path, finding) for path, finding in report.all_findings()],
        "errors": [{"path": e.path, "message": e.message} for e in report.errors],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_lines(report: Report, options: RenderOptions | None = None) -> str:
    """One JSON object per finding and line (the contract's finding objects); errors go to stderr and the exit
    status, as for every format."""
    return "".join(json.dumps(finding_object(path, f), ensure_ascii=False) + "\n" for path, f in report.all_findings())
