"""Snapshots of the rendered diagnostics and of every fix's diff, so wording and edits show in review.

Run with SADPATH_UPDATE_SNAPSHOTS=1 to rewrite them after an intended change, then read the diff.
"""

from __future__ import annotations

import difflib
import os

import pytest

from harness import ROOT, fixtures
from sadpath.fixes import FixRefused, apply_edits, build_fix
from sadpath.source import SourceFile

SNAPSHOTS = ROOT / "tests" / "snapshots"
UPDATE = os.environ.get("SADPATH_UPDATE_SNAPSHOTS") == "1"


def render(fixture) -> str:
    source = SourceFile(str(fixture.path), fixture.text)
    rel = fixture.path.relative_to(ROOT).as_posix()
    out = []
    findings = fixture.findings()
    for f in findings:
        out.append(f"{rel}:{f.span.line}:{f.span.column + 1}-{f.span.end_line}:{f.span.end_column + 1}: {f.code} [{f.severity}] {f.message}")
    for f in findings:
        for offer in f.fixes:
            out.append("")
            try:
                fix = build_fix(source, f, offer, fixture.settings)
            except FixRefused as exc:
                out.append(f"## {f.code} line {f.span.line}: {offer.title} ({offer.applicability})")
                out.append(f"refused: {exc}")
                continue
            # the built fix's title: it names what the fix writes (the error it raises, a field it could not add)
            out.append(f"## {f.code} line {f.span.line}: {fix.title} ({offer.applicability})")
            fixed = apply_edits(source.text, fix.edits)
            diff = difflib.unified_diff(source.text.splitlines(True), fixed.splitlines(True), "before", "after", n=1)
            out.append("".join(diff).rstrip("\n"))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("fixture", fixtures(), ids=lambda f: f.id)
def test_snapshot(fixture):
    snapshot = SNAPSHOTS / f"{fixture.path.parent.name}__{fixture.path.stem}.snap"
    actual = render(fixture)
    if UPDATE or not snapshot.exists():
        if not UPDATE and os.environ.get("CI"):
            pytest.fail(f"missing snapshot {snapshot.name}; run with SADPATH_UPDATE_SNAPSHOTS=1 and commit it")
        snapshot.write_text(actual, encoding="utf-8")
    expected = snapshot.read_text(encoding="utf-8")
    assert actual == expected, "".join(
        difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "snapshot", "actual")
    )
