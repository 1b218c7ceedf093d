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
from sadpath.output import ALIASES, FORMATS



HELP_WIDTH = 100  # help is laid out the same on every terminal (the README's Command line section is this text)


class _Formatter(argparse.HelpFormatter):
    """``-j, --jobs N`` (the metavar once, after the last spelling), the same on every Python version."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=HELP_WIDTH, max_help_position=34)

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if not action.option_strings or action.nargs == 0:
            return super()._format_action_invocation(action)
        return ", ".join(action.option_strings) + " " + self._format_args(action, self._get_default_metavar_for_optional(action))


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        if hasattr(self, "color"):  # Python 3.14 colours help by default: keep it plain text, like the README
            self.color = False

    def error(self, message: str) -> None:  # usage errors: exit 2 with the usage, one line, and where to look
        self.print_usage(sys.stderr)
        print(f"sadpath: error: {message}", file=sys.stderr)
        print(f"Run `{self.prog} -h` for the options.", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def _codes(value: str) -> list[str]:
    parts = [part.strip() for part in value.split(",")]
    if not all(parts):
        raise argparse.ArgumentTypeError(f"an empty rule selector in {value!r} (see `sadpath rules` for the codes)")
    return parts


def _output_format(value: str) -> str:
    name = value.strip().lower()
    if name in FORMATS or name in ALIASES:
        return ALIASES.get(name, name)
    raise argparse.ArgumentTypeError(f"invalid choice: {value!r} (choose from {', '.join(FORMATS)})")


def _target_version(value: str) -> tuple[int, int]:
    from sadpath.engine.syntax import parse_target

    version = parse_target(value)
    if version is None or not (3, 7) <= version <= (3, 19):
        raise argparse.ArgumentTypeError(f"expected a Python version like py312 (py37 to py319), got {value!r}")
    return version


def add_check_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to check (default: .); - reads stdin")
    rules = check.add_argument_group("rule selection")
    rules.add_argument("--select", type=_codes, metavar="CODES", help="rules to enable: codes, prefixes (SAD1), slugs or ALL; replaces the config's")
    rules.add_argument("--ignore", type=_codes, default=[], metavar="CODES", help="rules to disable, added to the config's")
    rules.add_argument("--extend-select", type=_codes, default=[], metavar="CODES", help="rules to enable on top of the selection")
    preview = rules.add_mutually_exclusive_group()
    preview.add_argument("--preview", action="store_const", const=True, default=None, help="enable preview rules (such as SAD100)")
    preview.add_argument("--no-preview", dest="preview", action="store_const", const=False, help="disable preview rules")
    rules.add_argument("--target-version", type=_target_version, metavar="pyXY", help="the oldest Python the code runs on (default: the config's, else requires-python)")

    fixing = check.add_argument_group("fixes")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes in place (with -: print the fixed source)")
    fixing.add_argument("--unsafe-fixes", action="store_true", help="also apply (and count as fixable) unsafe fixes")
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; change nothing")
    fixing.add_argument("--add-noqa", action="store_true", help="write `# sadpath: ignore[CODE]` on every finding's line")

    output = check.add_argument_group("output")
    output.add_argument(
        "--output-format", "--format", dest="output_format", type=_output_format, metavar="FORMAT",
        help=f"{', '.join(FORMATS)} (default: full on a terminal, else concise; $SADPATH_OUTPUT_FORMAT)",
    )  # fmt: skip
    output.add_argument("--output-file", "-o", type=Path, metavar="PATH", help="write the report here instead of stdout")
    output.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour the text formats (default: auto; NO_COLOR is honoured)")
    output.add_argument("--statistics", action="store_true", help="one line per code: its count and how many are fixable")
    output.add_argument("--quiet", "-q", action="store_true", help="print the findings only, no summary")
    output.add_argument("--silent", "-s", action="store_true", help="print nothing; only the exit status tells")
    output.add_argument("--show-files", action="store_true", help="list the files that would be checked, and stop")
    output.add_argument("--show-settings", action="store_true", help="the configuration file and settings in force for the first PATH, and stop")
    output.add_argument("--docs-url", metavar="URL", help="base URL of the rule pages in SARIF, GitLab and JUnit output ($SADPATH_DOCS_URL)")

    exits = check.add_argument_group("exit status")
    exits.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    exits.add_argument("--exit-non-zero-on-fix", action="store_true", help="exit 1 when fixes were applied, even if nothing is left")

    files = check.add_argument_group("files and configuration")
    files.add_argument("--config", type=Path, metavar="PATH", help="use this pyproject.toml instead of the nearest one")
    files.add_argument("--stdin-filename", metavar="PATH", help="with -: the path the source on stdin stands for (its settings apply)")
    files.add_argument("--force-exclude", action="store_true", help="apply exclude to paths named on the command line too")
    files.add_argument("--jobs", "-j", type=int, default=default_jobs(), metavar="N", help="parallel processes (default: the cores)")
    files.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    files.add_argument("--cache-dir", type=Path, default=None, metavar="PATH", help="where the cache lives (default: .sadpath_cache at the project root; $SADPATH_CACHE_DIR)")
    files.add_argument("--coverage", type=Path, metavar="PATH", help="coverage.py data (.coverage) for SAD302 (overrides the config's)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sadpath", description="Find and fix missing or wrong failure handling in Python code.")
    parser.add_argument("--version", action="version", version=f"sadpath {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser(
        "check",
        help="check files and folders (default: .)",
        description="Check Python files for missing or wrong failure handling. Exit status: 0 no findings, "
        "1 findings or files that could not be checked, 2 usage, configuration or internal error.",
    )
    add_check_arguments(check)

    clean = sub.add_parser("clean", help="remove the result cache")
    clean.add_argument("--cache-dir", type=Path, default=None, help="the cache to remove (default: .sadpath_cache at the project root)")

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
