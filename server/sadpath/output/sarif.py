"""SARIF 2.1.0 for GitHub code scanning: every rule with its help text and help URI."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from sadpath import __version__
from sadpath.model import Severity
from sadpath.model import SYNTAX_ERROR_CODE, SYNTAX_ERROR_SLUG
from sadpath.registry import RULES
from sadpath.output import DEFAULT_DOCS_URL, RenderOptions, Report, docs_url_for
from sadpath.output.fingerprints import VERSION, fingerprints

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
REPOSITORY = "https://github.com/sadpath/sadpath"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule_descriptors(docs_url: str = DEFAULT_DOCS_URL) -> list[dict]:
    descriptors = [
        {
            "id": SYNTAX_ERROR_CODE,
            "name": SYNTAX_ERROR_SLUG,
            "shortDescription": {"text": "The file does not parse; nothing else in it is analysed."},
            "fullDescription": {"text": "The file does not parse; nothing else in it is analysed."},
            "help": {"text": "Fix the syntax error.", "markdown": "Fix the syntax error."},
            "helpUri": docs_url_for(SYNTAX_ERROR_CODE, docs_url),
            "defaultConfiguration": {"level": "error"},
        }
    ]
    for rule in RULES:
        doc = rule.doc()
        descriptors.append(
            {
                "id": rule.code,
                "name": rule.slug,
                "shortDescription": {"text": doc.summary},
                "fullDescription": {"text": doc.why or doc.summary},
                "help": {"text": f"{doc.summary}\n\n{doc.why}", "markdown": doc.markdown()},
                "helpUri": docs_url_for(rule.code, docs_url),
                "defaultConfiguration": {"level": LEVELS[rule.severity]},
                "properties": {"tags": ["reliability", "error-handling"], "precision": "high"},
            }
        )
    return descriptors


def render(report: Report, options: RenderOptions | None = None) -> str:
    options = options or RenderOptions()
    descriptors = _rule_descriptors(options.docs_url)
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = []
    for file in report.files:
        for f, fingerprint in zip(file.findings, fingerprints(file.path, file.findings, file.text)):
            result = {
                "ruleId": f.code,
                "ruleIndex": index.get(f.code, 0),
                "level": LEVELS[f.severity],
                "message": {"text": f.message},
                "locations": [_location(file.path, f.span)],
                "partialFingerprints": {VERSION: fingerprint},
            }
            if f.related:
                result["relatedLocations"] = [
                    {**_location(r.path, r.span), "id": i, "message": {"text": r.message}} for i, r in enumerate(f.related)
                ]
            results.append(result)
    notifications = [
        {
            "level": "error",
            "message": {"text": e.message},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(e.path)}}],
        }
        for e in report.errors
    ]
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sadpath",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": REPOSITORY,
                        "rules": descriptors,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
                "invocations": [
                    {"executionSuccessful": True, "toolExecutionNotifications": notifications}
                ],
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _uri(path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate.as_uri()
    return quote(candidate.as_posix())


def _artifact(path: str) -> dict:
    if Path(path).is_absolute():
        return {"uri": _uri(path)}
    return {"uri": _uri(path), "uriBaseId": "%SRCROOT%"}


def _location(path: str, span) -> dict:
    return {
        "physicalLocation": {
            "artifactLocation": _artifact(path),
            "region": {
                "startLine": span.line,
                "startColumn": span.column + 1,
                "endLine": span.end_line,
                "endColumn": span.end_column + 1,
            },
        }
    }
