"""Configuration: ``[tool.sadpath]`` in the nearest ``pyproject.toml``, validated strictly.

An unknown key or a value of the wrong type is a ``ConfigError`` that names the key
and the file; the CLI turns it into exit status 2, the language server into one
message and the defaults.
"""

from __future__ import annotations

import fnmatch
from functools import lru_cache
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from sadpath.files import read_regular

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_TIMEOUT = 86_400  # seconds: a day; NaN, infinity and 1e400 are not timeouts


class ConfigError(ValueError):
    """The configuration is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    preview: bool = False
    required_log_fields: tuple[str, ...] = ()
    default_timeout: float = 10
    interfaces: tuple = ()  # user-defined external interfaces (knowledge.interfaces.Interface)
    contracts: tuple = ()  # resilience contracts (sadpath.contracts.Contract)
    coverage: Path | None = None  # coverage.py data file for SAD302, absolute
    root: Path | None = None
    config_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    # ------------------------------------------------------------ selection
    def enabled_rules(self, path: str | None = None) -> list[type]:
        from sadpath.registry import RULES

        selected = [rule for rule in RULES if _matches_any(rule, self.select) or _matches_any(rule, self.extend_select)]
        ignored = list(self.ignore)
        if path is not None:
            ignored.extend(self.ignores_for(path))
        enabled = []
        for rule in selected:
            if _matches_any(rule, ignored):
                continue
            if rule.preview and not self.preview and not _explicitly_selected(rule, (*self.select, *self.extend_select)):
                continue
            if not rule.is_active(self):
                continue
            enabled.append(rule)
        return enabled

    def ignores_for(self, path: str) -> list[str]:
        rel = self.relative(path)
        codes: list[str] = []
        for pattern, pattern_codes in self.per_file_ignores:
            if path_matches(pattern, rel):
                codes.extend(pattern_codes)
        return codes

    def is_excluded(self, path: str | Path) -> bool:
        rel = self.relative(str(path))
        return any(path_matches(pattern, rel) for pattern in self.exclude)

    def relative(self, path: str) -> str:
        if self.root is not None:
            try:
                below = path_below(str(path), str(self.root))
            except OSError:
                below = None
            if below is not None:
                return below
        return PurePosixPath(Path(path).as_posix()).as_posix()

    def with_overrides(self, **changes: Any) -> "Settings":
        return replace(self, **changes)


@lru_cache(maxsize=8192)
def real_directory(directory: str) -> str:
    """``os.path.realpath`` of a folder, remembered: files are matched folder by folder."""
    return os.path.realpath(directory)


def real_path(path: str) -> str:
    """The real path of a file through its folder's real path (one ``realpath`` per folder, not per file)."""
    head, tail = os.path.split(os.path.abspath(path))
    return os.path.join(real_directory(head), tail) if tail else real_directory(head)


def path_below(path: str, folder: str) -> str | None:
    """``path`` relative to ``folder`` as a posix path, through both real paths: ``.`` for the folder itself,
    None when ``path`` is not below it. Raises OSError when a real path cannot be found."""
    real, base = real_path(path), real_directory(folder)
    prefix = base.rstrip(os.sep) + os.sep
    if real.startswith(prefix):
        return PurePosixPath(Path(real[len(prefix) :])).as_posix()
    return "." if real == base else None


def path_matches(pattern: str, rel: str) -> bool:
    """Glob match of a config pattern against a root-relative posix path.

    ``tests/fixtures`` matches everything below that folder; a pattern without a
    slash (``migrations``, ``*_pb2.py``) matches any path component.
    """
    pattern = pattern.strip().rstrip("/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if not pattern:
        return False
    if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern + "/*"):
        return True
    if "/" not in pattern:
        return any(fnmatch.fnmatchcase(part, pattern) for part in rel.split("/"))
    return False


def _matches_any(rule, selectors: Iterable[str]) -> bool:
    for selector in selectors:
        sel = selector.strip()
        if sel.upper() == "ALL" or rule.code.startswith(sel.upper()) or sel.lower() == rule.slug:
            return True
    return False


def _explicitly_selected(rule, selectors: Iterable[str]) -> bool:
    return any(s.strip().upper() == rule.code or s.strip().lower() == rule.slug for s in selectors)


# ------------------------------------------------------------------ loading
_LIST_KEYS = {
    "select": "select",
    "ignore": "ignore",
    "extend-select": "extend_select",
    "exclude": "exclude",
    "required-log-fields": "required_log_fields",
}
_SELECTOR_KEYS = {"select", "ignore", "extend-select"}
KNOWN_KEYS = frozenset({*_LIST_KEYS, "per-file-ignores", "preview", "default-timeout", "interfaces", "contracts", "coverage"})


def find_config(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` upward from ``start`` that has a ``[tool.sadpath]`` table."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory, *directory.parents):
        candidate = candidate_dir / "pyproject.toml"
        if candidate.is_file():
            if sadpath_table(_read_toml(candidate), candidate) is not None:
                return candidate
    return None


MAX_CONFIG_BYTES = 1 << 20


def _read_toml(path: Path) -> dict:
    """A pyproject.toml's data; every way it can be unreadable is a ConfigError naming the file."""
    try:
        data = read_regular(path, MAX_CONFIG_BYTES)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (TOML must be UTF-8): {exc.reason} at byte {exc.start}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply to read") from exc


def sadpath_table(data: dict, path: Path) -> dict | None:
    """The ``[tool.sadpath]`` table of a pyproject's data (None when it has none); a ``tool`` or
    ``tool.sadpath`` that is not a table is a ConfigError naming the key."""
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: tool: expected a table, got {_type_name(tool)}")
    table = tool.get("sadpath")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: tool.sadpath: expected a table, got {_type_name(table)}")
    return table


def load_settings(path: Path) -> Settings:
    """Settings from the ``[tool.sadpath]`` table of ``path`` (defaults when the table is absent)."""
    table = sadpath_table(_read_toml(path), path)
    return settings_from_table(table or {}, origin=str(path), root=path.resolve().parent, config_path=path.resolve())


def settings_from_table(
    table: Any, *, origin: str, root: Path | None = None, config_path: Path | None = None
) -> Settings:
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: [tool.sadpath] must be a table")
    values: dict[str, Any] = {}
    for key, value in table.items():
        where = f"{origin}: tool.sadpath.{key}"
        if key not in KNOWN_KEYS:
            hint = _close_key(key)
            raise ConfigError(f"{where}: unknown key" + (f" (did you mean '{hint}'?)" if hint else ""))
        if key in _LIST_KEYS:
            values[_LIST_KEYS[key]] = _string_list(value, where)
            if key in _SELECTOR_KEYS:
                _check_selectors(values[_LIST_KEYS[key]], where)
            elif key == "required-log-fields":
                _check_log_fields(values["required_log_fields"], where)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table of glob = [codes], got {_type_name(value)}")
            entries = []
            for pattern, codes in value.items():
                codes_list = _string_list(codes, f"{where}.{pattern!r}")
                _check_selectors(codes_list, f"{where}.{pattern!r}")
                entries.append((pattern, codes_list))
            values["per_file_ignores"] = tuple(entries)
        elif key == "preview":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: expected true or false, got {_type_name(value)}")
            values["preview"] = value
        elif key == "default-timeout":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_TIMEOUT:
                raise ConfigError(f"{where}: expected a positive number of seconds up to {MAX_TIMEOUT:,}, got {value!r}")
            values["default_timeout"] = value
        elif key == "interfaces":
            values["interfaces"] = _interfaces(value, where)
        elif key == "contracts":
            values["contracts"] = _contracts(value, where)
        elif key == "coverage":
            if not isinstance(value, str) or not value.strip():
                got = "an empty string" if isinstance(value, str) else _type_name(value)
                raise ConfigError(f"{where}: expected the path of a coverage.py data file (a string), got {got}")
            values["coverage"] = _coverage_path(value, root)
    return Settings(root=root, config_path=config_path, **values)


def _interfaces(value: Any, where: str) -> tuple:
    from sadpath.knowledge import KnowledgeError
    from sadpath.knowledge.interfaces import parse_interface

    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of [tool.sadpath.interfaces.<name>] tables")
    parsed = []
    for name, table in value.items():
        try:
            parsed.append(parse_interface(name, table, where.rsplit(": ", 1)[0]))
        except KnowledgeError as exc:
            raise ConfigError(str(exc).replace(": interfaces.", ": tool.sadpath.interfaces.", 1)) from exc
    return tuple(parsed)


def _contracts(value: Any, where: str) -> tuple:
    from sadpath.contracts import ContractError, parse_contracts
    from sadpath.knowledge import FAILURE_MODES

    try:
        return parse_contracts(value, where, frozenset(FAILURE_MODES))
    except ContractError as exc:
        raise ConfigError(str(exc)) from exc


def _coverage_path(value: str, root: Path | None) -> Path:
    """The data file, relative to the pyproject's folder (the current folder without one)."""
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (root if root is not None else Path.cwd()) / path
    return Path(os.path.normpath(path))


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {_type_name(value)}")
    return tuple(value)


# Attributes every LogRecord has: a field of one of these names in ``extra=`` makes logging raise KeyError
# ("Attempt to overwrite 'name' in LogRecord") at the moment the error is logged.
LOG_RECORD_ATTRIBUTES = frozenset(
    {
        "args", "asctime", "created", "exc_info", "exc_text", "filename", "funcName", "levelname", "levelno",
        "lineno", "message", "module", "msecs", "msg", "name", "pathname", "process", "processName",
        "relativeCreated", "stack_info", "taskName", "thread", "threadName",
    }
)  # fmt: skip


def _check_log_fields(names: Iterable[str], where: str) -> None:
    for name in names:
        if not name.strip():
            raise ConfigError(f"{where}: an empty field name")
        if name in LOG_RECORD_ATTRIBUTES:
            raise ConfigError(
                f"{where}: {name!r} is an attribute of every logging.LogRecord: a log call with "
                f"extra={{{name!r}: ...}} raises KeyError when the error is logged; choose another name"
            )


def _check_selectors(selectors: Iterable[str], where: str) -> None:
    from sadpath.registry import RULES, SYNTAX_ERROR_CODE

    for selector in selectors:
        sel = selector.strip()
        if not sel:
            raise ConfigError(f"{where}: an empty rule selector (see `sadpath rules` for the codes)")
        if sel.upper() == "ALL" or sel.upper() == SYNTAX_ERROR_CODE:
            continue
        if any(rule.code.startswith(sel.upper()) or rule.slug == sel.lower() for rule in RULES):
            continue
        raise ConfigError(f"{where}: unknown rule selector {selector!r} (see `sadpath rules`)")


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a table"}.get(
        type(value), type(value).__name__
    )


def _close_key(key: str) -> str | None:
    import difflib

    matches = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1, cutoff=0.6)
    return matches[0] if matches else None


def resolve_settings(path: Path, explicit_config: Path | None = None, cache: dict | None = None) -> Settings:
    """Settings for a file or folder: from ``explicit_config`` or the nearest configured pyproject."""
    if explicit_config is not None:
        return load_settings(explicit_config)
    found = find_config(path)
    if found is None:
        return Settings()
    if cache is not None and found in cache:
        return cache[found]
    settings = load_settings(found)
    if cache is not None:
        cache[found] = settings
    return settings
