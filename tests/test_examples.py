"""The bundled example service reports exactly the findings its README lists, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from harness import ROOT
from sadpath.commands.check import CheckOptions, SettingsResolver, run

EXAMPLES = ROOT / "examples"
ROW = re.compile(r"^\| `(?P<path>orders_service/[\w/]+\.py):(?P<line>\d+)` \| (?P<rest>.*)$")


def _section(text: str, title: str) -> list[str]:
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)].splitlines()


def documented_findings() -> set[tuple[str, int, str]]:
    rows = set()
    for line in _section((EXAMPLES / "README.md").read_text(encoding="utf-8"), "Intentional findings"):
        match = ROW.match(line)
        if match:
            code = match.group("rest").split("|")[0].strip()
            rows.add((match.group("path"), int(match.group("line")), code))
    return rows


def reported_findings() -> set[tuple[str, int, str]]:
    options = CheckOptions(jobs=1)
    result = run([str(EXAMPLES)], SettingsResolver(options.overrides), options)
    assert not result.errors
    found = set()
    for file_result in result.results:
        assert file_result.error is None and not file_result.rule_failures
        rel = Path(file_result.path).resolve().relative_to(EXAMPLES.resolve()).as_posix()
        for finding in file_result.findings:
            found.add((rel, finding.span.line, finding.code))
    return found


def test_example_reports_exactly_the_documented_findings():
    documented = documented_findings()
    codes = {code for _, _, code in documented}
    reported = {f for f in reported_findings() if f[2] in codes}
    assert sorted(reported - documented) == [], "findings the README does not list (false positives?)"
    assert sorted(documented - reported) == [], "documented findings the tool no longer reports"


def test_example_shows_every_except_side_rule():
    codes = {code for _, _, code in documented_findings()}
    assert {"SAD101", "SAD102", "SAD103", "SAD104", "SAD105"} <= codes


def test_lookalike_rows_point_at_real_lines():
    rows = _section((EXAMPLES / "README.md").read_text(encoding="utf-8"), "Look-alikes that must stay quiet")
    count = 0
    for line in rows:
        match = ROW.match(line)
        if match:
            source = (EXAMPLES / match.group("path")).read_text(encoding="utf-8").splitlines()
            assert int(match.group("line")) <= len(source)
            count += 1
    assert count >= 20
