"""``sadpath check --add-noqa``: adopt the linter on a legacy codebase by suppressing every current finding.

Each finding's line gets ``# sadpath: ignore[CODE, ...]``: merged into a ``# sadpath: ignore[...]`` already there
(or a ``# noqa: SAD...`` list), else appended after the line's code and comment. A line that ends inside a
multi-line string gets it where the string ends, the place the suppression is read from for it. Files are
written like ``--fix`` writes them (``files.write_source``); a second run finds nothing to add. SAD000 (a file
that does not parse) and SAD100 (unused suppressions) are not suppressed.
"""

from __future__ import annotations

import ast
import sys
import warnings

from sadpath.commands import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, display_path
from sadpath.commands.check import CheckOptions, run
from sadpath.files import ReadFile, WriteRefused, read_source, write_source
from sadpath.linter import SettingsResolver
from sadpath.model import SYNTAX_ERROR_CODE, FileError, Finding
from sadpath.source import SourceFile, split_lines, with_codes_added

NOT_SUPPRESSED = frozenset({SYNTAX_ERROR_CODE, "SAD100"})


def with_suppressions(text: str, findings: list[Finding]) -> tuple[str, int]:
    """The text with a suppression for each finding, and how many codes were added."""
    source = SourceFile("<add-noqa>", text)
    wanted: dict[int, list[str]] = {}
    for finding in findings:
        if finding.code in NOT_SUPPRESSED or source.is_suppressed(finding.span.line, finding.code, finding.slug):
            continue
        line = source.comment_line(finding.span.line)
        codes = wanted.setdefault(line, [])
        if finding.code not in codes:
            codes.append(finding.code)
    if not wanted:
        return text, 0
    lines = split_lines(text)
    added = 0
    for line, codes in wanted.items():
        raw = lines[line - 1]
        body = raw.rstrip("\r\n")
        ending = raw[len(body) :]
        new = with_codes_added(body, source.directives_on(line), codes)
        if new != body:
            added += len(codes)
            lines[line - 1] = new + ending
    return "".join(lines), added


def main(paths: list[str], resolver: SettingsResolver, options: CheckOptions, *, silent: bool = False) -> int:
    result = run(paths, resolver, options)
    errors = list(result.errors)
    total = files = 0
    for file_result in result.results:
        if file_result.error is not None:
            errors.append(file_result.error)
        findings = [f for f in file_result.findings if f.code not in NOT_SUPPRESSED]
        if not findings:
            continue
        read = read_source(file_result.path)
        if not isinstance(read, ReadFile):
            errors.append(read)
            continue
        new_text, added = with_suppressions(read.text, findings)
        if not added:
            continue
        if not _parses(new_text):
            errors.append(FileError(file_result.path, "adding the comments would break the file; left as it is"))
            continue
        try:
            write_source(read, new_text)
        except (WriteRefused, OSError) as exc:
            errors.append(FileError(file_result.path, f"not changed: {exc.strerror or exc}"))
            continue
        total += added
        files += 1
    if not silent:
        for error in errors:
            print(f"sadpath: {display_path(error.path)}: {error.message}", file=sys.stderr)
        noun = "suppression" if total == 1 else "suppressions"
        print(f"Added {total} {noun} to {files} file{'s' if files != 1 else ''}.", file=sys.stderr)
    if any(f.rule_failures for f in result.results):
        return EXIT_ERROR
    return EXIT_FINDINGS if errors else EXIT_CLEAN


def _parses(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return False
    return True
