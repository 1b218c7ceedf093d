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
    # lines were added or removed: old lines from ``moved_from`` on (1-based) are now ``delta`` lines lower
    moved_from: int = 0
    delta: int = 0
    parsed_again: ast.stmt | None = None  # the top-level statement (or method) parsed again, if any
    blank_only: bool = False  # only blank lines were added, removed or changed: every other line is as it was
    # (first, last) old lines whose comments alone changed, in place (the same lines, the code before each ``#`` as
    # it was): the tree is the old one, every node and position as it was (``comment_edits`` of ``splice``)
    comment_lines: tuple[int, int] | None = None

    def new_line(self, line: int) -> int:
        """Where an old line outside the edited lines is now."""
        return line + self.delta if self.delta and line >= self.moved_from else line


class Positions:
    """The nodes with a position under each statement, collected once, so that moving a statement to other
    lines costs one pass over its nodes and no walk. Keyed by identity (the node is held: ids are not reused)."""

    def __init__(self) -> None:
        self._nodes: dict[int, tuple[ast.AST, list[ast.AST]]] = {}

    def of(self, node: ast.AST) -> list[ast.AST]:
        known = self._nodes.get(id(node))
        if known is not None and known[0] is node:
            return known[1]
        if isinstance(node, ast.ClassDef):  # its members keep their lists when the class is copied around one
            found = [node]
            for part in (*node.decorator_list, *node.bases, *node.keywords, *getattr(node, "type_params", ())):
                found.extend(n for n in ast.walk(part) if getattr(n, "lineno", None) is not None)
            for member in node.body:
                found.extend(self.of(member))
        else:
            found = [n for n in ast.walk(node) if getattr(n, "lineno", None) is not None]
        self._nodes[id(node)] = (node, found)
        return found

    def shift(self, nodes, delta: int) -> None:
        for stmt in nodes:
            for node in self.of(stmt):
                node.lineno += delta
                node.end_lineno += delta  # parsed nodes have both

    def keep_only(self, tree: ast.Module) -> None:
        """Forget the statements that are no longer in ``tree``."""
        alive: dict[int, tuple[ast.AST, list[ast.AST]]] = {}
        for stmt in tree.body:
            for node in (stmt, *(stmt.body if isinstance(stmt, ast.ClassDef) else ())):
                known = self._nodes.get(id(node))
                if known is not None and known[0] is node:
                    alive[id(node)] = known
        self._nodes = alive


def first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None)
    if not decorators:
        return stmt.lineno
    return min(stmt.lineno, min(d.lineno for d in decorators))


def splice(
    old_lines: list[str],
    old_tree: ast.Module,
    new_lines: list[str],
    new_text: str,
    feature_version: tuple[int, int] | None = None,
    positions: Positions | None = None,
    comment_edits: bool = True,
) -> Spliced | None:
    """The new tree from the old one with only the changed statement parsed again (with the grammar of
    ``feature_version`` when given, as the whole text would be); None when the whole text must be parsed.
    When the edit adds or removes lines (``positions`` given), the statements below it are moved IN PLACE: the
    nodes of ``old_tree`` change, so a tree given out before is only valid until the next splice.
    ``comment_edits``: an edit that changes only the text of comments, in place, keeps ``old_tree`` whole and
    says so (``Spliced.comment_lines``); without it such an edit is parsed again like any other."""
    if _odd_breaks(new_text) or old_tree.type_ignores:
        return None
    if old_lines == new_lines:
        return Spliced(old_tree, 0, blank_only=True)
    n_old, n_new = len(old_lines), len(new_lines)
    limit = min(n_old, n_new)
    head = 0
    while head < limit and old_lines[head] == new_lines[head]:
        head += 1
    tail = 0
    while tail < limit - head and old_lines[n_old - 1 - tail] == new_lines[n_new - 1 - tail]:
        tail += 1
    lo, hi, new_hi = head + 1, n_old - tail, n_new - tail  # 1-based, inclusive; hi < lo: lines only inserted
    delta = n_new - n_old
    if not delta and comment_edits and hi >= lo and _comment_text_only(old_tree, old_lines, new_lines, lo, hi, positions):
        return Spliced(old_tree, 0, comment_lines=(lo, hi))
    if delta and positions is None:
        return None
    comments = _only_comments(old_lines, lo, hi) and _only_comments(new_lines, lo, new_hi)
    index, stmt = _holder(old_tree.body, lo, hi, not comments)
    if stmt is None:
        if index is not None and comments:  # between statements: comments and blank lines do not change the tree
            spliced = _moved(old_tree.body, index, delta, hi + 1, positions)
            spliced.blank_only = _only_blank(old_lines, lo, hi) and _only_blank(new_lines, lo, new_hi)
            return spliced
        if index is not None and _only_comments(old_lines, lo, hi) and new_hi >= lo and not _futures(old_tree.body[index:]):
            added = _parse_added(new_lines, lo, new_hi, feature_version)  # commented lines uncommented, or code added
            if added is None:
                return None
            body = [*old_tree.body[:index], *added, *old_tree.body[index:]]
            return _moved(body, index + len(added), delta, hi + 1, positions, new_hi - lo + 1)
        return None
    if isinstance(stmt, ast.ClassDef):
        inner_index, method = _holder(stmt.body, lo, hi, not comments)
        if method is None and inner_index not in (None, 0) and comments:  # between two members of the class
            spliced = _moved(old_tree.body, index + 1, delta, hi + 1, positions, cls=(index, inner_index))
            spliced.blank_only = _only_blank(old_lines, lo, hi) and _only_blank(new_lines, lo, new_hi)
            return spliced
        if method is not None and isinstance(method, _DEFS):
            replaced = _parse_piece(method, new_lines, feature_version, delta)
            if replaced is None:
                return None
            parsed = method.end_lineno - first_line(method) + 1 + delta
            return _moved(old_tree.body, index + 1, delta, hi + 1, positions, parsed, (index, inner_index + 1), (inner_index, replaced))
    end = (stmt.end_lineno or stmt.lineno) + delta
    if _only_comments(new_lines, first_line(stmt), end) and _alone(old_tree.body, index) and not _futures(old_tree.body[index:]):
        body = [*old_tree.body[:index], *old_tree.body[index + 1 :]]  # the statement commented out
        return _moved(body, index, delta, hi + 1, positions, end - first_line(stmt) + 1) if body else None
    replaced = _parse_piece(stmt, new_lines, feature_version, delta)
    if replaced is None:
        return None
    body = list(old_tree.body)
    body[index] = replaced
    return _moved(body, index + 1, delta, hi + 1, positions, stmt.end_lineno - first_line(stmt) + 1 + delta, replaced=(None, replaced))


def _moved(body, below, delta, moved_from, positions, parsed=0, cls=None, replaced=None) -> Spliced:
    """The tree of ``body`` with its statements from index ``below`` on moved by ``delta`` lines; ``cls``:
    (index, member index) of a top-level class whose members from that index on move too (the class is copied);
    ``replaced``: (member index or None, node) of the node parsed again."""
    body = list(body)
    if delta:
        positions.shift(body[below:], delta)
    if cls is not None and (delta or replaced is not None):
        index, start = cls
        copied = copy.copy(body[index])
        copied.body = list(copied.body)
        if replaced is not None:
            copied.body[replaced[0]] = replaced[1]
        if delta:
            positions.shift(copied.body[start:], delta)
        last = copied.body[-1]
        copied.end_lineno, copied.end_col_offset = last.end_lineno, last.end_col_offset  # a class ends with its last member
        body[index] = copied
    tree = ast.Module(body=body, type_ignores=[])
    if delta:
        positions.keep_only(tree)
    return Spliced(tree, parsed, moved_from, delta, replaced[1] if replaced is not None else None)


def _holder(body: list[ast.stmt], lo: int, hi: int, glue: bool = True) -> tuple[int | None, ast.stmt | None]:
    """(index, statement) of the statement of ``body`` whose lines hold lines lo..hi; (index, None) when the
    lines lie wholly between two statements (index of the next one), (None, None) when they cross one.
    ``hi < lo``: lines inserted before line ``lo``; right after a statement they belong to it when ``glue``
    (an indented line there continues it), otherwise they lie between."""
    for index, stmt in enumerate(body):
        start, end = first_line(stmt), stmt.end_lineno or stmt.lineno
        if hi < start or (hi < lo and not glue and lo == end + 1):
            if hi < start:
                return index, None
            return index + 1, None
        if lo >= start and hi <= end:
            return index, stmt
        if lo <= end:
            return None, None
    return len(body), None


def _only_comments(lines: list[str], lo: int, hi: int) -> bool:
    for line in lines[lo - 1 : hi]:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return False
    return True


def _only_blank(lines: list[str], lo: int, hi: int) -> bool:
    return all(not line.strip() for line in lines[lo - 1 : hi])


def _parse_piece(old: ast.stmt, new_lines: list[str], feature_version: tuple[int, int] | None = None, delta: int = 0) -> ast.stmt | None:
    start, end = first_line(old), (old.end_lineno or old.lineno) + delta
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


def _future(stmt: ast.stmt) -> bool:
    """A ``from __future__`` import: where it stands, and whether it is there, can change how the rest parses."""
    return isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"


def _alone(body: list[ast.stmt], index: int) -> bool:
    """The statement shares no line with its neighbours (``a = 1; b = 2``)."""
    stmt = body[index]
    before = index == 0 or (body[index - 1].end_lineno or body[index - 1].lineno) < first_line(stmt)
    return before and (index + 1 == len(body) or (stmt.end_lineno or stmt.lineno) < first_line(body[index + 1]))


def _futures(statements: list[ast.stmt]) -> bool:
    return any(_future(stmt) for stmt in statements)


def _parse_added(new_lines: list[str], lo: int, hi: int, feature_version: tuple[int, int] | None = None) -> list[ast.stmt] | None:
    """The top-level statements that lines lo..hi (1-based, comments before the edit) now hold, parsed alone;
    None when they do not parse alone, hold none, or hold a ``from __future__`` import."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            text = "".join(new_lines[lo - 1 : hi])
            if feature_version is None:
                parsed = ast.parse(text, type_comments=False)
            else:
                parsed = ast.parse(text, type_comments=False, feature_version=feature_version)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return None
    if not parsed.body or parsed.type_ignores or any(_future(node) for node in parsed.body):
        return None
    for node in parsed.body:
        ast.increment_lineno(node, lo - 1)
    return parsed.body


_STRINGS = (ast.JoinedStr, ast.Constant)


def _comment_text_only(tree: ast.Module, old_lines: list[str], new_lines: list[str], lo: int, hi: int, positions: Positions | None) -> bool:
    """Whether old lines lo..hi and the new ones differ only after the first ``#`` of each old line, and that
    ``#`` starts a comment: no string literal of the old tree touches the line (a ``#`` can only be in a string or
    start a comment). The tokens before it, and so every node, are then the same; the comment runs to the end of
    the line either way. Not on lines 1-2 (a coding declaration) nor when a null character or a lone surrogate
    comes in (the text would not parse)."""
    if lo <= 2:
        return False
    changed = []
    for number in range(lo, hi + 1):
        old, new = old_lines[number - 1], new_lines[number - 1]
        if old == new:
            continue
        at = old.find("#")
        if at < 0 or old[: at + 1] != new[: at + 1] or "\x00" in new or old.endswith("\n") != new.endswith("\n"):
            return False
        if not new.isascii():
            try:
                new.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: the whole text would not parse
                return False
        changed.append(number)
    for stmt in tree.body:
        start, end = first_line(stmt), stmt.end_lineno or stmt.lineno
        if end < lo or start > hi:
            continue
        if _string_on(stmt, changed, positions):
            return False
    return True


def _string_on(stmt: ast.stmt, lines: list[int], positions: Positions | None) -> bool:
    """Whether a string literal in ``stmt`` has a character on one of ``lines`` (for a class, only its members
    over those lines are looked at, and its header)."""
    if isinstance(stmt, ast.ClassDef):
        header = [*stmt.decorator_list, *stmt.bases, *stmt.keywords, *getattr(stmt, "type_params", ())]
        if any(_string_on_node(n, lines) for part in header for n in ast.walk(part)):
            return True
        low, high = lines[0], lines[-1]
        return any(
            _string_on(member, lines, positions)
            for member in stmt.body
            if first_line(member) <= high and (member.end_lineno or member.lineno) >= low
        )
    nodes = positions.of(stmt) if positions is not None else ast.walk(stmt)
    return any(_string_on_node(n, lines) for n in nodes)


def _string_on_node(node: ast.AST, lines: list[int]) -> bool:
    if not isinstance(node, _STRINGS) or (isinstance(node, ast.Constant) and not isinstance(node.value, (str, bytes))):
        return False
    first, last = node.lineno, node.end_lineno or node.lineno
    return any(first <= line <= last for line in lines)
