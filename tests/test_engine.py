"""The engine's guarantees: one walk, crash isolation, syntax errors, positions, suppressions."""

from __future__ import annotations

import ast
import logging

import pytest

from sadpath.engine import analyze
from sadpath.settings import Settings
from sadpath.linter import lint
from sadpath.model import Span
from sadpath.registry import BY_CODE
from sadpath.rules.base import Rule
from sadpath.source import SourceFile, parse_suppression

SWALLOW = "def f(api):\n    try:\n        api.call()\n    except Exception:\n        pass\n"


class Exploding(Rule):
    code = "SAD999"
    slug = "exploding"
    summary = "Always crashes."

    def visit_ExceptHandler(self, node, ctx):
        ctx.report(self, ctx.span(node), "partial finding that must be dropped")
        raise RuntimeError("boom")


class Counting(Rule):
    code = "SAD998"
    slug = "counting"
    summary = "Counts visits."
    visits: list

    def visit_Name(self, node, ctx):
        Counting.visits.append(node)


def test_a_crashing_rule_loses_only_its_own_findings(caplog):
    source = SourceFile("svc/app.py", SWALLOW)
    with caplog.at_level(logging.ERROR, logger="sadpath.engine"):
        analysis = analyze(source, Settings(), [Exploding, BY_CODE["SAD101"]])
    assert [f.code for f in analysis.findings] == ["SAD101"]
    (failure,) = analysis.rule_failures
    assert failure.code == "SAD999" and failure.path == "svc/app.py" and "boom" in failure.error
    assert "rule SAD999 crashed on svc/app.py" in caplog.text


def test_every_node_is_visited_once():
    code = "import a\n\ndef f(x):\n    return [y for y in x if y] + a.b(x)\n"
    Counting.visits = []
    analyze(SourceFile("m.py", code), Settings(), [Counting])
    names = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)]
    assert len(Counting.visits) == len(names)


def test_deeply_nested_expression_does_not_overflow():
    code = "x = " + " + ".join(["1"] * 5000) + "\n"
    analysis = lint(SourceFile("deep.py", code))
    assert analysis.findings == [] or analysis.findings[0].code == "SAD000"


@pytest.mark.parametrize(
    ("code", "line", "column"),
    [
        ("def f(:\n    pass\n", 1, 6),
        ("x = 1\nif x\n    pass\n", 2, 3),
        ("s = 'café'; y = (\n", 1, 16),
    ],
)
def test_syntax_error_is_one_finding_at_the_error(code, line, column):
    analysis = lint(SourceFile("broken.py", code))
    (finding,) = analysis.findings
    assert finding.code == "SAD000" and finding.slug == "syntax-error"
    assert (finding.span.line, finding.span.column) == (line, column)
    assert finding.span.end_column > finding.span.column or finding.span.end_line > finding.span.line


def test_null_bytes_are_reported_not_raised():
    analysis = lint(SourceFile("nul.py", "x = 1\x00\n"))
    assert [f.code for f in analysis.findings] == ["SAD000"]


def test_positions_after_non_ascii_text():
    code = "def f(t):\n    try:\n        return t['日本']\n    except KeyError:\n        s = 'é🎉'; raise ValueError(s)\n"
    source = SourceFile("u.py", code)
    (finding,) = analyze(source, Settings(), [BY_CODE["SAD103"]]).findings
    line = code.splitlines()[4]
    assert finding.span == Span(5, line.index("raise"), 5, len(line))
    # 'é' is one UTF-16 unit, '🎉' two: the UTF-16 column is one more than the character column
    assert source.utf16_from_char_col(5, finding.span.column) == finding.span.column + 1
    assert source.char_col_from_utf16(5, finding.span.column + 1) == finding.span.column
    assert source.utf8_from_char_col(5, finding.span.column) == len(line[: line.index("raise")].encode())


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("# sadpath: ignore[SAD101]", {"SAD101"}),
        ("# sadpath: ignore[SAD101, sad104]", {"SAD101", "SAD104"}),
        ("# sadpath: ignore", {"*"}),
        ("# noqa: SAD101,E501", {"SAD101", "E501"}),
        ("# noqa", {"*"}),
        ("# NOQA:SAD103", {"SAD103"}),
        ("# a plain comment", None),
    ],
)
def test_suppression_comments(comment, expected):
    parsed = parse_suppression(comment)
    assert (set(parsed) if parsed is not None else None) == expected


def test_suppression_inside_a_string_is_not_a_comment():
    code = SWALLOW.replace("except Exception:", "except Exception:  # noqa: E722").replace(
        "api.call()", "api.call('# sadpath: ignore[SAD101]')"
    )
    analysis = analyze(SourceFile("s.py", code), Settings(), [BY_CODE["SAD101"]])
    assert [f.code for f in analysis.findings] == ["SAD101"]
