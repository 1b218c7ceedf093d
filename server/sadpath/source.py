"""The text of one file: line index, position encodings and suppression comments.

All conversion between ``ast``'s UTF-8 byte columns, character columns and LSP's
UTF-16 code units happens here and nowhere else.
"""

from __future__ import annotations

import bisect
import io
import itertools
import re
import tokenize
from dataclasses import dataclass, field
from functools import cached_property

# One suppression directive inside a comment. ``ignore-file`` is tried before ``ignore``; ``# noqa: ...`` takes only
# names shaped like codes (``E501``, ``SAD101``), so the words of an explanation after it are not codes.
_SUPPRESS_RE = re.compile(
    r"#\s*(?:"
    r"sadpath:\s*ignore-file(?![\w-])(?:\[(?P<fl>[^\]\n]*)\])?"
    r"|sadpath:\s*ignore(?![\w-])(?:\[(?P<sp>[^\]\n]*)\])?"
    r"|noqa(?![\w-])(?::\s*(?P<nq>[A-Za-z]+[0-9][A-Za-z0-9]*(?:[,\s]+[A-Za-z]+[0-9][A-Za-z0-9]*)*))?"
    r")",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(r"[,\s]+")
ALL_CODES = "*"
_LINE_END = re.compile(r"\r\n|\r|\n")
# the characters str.splitlines() also breaks at (the tokenizer and LSP do not)
_ODD_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def split_lines(text: str, keepends: bool = True) -> list[str]:
    """The lines of a text, broken only at ``\\r\\n``, ``\\r`` and ``\\n``, as Python's tokenizer and LSP count
    them (``str.splitlines`` also breaks at form feeds, ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028`` and ``\\u2029``).
    A final line without an ending is kept; an empty text has no lines."""
    if not any(ch in text for ch in _ODD_BREAKS):  # then str.splitlines breaks where the tokenizer does, in C
        return text.splitlines(keepends)
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
    # when a list: every (first, last) line range read through ``line`` and ``lines_text`` is added to it (the
    # incremental analyser records what a unit's rules read, so that an edit to a comment no rule read re-analyses
    # nothing)
    reads: list | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # keepends so that offsets add up; a final line without newline is kept too
        self._lines = split_lines(self.text)

    # ---- lines -------------------------------------------------------
    @property
    def line_count(self) -> int:
        return len(self._lines)

    def line(self, lineno: int) -> str:
        """The text of a 1-based line without its line ending ('' past the end)."""
        if self.reads is not None:
            self.reads.append((lineno, lineno))
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
        if self.reads is not None:
            self.reads.append((first, last))
        offsets = self.line_offsets
        first = min(max(first, 1), len(offsets))
        last = min(max(last, first - 1), len(offsets) - 1)
        return self.text[offsets[first - 1] : offsets[last]]

    def prefilter_text(self, first: int, last: int) -> str:
        """``lines_text``, not recorded in ``reads``: for a quick test whose failure only skips work that would find
        nothing anyway (``"commit" in text`` before looking at the calls). A comment that makes such a test pass
        changes no finding, so an edit to it need not analyse the unit again."""
        reads, self.reads = self.reads, None
        try:
            return self.lines_text(first, last)
        finally:
            self.reads = reads

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
    def directives_on(self, line: int) -> tuple["Directive", ...]:
        """The suppression directives of the real comment on ``line`` (none for a ``#`` inside a string), cached.

        Only lines that could hold a directive are tokenized, and only on their own."""
        cache = self.__dict__.setdefault("_directive_cache", {})
        found = cache.get(line)
        if found is None:
            found = ()
            text = self.line(line)
            if "#" in text and _SUPPRESS_RE.search(text):
                comment = _comment_of(text)
                if comment is not None:
                    column, body = comment
                    found = tuple(_directives(line, column, body))
            cache[line] = found
        return found

    def suppressions_on(self, line: int) -> frozenset[str] | None:
        """Codes the line-level directives on ``line`` suppress (``*`` for all); None when it has none."""
        directives = [d for d in self.directives_on(line) if not d.file_level]
        if not directives:
            return None
        codes: set[str] = set()
        for directive in directives:
            codes |= set(directive.names) if directive.names else {ALL_CODES}
        return frozenset(codes)

    def file_directives(self) -> tuple["Directive", ...]:
        """The ``# sadpath: ignore-file`` and ``# sadpath: ignore-file[...]`` directives anywhere in the text."""
        cached = self.__dict__.get("_file_directives")
        if cached is None:
            cached = tuple(d for line in self._lines_matching("ignore-file") for d in self.directives_on(line) if d.file_level)
            self.__dict__["_file_directives"] = cached
        return cached

    def all_directives(self) -> list["Directive"]:
        """Every suppression directive of the text, in order."""
        return [d for line in self._lines_matching(None) for d in self.directives_on(line)]

    def _lines_matching(self, needle: str | None) -> list[int]:
        text = self.text
        if needle is not None and needle not in text.lower():
            return []
        if "#" not in text:
            return []
        lines: list[int] = []
        offsets = self.line_offsets
        for match in _SUPPRESS_RE.finditer(text):
            if needle is not None and needle not in match.group(0).lower():
                continue
            line = bisect.bisect_right(offsets, match.start())
            if not lines or lines[-1] != line:
                lines.append(line)
        return lines

    def comment_line(self, line: int) -> int:
        """The line whose comment applies to ``line``: ``line`` itself, or, when the line ends inside a multi-line
        string or a backslash continuation (where no comment can go), the line where that logical line's text
        ends (a comment there is the next place one fits)."""
        text = self.line(line)
        if not ('"""' in text or "'''" in text or text.rstrip().endswith("\\")):
            return line
        return self._line_ends().get(line, line)

    def _line_ends(self) -> dict[int, int]:
        cached = self.__dict__.get("_line_end_map")
        if cached is None:
            cached = {}
            ended: set[int] = set()
            try:
                for token in tokenize.generate_tokens(io.StringIO(self.text).readline):
                    if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER):
                        ended.add(token.start[0])
            except (tokenize.TokenError, SyntaxError, IndentationError):
                ended = set(range(1, self.line_count + 1))
            pending: list[int] = []
            for number in range(1, self.line_count + 1):
                pending.append(number)
                if number in ended:
                    for waiting in pending:
                        if waiting != number:
                            cached[waiting] = number
                    pending = []
            self.__dict__["_line_end_map"] = cached
        return cached

    def suppressing(self, line: int, code: str, slug: str = "") -> "Directive | None":
        """The directive that silences ``code`` (or the rule's slug) on ``line``: one on the line (or where its
        logical line's text ends, see ``comment_line``), else a file-level one; None when nothing does."""
        for candidate in dict.fromkeys((line, self.comment_line(line))):
            for directive in self.directives_on(candidate):
                if not directive.file_level and directive.covers(code, slug):
                    return directive
        for directive in self.file_directives():
            if directive.covers(code, slug):
                return directive
        return None

    def is_suppressed(self, line: int, code: str, slug: str = "") -> bool:
        """True when a comment silences ``code`` (or the rule's slug) on ``line``, or a file-level one does."""
        return self.suppressing(line, code, slug) is not None


@dataclass(frozen=True)
class Directive:
    """One suppression directive: ``# sadpath: ignore[...]``, ``# noqa: ...`` or ``# sadpath: ignore-file[...]``.

    ``start``/``end`` are the character columns of the directive on its line; ``names`` are the codes or slugs
    it names, upper-cased (empty for a blanket one); ``names_start``/``names_end`` the columns of the list."""

    line: int
    start: int
    end: int
    kind: str  # "sadpath", "noqa" or "file"
    names: tuple[str, ...]
    names_start: int = -1
    names_end: int = -1
    text: str = ""
    written: tuple[str, ...] = ()  # the names as written (``names`` are upper-cased)

    def as_written(self, name: str) -> str:
        return next((w for w in self.written if w.upper() == name), name)

    @property
    def file_level(self) -> bool:
        return self.kind == "file"

    @property
    def blanket(self) -> bool:
        return not self.names

    def covers(self, code: str, slug: str = "") -> bool:
        if not self.names:
            return True
        return code.upper() in self.names or (bool(slug) and slug.upper() in self.names)


def _directives(line: int, column: int, comment: str):
    for match in _SUPPRESS_RE.finditer(comment):
        if match.group(0).lower().replace(" ", "").startswith("#sadpath:ignore-file"):
            kind, group = "file", "fl"
        elif match.group("nq") is not None or match.group(0).lower().lstrip("# \t").startswith("noqa"):
            kind, group = "noqa", "nq"
        else:
            kind, group = "sadpath", "sp"
        names_text = match.group(group)
        written = tuple(part for part in _NAME_SPLIT.split(names_text or "") if part)
        names = tuple(part.upper() for part in written)
        names_start = column + match.start(group) if names_text is not None else -1
        names_end = column + match.end(group) if names_text is not None else -1
        yield Directive(line, column + match.start(), column + match.end(), kind, names, names_start, names_end, match.group(0), written)


def _comment_of(text: str) -> tuple[int, str] | None:
    """The comment of one physical line and its column, found by tokenizing the line alone; a line that does
    not tokenize on its own (inside a multi-line string or bracket) falls back to the text after the last ``#``
    that no quote follows."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text + "\n").readline):
            if token.type == tokenize.COMMENT:
                return token.start[1], token.string
        return None
    except (tokenize.TokenError, SyntaxError, IndentationError):
        index = text.rfind("#")
        tail = text[index:]
        return (index, tail) if "'" not in tail and '"' not in tail else None


def parse_suppression(comment: str) -> frozenset[str] | None:
    """Codes named by the line-level ``# sadpath: ignore[...]`` or ``# noqa: ...`` directives of a comment.

    Returns None when the comment is not a suppression, ``{"*"}`` for a blanket one.
    A ``# noqa`` that names only other tools' codes (``# noqa: E501``) suppresses nothing of ours."""
    directives = [d for d in _directives(1, 0, comment) if not d.file_level]
    if not directives:
        return None
    found: set[str] = set()
    for directive in directives:
        found |= set(directive.names) if directive.names else {ALL_CODES}
    return frozenset(found)


# ---- editing directives (``--add-noqa`` and SAD100's fix) --------------------------------------------------
def with_codes_added(line_text: str, directives: tuple[Directive, ...], codes: list[str]) -> str:
    """The line with ``codes`` added to its ``# sadpath: ignore[...]`` (or to a ``# noqa: SAD...`` list), or
    with a new ``  # sadpath: ignore[...]`` at its end; codes already named are not repeated."""
    named = {name for d in directives for name in d.names}
    missing = [c for c in codes if c.upper() not in named]
    if not missing:
        return line_text
    target = next((d for d in directives if d.kind == "sadpath" and d.names), None)
    if target is None:
        target = next((d for d in directives if d.kind == "noqa" and any(n.startswith("SAD") for n in d.names)), None)
    if target is not None:
        merged = ", ".join([*(line_text[target.names_start : target.names_end].split(",")), *missing])
        merged = ", ".join(part.strip() for part in merged.split(",") if part.strip())
        return line_text[: target.names_start] + merged + line_text[target.names_end :]
    stripped = line_text.rstrip()
    return f"{stripped}  # sadpath: ignore[{', '.join(missing)}]" + line_text[len(stripped) :]


def with_names_removed(line_text: str, directive: Directive, remove: set[str]) -> str:
    """The line with ``remove`` (upper-cased names) taken out of ``directive``; the whole directive goes when
    nothing would be left, and the comment with it when it held nothing else."""
    kept = [n for n in _NAME_SPLIT.split(line_text[directive.names_start : directive.names_end]) if n and n.upper() not in remove]
    if directive.names and kept:
        return line_text[: directive.names_start] + ", ".join(kept) + line_text[directive.names_end :]
    before, after = line_text[: directive.start], line_text[directive.end :]
    if not before.strip() and not after.strip():
        return ""  # a comment line of this directive alone: the caller removes the line
    if after.strip().startswith("#"):
        return before + after.lstrip()
    if not after.strip():
        return before.rstrip()
    return before + after.lstrip()
