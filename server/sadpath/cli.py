"""The command line: ``sadpath check``, ``sadpath rule``, ``sadpath rules``, ``sadpath clean``, ``sadpath server``.

Exit status: 0 no findings, 1 findings (or files that could not be checked),
2 usage, configuration or internal error. Never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from sadpath import __version__
from sadpath.cache import clean, default_cache_dir
from sadpath.check import CheckOptions, SettingsResolver, default_jobs, display_path, run
from sadpath.config import ConfigError, _check_selectors
from sadpath.reporters import FORMATS, FileReport, Report, render

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors: exit 2 with one line, like every CLI
        self.print_usage(sys.stderr)
        print(f"sadpath: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def _codes(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sadpath", description="Find and fix missing or wrong failure handling in Python code.")
    parser.add_argument("--version", action="version", version=f"sadpath {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="check files and folders (default: .)")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--select", type=_codes, help="rules to enable (codes, prefixes or slugs; replaces the config's)")
    check.add_argument("--ignore", type=_codes, default=[], help="rules to disable, added to the config's")
    check.add_argument("--extend-select", type=_codes, default=[], help="rules to enable on top of the selection")
    check.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    check.add_argument("--unsafe-fixes", action="store_true", help="also apply (and count as fixable) unsafe fixes")
    check.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; change nothing")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--config", type=Path, help="use this pyproject.toml instead of the nearest one")
    check.add_argument("--jobs", "-j", type=int, default=default_jobs(), help="parallel processes (default: cores)")
    check.add_argument("--output-file", "-o", type=Path, help="write the report here instead of stdout")
    check.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    check.add_argument(
        "--cache-dir", type=Path, default=None, help="where the result cache lives (default: .sadpath_cache, or $SADPATH_CACHE_DIR)"
    )

    clean = sub.add_parser("clean", help="remove the result cache")
    clean.add_argument("--cache-dir", type=Path, default=None, help="the cache to remove (default: .sadpath_cache)")

    rule = sub.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", metavar="CODE|SLUG")
    sub.add_parser("rules", help="list every rule")

    server = sub.add_parser("server", help="run the language server (stdio, or --tcp HOST:PORT)", add_help=False)
    server.add_argument("server_args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="sadpath: %(message)s", stream=sys.stderr)
    if args.command == "check":
        return _check(args)
    if args.command == "rule":
        return _rule(args.code)
    if args.command == "rules":
        return _rules()
    if args.command == "clean":
        return _clean(args.cache_dir or default_cache_dir())
    if args.command == "server":
        from sadpath.lsp.server import main as server_main

        return server_main(args.server_args)
    build_parser().print_help(sys.stderr)
    return EXIT_ERROR


def _check(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        print("sadpath: error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_ERROR
    options = CheckOptions(
        fix=args.fix and not args.diff,
        diff=args.diff,
        unsafe_fixes=args.unsafe_fixes,
        select=tuple(args.select) if args.select is not None else None,
        ignore=tuple(args.ignore),
        extend_select=tuple(args.extend_select),
        jobs=args.jobs,
        cache_dir=None if args.no_cache else (args.cache_dir or default_cache_dir()),
    )
    try:
        for flag, values in (("--select", args.select or []), ("--ignore", args.ignore), ("--extend-select", args.extend_select)):
            _check_selectors(values, f"command line: {flag}")
        if args.config is not None and not args.config.is_file():
            raise ConfigError(f"{args.config}: no such configuration file")
        resolver = SettingsResolver(args.config, options)
        result = run(args.paths, resolver, options)
    except ConfigError as exc:
        print(f"sadpath: configuration error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("sadpath: interrupted", file=sys.stderr)
        return 130

    errors = list(result.errors)
    files: list[FileReport] = []
    internal = []
    diffs = []
    checked = 0
    for file_result in result.results:
        if file_result.error is not None:
            errors.append(file_result.error)
        if file_result.error is None or file_result.findings:
            checked += 1
        internal.extend(file_result.rule_failures)
        shown = display_path(file_result.path)
        if file_result.diff:
            diffs.append(file_result.diff)
        if file_result.findings or file_result.fixed:
            files.append(FileReport(shown, file_result.findings, file_result.fixed))
    errors = [type(e)(display_path(e.path), e.message) for e in errors]
    for error in errors:
        print(f"sadpath: {error.path}: {error.message}", file=sys.stderr)
    for failure in internal:
        print(f"sadpath: internal error: {failure}", file=sys.stderr)

    report = Report(files, errors, checked, unsafe_fixes=args.unsafe_fixes)
    output = "".join(diffs) if args.diff else render(report, args.format)
    if args.diff and args.format != "text":
        output = render(report, args.format)
    if not _emit(output, args.output_file):
        return EXIT_ERROR
    if internal:
        return EXIT_ERROR
    if args.exit_zero:
        return EXIT_CLEAN
    if args.diff:
        return EXIT_FINDINGS if diffs or errors else EXIT_CLEAN
    has_findings = any(f.findings for f in files)
    return EXIT_FINDINGS if has_findings or errors else EXIT_CLEAN


def _emit(output: str, output_file: Path | None) -> bool:
    if output_file is None:
        sys.stdout.write(output)
        return True
    try:
        output_file.write_text(output, encoding="utf-8")
    except OSError as exc:
        print(f"sadpath: cannot write {output_file}: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def _clean(directory: Path) -> int:
    try:
        removed = clean(directory)
    except OSError as exc:
        print(f"sadpath: cannot remove {directory}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    if not removed:
        print(f"sadpath: {directory} is not a sadpath cache (no CACHEDIR.TAG); left alone", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_CLEAN


def _rule(code: str) -> int:
    from sadpath.registry import lookup

    rule = lookup(code)
    if rule is None:
        print(f"sadpath: unknown rule {code!r} (see `sadpath rules`)", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule.doc().markdown())
    return EXIT_CLEAN


def _rules() -> int:
    from sadpath.registry import RULES, status

    rows = [("CODE", "RULE", "STATUS", "FIX", "WHAT IT FLAGS")]
    for rule in RULES:
        rows.append((rule.code, rule.slug, status(rule), fix_summary(rule), rule.summary))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        head = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4]))
        sys.stdout.write(f"{head}  {row[4]}\n")
    return EXIT_CLEAN


def fix_summary(rule) -> str:
    return "/".join(str(a) for a in rule.fix_applicabilities) or "none"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
