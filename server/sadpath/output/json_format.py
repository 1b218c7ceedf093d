"""The JSON contract (version 1): stable keys, 1-based lines and columns counted in characters."""

from __future__ import annotations

import json

from sadpath.output import Report


def render(report: Report) -> str:
    findings = []
    for path, finding in report.all_findings():
        offer = finding.fix
        findings.append(
            {
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
        )
    document = {
        "version": 1,
        "files_checked": report.files_checked,
        "findings": findings,
        "errors": [{"path": e.path, "message": e.message} for e in report.errors],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
