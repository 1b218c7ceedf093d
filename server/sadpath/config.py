"""Configuration: ``[tool.sadpath]`` in the nearest ``pyproject.toml``, validated strictly.

An unknown key or a value of the wrong type is a ``ConfigError`` that names the key
and the file; the CLI turns it into exit status 2, the language server into one
message and the defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from sadpath.files import read_regular, tomllib
from sadpath.registry import check_selectors
from sadpath.settings import ConfigError, Settings


MAX_TIMEOUT = 86_400  # seconds: a day; NaN, infinity and 1e400 are not timeouts


# ------------------------------------------------------------------ loading
_LIST_KEYS = {
    "select": "select",
    "ignore": "ignore",
    "extend-select": "extend_select",
    "exclude": "exclude",
    "required-log-fields": "required_log_fields",
}
_SELECTOR_KEYS = {"select", "ignore", "extend-select"}
KNOWN_KEYS = frozenset(
    {*_LIST_KEYS, "per-file-ignores", "preview", "default-timeout", "interfaces", "contracts", "coverage", "target-version", "extend"}
)
MAX_EXTEND_DEPTH = 16


def configures_sadpath(pyproject: Path) -> bool:
    """Whether a pyproject.toml has a ``[tool.sadpath]`` table (ConfigError when it cannot be read)."""
    return sadpath_table(read_config(pyproject), pyproject) is not None


def find_config(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` upward from ``start`` that has a ``[tool.sadpath]`` table."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory, *directory.parents):
        candidate = candidate_dir / "pyproject.toml"
        if candidate.is_file():
            if sadpath_table(read_config(candidate), candidate) is not None:
                return candidate
    return None


MAX_CONFIG_BYTES = 1 << 20


def read_config(path: Path) -> dict:
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
    """Settings from the ``[tool.sadpath]`` table of ``path`` (defaults when the table is absent), with the
    configurations it ``extend``s merged under it and ``target-version`` defaulting to ``requires-python``."""
    data = read_config(path)
    table = dict(sadpath_table(data, path) or {})
    extends: list[Path] = []
    table = _merge_extended(table, path, extends, [path.resolve()])
    if "target-version" not in table:
        inferred = _requires_python(data)
        if inferred is not None:
            table["target-version"] = f"py3{inferred[1]}"
    settings = settings_from_table(table, origin=str(path), root=path.resolve().parent, config_path=path.resolve())
    return settings.with_overrides(extends=tuple(extends)) if extends else settings


# keys whose values add to the extended configuration's instead of replacing them
_ADDITIVE = {"extend-select": "extend-select", "per-file-ignores": "per-file-ignores"}


def _merge_extended(table: dict, path: Path, extends: list[Path], chain: list[Path]) -> dict:
    """``table`` over the table of the file its ``extend`` names (itself merged the same way): the file's own
    keys replace the base's, except ``extend-select`` (added to) and ``per-file-ignores`` (merged by pattern).
    A base's relative ``coverage`` path stays relative to the base's folder."""
    target = table.pop("extend", None)
    if target is None:
        return table
    where = f"{path}: tool.sadpath.extend"
    if not isinstance(target, str) or not target.strip():
        raise ConfigError(f"{where}: expected the path of another pyproject.toml (a string), got {_type_name(target)}")
    base_path = Path(os.path.expandvars(target)).expanduser()
    if not base_path.is_absolute():
        base_path = path.resolve().parent / base_path
    base_path = Path(os.path.normpath(base_path))
    if base_path.resolve() in chain:
        raise ConfigError(f"{where}: {target!r} extends itself through {' -> '.join(str(p) for p in chain)}")
    if len(chain) > MAX_EXTEND_DEPTH:
        raise ConfigError(f"{where}: more than {MAX_EXTEND_DEPTH} configurations extend each other")
    if not base_path.is_file():
        raise ConfigError(f"{where}: {base_path}: no such configuration file")
    base = dict(sadpath_table(read_config(base_path), base_path) or {})
    extends.append(base_path)
    base = _merge_extended(base, base_path, extends, [*chain, base_path.resolve()])
    if isinstance(base.get("coverage"), str):
        base["coverage"] = str(_coverage_path(base["coverage"], base_path.resolve().parent))
    merged = {**base, **table}
    for key in _ADDITIVE:
        if key in base and key in table:
            if isinstance(base[key], list) and isinstance(table[key], list):
                merged[key] = [*base[key], *table[key]]
            elif isinstance(base[key], dict) and isinstance(table[key], dict):
                merged[key] = {**base[key], **table[key]}
    return merged


def _requires_python(data: dict) -> tuple[int, int] | None:
    from sadpath.engine.syntax import from_requires_python

    project = data.get("project")
    spec = project.get("requires-python") if isinstance(project, dict) else None
    return from_requires_python(spec) if isinstance(spec, str) else None


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
                check_selectors(values[_LIST_KEYS[key]], where)
            elif key == "required-log-fields":
                _check_log_fields(values["required_log_fields"], where)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table of glob = [codes], got {_type_name(value)}")
            entries = []
            for pattern, codes in value.items():
                codes_list = _string_list(codes, f"{where}.{pattern!r}")
                check_selectors(codes_list, f"{where}.{pattern!r}")
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
        elif key == "target-version":
            from sadpath.engine.syntax import parse_target

            version = parse_target(value) if isinstance(value, str) else None
            if version is None or not (3, 7) <= version <= (3, 19):
                raise ConfigError(f"{where}: expected a Python version like \"py312\" (py37 to py319), got {value!r}")
            values["target_version"] = version
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
