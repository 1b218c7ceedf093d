"""The benchmarks' own logic, without servers or corpora: bench/lsp_latency.py's edit script (the changes it sends
keep the document what the script believes it is, including below an inserted newline) and bench/check_corpus.py's
services-corpus RSS row and its options."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"sadpath_bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


lsp_latency = load("lsp_latency")
check_corpus = load("check_corpus")

SOURCE = '''\
from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def small(path):
    return os.path.exists(path)


class Big:
    def one(self, value):
        log.info("one %s", value)
        return value

    def two(self, value):
        return os.fspath(value)

    def three(self, value):
        return logging.getLevelName(value)
'''


def apply_change(text: str, change) -> str:
    """What an LSP server does with an incremental change (the positions are ASCII here, so UTF-16 == code points)."""
    lines = text.splitlines(keepends=True) + [""]

    def offset(position) -> int:
        return sum(len(line) for line in lines[: position.line]) + position.character

    return text[: offset(change.range.start)] + change.text + text[offset(change.range.end) :]


def test_edit_points_include_enter_after_the_first_import_each_on_its_own_line():
    points = lsp_latency.edit_points(SOURCE)
    by_label = {p.label: p for p in points}
    assert set(by_label) == set(lsp_latency.PLACES)
    enter = by_label["enter after imports"]
    assert (enter.line, enter.column, enter.char) == (0, len("from __future__ import annotations"), "\n")
    assert len({p.line for p in points}) == len(points)


def test_the_changes_sent_reproduce_the_script_states_below_an_inserted_newline():
    points = lsp_latency.edit_points(SOURCE)
    script = lsp_latency.edit_script(SOURCE, points, 4 * len(points))
    assert any(shift for _, _, shift in script)  # some edits are sent one line lower, under the typed Enter
    document = SOURCE
    lines = SOURCE.splitlines(keepends=True)
    for point, typed, shift in script:
        document = apply_change(document, lsp_latency.change_of(point, typed, shift))
        lsp_latency.apply(lines, point, typed)
        assert document == "".join(lines), point.what
    assert document == SOURCE  # every point typed and deleted an even number of times


def test_the_enter_point_falls_back_when_the_first_import_line_is_taken():
    tree = __import__("ast").parse(SOURCE)
    point = lsp_latency._enter_point(tree, SOURCE.splitlines(keepends=True), {0})
    assert point is not None and point.line == 2


def test_the_rss_row_is_its_own_row_with_the_target():
    row = {"measure": "sadpath peak RSS, --jobs 1, services corpus", "failed": None, "runs": 1, "wall_s": 10.0,
           "lines_per_s": 1000.0, "peak_rss_mib": 354.0, "corpus": "/x/services",
           "notes": ["target ≤ 200 MiB (issue 17): NOT MET: over by 154 MiB"]}
    floor = {"measure": "floor: ast.parse, one process", "failed": None, "runs": 1, "wall_s": 1.0,
             "lines_per_s": 5000.0, "peak_rss_mib": 50.0, "notes": []}
    info = {"cpu": "c", "cores": 2, "python": "3", "sadpath": "s", "date": "d", "load_before": 1.0, "load_after": 1.0}
    text = check_corpus.report(info, {"path": "/x/libs", "files": 1, "lines": 1}, [floor, row], [], [])
    line = next(x for x in text.splitlines() if x.startswith("| sadpath peak RSS"))
    assert "| 354 | n/a |" in line and "200 MiB" in line and "NOT MET" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--rss-only"], "--rss-only needs --rss-corpus DIR"), (["--rss-corpus", "/nonexistent/dir"], "not a directory")],
)
def test_rss_options_refuse_bad_input_in_one_line(args, message):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "check_corpus.py"), *args], capture_output=True, text=True)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
