"""Where a fix works: the smallest enclosing function (or top-level statement), parsed by libcst alone.

An indented function's text is parsed under a synthetic ``if True:`` header, so
libcst never sees more of the file than the function being fixed. Changes are
turned back into minimal line edits with difflib, in the coordinates of the file.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from sadpath.engine.reparse import first_line
from sadpath.model import Edit, Span
from sadpath.source import SourceFile, split_lines

WRAPPER = "if True:\n"


class FixRefused(Exception):
    """A fix cannot prove its change here; the message says why."""


@dataclass
class Region:
    source: SourceFile
    start_line: int  # first line of the region in the file (1-based)
    end_line: int  # last line, inclusive
    wrapped: bool
    module: cst.Module
    positions: dict

    @property
    def line_delta(self) -> int:
        """Add to a file line to get the line inside the parsed region text."""
        return -self.start_line + 1 + (1 if self.wrapped else 0)

    def node_at(
        self, node_type: type, line: int, column: int | None = None, end: tuple[int, int] | None = None
    ) -> cst.CSTNode:
        """The libcst node of a type whose start is at a file position (column in characters);
        with ``end``, the one that also ends there (``get(url)`` rather than ``get(url).json()``)."""
        target_line = line + self.line_delta
        best = None
        for node, pos in self.positions.items():
            if not isinstance(node, node_type):
                continue
            if pos.start.line != target_line:
                continue
            if column is not None and pos.start.column != column:
                continue
            if end is not None and (pos.end.line, pos.end.column) != (end[0] + self.line_delta, end[1]):
                continue
            if best is None or _size(pos) > _size(self.positions[best]):
                best = node
        if best is None:
            raise FixRefused(f"no {node_type.__name__} at line {line}")
        return best

    def contains(self, outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
        a, b = self.positions[outer], self.positions[inner]
        return (a.start.line, a.start.column) <= (b.start.line, b.start.column) and (
            b.end.line,
            b.end.column,
        ) <= (a.end.line, a.end.column)

    def edits_for(self, new_module: cst.Module) -> list[Edit]:
        new_text = new_module.code
        if self.wrapped:
            if not new_text.startswith(WRAPPER):
                raise FixRefused("the region's wrapper was changed")
            new_text = new_text[len(WRAPPER) :]
        old_lines = [self.source.line_with_ending(n) for n in range(self.start_line, self.end_line + 1)]
        return line_edits(old_lines, split_lines(new_text), self.start_line)


def _size(pos: CodeRange) -> tuple[int, int]:
    return (pos.end.line - pos.start.line, pos.end.column - pos.start.column)


def enclosing_region_node(tree: ast.Module, line: int) -> ast.AST:
    """The innermost function containing ``line``, else the top-level statement containing it."""
    best: ast.AST | None = None
    for stmt in tree.body:
        if first_line(stmt) <= line <= (stmt.end_lineno or stmt.lineno):
            best = stmt
            break
    if best is None:
        raise FixRefused(f"line {line} is not inside any statement")
    node = best
    while True:
        inner = None
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.stmt, ast.ExceptHandler, ast.match_case)) and first_line(child) <= line <= (
                getattr(child, "end_lineno", None) or child.lineno
            ):
                inner = child
                break
        if inner is None:
            break
        node = inner
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            best = node
    return best


def region_for(source: SourceFile, tree: ast.Module, line: int) -> Region:
    node = enclosing_region_node(tree, line)
    start, end = first_line(node), node.end_lineno or node.lineno
    text = "".join(source.line_with_ending(n) for n in range(start, end + 1))
    if text and not text.endswith("\n"):
        text += "\n"
    indented = node.col_offset > 0
    code = (WRAPPER + text) if indented else text
    try:
        module = cst.parse_module(code)
    except cst.ParserSyntaxError as exc:
        raise FixRefused(f"libcst cannot parse the statement at line {start}: {exc.message}") from exc
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = dict(wrapper.resolve(PositionProvider))
    return Region(source, start, end, indented, wrapper.module, positions)


def line_edits(old_lines: list[str], new_lines: list[str], first_line: int) -> list[Edit]:
    """Minimal whole-line edits turning ``old_lines`` (starting at file line ``first_line``) into ``new_lines``."""
    if old_lines and new_lines and not old_lines[-1].endswith("\n") and new_lines[-1].endswith("\n"):
        new_lines = [*new_lines[:-1], new_lines[-1].rstrip("\n")]
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    edits: list[Edit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = first_line + i1
        end = first_line + i2
        edits.append(Edit(Span(start, 0, end, 0), "".join(new_lines[j1:j2])))
    return edits


def apply_edits(text: str, edits: list[Edit] | tuple[Edit, ...]) -> str:
    """Apply non-overlapping edits (positions in characters) to a text."""
    source = SourceFile("<edit>", text)
    ordered = sorted(edits, key=lambda e: (e.span.line, e.span.column, e.span.end_line, e.span.end_column), reverse=True)
    result = text
    last_start = None
    for edit in ordered:
        start = source.offset(edit.span.line, edit.span.column)
        end = source.offset(edit.span.end_line, edit.span.end_column)
        if last_start is not None and end > last_start:
            raise FixRefused("overlapping edits")
        result = result[:start] + edit.text + result[end:]
        last_start = start
    return result
