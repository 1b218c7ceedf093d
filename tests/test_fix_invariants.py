"""The fix invariants, enforced over every fixture: each offered fix builds, parses, removes its
finding, declares the applicability its rule declares, and applying fixes again changes nothing."""

from __future__ import annotations

import ast

import pytest

from harness import fixtures
from sadpath.commands.check import fix_text
from sadpath.model import Applicability
from sadpath.fixes import apply_edits, build_fix
from sadpath.source import SourceFile

FIXTURES = fixtures()


def _cases():
    for fixture in FIXTURES:
        for finding in fixture.findings():
            for offer in finding.fixes:
                if offer.applicability is Applicability.DISPLAY_ONLY:
                    continue  # advice only: never built or applied (checked below)
                yield pytest.param(fixture, finding, offer, id=f"{fixture.id}:{finding.span.line}:{offer.kind}")


@pytest.mark.parametrize(("fixture", "finding", "offer"), list(_cases()))
def test_fix_builds_parses_and_removes_its_finding(fixture, finding, offer):
    assert offer.applicability in fixture.rule.fix_applicabilities
    source = SourceFile(str(fixture.path), fixture.text)
    fix = build_fix(source, finding, offer, fixture.settings)  # offered means it must build
    assert fix.applicability is offer.applicability
    fixed = apply_edits(source.text, fix.edits)
    ast.parse(fixed)
    before = [f for f in fixture.findings() if f.code == finding.code]
    after = [f for f in fixture.findings(fixed) if f.code == finding.code]
    assert len(after) == len(before) - 1, f"{offer.kind} did not remove exactly its finding"
    anchor_text = source.line(finding.span.line).strip()
    remaining = {SourceFile("x", fixed).line(f.span.line).strip() for f in after}
    if sum(1 for f in before if source.line(f.span.line).strip() == anchor_text) == 1:
        assert anchor_text not in remaining


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_fix_all_is_idempotent_and_parses(fixture, unsafe):
    once, applied = fix_text(str(fixture.path), fixture.text, fixture.settings, unsafe)
    ast.parse(once)
    twice, again = fix_text(str(fixture.path), once, fixture.settings, unsafe)
    assert twice == once and again == 0
    if unsafe:
        def applicable(finding):
            return any(o.applicability is not Applicability.DISPLAY_ONLY for o in finding.fixes)

        fixable = [f for f in fixture.findings() if applicable(f)]
        assert applied >= 1 if fixable else applied == 0
        leftover = [f for f in fixture.findings(once) if applicable(f)]
        assert not leftover, [f.message for f in leftover]


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
def test_display_only_offers_are_advice(fixture):
    for finding in fixture.findings():
        for offer in finding.fixes:
            if offer.applicability is Applicability.DISPLAY_ONLY:
                assert offer.applicability in fixture.rule.fix_applicabilities
                assert len(offer.title) > 20, "a display-only offer must name the remedy"
