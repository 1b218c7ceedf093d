"""Typed initialization options (camelCase on the wire). Invalid values fall back to defaults and say which key."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields

from sadpath.settings import ConfigError
from typing import Any

LOG_LEVELS = ("error", "warning", "info", "debug")
DEFAULT_DOCS_URL = "https://github.com/sadpath/sadpath/blob/main/"


@dataclass(frozen=True)
class Options:
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    fix_all: bool = True
    debounce_ms: int = 150
    max_file_size: int = 1_000_000
    docs_url: str = DEFAULT_DOCS_URL
    log_level: str = "warning"
    coverage: str | None = None  # coverage.py data for SAD302, relative to the workspace root
    extend_select: tuple[str, ...] = ()  # rules enabled on top of the project's selection
    show_syntax_errors: bool = True  # publish SAD000 for a file that does not parse
    configuration: str | None = None  # a pyproject.toml that replaces the nearest one, relative to the workspace root
    extra: dict = field(default_factory=dict, compare=False)


_KEYS = {
    "select": "select",
    "ignore": "ignore",
    "unsafeFixes": "unsafe_fixes",
    "fixAll": "fix_all",
    "debounceMs": "debounce_ms",
    "maxFileSize": "max_file_size",
    "docsUrl": "docs_url",
    "logLevel": "log_level",
    "coverage": "coverage",
    "extendSelect": "extend_select",
    "showSyntaxErrors": "show_syntax_errors",
    "configuration": "configuration",
}


def parse_options(raw: Any) -> tuple[Options, list[str]]:
    """Options from a client's dict, and the keys that were wrong (each replaced by its default)."""
    if raw is None:
        return Options(), []
    if not isinstance(raw, dict):
        return Options(), [f"initialization options must be an object, got {type(raw).__name__}"]
    if isinstance(raw.get("sadpath"), dict):  # {"sadpath": {...}} as VS Code sends settings
        raw = raw["sadpath"]
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in raw.items():
        name = _KEYS.get(key)
        if name is None:
            continue  # other clients' settings travel in the same object: not ours to judge
        checked = _check(name, value)
        if checked is _INVALID:
            problems.append(f"{key}: {_expected(name)}, got {value!r}")
        else:
            values[name] = checked
    return Options(**values), problems


_INVALID = object()


def _check(name: str, value: Any) -> Any:
    if name in ("select", "ignore", "extend_select"):
        if value is None and name == "select":
            return None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            from sadpath.registry import check_selectors

            try:
                check_selectors(value, name)
            except ConfigError:
                return _INVALID
            return tuple(value)
        return _INVALID
    if name in ("unsafe_fixes", "fix_all", "show_syntax_errors"):
        return value if isinstance(value, bool) else _INVALID
    if name in ("debounce_ms", "max_file_size"):
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= (0 if name == "debounce_ms" else 1)
        return value if ok else _INVALID
    if name == "docs_url":
        return value if isinstance(value, str) and value else _INVALID
    if name == "log_level":
        return value.lower() if isinstance(value, str) and value.lower() in LOG_LEVELS else _INVALID
    if name in ("coverage", "configuration"):
        if value is None or value == "":
            return None  # no data: SAD302 is inactive (or the project's `coverage` key applies)
        return value if isinstance(value, str) else _INVALID
    return _INVALID


def _expected(name: str) -> str:
    return {
        "select": "expected a list of rule codes, prefixes or slugs",
        "ignore": "expected a list of rule codes, prefixes or slugs",
        "unsafe_fixes": "expected true or false",
        "fix_all": "expected true or false",
        "debounce_ms": "expected a whole number of milliseconds >= 0",
        "max_file_size": "expected a positive whole number of characters",
        "docs_url": "expected a URL",
        "log_level": f"expected one of {', '.join(LOG_LEVELS)}",
        "coverage": "expected the path of a coverage.py data file",
        "extend_select": "expected a list of rule codes, prefixes or slugs",
        "show_syntax_errors": "expected true or false",
        "configuration": "expected the path of a pyproject.toml",
    }[name]


def option_names() -> list[str]:
    return [f.name for f in fields(Options)]


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """``sadpath server``'s options (also the bundled editor shim's, through ``lsp.server.main``)."""
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="talk over stdin and stdout (the default)")
    transport.add_argument("--tcp", metavar="HOST:PORT", type=_host_port, help="listen on TCP, for example 127.0.0.1:2087")


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, for example 127.0.0.1:2087, got {value!r}")
    return host.strip("[]"), int(port)


def wire_names() -> dict[str, str]:
    """The options' camelCase names on the wire, each to its ``Options`` field."""
    return dict(_KEYS)
