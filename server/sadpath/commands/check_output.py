"""``sadpath check``'s driver: options from the arguments, the mode (stdin, ``--show-files``, ``--show-settings``,
``--add-noqa``, a run), and the report in the chosen format with the exit status."""

from __future__ import annotations

import argparse
import os
import sys

from sadpath.cache import default_cache_dir
from sadpath.commands import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, display_path, emit
from sadpath.commands.check import CheckOptions, RunResult, run
from sadpath.files import ReadFile, read_source
from sadpath.linter import SettingsResolver
from sadpath.model import FileError
from sadpath.output import DEFAULT_DOCS_URL, NEEDS_SOURCE, FileReport, RenderOptions, Report, render
from sadpath.output import statistics
from sadpath.output.style import Style, use_color
from sadpath.registry import check_selectors
from sadpath.settings import ConfigError


def options_from(args: argparse.Namespace) -> CheckOptions:
    return CheckOptions(
        fix=args.fix and not args.diff,
        diff=args.diff,
        unsafe_fixes=args.unsafe_fixes,
        select=tuple(args.select) if args.select is not None else None,
        ignore=tuple(args.ignore),
        extend_select=tuple(args.extend_select),
        jobs=args.jobs,
        cache_dir=None if args.no_cache else (args.cache_dir or default_cache_dir()),
        cache_dir_explicit=args.cache_dir is not None or bool(os.environ.get("SADPATH_CACHE_DIR")),
        coverage=args.coverage,
        preview=args.preview,
        target_version=args.target_version,
        force_exclude=args.force_exclude,
    )


def output_format(args: argparse.Namespace) -> str:
    """The format asked for, else ``$SADPATH_OUTPUT_FORMAT``, else ``full`` on a terminal and ``concise`` elsewhere."""
    if args.output_format:
        return args.output_format
    from sadpath.output import ALIASES, FORMATS

    named = os.environ.get("SADPATH_OUTPUT_FORMAT", "").strip().lower()
    if named:
        named = ALIASES.get(named, named)
        if named in FORMATS:
            return named
        print(f"sadpath: warning: SADPATH_OUTPUT_FORMAT={named!r} is not a format; using the default", file=sys.stderr)
    return "full" if args.output_file is None and _isatty(sys.stdout) else "concise"


def render_options(args: argparse.Namespace, stream=None) -> RenderOptions:
    stream = stream if stream is not None else sys.stdout
    color = use_color(args.color, args.output_file is None and _isatty(stream))
    docs = args.docs_url or os.environ.get("SADPATH_DOCS_URL") or DEFAULT_DOCS_URL
    return RenderOptions(style=Style(color), docs_url=docs, quiet=args.quiet)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def main(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        print("sadpath: error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_ERROR
    paths = list(args.paths) or ["."]
    stdin = "-" in paths or (args.stdin_filename is not None and not args.paths)
    if stdin and len(paths) > 1:
        print("sadpath: error: - (stdin) cannot be checked together with other paths", file=sys.stderr)
        return EXIT_ERROR
    if args.silent:
        args.quiet = True
    options = options_from(args)
    try:
        for flag, values in (("--select", args.select or []), ("--ignore", args.ignore), ("--extend-select", args.extend_select)):
            check_selectors(values, f"command line: {flag}")
        if args.config is not None and not args.config.is_file():
            raise ConfigError(f"{args.config}: no such configuration file")
        resolver = SettingsResolver(options.overrides, args.config)
        if args.show_settings:
            from sadpath.commands import show

            return show.settings(args.stdin_filename if stdin and args.stdin_filename else paths[0], resolver)
        if stdin:
            from sadpath.commands import check_stdin

            return check_stdin.main(args, resolver, options)
        if args.show_files:
            from sadpath.commands import show

            return show.files(paths, resolver, options)
        if args.add_noqa:
            from sadpath.commands import add_noqa

            return add_noqa.main(paths, resolver, options, silent=args.silent)
        result = run(paths, resolver, options)
    except ConfigError as exc:
        print(f"sadpath: configuration error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("sadpath: interrupted", file=sys.stderr)
        return 130
    return report_run(args, result)


def report_run(args: argparse.Namespace, result: RunResult) -> int:
    fmt = output_format(args)
    errors = list(result.errors)
    files: list[FileReport] = []
    internal: list[str] = []
    diffs: list[str] = []
    checked = 0
    for file_result in result.results:
        if file_result.error is not None:
            errors.append(file_result.error)
        if file_result.error is None or file_result.findings:
            checked += 1
        internal.extend(file_result.rule_failures)
        if file_result.diff:
            diffs.append(file_result.diff)
        if file_result.findings or file_result.fixed:
            text = file_result.text
            if text is None and file_result.findings and fmt in NEEDS_SOURCE:
                read = read_source(file_result.path)  # a cached result: its text was not read
                text = read.text if isinstance(read, ReadFile) else None
            files.append(FileReport(display_path(file_result.path), file_result.findings, file_result.fixed, text))
    errors = [FileError(display_path(e.path), e.message) for e in errors]
    if not args.silent:
        for error in errors:
            print(f"sadpath: {error.path}: {error.message}", file=sys.stderr)
    for failure in internal:
        print(f"sadpath: internal error: {failure}", file=sys.stderr)

    report = Report(files, errors, checked, unsafe_fixes=args.unsafe_fixes)
    options = render_options(args)
    if args.diff and fmt in ("full", "concise") and not args.statistics:
        output = "".join(diffs)
    elif args.statistics:
        output = statistics.render(report, options, fmt)
    else:
        output = render(report, fmt, options)
    if not args.silent and not emit(output, args.output_file):
        return EXIT_ERROR
    if internal:
        return EXIT_ERROR
    return exit_status(args, report, bool(diffs))


def exit_status(args: argparse.Namespace, report: Report, diffs: bool = False) -> int:
    if args.exit_zero:
        return EXIT_CLEAN
    if args.diff:
        return EXIT_FINDINGS if diffs or report.errors else EXIT_CLEAN
    has_findings = any(f.findings for f in report.files)
    fixed = args.exit_non_zero_on_fix and report.fixed > 0
    return EXIT_FINDINGS if has_findings or report.errors or fixed else EXIT_CLEAN


__all__ = ["exit_status", "main", "options_from", "output_format", "render_options", "report_run"]

