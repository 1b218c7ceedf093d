"""Fix building works on the code around the finding: the pruned module, and the parse check of touched statements."""

from __future__ import annotations

import ast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import ROOT
from sadpath.fixes import FixRefused, apply_edits
from sadpath.fixes.scope import check_parses, pruned_tree
from sadpath.model import Edit, Span
from sadpath.source import SourceFile

EXAMPLE = ROOT / "tests" / "data" / "classy_service.py"
TEXT = EXAMPLE.read_text(encoding="utf-8")
PIECES = ["", "\n", "        raise\n", "    pass\n", "    def g(self):\n", "            y = 2\n", "        '''\n", "  z = 3\n", "        try:\n", "x = (\n", ")\n", "def f():\n", "    return 1\n", "class A:\n", "# note\n", "else:\n", "'''\n", "\\\n"]


def parses(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


@st.composite
def line_edits(draw):
    count = TEXT.count("\n")
    edits, taken = [], set()
    for _ in range(draw(st.integers(1, 3))):
        line = draw(st.integers(1, count + 1))
        length = draw(st.integers(0, 2))
        if any(n in taken for n in range(line, line + length + 1)):
            continue
        taken.update(range(line, line + length + 1))
        edits.append(Edit(Span(line, 0, line + length, 0), draw(st.sampled_from(PIECES))))
    return edits


@settings(max_examples=int(__import__("os").environ.get("SADPATH_HYPOTHESIS_EXAMPLES", "300")), deadline=None, suppress_health_check=list(HealthCheck))
@given(line_edits())
def test_parse_check_agrees_with_parsing_the_whole_file(edits):
    source = SourceFile(str(EXAMPLE), TEXT)
    expected = parses(apply_edits(TEXT, edits))
    try:
        check_parses(source, ast.parse(TEXT), edits)
        got = True
    except FixRefused:
        got = False
    assert got == expected


def test_an_edit_that_joins_the_next_line_is_checked_against_the_whole_file():
    text = "def f():\n    return 1\n\nx = 2\n"
    # replaces line 2 with text that has no line ending: it runs into line 3
    edit = Edit(Span(2, 0, 3, 0), "    return (1 +")
    try:
        check_parses(SourceFile("x.py", text), ast.parse(text), [edit])
    except FixRefused as exc:
        assert "would not parse" in str(exc)
    else:
        raise AssertionError("an unbalanced edit passed the parse check")


def test_pruned_tree_keeps_headers_and_the_statement_at_the_line():
    tree = ast.parse(TEXT)
    inventory = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "InventoryClient")
    pruned = pruned_tree(tree, inventory.body[-2].lineno)
    kept = {n.name: n for n in pruned.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    assert kept["InventoryClient"] is inventory  # whole: other methods type self.<attr>
    assert kept["Notifier"].body == [] and kept["main"].body == []
    assert [(n.lineno, n.end_lineno) for n in pruned.body] == [(n.lineno, n.end_lineno) for n in tree.body]
    assert next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Notifier").body  # the original is intact
