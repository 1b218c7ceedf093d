"""The command line: ``sadpath check``, ``sadpath report``, ``sadpath rule``, ``sadpath rules``, ``sadpath clean``, ``sadpath server``.

Exit status: 0 no findings, 1 findings (or files that could not be checked),
2 usage, configuration or internal error. Never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from sadpath import __version__
from sadpath.cache import default_cache_dir
from sadpath.commands import EXIT_ERROR
from sadpath.commands.check import default_jobs
from sadpath.lsp.options import add_server_arguments
from sadpath.output import FORMATS



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
        from sadpath.commands import check

        return check.main(args)
    if args.command == "report":
        from sadpath.commands import report

        return report.main(args)
    if args.command == "rule":
        from sadpath.commands import rules

        return rules.show(args.code)
    if args.command == "rules":
        from sadpath.commands import rules

        return rules.table()
    if args.command == "gen-tests":
        from sadpath.commands import gentests

        return gentests.main(args)
    if args.command == "contracts":
        from sadpath.commands import contracts_init

        return contracts_init.main(args)
    if args.command == "clean":
        from sadpath.commands import clean

        return clean.main(args.cache_dir or default_cache_dir())
    if args.command == "server":
        from sadpath.lsp.server import serve

        return serve(args.tcp)
    build_parser().print_help(sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
