"""Incremental analysis equals a full analysis of the same text, for random edit sequences."""

from __future__ import annotations

import ast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import ROOT
from sadpath.config import Settings, resolve_settings
from sadpath.linter import lint
from sadpath.registry import enabled_rules
from sadpath.engine.incremental import IncrementalAnalyzer
from sadpath.source import SourceFile

EXAMPLE = ROOT / "examples" / "orders_service" / "payments.py"
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


def test_an_import_change_invalidates_the_module():
    text = EXAMPLE.read_text(encoding="utf-8")
    incremental = IncrementalAnalyzer()
    incremental.analyze(SourceFile(str(EXAMPLE), text), SETTINGS, RULES)
    incremental.analyze(SourceFile(str(EXAMPLE), text.replace("import requests\n", "import requests as rq\nimport requests\n", 1)), SETTINGS, RULES)
    assert incremental.reused == 0


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
