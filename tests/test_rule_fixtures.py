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


def test_every_sad101_exemption_has_a_lookalike_that_only_it_keeps_quiet(monkeypatch):
    """Each named exemption of SAD101 has a look-alike block in the fixtures, and removing the exemption makes
    that look-alike fire: no exemption is dead code."""
    import re

    from sadpath.config import settings_from_table
    from sadpath.engine import analyze
    from sadpath.files import tomllib
    from sadpath.engine import swallow as sad101  # the judgement reads EXEMPTIONS from here
    from sadpath.source import SourceFile

    fixture = next(f for f in FIXTURES if f.path.name == "exemptions.py")
    marks: dict[int, str] = {}
    for number, line in enumerate(fixture.text.splitlines(), start=1):
        match = re.search(r"# exemption: (\w+)", line)
        if match:
            marks[number] = match.group(1)
    names = [exempt.__name__ for exempt in sad101.EXEMPTIONS]
    contract_table = tomllib.loads(
        '[cache]\ncalls = ["redis.Redis.*"]\n[cache.modes]\nconnection = { fallback = "None" }\ntimeout = { fallback = "None" }\n'
    )
    contract_settings = settings_from_table({"contracts": contract_table}, origin="test")
    contract_code = (
        "import redis\n\ncache = redis.Redis(socket_timeout=1)\n\n\ndef cached(key):\n    try:\n"
        "        return cache.get(key)\n    except redis.RedisError:\n        return None\n"
    )
    for name in names:
        monkeypatch.setattr(sad101, "EXEMPTIONS", tuple(e for e in sad101.EXEMPTIONS if e.__name__ != name))
        if name == "contract_fallback":  # needs a declared contract: its look-alike carries its settings
            found = analyze(SourceFile("cache.py", contract_code), contract_settings, [fixture.rule]).findings
            assert [f.span.line for f in found] == [9]
            monkeypatch.undo()
            continue
        own = {line for line, mark in marks.items() if mark == name}
        assert own, f"no look-alike marked `# exemption: {name}` in {fixture.id}"
        reported = {f.span.line for f in fixture.findings()}
        assert own <= reported, f"without {name}, its look-alike on lines {sorted(own - reported)} stays quiet"
        monkeypatch.undo()
    assert set(marks.values()) <= set(names)
    quiet = analyze(SourceFile("cache.py", contract_code), contract_settings, [fixture.rule]).findings
    assert quiet == []


def test_a_bare_except_gets_one_finding_from_sad101_or_sad102():
    """With both rules on, a handler that swallows gets SAD101's finding (which names the bare `except:`), one
    that does not swallow gets SAD102's, and none gets both; with SAD101 off, SAD102 still reports every one."""
    from sadpath.engine import analyze
    from sadpath.registry import lookup as rule_for
    from sadpath.settings import Settings
    from sadpath.source import SourceFile

    code = (
        "import logging\nlog = logging.getLogger(__name__)\n\n\n"
        "def parse_port(raw):\n    try:\n        return int(raw)\n    except:\n        return 8080\n\n\n"
        "def push(api, order):\n    try:\n        api.push(order)\n    except:\n        pass\n"
    )
    both = analyze(SourceFile("m.py", code), Settings(), [rule_for("SAD101"), rule_for("SAD102")]).findings
    assert sorted((f.span.line, f.code) for f in both) == [(8, "SAD102"), (15, "SAD101")]
    assert "bare `except:`" in next(f.message for f in both if f.code == "SAD101")
    alone = analyze(SourceFile("m.py", code), Settings(), [rule_for("SAD102")]).findings
    assert sorted((f.span.line, f.code) for f in alone) == [(8, "SAD102"), (15, "SAD102")]


def test_a_bare_except_that_translates_gets_one_finding_from_sad102_not_also_sad103():
    """``except: raise GatewayError(...)`` is one problem: SAD102 asks for `Exception` and `from`; with SAD102 off,
    SAD103 still reports the missing `from`."""
    from sadpath.engine import analyze
    from sadpath.registry import lookup as rule_for
    from sadpath.settings import Settings
    from sadpath.source import SourceFile

    text = (
        "class GatewayError(Exception):\n    pass\n\n\ndef charge(api):\n    try:\n        api.charge()\n"
        "    except:\n        raise GatewayError('charge failed')\n"
    )
    both = analyze(SourceFile("pay.py", text), Settings(), [rule_for("SAD102"), rule_for("SAD103")]).findings
    assert [(f.code, f.span.line) for f in both] == [("SAD102", 8)]
    assert "`from` the caught error" in both[0].message and "task cancellation" not in both[0].message
    alone = analyze(SourceFile("pay.py", text), Settings(), [rule_for("SAD103")]).findings
    assert [(f.code, f.span.line) for f in alone] == [("SAD103", 9)]
