"""Keep fix building proportional to the code being fixed, not to the file.

* ``pruned_tree``: the module as fix builders see it. Top-level functions and classes that do not hold the
  finding keep their headers (name, decorators, bases, positions) but lose their bodies, so the builders'
  searches (``ast.walk``) cover the module's own statements and the code around the finding only. In the
  class that holds the finding, the other methods become headers too, except those that set a
  ``self.<attr>`` (its type may be what the fix needs).
* ``check_parses``: a fix must leave the file parseable. Only the statements its edits touch are parsed again,
  with the edits applied: the statements around them are unchanged and complete, so when every touched run of
  statements parses on its own, the whole file does. Inside a class or function whose header the edits leave
  alone, the touched runs of its members are parsed alone, moved out to column 0 (the method, not its 2,000-line
  class); a run that cannot be moved out (a string's own unindented lines), or that is the whole body, is checked
  one level up. When a top-level run does not parse, the whole file is parsed to decide: a run may end in a
  backslash that continues into the next line.
"""

from __future__ import annotations

import ast
import copy

from sadpath.engine.reparse import first_line
from sadpath.fixes.region import FixRefused, apply_edits
from sadpath.model import Edit, Span
from sadpath.source import SourceFile

_HEADERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def pruned_tree(tree: ast.Module, line: int, source: SourceFile | None = None) -> ast.Module:
    body: list[ast.stmt] = []
    for stmt in tree.body:
        if isinstance(stmt, _HEADERS) and not _holds(stmt, line):
            body.append(_stub(stmt))
        elif isinstance(stmt, ast.ClassDef) and source is not None:
            body.append(_pruned_class(stmt, line, source))
        else:
            body.append(stmt)
    return ast.Module(body=body, type_ignores=tree.type_ignores)


def _holds(stmt: ast.stmt, line: int) -> bool:
    return first_line(stmt) <= line <= (stmt.end_lineno or stmt.lineno)


def _stub(stmt: ast.stmt) -> ast.stmt:
    stub = copy.copy(stmt)
    stub.body = []
    return stub


def _pruned_class(cls: ast.ClassDef, line: int, source: SourceFile) -> ast.ClassDef:
    """The class that holds the finding: its other methods become headers, except those that set a
    ``self.<attr>`` (the types of attributes come from them)."""
    from sadpath.engine.semantic import SELF_ASSIGNMENT

    members = []
    for member in cls.body:
        if (
            isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef))
            and not _holds(member, line)
            and not SELF_ASSIGNMENT.search(source.lines_text(member.lineno, member.end_lineno or member.lineno))
        ):
            members.append(_stub(member))
        else:
            members.append(member)
    pruned = copy.copy(cls)
    pruned.body = members
    return pruned


def check_parses(source: SourceFile, tree: ast.Module, edits: tuple[Edit, ...] | list[Edit]) -> None:
    """Raise FixRefused unless the text with ``edits`` applied parses."""
    for first, last, inside in _runs(tree.body, edits):
        if _member_parses(source, tree.body, first, last, inside):
            continue  # the edited members of one class or function parse: the statement around them does
        local = _local(first, inside)
        old = source.lines_text(first, last)
        try:
            new = apply_edits(old, local) if old else None
        except FixRefused:
            new = None
        at_end = last >= source.line_count
        if new is None or (not at_end and not new.endswith("\n")):
            _parse(apply_edits(source.text, list(edits)))  # joins the next line, or past the end: the whole file
            return
        if not _parses(new):
            # the run alone does not parse: it may continue into the next line (a trailing backslash);
            # the whole file decides, and names the line
            _parse(apply_edits(source.text, list(edits)))
            return


def _member_parses(source: SourceFile, body: list[ast.stmt], first: int, last: int, edits: list[Edit]) -> bool:
    """Whether the run ``first..last`` of ``body`` is one class or function whose edits all lie in its body, and
    the runs of its members those edits touch parse on their own, moved out to column 0. False means "not
    shown": the caller checks the whole run. A member run that parses there parses in place too: it is whole
    statements at the body's indentation, and the lines before and after it are unchanged."""
    whole = [stmt for stmt in body if first_line(stmt) == first and (stmt.end_lineno or stmt.lineno) == last]
    if len(whole) != 1 or not isinstance(whole[0], _HEADERS):
        return False
    members = whole[0].body
    if any(edit.span.line < first_line(members[0]) for edit in edits):
        return False  # the header, its decorators or a new line above the body: the whole statement
    for inner_first, inner_last, inside in _runs(members, edits):
        if inner_first <= first_line(members[0]) and inner_last >= (members[-1].end_lineno or members[-1].lineno):
            return False  # the whole body: it parses alone even when the edit leaves the block empty
        if _member_parses(source, members, inner_first, inner_last, inside):
            continue
        old = source.lines_text(inner_first, inner_last)
        margin = source.line(inner_first)[: len(source.line(inner_first)) - len(source.line(inner_first).lstrip())]
        try:
            new = apply_edits(old, _local(inner_first, inside))
        except FixRefused:
            return False
        moved = _outdented(new, margin)
        if not margin or moved is None or not moved.endswith("\n") or not _parses(moved):
            return False
    return True


def _outdented(text: str, margin: str) -> str | None:
    """``text`` with ``margin`` taken off every line; None when a line that is not blank does not start with it
    (a string's own lines, or code the edit moved out of the block)."""
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith(margin):
            lines.append(line[len(margin) :])
        elif not line.strip():
            lines.append(line.lstrip(" \t"))
        else:
            return None
    return "".join(lines)


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def _parse(text: str) -> None:
    try:
        ast.parse(text)
    except SyntaxError as exc:
        raise FixRefused(f"the fixed code would not parse: {exc.msg} at line {exc.lineno or 1}") from exc


def _runs(body: list[ast.stmt], edits) -> list[tuple[int, int, list[Edit]]]:
    """Runs of whole statements of ``body`` (old lines ``first..last``) with the edits (in file lines) each holds."""
    bounds = [(first_line(stmt), stmt.end_lineno or stmt.lineno) for stmt in body]
    spans: list[list] = []
    for edit in edits:
        span = edit.span
        first = span.line
        last = span.end_line - 1 if span.end_column == 0 and span.end_line > span.line else span.end_line
        # the statement before the edit too: indented lines after it (even after blank lines) continue it
        before = [b for b in bounds if b[0] <= first]
        if before:
            first, last = min(first, before[-1][0]), max(last, before[-1][1])
        for start, end in bounds:
            if start <= last and first <= end:
                first, last = min(first, start), max(last, end)
        spans.append([first, last, [edit]])
    spans.sort(key=lambda item: (item[0], item[1]))
    merged: list[list] = []
    for item in spans:
        if merged and item[0] <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], item[1])
            merged[-1][2].extend(item[2])
        else:
            merged.append(item)
    return [(first, last, inside) for first, last, inside in merged]


def _local(first: int, edits: list[Edit]) -> list[Edit]:
    """``edits`` in the coordinates of a run that starts at file line ``first``."""
    shift = first - 1
    return [Edit(Span(e.span.line - shift, e.span.column, e.span.end_line - shift, e.span.end_column), e.text) for e in edits]
