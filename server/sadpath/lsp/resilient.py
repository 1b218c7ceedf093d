"""Findings that survive a syntax error typed while editing.

A half-typed line (``x = (``) makes the whole file unparseable, and the linter then reports one SAD000 and
nothing else. In the editor that would make every squiggle of the file flash off and on while typing. Here a
syntax error affects only the *unit* that holds it (a top-level statement, a method of a top-level class, or a
class-level statement; a class's header is the whole class), the units the incremental analyzer knows:

1. The edit is found by comparing the text with the last text that parsed (its common first and last lines).
2. Every unit of the last good tree that the edit touched, and the edited lines themselves, are blanked in the
   new text (empty lines, or ``pass`` where a class body would be left empty), so that line numbers stay.
3. When that text parses, it is analysed: the findings of every other unit are fresh, at their new positions.
   When it does not (the error reaches beyond the edit), the last good findings outside the edited region are
   kept, those after it moved by the number of lines the edit added or removed, as ruff's error-resilient
   parser does.
4. One SAD000 sits at the error, and nothing is reported inside the blanked lines.

The CLI never does this: ``sadpath check`` on a file that does not parse reports the SAD000 alone.
"""

from __future__ import annotations

import ast
import dataclasses
import warnings
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Callable

from sadpath.engine import Analysis
from sadpath.engine.reparse import first_line
from sadpath.model import Finding, Span
from sadpath.source import SourceFile, split_lines

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass
class Good:
    """The last analysis of the document that parsed: its lines (with their endings) and its analysis, and its
    units and classes, taken now: the incremental analyzer moves the nodes of its tree in place on later edits."""

    lines: list[str]
    analysis: Analysis
    units: list = field(init=False)
    classes: dict = field(init=False)  # first line of a top-level class -> the whole class as a unit

    def __post_init__(self) -> None:
        tree = self.analysis.tree
        self.units = units_of(tree) if tree is not None else []
        self.classes = {
            first_line(stmt): Unit(first_line(stmt), stmt.end_lineno or stmt.lineno, stmt.col_offset, False)
            for stmt in (tree.body if tree is not None else ())
            if isinstance(stmt, ast.ClassDef)
        }


@dataclass(frozen=True)
class Unit:
    first: int  # 1-based, decorators included
    last: int
    indent: int  # the column of the statement (a method's: inside its class)
    in_class: bool


@dataclass(frozen=True)
class Recovered:
    """What the editor shows for a text that does not parse: ``findings`` (SAD000 included) and, when the text
    with the broken units blanked parses, its analysis (for the hover: its tree matches every other line)."""

    findings: list[Finding]
    partial: Analysis | None
    blanked: list  # the stretches (first, last, indent) of the new text whose findings are gone


def good_of(text: str, analysis: Analysis) -> Good | None:
    """The state to remember after an analysis: only one whose text parsed."""
    if analysis.tree is None:
        return None
    lines = analysis.source._lines if analysis.source.text == text else split_lines(text)
    return Good(lines, analysis)


def units_of(tree: ast.Module) -> list[Unit]:
    """The units of a tree, in order: top-level statements, and for a top-level class its header (the whole
    class) and each member."""
    units: list[Unit] = []
    for stmt in tree.body:
        first, last = first_line(stmt), stmt.end_lineno or stmt.lineno
        if not isinstance(stmt, ast.ClassDef) or not stmt.body:
            units.append(Unit(first, last, stmt.col_offset, False))
            continue
        body_start = first_line(stmt.body[0])
        if body_start <= stmt.lineno:  # ``class A: pass`` on one line
            units.append(Unit(first, last, stmt.col_offset, False))
            continue
        units.append(Unit(first, body_start - 1, stmt.col_offset, False))  # the header stands for the class
        for member in stmt.body:
            units.append(Unit(first_line(member), member.end_lineno or member.lineno, member.col_offset, True))
    return units


def edits(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """The line opcodes from ``old`` to ``new`` (``difflib``'s: tag, i1, i2, j1, j2; 0-based, half-open), the
    common first and last lines stripped before matching so that a large file costs little."""
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    middle = SequenceMatcher(None, old[head : len(old) - tail], new[head : len(new) - tail], autojunk=False)
    codes = [("equal", 0, head, 0, head)] if head else []
    for tag, i1, i2, j1, j2 in middle.get_opcodes():
        codes.append((tag, i1 + head, i2 + head, j1 + head, j2 + head))
    if tail:
        codes.append(("equal", len(old) - tail, len(old), len(new) - tail, len(new)))
    return codes


def line_map(codes) -> Callable[[int], int | None]:
    """Old 1-based line -> new 1-based line, for the lines the edit left alone (None for the others)."""
    equal = [(i1, i2, j1) for tag, i1, i2, j1, _j2 in codes if tag == "equal"]

    def mapped(line: int) -> int | None:
        for i1, i2, j1 in equal:
            if i1 < line <= i2:
                return line - i1 + j1
        return None

    return mapped


def _touched(unit: Unit, a: int, b: int) -> bool:
    if b < a:  # an insertion before old line a: inside the unit when after its first line
        return unit.first < a <= unit.last
    return unit.first <= b and unit.last >= a


def _whole(unit: Unit, classes: dict) -> Unit:
    """A class header stands for its whole class."""
    whole = classes.get(unit.first) if not unit.in_class else None
    return Unit(unit.first, whole.last, unit.indent, False) if whole is not None else unit


def blank_ranges(good: Good, new: list[str]) -> list[tuple[int, int, int | None]]:
    """The lines of the new text to blank, as (first, last, indent) 1-based and inclusive: each edited stretch,
    widened to every unit it touched, whole. ``indent``: the column of the class members a stretch lies among
    (where ``pass`` keeps a class body from being empty), None at the top level. Empty when nothing differs."""
    codes = edits(good.lines, new)
    mapped = line_map(codes)
    units = good.units
    ranges: list[list] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal":
            continue
        a, b, start, end = i1 + 1, i2, j1 + 1, j2
        indents: list[int] = []
        for unit in units:
            if not _touched(unit, a, b):
                continue
            unit = _whole(unit, good.classes)
            first, last = mapped(unit.first), mapped(unit.last)
            start = min(start, first if first is not None else start)
            end = max(end, last if last is not None else end)
            if unit.in_class:
                indents.append(unit.indent)
        if end < start:  # lines removed between units: nothing is left to blank
            continue
        ranges.append([max(start, 1), min(end, len(new)), min(indents) if indents else None])
    ranges.sort()
    merged: list[list] = []
    for item in ranges:
        if merged and item[0] <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], item[1])
            if merged[-1][2] is None or item[2] is None:
                merged[-1][2] = merged[-1][2] if item[2] is None else item[2]
            continue
        merged.append(item)
    return [tuple(item) for item in merged]


def blanked_text(new: list[str], ranges, with_pass: bool) -> str:
    """The new text with the lines of ``ranges`` empty (their line endings kept); ``with_pass``: ``pass`` at the
    members' column on the first line of a stretch among class members (a class body must not be left empty)."""
    lines = list(new)
    for start, end, indent in ranges:
        for index in range(start - 1, end):
            line = lines[index]
            lines[index] = line[len(line.rstrip("\r\n")) :]
        if with_pass and indent is not None:
            lines[start - 1] = " " * indent + "pass" + (lines[start - 1] or "\n")
    return "".join(lines)


def _parses(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(text, type_comments=False)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return False
    return True


def _inside(finding: Finding, ranges) -> bool:
    return any(finding.span.line <= end and finding.span.end_line >= start for start, end, *_ in ranges)


def _moved(finding: Finding, delta: int) -> Finding:
    if delta == 0:
        return finding
    span = finding.span
    data = finding.data
    if any(k.endswith("_line") for k in data):  # line numbers in a finding's data move with it
        data = {k: v + delta if k.endswith("_line") and isinstance(v, int) else v for k, v in data.items()}
    return dataclasses.replace(finding, span=Span(span.line + delta, span.column, span.end_line + delta, span.end_column), data=data)


def recover(good: Good | None, source: SourceFile, syntax_error: Finding, analyze_text, keep_old: bool = True) -> Recovered | None:
    """The findings to show for ``source`` (which does not parse; ``syntax_error`` is its SAD000), from the last
    good analysis. ``analyze_text(text)`` analyses a text that parses (the same settings and rules). ``keep_old``:
    the last good findings may be kept (they were found with today's settings). None when there is nothing to
    keep (no good analysis, or the edit left nothing outside it)."""
    if good is None:
        return None
    new = split_lines(source.text)
    ranges = blank_ranges(good, new)
    if not ranges or (ranges[0][0] <= 1 and ranges[0][1] >= len(new)):
        return None  # nothing differs, or the edit spans the whole file: nothing of it stands apart
    line = syntax_error.span.line
    hidden = [*ranges, (line, line)]
    for with_pass in (True, False):
        text = blanked_text(new, ranges, with_pass)
        if not _parses(text):
            continue
        partial = analyze_text(text)
        if partial.tree is not None:
            kept = [f for f in partial.findings if not _inside(f, hidden)]
            return Recovered(sorted([*kept, syntax_error], key=Finding.sort_key), partial, ranges)
    if not keep_old:
        return None
    # the rest does not parse either: the last good findings the edit left alone, where the edit moved them
    mapped = line_map(edits(good.lines, new))
    kept = []
    for finding in good.analysis.findings:
        first, last = mapped(finding.span.line), mapped(finding.span.end_line)
        if first is None or last is None or last - first != finding.span.end_line - finding.span.line:
            continue
        moved = _moved(finding, first - finding.span.line)
        if not _inside(moved, hidden):
            kept.append(moved)
    return Recovered(sorted([*kept, syntax_error], key=Finding.sort_key), None, ranges)
