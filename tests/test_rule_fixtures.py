"""Every rule against its fixtures: marked anchor lines fire, every other line stays quiet."""

from __future__ import annotations

import pytest

from harness import fixtures
from sadpath.registry import RULES

FIXTURES = fixtures()


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
def test_fixture_expectations(fixture):
    expected = fixture.expected_lines()
    findings = fixture.findings()
    reported = {}
    for finding in findings:
        assert finding.code == fixture.code
        assert finding.span.line <= finding.span.end_line
        reported.setdefault(finding.span.line, []).append(finding)
    missing = sorted(expected - set(reported))
    unexpected = {line: [f.message for f in fs] for line, fs in reported.items() if line not in expected}
    assert not missing, f"{fixture.id}: expected {fixture.code} on lines {missing}"
    assert not unexpected, f"{fixture.id}: false positives {unexpected}"
    for line, found in reported.items():
        assert len(found) == 1, f"{fixture.id}:{line}: reported {len(found)} times"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_rule_has_positive_and_lookalike_fixtures(rule):
    own = [f for f in FIXTURES if f.code == rule.code]
    assert own, f"{rule.code} has no fixture directory"
    positives = sum(len(f.expected_lines()) for f in own)
    lines = sum(len(f.text.splitlines()) for f in own)
    lookalike_sections = sum(f.text.count("# ---- look-alikes") for f in own)
    assert positives >= 3, f"{rule.code}: only {positives} positive cases"
    assert lookalike_sections >= 1 and lines > positives * 5, f"{rule.code}: look-alikes missing"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
def test_messages_name_the_failure(fixture):
    for finding in fixture.findings():
        assert len(finding.message) > 60, finding.message
        assert finding.message.rstrip().endswith("."), finding.message
        assert "`" in finding.message  # names the construct it is about


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
def test_suppression_comments_silence_each_finding(fixture):
    lines = fixture.text.splitlines(keepends=True)
    for line_number in fixture.expected_lines():
        index = line_number - 1
        stripped = lines[index].rstrip("\n")
        base = stripped.split("# error:")[0].rstrip()
        for comment in (f"  # sadpath: ignore[{fixture.code}]", f"  # noqa: {fixture.code}", f"  # sadpath: ignore[{fixture.slug}]"):
            patched = lines[:index] + [base + comment + "\n"] + lines[index + 1 :]
            findings = fixture.findings("".join(patched))
            assert line_number not in {f.span.line for f in findings}, comment
