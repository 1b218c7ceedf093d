"""Syntax newer than the interpreter sadpath runs on, and the Python version a project's code is parsed for.

sadpath parses with the ``ast`` of the Python that runs it. A file that uses syntax only a newer Python has
(PEP 695 generics, ``type`` statements, PEP 701 f-strings, PEP 758 ``except A, B:``, ...) does not parse there:
that is not a syntax error in the code but a limit of this run, and it is reported as such (``Unsupported``),
naming the construct and the Python it needs. ``target-version`` (by default the project's ``requires-python``)
is the oldest Python the code must run on: syntax newer than that is a syntax error of the code (SAD000), found
by parsing with ``feature_version``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

RUNNING: tuple[int, int] = sys.version_info[:2]
OLDEST_FEATURE_VERSION = (3, 7)  # the oldest grammar ``ast.parse(feature_version=...)`` accepts on every Python we run on


def version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


@dataclass(frozen=True)
class Unsupported:
    """A file the running interpreter cannot parse because it uses newer syntax."""

    line: int
    column: int
    construct: str
    needs: tuple[int, int]
    running: tuple[int, int] = RUNNING
    target: tuple[int, int] | None = None

    @property
    def message(self) -> str:
        needs, running = version_text(self.needs), version_text(self.running)
        text = (
            f"line {self.line} uses {self.construct} (Python {needs}); sadpath runs on Python {running} and cannot "
            f"parse it: run sadpath with Python ≥ {needs}"
        )
        if self.target is not None and self.target < self.needs:
            text += f" (and note that target-version is {version_text(self.target)}, which cannot run it either)"
        return text


# (the Python that first parses it, what to call it, a pattern for the line that holds it)
_CONSTRUCTS: tuple[tuple[tuple[int, int], str, re.Pattern[str]], ...] = (
    ((3, 11), "an `except*` clause (exception groups, PEP 654)", re.compile(r"^\s*except\s*\*")),
    ((3, 13), "a type parameter default (PEP 696)", re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+\w+\s*\[[^\]]*=")),
    ((3, 12), "type parameters on a function (PEP 695 generics)", re.compile(r"^\s*(?:async\s+)?def\s+\w+\s*\[")),
    ((3, 12), "type parameters on a class (PEP 695 generics)", re.compile(r"^\s*class\s+\w+\s*\[")),
    ((3, 12), "a `type` statement (PEP 695)", re.compile(r"^\s*type\s+[A-Za-z_]\w*\s*(?:\[|=)")),
    ((3, 14), "`except A, B:` without parentheses (PEP 758)", re.compile(r"^\s*except\s+[\w.]+(?:\s*,\s*[\w.]+)+\s*:")),
    ((3, 14), "a template string (t-string, PEP 750)", re.compile(r"(?<![\w.'\"])(?:[tT][rR]?|[rR][tT])(?:'|\")")),
)
_FSTRING = ((3, 12), "an f-string that only Python 3.12 parses (PEP 701: quotes, backslashes or comments inside its braces)")


def newer_syntax(lines: list[str], error: SyntaxError, running: tuple[int, int] = RUNNING) -> tuple[int, int, str, tuple[int, int]] | None:
    """(line, column, construct, needed version) when ``error`` comes from syntax newer than ``running``: the
    error's own line is looked at first, then the rest of the file; None for a real syntax error."""
    line = error.lineno or 1
    if running < _FSTRING[0] and (error.msg or "").startswith("f-string"):
        return line, max((error.offset or 1) - 1, 0), _FSTRING[1], _FSTRING[0]
    order = [line, *(n for n in range(1, len(lines) + 1) if n != line)]
    for number in order:
        if not 1 <= number <= len(lines):
            continue
        text = lines[number - 1]
        best = None
        for needs, construct, pattern in _CONSTRUCTS:
            if needs <= running:
                continue
            match = pattern.search(text)
            if match and (best is None or needs > best[3]):
                best = (number, match.start() + (len(match.group(0)) - len(match.group(0).lstrip())), construct, needs)
        if best is not None:
            return best
    return None


def parse_target(value: str) -> tuple[int, int] | None:
    """``py312`` or ``3.12`` as (3, 12); None when it is neither."""
    text = value.strip().lower()
    match = re.fullmatch(r"py3(\d{1,2})", text) or re.fullmatch(r"3\.(\d{1,2})", text)
    return (3, int(match.group(1))) if match else None


def from_requires_python(spec: str) -> tuple[int, int] | None:
    """The oldest Python 3 minor version a ``requires-python`` specifier allows (``>=3.10`` -> (3, 10),
    ``~=3.11`` -> (3, 11), ``>3.9`` -> (3, 10), ``==3.12.*`` -> (3, 12)); None when it names no lower bound."""
    best: tuple[int, int] | None = None
    for clause in spec.split(","):
        match = re.fullmatch(r"\s*(>=|~=|==|>)\s*3\.(\d+)(?:\.[\d*]+)*\s*", clause)
        if not match:
            continue
        minor = int(match.group(2)) + (1 if match.group(1) == ">" and clause.count(".") == 1 else 0)
        if best is None or minor > best[1]:
            best = (3, minor)
    return best


def feature_version(target: tuple[int, int] | None, running: tuple[int, int] = RUNNING) -> tuple[int, int] | None:
    """The grammar to parse with: the target's, when the running Python knows it; else the running one's."""
    if target is None or target >= running:
        return None
    return max(target, OLDEST_FEATURE_VERSION)


__all__ = ["RUNNING", "Unsupported", "feature_version", "from_requires_python", "newer_syntax", "parse_target", "version_text"]
