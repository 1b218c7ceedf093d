"""Incremental analysis under commenting out and uncommenting lines, and across units (a task fired in one method
judged by the coroutine another method defines): the result equals a full analysis of the same text, and the
spliced tree equals ``ast.parse``."""

from __future__ import annotations

import ast
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import ROOT
from sadpath.config import resolve_settings
from sadpath.engine.incremental import IncrementalAnalyzer
from sadpath.linter import lint
from sadpath.registry import enabled_rules
from sadpath.source import SourceFile

EXAMPLE = ROOT / "examples" / "orders_service" / "payments.py"
CLASSY = ROOT / "tests" / "data" / "classy_service.py"
CORE_LIKE = ROOT / "examples" / "orders_service" / "worker.py"


def key(findings):
    return [(f.code, f.span, f.message, f.fixes, f.data, f.related) for f in findings]


def _check(incremental, path, text, settings_, rules):
    got = incremental.analyze(SourceFile(str(path), text), settings_, rules)
    assert key(got.findings) == key(lint(SourceFile(str(path), text), settings_).findings)
    if incremental._tree is not None:  # the tree the next edit is spliced into
        try:
            expected = ast.dump(ast.parse(text), include_attributes=True)
        except SyntaxError:
            return
        assert ast.dump(incremental._tree, include_attributes=True) == expected


@st.composite
def comment_edits(draw):
    """Comment out a line (at its indentation or at column 0), uncomment a commented line, or add a comment line."""
    return [
        (draw(st.sampled_from(["comment", "comment0", "uncomment", "add"])), draw(st.floats(0, 1)))
        for _ in range(draw(st.integers(1, 6)))
    ]


@settings(max_examples=int(os.environ.get("SADPATH_HYPOTHESIS_EXAMPLES", "60")), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from([EXAMPLE, CLASSY, CORE_LIKE]), comment_edits())
def test_incremental_equals_full_analysis_on_comment_edits(path, sequence):
    settings_ = resolve_settings(path)
    rules = enabled_rules(settings_)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    incremental = IncrementalAnalyzer()
    incremental.analyze(SourceFile(str(path), "".join(lines)), settings_, rules)
    for operation, where in sequence:
        index = min(int(where * len(lines)), len(lines) - 1)
        line = lines[index]
        indent = line[: len(line) - len(line.lstrip())]
        if operation == "comment" and line.strip():
            lines[index] = indent + "# " + line.lstrip()
        elif operation == "comment0" and line.strip():
            lines[index] = "# " + line
        elif operation == "uncomment":
            commented = [i for i, text in enumerate(lines) if text.lstrip().startswith("# ")]
            if not commented:
                continue
            i = commented[min(int(where * len(commented)), len(commented) - 1)]
            lines[i] = lines[i].replace("# ", "", 1)
        elif operation == "add":
            lines.insert(index, indent + "# a note\n")
        _check(incremental, path, "".join(lines), settings_, rules)


def test_a_coroutine_edited_in_one_method_reaches_the_task_fired_in_another():
    """``broadcast()`` fires ``self.send()``: its SAD207 message depends on what ``send`` does with its failures, so
    an edit inside ``send`` must re-judge ``broadcast``."""
    settings_ = resolve_settings(CLASSY)
    rules = enabled_rules(settings_)
    text = CLASSY.read_text(encoding="utf-8")
    assert "        await asyncio.sleep(0)\n        log.info(\"sent %s\", message)\n" in text
    incremental = IncrementalAnalyzer()
    incremental.analyze(SourceFile(str(CLASSY), text), settings_, rules)
    edited = text.replace("        await asyncio.sleep(0)\n        log.info(\"sent %s\", message)\n", "        awaiayncio.sleep(0)\n        log.info(\"sent %s\", message)\n", 1)
    _check(incremental, CLASSY, edited, settings_, rules)
    _check(incremental, CLASSY, text, settings_, rules)
