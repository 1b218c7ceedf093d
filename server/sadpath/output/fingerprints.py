"""Fingerprints of findings that survive unrelated edits: SARIF ``partialFingerprints`` and GitLab's ``fingerprint``.

A fingerprint hashes the rule's code, the file's path, the text of the finding's first line with its whitespace
collapsed, and how many findings of that code on an identical line come before it in the file. Lines added or
removed elsewhere move the finding without changing any of these; editing the line itself makes a new finding.
"""

from __future__ import annotations

import hashlib

from sadpath.model import Finding
from sadpath.source import split_lines

VERSION = "sadpath/v1"


def fingerprints(path: str, findings: list[Finding], text: str | None) -> list[str]:
    """One fingerprint per finding, in order. Without the text, the finding's message stands in for its line."""
    lines = split_lines(text, keepends=False) if text is not None else None
    seen: dict[tuple[str, str], int] = {}
    out = []
    for finding in findings:
        if lines is not None and 1 <= finding.span.line <= len(lines):
            anchor = " ".join(lines[finding.span.line - 1].split())
        else:
            anchor = finding.message
        key = (finding.code, anchor)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        digest = hashlib.sha256(f"{finding.code}\0{path}\0{anchor}\0{occurrence}".encode("utf-8", "surrogatepass"))
        out.append(digest.hexdigest()[:32])
    return out


__all__ = ["VERSION", "fingerprints"]
