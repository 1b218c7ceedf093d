"""The rules' documentation is executable: Example must fire, Use instead must stay quiet; generated docs stay in sync."""

from __future__ import annotations

import ast

import pytest

from harness import ROOT, measure
from sadpath.config import settings_from_table
from sadpath.docgen import readme_with_table, rule_page
from sadpath.engine import analyze
from sadpath.registry import RULES, docs_path
from sadpath.rules.base import SECTIONS
from sadpath.source import SourceFile

# the options the rules' Examples assume: required log fields (SAD105), the contract of SAD301's Example
SETTINGS = settings_from_table(
    {
        "required-log-fields": ["correlation_id"],
        "contracts": {"payments": {"calls": ["requests"], "modes": {"timeout": {"translate": "PaymentTimeoutError", "status": 503}}}},
    },
    origin="tests/test_docs.py",
)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_docstring_has_every_section(rule):
    doc = rule.doc()
    assert doc.title == f"{rule.code} {rule.slug}"
    missing = [s for s in SECTIONS if s not in doc.sections]
    assert not missing, f"{rule.code} lacks sections {missing}"
    assert rule.summary and rule.summary.endswith(".")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_example_fires(rule, tmp_path):
    code = rule.doc().code_block("Example")
    ast.parse(code)
    findings = _findings(rule, code, "example.py", tmp_path)
    assert findings, f"{rule.code}: its Example does not fire"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_use_instead_is_quiet(rule, tmp_path):
    code = rule.doc().code_block("Use instead")
    ast.parse(code)
    findings = _findings(rule, code, "use_instead.py", tmp_path)
    assert not findings, [f.message for f in findings]


def _findings(rule, code: str, name: str, tmp_path):
    """The rule's findings on a documentation block. SAD302's blocks carry their own tests: the block runs
    under coverage.py first, and the rule reads that data."""
    if rule.code != "SAD302":
        return analyze(SourceFile(name, code), SETTINGS, [rule]).findings
    module = tmp_path / name
    module.write_text(code, encoding="utf-8")
    settings = SETTINGS.with_overrides(coverage=measure([module], tmp_path / ".coverage"))
    return analyze(SourceFile(str(module), code), settings, [rule]).findings


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_generated_rule_pages_are_current(rule):
    page = ROOT / docs_path(rule)
    assert page.read_text(encoding="utf-8") == rule_page(rule), "run: python -m sadpath.docgen"


def test_readme_rule_table_is_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == readme_with_table(readme), "run: python -m sadpath.docgen"
    for rule in RULES:
        assert f"[{rule.code}]({docs_path(rule)})" in readme


def test_readme_command_line_section_is_the_help():
    from sadpath.docgen import readme_with_cli_help

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == readme_with_cli_help(readme), "run: python -m sadpath.docgen"
    assert "$ sadpath check --help\nusage: sadpath check [-h]" in readme


def test_readme_before_and_after_is_what_the_fixes_write():
    """The section is generated from the fixes applied to ``sadpath.showcase.SAMPLE``: a fix that changes what it
    writes changes the README, so the README never shows a fix the tool no longer makes."""
    from sadpath.docgen import readme_with_before_after

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == readme_with_before_after(readme), "run: python -m sadpath.docgen"
    assert "```diff\n" in readme.split("<!-- before-after:start -->")[1]


def test_the_syntax_error_page_is_current():
    from sadpath.docgen import SYNTAX_ERROR_PAGE, SYNTAX_ERROR_TEXT

    assert (ROOT / SYNTAX_ERROR_PAGE).read_text(encoding="utf-8") == SYNTAX_ERROR_TEXT, "run: python -m sadpath.docgen"


def test_docgen_help_writes_nothing(tmp_path, capsys, monkeypatch):
    """``python -m sadpath.docgen --help`` prints its usage; it once took ``--help`` for the root and wrote a
    ``--help/docs`` tree into the current folder. A folder that is no checkout is refused."""
    import pytest

    from sadpath import docgen

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        docgen.main(["--help"])
    assert exit_info.value.code == 0
    assert "usage: python -m sadpath.docgen" in capsys.readouterr().out
    assert docgen.main([str(tmp_path)]) == 2
    assert list(tmp_path.iterdir()) == []
