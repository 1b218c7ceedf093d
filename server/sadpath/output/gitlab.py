"""GitLab Code Quality: a JSON array of issues (``codequality`` report artifact), paths relative to the project."""

from __future__ import annotations

import json

from sadpath.model import Severity
from sadpath.output import RenderOptions, Report, docs_url_for
from sadpath.output.fingerprints import fingerprints

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render(report: Report, options: RenderOptions) -> str:
    issues = []
    for file in report.files:
        for finding, fingerprint in zip(file.findings, fingerprints(file.path, file.findings, file.text)):
            issue = {
                "type": "issue",
                "check_name": f"{finding.code} {finding.slug}",
                "description": f"{finding.code} {finding.message}",
                "categories": ["Bug Risk"],
                "severity": SEVERITIES[finding.severity],
                "fingerprint": fingerprint,
                "location": {
                    "path": file.path,
                    "positions": {
                        "begin": {"line": finding.span.line, "column": finding.span.column + 1},
                        "end": {"line": finding.span.end_line, "column": finding.span.end_column + 1},
                    },
                },
            }
            url = docs_url_for(finding.code, options.docs_url)
            if url:
                issue["content"] = {"body": f"[{finding.code} {finding.slug}]({url})"}
            issues.append(issue)
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
