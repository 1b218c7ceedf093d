"""``sadpath check -`` (or ``--stdin-filename PATH``): the source comes on stdin, for editors' linter plugins.

The configuration and per-file ignores of PATH apply (the folder the run starts in without one). The report goes
to stdout; with ``--fix`` the fixed source goes to stdout and the report to stderr; with ``--diff`` the diff goes
to stdout. With ``--force-exclude``, an excluded PATH is passed through unchanged and not checked.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys

from sadpath.commands import EXIT_CLEAN, EXIT_FINDINGS, display_path
from sadpath.commands.check import CheckOptions, FileResult, RunResult, fix_text
from sadpath.files import MAX_FILE_BYTES, ReadFile, decode_source
from sadpath.linter import SettingsResolver, lint
from sadpath.model import FileError
from sadpath.source import SourceFile, split_lines

STDIN_NAME = "-"


def read_stdin(name: str) -> ReadFile | FileError:
    stream = getattr(sys.stdin, "buffer", None)
    try:
        data = stream.read(MAX_FILE_BYTES + 1) if stream is not None else sys.stdin.read(MAX_FILE_BYTES + 1).encode("utf-8")
    except (OSError, ValueError) as exc:
        return FileError(name, f"cannot read stdin: {exc}")
    if len(data) > MAX_FILE_BYTES:
        return FileError(name, f"stdin holds more than {MAX_FILE_BYTES:,} bytes; not checked")
    return decode_source(name, data)


def main(args: argparse.Namespace, resolver: SettingsResolver, options: CheckOptions) -> int:
    from sadpath.commands.check_output import report_run

    name = args.stdin_filename or STDIN_NAME
    path = os.path.abspath(name) if args.stdin_filename else STDIN_NAME
    settings = resolver.for_path(path if args.stdin_filename else os.getcwd())
    read = read_stdin(path)
    if isinstance(read, FileError):
        print(f"sadpath: {name}: {read.message}", file=sys.stderr)
        return EXIT_FINDINGS
    if args.stdin_filename and options.force_exclude and resolver.excludes_path(path):
        if options.fix:
            sys.stdout.write(read.text)
        return EXIT_CLEAN
    text, fixed = read.text, 0
    if options.fix or options.diff:
        text, fixed = fix_text(path, read.text, settings, options.unsafe_fixes)
    analysis = lint(SourceFile(path, text), settings)
    failures = [f"rule {f.code} crashed on {name}: {f.error}" for f in analysis.rule_failures]
    if analysis.unsupported is not None:
        result = FileResult(path, error=FileError(path, analysis.unsupported.message))
    else:
        result = FileResult(path, analysis.findings, fixed if options.fix else 0, rule_failures=failures, text=text)
    if options.diff and text != read.text:
        shown = display_path(name)
        result.diff = "".join(difflib.unified_diff(split_lines(read.text), split_lines(text), f"a/{shown}", f"b/{shown}"))
    if options.fix:
        sys.stdout.write(text)  # the fixed source; the report goes to stderr
        sys.stdout.flush()
        saved = sys.stdout
        sys.stdout = sys.stderr
        try:
            return report_run(args, RunResult([result], []))
        finally:
            sys.stdout = saved
    return report_run(args, RunResult([result], []))
