"""The command line: ``sadpath check``, ``sadpath report``, ``sadpath rule``, ``sadpath rules``, ``sadpath clean``, ``sadpath server``.

Exit status: 0 no findings, 1 findings (or files that could not be checked),
2 usage, configuration or internal error. Never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from sadpath import __version__
from sadpath.cache import CacheRefused, clean, default_cache_dir
from sadpath.check import CheckOptions, SettingsResolver, default_jobs, display_path, run
from sadpath.config import ConfigError, _check_selectors
from sadpath.files import write_new
from sadpath.lsp.options import add_server_arguments
from sadpath.reporters import FORMATS, FileReport, Report, render

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors: exit 2 with one line, like every CLI
        self.print_usage(sys.stderr)
        print(f"sadpath: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def _codes(value: str) -> list[str]:
    parts = [part.strip() for part in value.split(",")]
    if not all(parts):
        raise argparse.ArgumentTypeError(f"an empty rule selector in {value!r} (see `sadpath rules` for the codes)")
    return parts


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
        "--coverage", type=Path, metavar="PATH", help="coverage.py data (.coverage) for SAD302 (overrides the config's)"
    )
    check.add_argument(
        "--cache-dir", type=Path, default=None, help="where the result cache lives (default: .sadpath_cache, or $SADPATH_CACHE_DIR)"
    )

    clean = sub.add_parser("clean", help="remove the result cache")
    clean.add_argument("--cache-dir", type=Path, default=None, help="the cache to remove (default: .sadpath_cache)")

    report = sub.add_parser("report", help="the resilience inventory: external calls and which failure modes are handled")
    report.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    report.add_argument("--format", choices=("text", "json", "html"), default="text", help="output format (default: text)")
    report.add_argument("--output-file", "-o", type=Path, help="write the report here instead of stdout")
    report.add_argument("--config", type=Path, help="use this pyproject.toml instead of the nearest one")

    contracts = sub.add_parser("contracts", help="resilience contracts: `contracts init` writes a starting set")
    contracts_sub = contracts.add_subparsers(dest="contracts_command", metavar="ACTION", parser_class=_Parser)
    init = contracts_sub.add_parser("init", help="one contract per external dependency the project uses (dry run unless --write)")
    init.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    init.add_argument("--write", action="store_true", help="append the contracts to pyproject.toml (default: only show them)")
    init.add_argument("--config", type=Path, help="the pyproject.toml to write to (default: the nearest configured one)")

    gen = sub.add_parser("gen-tests", help="write failure-injection tests for a function: PATH::function or PATH::Class.method")
    gen.add_argument("target", metavar="PATH::FUNCTION")
    gen.add_argument("--output", "-o", type=Path, help="where to write the test module (default: <project>/tests/test_failures_<function>.py)")
    gen.add_argument("--stdout", action="store_true", help="print the module instead of writing it")
    gen.add_argument("--config", type=Path, help="use this pyproject.toml instead of the nearest one")

    rule = sub.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", metavar="CODE|SLUG")
    sub.add_parser("rules", help="list every rule")

    server = sub.add_parser("server", help="run the language server (stdio, or --tcp HOST:PORT)")
    add_server_arguments(server)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="sadpath: %(message)s", stream=sys.stderr)
    if args.command == "check":
        return _check(args)
    if args.command == "report":
        return _report(args)
    if args.command == "rule":
        return _rule(args.code)
    if args.command == "rules":
        return _rules()
    if args.command == "gen-tests":
        return _gen_tests(args)
    if args.command == "contracts":
        return _contracts(args)
    if args.command == "clean":
        return _clean(args.cache_dir or default_cache_dir())
    if args.command == "server":
        from sadpath.lsp.server import serve

        return serve(args.tcp)
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
        cache_dir_explicit=args.cache_dir is not None or bool(os.environ.get("SADPATH_CACHE_DIR")),
        coverage=args.coverage,
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


def _report(args: argparse.Namespace) -> int:
    """``sadpath report``: information, so 0 even when nothing is handled; 2 for a configuration error."""
    from sadpath.report import build, render as render_report

    try:
        inventory = build(args.paths, args.config)
    except ConfigError as exc:
        print(f"sadpath: configuration error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("sadpath: interrupted", file=sys.stderr)
        return 130
    for error in inventory.errors:
        print(f"sadpath: {error.path}: {error.message}", file=sys.stderr)
    return EXIT_CLEAN if _emit(render_report(inventory, args.format), args.output_file) else EXIT_ERROR


def _gen_tests(args: argparse.Namespace) -> int:
    from sadpath.config import load_settings, resolve_settings
    from sadpath.gentests import GenerateError, default_output, generate, parse_target

    try:
        path, _ = parse_target(args.target)
        if args.config is not None and not args.config.is_file():
            raise ConfigError(f"{args.config}: no such configuration file")
        settings = load_settings(args.config) if args.config is not None else resolve_settings(path)
        target, text = generate(args.target, settings)
    except ConfigError as exc:
        print(f"sadpath: configuration error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except GenerateError as exc:
        print(f"sadpath: gen-tests: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.stdout:
        sys.stdout.write(text)
        return EXIT_CLEAN
    output = args.output or default_output(target, settings)
    try:
        if args.output is None:  # a path sadpath chose, in the project: never through a planted link
            project = settings.root if settings.root is not None else target.path.parent
            if not output.parent.is_symlink():
                output.parent.mkdir(parents=True, exist_ok=True)
            write_new(output, text, inside=project)
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            write_new(output, text)
    except OSError as exc:
        print(f"sadpath: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    count = text.count("\ndef test_")
    print(f"Wrote {count} failure-injection test(s) for {target.function}() to {display_path(str(output))}")
    return EXIT_CLEAN


def _contracts(args: argparse.Namespace) -> int:
    from sadpath.contracts_init import plan, summary, write

    if args.contracts_command != "init":
        print("sadpath: error: `sadpath contracts init [PATH ...] [--write]`", file=sys.stderr)
        return EXIT_ERROR
    try:
        if args.config is not None and not args.config.is_file():
            raise ConfigError(f"{args.config}: no such configuration file")
        proposal, errors = plan(args.paths, args.config)
        for error in errors:
            print(f"sadpath: {display_path(error.path)}: {error.message}", file=sys.stderr)
        if not proposal.new:
            print(summary(proposal) or "No calls to known external interfaces found: no contract to propose.")
            return EXIT_CLEAN
        if args.write:
            write(proposal)
            print(f"Wrote {len(proposal.new)} contract(s) to {display_path(str(proposal.config))}:")
            print(summary(proposal))
            print("Run `sadpath check` to see the call sites that break them (SAD301).")
        else:
            print(f"Would append to {display_path(str(proposal.config))} (dry run; --write to do it):")
            print(summary(proposal))
            print()
            sys.stdout.write(proposal.text)
    except ConfigError as exc:
        print(f"sadpath: configuration error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_CLEAN


def _clean(directory: Path) -> int:
    try:
        left = clean(directory)
    except CacheRefused as exc:
        print(f"sadpath: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"sadpath: cannot remove {directory}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    if left:
        print(f"sadpath: removed the cache in {directory}, but left {len(left)} entries sadpath did not create there", file=sys.stderr)
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
