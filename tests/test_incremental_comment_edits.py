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
    """Comment out a line (at its indentation or at column 0), uncomment a commented line, add a comment line, add
    a comment after a line's code, or reword the text after a line's first ``#`` (a comment's, or a string's): with
    an explanation a rule reads, a suppression, or a plain word."""
    return [
        (draw(st.sampled_from(["comment", "comment0", "uncomment", "add", "trail", "reword"])), draw(st.floats(0, 1)), draw(st.sampled_from(REWORDINGS)))
        for _ in range(draw(st.integers(1, 6)))
    ]


REWORDINGS = ["x", "", " benign: the row may exist already, ignored on purpose", " noqa: SAD101", " sadpath: ignore[SAD101]", " re-read under a lock"]


@settings(max_examples=int(os.environ.get("SADPATH_HYPOTHESIS_EXAMPLES", "60")), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from([EXAMPLE, CLASSY, CORE_LIKE]), comment_edits())
def test_incremental_equals_full_analysis_on_comment_edits(path, sequence):
    settings_ = resolve_settings(path)
    rules = enabled_rules(settings_)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    incremental = IncrementalAnalyzer()
    incremental.analyze(SourceFile(str(path), "".join(lines)), settings_, rules)
    for operation, where, words in sequence:
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
        elif operation == "trail" and line.strip() and "#" not in line:
            lines[index] = line.rstrip("\r\n") + "  # a note\n"
        elif operation == "reword":
            hashed = [i for i, text in enumerate(lines) if "#" in text]
            if not hashed:
                continue
            i = hashed[min(int(where * len(hashed)), len(hashed) - 1)]
            text = lines[i]
            lines[i] = text[: text.index("#") + 1] + words + ("\n" if text.endswith("\n") else "")
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


def _comment_fixture():
    return (
        "import requests\n\n\n"
        "def save(row):\n"
        "    try:\n"
        "        requests.post('https://example.com', json=row, timeout=5)\n"
        "    except Exception:  # a note\n"
        "        pass\n\n\n"
        "def other(x):\n"
        "    # a note about other\n"
        "    return x + 1  # trailing\n"
    )


def test_a_comment_no_rule_reads_is_edited_without_parsing_or_analysing():
    path = CLASSY
    settings_ = resolve_settings(path)
    rules = enabled_rules(settings_)
    text = _comment_fixture()
    incremental = IncrementalAnalyzer()
    incremental.analyze(SourceFile(str(path), text), settings_, rules)
    for edited in (text.replace("# a note about other", "# a note about other things"), text.replace("# trailing", "# trailing, reworded")):
        _check(incremental, path, edited, settings_, rules)
        # nothing parsed; at most the unit whose text a rule read (a prefilter over the function's lines) again
        assert incremental.lines_parsed == 0 and incremental.analyzed <= 1
        text = edited


def test_a_comment_a_rule_reads_is_analysed_again():
    """The handler's comment is read (a swallow explained in a comment is decided): its edit re-analyses, and a
    suppression comment's edit does too."""
    path = CLASSY
    settings_ = resolve_settings(path)
    rules = enabled_rules(settings_)
    text = _comment_fixture()
    incremental = IncrementalAnalyzer()
    incremental.analyze(SourceFile(str(path), text), settings_, rules)
    explained = text.replace("# a note\n", "# benign: the row may exist already, ignored on purpose\n")
    _check(incremental, path, explained, settings_, rules)
    assert incremental.analyzed >= 1
    suppressed = explained.replace("# trailing", "# noqa: SAD101")
    _check(incremental, path, suppressed, settings_, rules)
    assert incremental.lines_parsed > 0


def test_a_hash_inside_a_string_is_not_a_comment():
    path = CLASSY
    settings_ = resolve_settings(path)
    rules = enabled_rules(settings_)
    text = _comment_fixture().replace("    return x + 1  # trailing\n", "    return '#abc' + x\n")
    incremental = IncrementalAnalyzer()
    incremental.analyze(SourceFile(str(path), text), settings_, rules)
    _check(incremental, path, text.replace("'#abc'", "'#abd'"), settings_, rules)
    assert incremental.lines_parsed > 0
