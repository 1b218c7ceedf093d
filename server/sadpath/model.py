"""Plain data shared by the engine, the fixes, the CLI and the language server.

Nothing here knows about LSP or the command line. Positions are 1-based lines and
0-based columns counted in Unicode code points (characters); the SourceFile line
index converts them to UTF-8 or UTF-16 where a protocol needs it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


SYNTAX_ERROR_CODE = "SAD000"
SYNTAX_ERROR_SLUG = "syntax-error"


class Applicability(str, enum.Enum):
    """How much a fix may be trusted to keep the program's meaning."""

    SAFE = "safe"  # keeps meaning: applied by --fix and fix-all
    UNSAFE = "unsafe"  # changes behaviour on purpose: opt-in
    DISPLAY_ONLY = "display-only"  # shown as advice, never applied

    def __str__(self) -> str:
        return self.value


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, order=True)
class Span:
    """A range in a text: 1-based lines, 0-based character columns, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class FixOffer:
    """A fix a finding offers. The edit itself is built lazily by ``sadpath.fixes``."""

    kind: str  # name of the fix builder in sadpath.fixes
    title: str
    applicability: Applicability
    preferred: bool = False  # the fix an editor should propose first even though it is not safe


@dataclass(frozen=True)
class Related:
    """A second location that explains a finding (for example the external call behind it)."""

    path: str
    span: Span
    message: str


@dataclass
class Finding:
    """One reported failure path. ``data`` carries what the rule's fixes need; values under keys ending in
    ``_line`` are line numbers of the file and move with the finding when lines are added above it."""

    code: str
    slug: str
    span: Span
    message: str
    severity: Severity = Severity.WARNING
    fixes: tuple[FixOffer, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    related: tuple[Related, ...] = ()

    @property
    def fix(self) -> FixOffer | None:
        """The preferred fix: the first safe one, else the first marked preferred, else the first offered."""
        for offer in self.fixes:
            if offer.applicability is Applicability.SAFE:
                return offer
        for offer in self.fixes:
            if offer.preferred:
                return offer
        return self.fixes[0] if self.fixes else None

    def sort_key(self) -> tuple[int, int, str, int, int, str]:
        span = self.span
        return (span.line, span.column, self.code, span.end_line, span.end_column, self.message)


@dataclass(frozen=True)
class Edit:
    """Replace the text between two (line, column) positions with ``text``."""

    span: Span
    text: str


@dataclass(frozen=True)
class Fix:
    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]
    code: str


@dataclass(frozen=True)
class FileError:
    """A file that could not be analysed at all (unreadable, binary, undecodable)."""

    path: str
    message: str
