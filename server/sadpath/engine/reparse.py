"""Re-parse only what an edit touched: the method or top-level statement that holds the changed lines.

Given the previous text (as lines) and its tree, and the new text with the same number of lines, the
changed lines are found by comparing lines; when they all fall inside one method of a top-level class, or
inside one top-level statement, only that node's text is parsed (at its own indentation, under an
``if 1:`` header) and put in place of the old node. Every other node of the new tree is the very object of
the old tree, so caches keyed by node identity stay valid. When the edit adds or removes lines, crosses
statements, or the piece does not parse into one statement at the same place, the answer is ``None`` and
the caller parses the whole text: the result always equals ``ast.parse`` of the new text.
"""

from __future__ import annotations

import ast
import copy
import re
import warnings
from dataclasses import dataclass

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
# characters str.splitlines() breaks on but the tokenizer does not: line numbers would disagree
_ODD_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_LONE_CR = re.compile("\r(?!\n)")


def _odd_breaks(text: str) -> bool:
    return any(ch in text for ch in _ODD_BREAKS) or ("\r" in text and _LONE_CR.search(text) is not None)


@dataclass
class Spliced:
    tree: ast.Module
    lines_parsed: int  # how many lines were parsed again (0: only comments or blank lines changed)


def first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None)
    if not decorators:
        return stmt.lineno
    return min(stmt.lineno, min(d.lineno for d in decorators))


def splice(
    old_lines: list[str], old_tree: ast.Module, new_lines: list[str], new_text: str, feature_version: tuple[int, int] | None = None
) -> Spliced | None:
    """The new tree from the old one with only the changed statement parsed again (with the grammar of
    ``feature_version`` when given, as the whole text would be); None when the whole text must be parsed."""
    if len(old_lines) != len(new_lines) or _odd_breaks(new_text):
        return None
    if old_lines == new_lines:
        return Spliced(old_tree, 0)
    count = len(new_lines)
    lo = next(i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b)
    hi = count - 1
    while hi > lo and old_lines[hi] == new_lines[hi]:
        hi -= 1
    lo, hi = lo + 1, hi + 1  # 1-based, inclusive
    index, stmt = _holder(old_tree.body, lo, hi)
    if stmt is None:
        if index is not None and _only_comments(old_lines, new_lines, lo, hi):
            return Spliced(old_tree, 0)  # between statements: comments and blank lines do not change the tree
        return None
    if isinstance(stmt, ast.ClassDef):
        inner_index, method = _holder(stmt.body, lo, hi)
        if method is None and inner_index not in (None, 0) and _only_comments(old_lines, new_lines, lo, hi):
            return Spliced(old_tree, 0)  # between two members of the class
        if method is not None and isinstance(method, _DEFS):
            replaced = _parse_piece(method, new_lines, feature_version)
            if replaced is None:
                return None
            cls = copy.copy(stmt)
            cls.body = list(stmt.body)
            cls.body[inner_index] = replaced
            cls.end_lineno, cls.end_col_offset = cls.body[-1].end_lineno, cls.body[-1].end_col_offset  # a class ends with its last member
            return Spliced(_with(old_tree, index, cls), method.end_lineno - first_line(method) + 1)
    replaced = _parse_piece(stmt, new_lines, feature_version)
    if replaced is None:
        return None
    return Spliced(_with(old_tree, index, replaced), stmt.end_lineno - first_line(stmt) + 1)


def _holder(body: list[ast.stmt], lo: int, hi: int) -> tuple[int | None, ast.stmt | None]:
    """(index, statement) of the statement of ``body`` whose lines hold lines lo..hi; (index, None) when the
    lines lie wholly between two statements (index of the next one), (None, None) when they cross one."""
    for index, stmt in enumerate(body):
        start, end = first_line(stmt), stmt.end_lineno or stmt.lineno
        if hi < start:
            return index, None
        if lo >= start and hi <= end:
            return index, stmt
        if lo <= end:
            return None, None
    return len(body), None


def _only_comments(old_lines: list[str], new_lines: list[str], lo: int, hi: int) -> bool:
    for lines in (old_lines, new_lines):
        for line in lines[lo - 1 : hi]:
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                return False
    return True


def _parse_piece(old: ast.stmt, new_lines: list[str], feature_version: tuple[int, int] | None = None) -> ast.stmt | None:
    start, end = first_line(old), old.end_lineno or old.lineno
    piece = "".join(new_lines[start - 1 : end])
    nested = old.col_offset > 0
    text = f"if 1:\n{piece}" if nested else piece
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if feature_version is None:
                parsed = ast.parse(text, type_comments=False)
            else:
                parsed = ast.parse(text, type_comments=False, feature_version=feature_version)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return None
    body = parsed.body
    if nested:
        if len(body) != 1 or not isinstance(body[0], ast.If) or body[0].orelse:
            return None
        body = body[0].body
    if len(body) != 1:
        return None
    node = body[0]
    ast.increment_lineno(node, start - 2 if nested else start - 1)
    if node.col_offset != old.col_offset or first_line(node) != start or isinstance(old, _DEFS) != isinstance(node, _DEFS):
        return None
    return node


def _with(tree: ast.Module, index: int, stmt: ast.stmt) -> ast.Module:
    body = list(tree.body)
    body[index] = stmt
    return ast.Module(body=body, type_ignores=tree.type_ignores)
