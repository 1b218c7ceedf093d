"""The rules' documentation is executable: Example must fire, Use instead must stay quiet; generated docs stay in sync."""

from __future__ import annotations

import ast

import pytest

from harness import ROOT
from sadpath.config import Settings
from sadpath.docgen import readme_with_table, rule_page
from sadpath.engine import analyze
from sadpath.registry import RULES, docs_path
from sadpath.rules.base import SECTIONS
from sadpath.source import SourceFile

SETTINGS = Settings(required_log_fields=("correlation_id",))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_docstring_has_every_section(rule):
    doc = rule.doc()
    assert doc.title == f"{rule.code} {rule.slug}"
    missing = [s for s in SECTIONS if s not in doc.sections]
    assert not missing, f"{rule.code} lacks sections {missing}"
    assert rule.summary and rule.summary.endswith(".")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_example_fires(rule):
    code = rule.doc().code_block("Example")
    ast.parse(code)
    findings = analyze(SourceFile("example.py", code), SETTINGS, rules=[rule]).findings
    assert findings, f"{rule.code}: its Example does not fire"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_use_instead_is_quiet(rule):
    code = rule.doc().code_block("Use instead")
    ast.parse(code)
    findings = analyze(SourceFile("use_instead.py", code), SETTINGS, rules=[rule]).findings
    assert not findings, [f.message for f in findings]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_generated_rule_pages_are_current(rule):
    page = ROOT / docs_path(rule)
    assert page.read_text(encoding="utf-8") == rule_page(rule), "run: python -m sadpath.docgen"


def test_readme_rule_table_is_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == readme_with_table(readme), "run: python -m sadpath.docgen"
    for rule in RULES:
        assert f"[{rule.code}]({docs_path(rule)})" in readme
