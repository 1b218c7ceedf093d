"""Incremental analysis equals a full analysis of the same text, for random edit sequences."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import ROOT
from sadpath.config import Settings, resolve_settings
from sadpath.engine import analyze
from sadpath.engine.incremental import IncrementalAnalyzer
from sadpath.source import SourceFile

EXAMPLE = ROOT / "examples" / "orders_service" / "payments.py"
SETTINGS = resolve_settings(EXAMPLE)
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
    incremental.analyze(SourceFile(str(EXAMPLE), text), SETTINGS)
    for start_fraction, length_fraction, replacement in sequence:
        start = int(start_fraction * len(text))
        end = min(len(text), start + int(length_fraction * len(text)))
        text = text[:start] + replacement + text[end:]
        source = SourceFile(str(EXAMPLE), text)
        got = incremental.analyze(source, SETTINGS).findings
        assert key(got) == key(analyze(SourceFile(str(EXAMPLE), text), SETTINGS).findings)


def test_an_edit_in_one_function_reanalyses_only_that_statement():
    text = EXAMPLE.read_text(encoding="utf-8")
    incremental = IncrementalAnalyzer()
    first = incremental.analyze(SourceFile(str(EXAMPLE), text), SETTINGS)
    assert incremental.reused == 0
    edited = text.replace("def minor_units(currency: str) -> int:", "def minor_units(currency: str) -> int:  # tweak")
    second = incremental.analyze(SourceFile(str(EXAMPLE), edited), SETTINGS)
    assert incremental.analysed == 1 and incremental.reused == len(second.tree.body) - 1
    assert key(second.findings) == key(first.findings)
    # a line added at the top moves every cached finding down by one
    shifted = incremental.analyze(SourceFile(str(EXAMPLE), "\n" + edited), SETTINGS)
    assert [f.span.line for f in shifted.findings] == [f.span.line + 1 for f in first.findings]


def test_an_import_change_invalidates_the_module():
    text = EXAMPLE.read_text(encoding="utf-8")
    incremental = IncrementalAnalyzer()
    incremental.analyze(SourceFile(str(EXAMPLE), text), SETTINGS)
    incremental.analyze(SourceFile(str(EXAMPLE), text.replace("import requests\n", "import requests as rq\nimport requests\n", 1)), SETTINGS)
    assert incremental.reused == 0


def test_syntax_errors_and_settings_changes():
    incremental = IncrementalAnalyzer()
    assert [f.code for f in incremental.analyze(SourceFile("x.py", "def f(:\n"), Settings()).findings] == ["SAD000"]
    text = "def f(api):\n    try:\n        api.call()\n    except Exception:\n        pass\n"
    assert [f.code for f in incremental.analyze(SourceFile("x.py", text), Settings()).findings] == ["SAD101"]
    assert incremental.analyze(SourceFile("x.py", text), Settings(ignore=("SAD101",))).findings == []


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
    incremental.analyze(SourceFile(str(EXAMPLE), "".join(lines)), SETTINGS)
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
        got = incremental.analyze(SourceFile(str(EXAMPLE), text), SETTINGS).findings
        assert key(got) == key(analyze(SourceFile(str(EXAMPLE), text), SETTINGS).findings)
