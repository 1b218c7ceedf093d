"""Where a fix works: the smallest enclosing function (or top-level statement), parsed by libcst alone.

An indented function's text is parsed under a synthetic ``if True:`` header, so
libcst never sees more of the file than the function being fixed. Changes are
turned back into minimal line edits with difflib, in the coordinates of the file.

``region_for(..., narrow=True)`` parses less: only the statement of the function's body that holds the line (a
method's ``try``, not its 160 lines), under synthetic headers that give libcst the same layout (default indent
and newline) the whole function would. The region still stands for the function: ``start_line`` and
``end_line`` are the function's (where module additions go before), and ``edits_for`` diffs the function's
lines, so the edits are those the whole function would give. A node asked for outside the parsed statement is
refused (the caller then builds the fix on the whole function).
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
    # narrowed: the file lines parsed (inside start_line..end_line) and the synthetic header text above them
    text_start: int | None = None
    text_end: int | None = None
    header: str = WRAPPER

    @property
    def parsed_lines(self) -> tuple[int, int]:
        return (self.text_start or self.start_line, self.text_end or self.end_line)

    @property
    def line_delta(self) -> int:
        """Add to a file line to get the line inside the parsed region text."""
        return -self.parsed_lines[0] + 1 + (self.header.count("\n") if self.wrapped else 0)

    def node_at(
        self, node_type: type, line: int, column: int | None = None, end: tuple[int, int] | None = None
    ) -> cst.CSTNode:
        """The libcst node of a type whose start is at a file position (column in characters);
        with ``end``, the one that also ends there (``get(url)`` rather than ``get(url).json()``)."""
        if self.text_start is not None and not self.text_start <= line <= (self.text_end or line):
            raise FixRefused(f"line {line} is outside the parsed statement")
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
            if not new_text.startswith(self.header):
                raise FixRefused("the region's wrapper was changed")
            new_text = new_text[len(self.header) :]
        old_lines = [self.source.line_with_ending(n) for n in range(self.start_line, self.end_line + 1)]
        new_lines = split_lines(new_text)
        first, last = self.parsed_lines
        if (first, last) != (self.start_line, self.end_line):  # the function's lines, with the statement's new ones
            if new_lines and not new_lines[-1].endswith("\n") and old_lines[last - self.start_line].endswith("\n"):
                new_lines[-1] += "\n"  # the parsed text gained a newline the function's last line lacks only at the end
            new_lines = old_lines[: first - self.start_line] + new_lines + old_lines[last - self.start_line + 1 :]
        return line_edits(old_lines, new_lines, self.start_line)


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


def region_for(source: SourceFile, tree: ast.Module, line: int, narrow: bool = False) -> Region:
    node = enclosing_region_node(tree, line)
    start, end = first_line(node), node.end_lineno or node.lineno
    indented = node.col_offset > 0
    unit = body_statement_lines(source, node, line) if narrow else None
    if unit is not None:
        return _narrow_region(source, node, start, end, indented, *unit)
    text = "".join(source.line_with_ending(n) for n in range(start, end + 1))
    if text and not text.endswith("\n"):
        text += "\n"
    code = (WRAPPER + text) if indented else text
    module = _parsed(code, start)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = dict(wrapper.resolve(PositionProvider))
    return Region(source, start, end, indented, wrapper.module, positions)


def _parsed(code: str, start: int) -> cst.Module:
    try:
        return cst.parse_module(code)
    except cst.ParserSyntaxError as exc:
        raise FixRefused(f"libcst cannot parse the statement at line {start}: {exc.message}") from exc


def _margin(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]


def body_statement_lines(source: SourceFile, node: ast.AST, line: int) -> tuple[int, int, list[str]] | None:
    """The lines of the statements of function ``node``'s body that hold ``line``, from the line after the
    statement before them (their comments), when that is less than the function; None when it is not (a line
    of the header, the first statement, statements sharing a line, comments after a nested block). Inside a
    compound statement (not a ``try`` whose handler holds the line, nor a ``match``) the same again, one block
    down; the margins of the compound statements gone through come third."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or len(node.body) < 2 or node.body[0].lineno <= node.lineno:
        return None
    found = _statements_at(source, node.body, line)
    if found is None:
        return None
    margins: list[str] = []
    while True:
        inner = _block_down(source, found[2], line)
        if inner is None:
            break
        margins.append(_margin(source.line(first_line(found[2]))))
        found = inner
    first, end, _ = found
    if (first, end) == (first_line(node), node.end_lineno or node.lineno):
        return None
    return first, end, margins


def _statements_at(source: SourceFile, body: list[ast.stmt], line: int) -> tuple[int, int, ast.stmt | None] | None:
    """(first line, last line, the statement when it is one) of the statements of ``body`` that hold ``line``,
    with the comments above them; None when they are the first or share a line with the one before."""
    index = next((i for i, s in enumerate(body) if first_line(s) <= line <= (s.end_lineno or s.lineno)), None)
    if index is None or index == 0:
        return None
    last = index
    while last + 1 < len(body) and first_line(body[last + 1]) <= (body[last].end_lineno or body[last].lineno):
        last += 1
    previous = body[index - 1]
    previous_end = previous.end_lineno or previous.lineno
    if previous_end >= first_line(body[index]):
        return None
    first = previous_end + 1
    if getattr(previous, "body", None) and any(source.line(n).strip() for n in range(first, first_line(body[index]))):
        return None  # a comment after a block: libcst may give it to that block rather than to the statement
    return first, body[last].end_lineno or body[last].lineno, body[index] if last == index else None


_BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)


def _block_down(source: SourceFile, stmt: ast.stmt | None, line: int) -> tuple[int, int, ast.stmt | None] | None:
    """The statements holding ``line`` one block inside ``stmt``; None at a ``try`` whose handler holds it (the
    fix rewrites the ``try``), a header line, or a block's first statement."""
    if not isinstance(stmt, _BLOCKS) or (getattr(ast, "TryStar", None) and isinstance(stmt, getattr(ast, "TryStar"))):
        return None
    if isinstance(stmt, ast.Try) and any(h.lineno <= line <= (h.end_lineno or h.lineno) for h in stmt.handlers):
        return None
    for block in (stmt.body, getattr(stmt, "orelse", []), getattr(stmt, "finalbody", [])):
        if block and first_line(block[0]) <= line <= (block[-1].end_lineno or block[-1].lineno):
            if block[0].lineno <= stmt.lineno:
                return None
            return _statements_at(source, block, line)
    return None


def _narrow_region(
    source: SourceFile, node: ast.AST, start: int, end: int, indented: bool, first: int, last: int, margins: list[str]
) -> Region:
    """The region of function ``node`` with only lines ``first..last`` of its body parsed, laid out as the whole
    function's parse would be: the same default indent (the first indented line's margin) and newline."""
    function_margin = _margin(source.line(start))
    header = WRAPPER + (f"{function_margin}if True:\n" if indented else "") + "".join(f"{m}if True:\n" for m in margins)
    text = "".join(source.line_with_ending(n) for n in range(first, last + 1))
    if text and not text.endswith("\n"):
        text += "\n"
    module = _parsed(header + text, first)
    if indented:
        indent, newline = function_margin, "\n"
    else:
        indent = _margin(source.line(node.body[0].lineno))
        opening = source.line_with_ending(start)
        newline = "\r\n" if opening.endswith("\r\n") else "\r" if opening.endswith("\r") else "\n"
    if (module.default_indent, module.default_newline) != (indent, newline):
        module = module.with_changes(default_indent=indent, default_newline=newline)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = dict(wrapper.resolve(PositionProvider))
    return Region(source, start, end, True, wrapper.module, positions, first, last, header)


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
