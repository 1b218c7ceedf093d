"""Incremental analysis equals a full analysis of the same text, for random edit sequences."""

from __future__ import annotations

import ast
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import ROOT
from sadpath.config import Settings, resolve_settings
from sadpath.linter import lint
from sadpath.registry import enabled_rules
from sadpath.engine.incremental import IncrementalAnalyzer
from sadpath.source import SourceFile

EXAMPLE = ROOT / "examples" / "orders_service" / "payments.py"
CLASSY_PATH = ROOT / "tests" / "data" / "classy_service.py"
SETTINGS = resolve_settings(EXAMPLE)
RULES = enabled_rules(SETTINGS)
SNIPPETS = [
    "", "x", "é", "🎉", "\n", "    pass\n", "import redis\n", "from requests import get\n",
    "\ndef h():\n    try:\n        get('u')\n    except Exception:\n        pass\n",
    "        print(e)\n", "(", "'", "# sadpath: ignore[SAD101]", "    except:\n        return None\n",
    "\n@app.get('/x')\ndef r():\n    return requests.get('u', timeout=1)\n",
]


def key(findings):
    return [(f.code, f.span, f.message, f.fixes, f.data, f.related) for f in findings]


@st.composite
def edit_sequences(draw):
    return [
        (draw(st.floats(0, 1)), draw(st.floats(0, 0.1)), draw(st.sampled_from(SNIPPETS) | st.text(alphabet="ab:()\n 'é", max_size=5)))
        for _ in range(draw(st.integers(1, 6)))
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(edit_sequences())
def test_incremental_equals_full_analysis(sequence):
    text = EXAMPLE.read_text(encoding="utf-8")
    incremental = IncrementalAnalyzer()
    incremental.analyze(SourceFile(str(EXAMPLE), text), SETTINGS, RULES)
    for start_fraction, length_fraction, replacement in sequence:
        start = int(start_fraction * len(text))
        end = min(len(text), start + int(length_fraction * len(text)))
        text = text[:start] + replacement + text[end:]
        source = SourceFile(str(EXAMPLE), text)
        got = incremental.analyze(source, SETTINGS, RULES).findings
        assert key(got) == key(lint(SourceFile(str(EXAMPLE), text), SETTINGS).findings)


def test_an_edit_in_one_function_reanalyses_only_that_statement():
    text = EXAMPLE.read_text(encoding="utf-8")
    incremental = IncrementalAnalyzer()
    first = incremental.analyze(SourceFile(str(EXAMPLE), text), SETTINGS, RULES)
    assert incremental.reused == 0
    edited = text.replace("def minor_units(currency: str) -> int:", "def minor_units(currency: str) -> int:  # tweak")
    second = incremental.analyze(SourceFile(str(EXAMPLE), edited), SETTINGS, RULES)
    assert incremental.analyzed == 1 and incremental.reused > len(second.tree.body) - 1
    function = next(n for n in second.tree.body if isinstance(n, ast.FunctionDef) and n.name == "minor_units")
    assert incremental.lines_parsed == function.end_lineno - function.lineno + 1  # the function's lines, not the file's
    assert key(second.findings) == key(first.findings)
    # a line added at the top moves every cached finding down by one
    shifted = incremental.analyze(SourceFile(str(EXAMPLE), "\n" + edited), SETTINGS, RULES)
    assert [f.span.line for f in shifted.findings] == [f.span.line + 1 for f in first.findings]


def _unit_texts(tree, text):
    """The texts of the analyser's units: top-level statements, and a class's whole text (its shell) and methods."""
    lines = text.splitlines(keepends=True)

    def of(node):
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        return "".join(lines[start - 1 : node.end_lineno])

    texts = []
    for stmt in tree.body:
        methods = [m for m in stmt.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))] if isinstance(stmt, ast.ClassDef) else []
        texts.append(of(stmt))
        texts.extend(of(m) for m in methods)
    return texts


def test_an_import_change_reanalyses_only_the_units_that_name_it():
    text = EXAMPLE.read_text(encoding="utf-8")
    incremental = IncrementalAnalyzer()
    incremental.analyze(SourceFile(str(EXAMPLE), text), SETTINGS, RULES)
    edited = text.replace("import logging\n", "import logging.handlers\n", 1)
    got = incremental.analyze(SourceFile(str(EXAMPLE), edited), SETTINGS, RULES)
    naming = [t for t in _unit_texts(got.tree, edited) if re.search(r"\blogg(ing|er)\b", t)]  # logger = logging...
    assert 0 < incremental.analyzed == len(naming) < len(_unit_texts(got.tree, edited)) // 2
    assert key(got.findings) == key(lint(SourceFile(str(EXAMPLE), edited), SETTINGS).findings)
    # an import added above (every line below moves) re-analyses nothing but itself
    again = incremental.analyze(SourceFile(str(EXAMPLE), edited.replace("import requests\n", "import requests as rq\nimport requests\n", 1)), SETTINGS, RULES)
    assert incremental.analyzed == 1
    assert key(again.findings) == key(lint(SourceFile(str(EXAMPLE), edited.replace("import requests\n", "import requests as rq\nimport requests\n", 1)), SETTINGS).findings)


@pytest.mark.parametrize("path", [EXAMPLE, CLASSY_PATH])
@pytest.mark.parametrize("inserted", ["\n", "# a note\n", "\n\n\n"])
def test_lines_added_above_everything_move_findings_without_analysis(path, inserted):
    """Enter after the first import line: nothing is parsed or analysed again, every finding moves down."""
    settings_ = resolve_settings(path)
    rules = enabled_rules(settings_)
    text = path.read_text(encoding="utf-8")
    incremental = IncrementalAnalyzer()
    first = incremental.analyze(SourceFile(str(path), text), settings_, rules)
    assert first.findings
    lines = text.splitlines(keepends=True)
    at = next(n for n in first.tree.body if isinstance(n, (ast.Import, ast.ImportFrom))).end_lineno
    edited = "".join([*lines[:at], inserted, *lines[at:]])
    moved = incremental.analyze(SourceFile(str(path), edited), settings_, rules)
    assert (incremental.analyzed, incremental.lines_parsed) == (0, 0)
    assert incremental.reused > 0
    if inserted.strip() == "":  # blank lines only: the module-dependent rules (SAD201) are not run again either
        assert incremental.dependent_reused
    assert key(moved.findings) == key(lint(SourceFile(str(path), edited), settings_).findings)
    assert ast.dump(moved.tree, include_attributes=True) == ast.dump(ast.parse(edited), include_attributes=True)
    count = inserted.count("\n")
    assert [f.span.line for f in moved.findings] == [f.span.line + (count if f.span.line > at else 0) for f in first.findings]
    # and back: the newline deleted again
    back = incremental.analyze(SourceFile(str(path), text), settings_, rules)
    assert (incremental.analyzed, incremental.lines_parsed) == (0, 0)
    assert key(back.findings) == key(first.findings)


@st.composite
def module_level_edits(draw):
    """Edits to module-level code: imports renamed, added, removed or duplicated, assignments added."""
    return [
        (draw(st.sampled_from(["alias", "add", "delete", "duplicate", "assign", "enter"])), draw(st.floats(0, 1)))
        for _ in range(draw(st.integers(1, 6)))
    ]


@settings(max_examples=int(__import__("os").environ.get("SADPATH_HYPOTHESIS_EXAMPLES", "60")), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from([EXAMPLE, CLASSY_PATH]), module_level_edits())
def test_incremental_equals_full_analysis_on_module_level_edits(path, sequence):
    settings_ = resolve_settings(path)
    rules = enabled_rules(settings_)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    incremental = IncrementalAnalyzer()
    incremental.analyze(SourceFile(str(path), "".join(lines)), settings_, rules)
    for operation, where in sequence:
        top = [i for i, line in enumerate(lines) if line[:1].isalpha() and not line.startswith(("def ", "class ", "async "))]
        if not top:
            break
        index = top[min(int(where * len(top)), len(top) - 1)]
        line = lines[index]
        if operation == "alias" and line.startswith("import ") and " as " not in line:
            lines[index] = line.rstrip("\n") + " as renamed\n"
        elif operation == "add":
            lines.insert(index, "import httpx as requests\n" if where < 0.5 else "from requests import Session\n")
        elif operation == "delete":
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, line)
        elif operation == "assign":
            lines.insert(index, "logger = None\n" if where < 0.5 else "requests = None\n")
        elif operation == "enter":
            lines.insert(index + 1, "\n")
        text = "".join(lines)
        got = incremental.analyze(SourceFile(str(path), text), settings_, rules)
        assert key(got.findings) == key(lint(SourceFile(str(path), text), settings_).findings)


def test_syntax_errors_and_settings_changes():
    incremental = IncrementalAnalyzer()
    assert [f.code for f in incremental.analyze(SourceFile("x.py", "def f(:\n"), Settings(), enabled_rules(Settings())).findings] == ["SAD000"]
    text = "def f(api):\n    try:\n        api.call()\n    except Exception:\n        pass\n"
    assert [f.code for f in incremental.analyze(SourceFile("x.py", text), Settings(), enabled_rules(Settings())).findings] == ["SAD101"]
    assert incremental.analyze(SourceFile("x.py", text), Settings(ignore=("SAD101",)), enabled_rules(Settings(ignore=("SAD101",)))).findings == []


@st.composite
def line_edits(draw):
    """Whole-line edits that mostly keep the file valid: blank lines, comments, duplicated or deleted lines."""
    return [
        (draw(st.sampled_from(["blank", "comment", "duplicate", "delete", "suppress"])), draw(st.floats(0, 1)))
        for _ in range(draw(st.integers(1, 8)))
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(line_edits())
def test_incremental_equals_full_analysis_on_line_edits(sequence):
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    incremental = IncrementalAnalyzer()
    incremental.analyze(SourceFile(str(EXAMPLE), "".join(lines)), SETTINGS, RULES)
    for operation, where in sequence:
        index = min(int(where * len(lines)), len(lines) - 1)
        if operation == "blank":
            lines.insert(index, "\n")
        elif operation == "comment":
            lines.insert(index, "# note\n")
        elif operation == "duplicate":
            lines.insert(index, lines[index])
        elif operation == "delete" and len(lines) > 1:
            del lines[index]
        elif operation == "suppress":
            lines[index] = lines[index].rstrip("\n") + "  # noqa: SAD101\n"
        text = "".join(lines)
        got = incremental.analyze(SourceFile(str(EXAMPLE), text), SETTINGS, RULES).findings
        assert key(got) == key(lint(SourceFile(str(EXAMPLE), text), SETTINGS).findings)


CLASSY = ROOT / "tests" / "data" / "classy_service.py"
LINE_KEEPING = [
    "a", " ", "(", ")", ":", "'", "#", "@", "\t", "await ", "raise", "pass", "except Exception", "self.", "async ",
    "# sadpath: ignore[SAD101]", "timeout=None", ".json()", "requests", "import httpx", "    ",
]


@st.composite
def same_line_edits(draw):
    """Edits inside one line (the line count stays): the language server's common case, served by re-parsing
    only the method or statement that holds the line."""
    return [
        (draw(st.floats(0, 1)), draw(st.integers(0, 12)), draw(st.sampled_from(LINE_KEEPING) | st.text(alphabet="ab:() 'é#", max_size=4)))
        for _ in range(draw(st.integers(1, 8)))
    ]


@settings(max_examples=int(__import__("os").environ.get("SADPATH_HYPOTHESIS_EXAMPLES", "80")), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from([EXAMPLE, CLASSY]), same_line_edits())
def test_incremental_equals_full_analysis_on_same_line_edits(path, sequence):
    settings_ = resolve_settings(path)
    text = path.read_text(encoding="utf-8")
    incremental = IncrementalAnalyzer()
    incremental.analyze(SourceFile(str(path), text), settings_, enabled_rules(settings_))
    for where, length, replacement in sequence:
        start = int(where * len(text))
        line_end = text.find("\n", start)
        end = min(start + length, line_end if line_end >= 0 else len(text))
        text = text[:start] + replacement + text[end:]
        got = incremental.analyze(SourceFile(str(path), text), settings_, enabled_rules(settings_))
        expected = lint(SourceFile(str(path), text), settings_)
        assert key(got.findings) == key(expected.findings)
        if got.tree is not None:
            assert ast.dump(got.tree, include_attributes=True) == ast.dump(expected.tree, include_attributes=True)


def test_a_one_character_edit_in_a_method_reparses_only_that_method():
    text = CLASSY.read_text(encoding="utf-8")
    settings_ = resolve_settings(CLASSY)
    incremental = IncrementalAnalyzer()
    first = incremental.analyze(SourceFile(str(CLASSY), text), settings_, enabled_rules(settings_))
    cls = next(n for n in first.tree.body if isinstance(n, ast.ClassDef) and n.name == "InventoryClient")
    method = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "reserve")
    lines = text.splitlines(keepends=True)
    lines[method.body[-1].lineno - 1] = lines[method.body[-1].lineno - 1].replace("return", "return ", 1)
    second = incremental.analyze(SourceFile(str(CLASSY), "".join(lines)), settings_, enabled_rules(settings_))
    assert incremental.lines_parsed == method.end_lineno - method.lineno + 1
    assert incremental.analyzed == 1  # the method; the class shell (a copy holding the new method) comes from the cache
    new_cls = next(n for n in second.tree.body if isinstance(n, ast.ClassDef) and n.name == "InventoryClient")
    kept = [a is b for a, b in zip(cls.body, new_cls.body)]
    assert kept.count(False) == 1 and all(a is b for a, b in zip(first.tree.body, second.tree.body) if a is not cls)
    assert key(second.findings) == key(lint(SourceFile(str(CLASSY), "".join(lines)), settings_).findings)


def test_self_attribute_types_from_another_method_are_followed():
    """``self.session`` gets its type in ``__init__``; an edit there changes findings in another method."""
    text = CLASSY.read_text(encoding="utf-8")
    settings_ = resolve_settings(CLASSY)
    incremental = IncrementalAnalyzer()
    before = {(f.code, f.span.line) for f in incremental.analyze(SourceFile(str(CLASSY), text), settings_, enabled_rules(settings_)).findings}
    edited = text.replace("self.session = requests.Session()", "self.session = requests.Sessionx()")
    assert edited != text
    after = incremental.analyze(SourceFile(str(CLASSY), edited), settings_, enabled_rules(settings_))
    assert key(after.findings) == key(lint(SourceFile(str(CLASSY), edited), settings_).findings)
    assert before != {(f.code, f.span.line) for f in after.findings}
