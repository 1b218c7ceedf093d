"""The text of one file: line index, position encodings and suppression comments.

All conversion between ``ast``'s UTF-8 byte columns, character columns and LSP's
UTF-16 code units happens here and nowhere else.
"""

from __future__ import annotations

import io
import itertools
import re
import tokenize
from dataclasses import dataclass, field
from functools import cached_property

_SUPPRESS_RE = re.compile(
    r"#\s*(?:sadpath:\s*ignore(?:\[(?P<sp>[A-Za-z0-9_,\s-]*)\])?|noqa(?::\s*(?P<nq>[A-Za-z0-9_,\s]+))?)",
    re.IGNORECASE,
)
ALL_CODES = "*"
_LINE_END = re.compile(r"\r\n|\r|\n")


def split_lines(text: str, keepends: bool = True) -> list[str]:
    """The lines of a text, broken only at ``\\r\\n``, ``\\r`` and ``\\n``, as Python's tokenizer and LSP count
    them (``str.splitlines`` also breaks at form feeds, ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028`` and ``\\u2029``).
    A final line without an ending is kept; an empty text has no lines."""
    lines: list[str] = []
    start = 0
    for match in _LINE_END.finditer(text):
        end = match.end() if keepends else match.start()
        lines.append(text[start:end])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


@dataclass
class SourceFile:
    path: str
    text: str
    _lines: list[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # keepends so that offsets add up; a final line without newline is kept too
        self._lines = split_lines(self.text)

    # ---- lines -------------------------------------------------------
    @property
    def line_count(self) -> int:
        return len(self._lines)

    def line(self, lineno: int) -> str:
        """The text of a 1-based line without its line ending ('' past the end)."""
        if 1 <= lineno <= len(self._lines):
            return self._lines[lineno - 1].rstrip("\r\n")
        return ""

    def line_with_ending(self, lineno: int) -> str:
        if 1 <= lineno <= len(self._lines):
            return self._lines[lineno - 1]
        return ""

    @cached_property
    def line_offsets(self) -> list[int]:
        """Character offset of the start of each line (index 0 is line 1)."""
        return [0, *itertools.accumulate(map(len, self._lines))]

    def lines_text(self, first: int, last: int) -> str:
        """The text of lines ``first`` to ``last`` (1-based, inclusive), line endings included."""
        offsets = self.line_offsets
        first = min(max(first, 1), len(offsets))
        last = min(max(last, first - 1), len(offsets) - 1)
        return self.text[offsets[first - 1] : offsets[last]]

    def offset(self, line: int, column: int) -> int:
        """Character offset in the text of a (1-based line, character column)."""
        offsets = self.line_offsets
        if line < 1:
            return 0
        if line > len(self._lines):
            return len(self.text)
        return min(offsets[line - 1] + column, offsets[line])

    # ---- column conversions -------------------------------------------
    def char_col_from_utf8(self, lineno: int, byte_col: int) -> int:
        text = self.line_with_ending(lineno)
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def utf16_from_char_col(self, lineno: int, char_col: int) -> int:
        text = self.line_with_ending(lineno)
        if text.isascii():
            return char_col
        prefix = text[:char_col]
        return len(prefix.encode("utf-16-le")) // 2

    def char_col_from_utf16(self, lineno: int, utf16_col: int) -> int:
        text = self.line_with_ending(lineno)
        if text.isascii():
            return min(utf16_col, len(text))
        units = 0
        for index, ch in enumerate(text):
            if units >= utf16_col:
                return index
            units += 2 if ord(ch) > 0xFFFF else 1
        return len(text)

    def utf8_from_char_col(self, lineno: int, char_col: int) -> int:
        text = self.line_with_ending(lineno)
        if text.isascii():
            return char_col
        return len(text[:char_col].encode("utf-8"))

    # ---- suppressions ---------------------------------------------------
    def suppressions_on(self, line: int) -> frozenset[str] | None:
        """Codes a real comment on ``line`` suppresses (``*`` for all), cached per line.

        Only lines that could hold a suppression are tokenized, and only on their own: a
        ``#`` inside a string is not a comment.
        """
        cache = self.__dict__.setdefault("_suppression_cache", {})
        if line in cache:
            return cache[line]
        text = self.line(line)
        codes = None
        if "#" in text and _SUPPRESS_RE.search(text):
            comment = _comment_of(text)
            if comment is not None:
                codes = parse_suppression(comment)
        cache[line] = codes
        return codes

    def is_suppressed(self, line: int, code: str, slug: str = "") -> bool:
        """True when a comment on ``line`` silences ``code`` (or the rule's slug)."""
        codes = self.suppressions_on(line)
        if not codes:
            return False
        return ALL_CODES in codes or code.upper() in codes or (bool(slug) and slug.upper() in codes)


def _comment_of(text: str) -> str | None:
    """The comment of one physical line, found by tokenizing it alone; a line that does not tokenize on its
    own (inside a multi-line string or bracket) falls back to the text after the last ``#`` that no quote follows."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text + "\n").readline):
            if token.type == tokenize.COMMENT:
                return token.string
        return None
    except (tokenize.TokenError, SyntaxError, IndentationError):
        index = text.rfind("#")
        tail = text[index:]
        return tail if "'" not in tail and '"' not in tail else None


def parse_suppression(comment: str) -> frozenset[str] | None:
    """Codes named by a ``# sadpath: ignore[...]`` or ``# noqa: ...`` comment.

    Returns None when the comment is not a suppression, ``{"*"}`` for a blanket one.
    A ``# noqa`` that names only other tools' codes (``# noqa: E501``) suppresses nothing of ours.
    """
    found: set[str] = set()
    matched = False
    for match in _SUPPRESS_RE.finditer(comment):
        matched = True
        names = match.group("sp") if match.group("sp") is not None else match.group("nq")
        if names is None:
            found.add(ALL_CODES)
            continue
        for part in re.split(r"[,\s]+", names):
            if part:
                found.add(part.upper())
    if not matched:
        return None
    return frozenset(found)
