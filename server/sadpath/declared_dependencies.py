"""Which distributions a project names as its dependencies, read from its pyproject.toml and requirements files.

Fixes and generated tests follow the project's own choices: a retry fix writes tenacity code only when the
project depends on tenacity at runtime; generated tests use responses or respx when the project's tests do.
The files are searched from the analysed file's folder upward to the project root (the first folder with a
pyproject.toml). Nothing is imported or installed.
"""

from __future__ import annotations

import re
from pathlib import Path

from sadpath.files import read_regular, read_text, tomllib

_NOT_RUNTIME = ("dev", "test", "lint", "doc")  # requirements-dev.txt and the like


def dependencies(path: Path, *, development: bool) -> set[str]:
    """Normalised names (``python-dateutil``) of the distributions the project of ``path`` names.

    Runtime (``development=False``): ``[project] dependencies``, Poetry's ``dependencies``, and requirements
    files whose name is not for development, tests, linting or docs. With ``development=True`` also the
    extras, dependency groups, Poetry's dev dependencies and groups, and every requirements file (including
    ``requirements/*.txt``)."""
    names = {requirement_name(line) for line in _requirements(path, development)}
    names.discard("")
    return names


def declared_floor(path: Path, name: str) -> int | None:
    """The lowest major version of ``name`` the project of ``path`` allows at runtime (``redis>=8.0`` -> 8,
    ``redis==8.1.2`` -> 8, Poetry's ``^8.0`` -> 8); None when it names no floor, or does not name ``name``."""
    floors = []
    for line in _requirements(path, False):
        if requirement_name(line) != name:
            continue
        spec = line.split("#", 1)[0].split(";", 1)[0]
        found = [int(m) for m in _FLOOR.findall(spec)]
        if not found:
            return None  # named without a floor: any version
        floors.append(max(found))
    return min(floors) if floors else None


_FLOOR = re.compile(r"(?:>=|==|~=|\^|>)\s*v?(\d+)")


def _requirements(path: Path, development: bool) -> list[str]:
    """The requirement strings of the project of ``path`` (see ``dependencies``), as written."""
    lines: list[str] = []
    start = path.resolve().parent
    for directory in (start, *start.parents):
        files = sorted(directory.glob("requirements*.txt"))
        if development:
            files += sorted(directory.glob("requirements/*.txt"))
        else:
            files = [f for f in files if not any(word in f.name for word in _NOT_RUNTIME)]
        for requirements in files:
            try:
                lines += read_regular(requirements).decode("utf-8", errors="replace").splitlines()
            except OSError:
                continue
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            lines += _pyproject_dependencies(pyproject, development)
            break  # the project's root
    return lines


def _pyproject_dependencies(pyproject: Path, development: bool) -> list[str]:
    try:
        data = tomllib.loads(read_text(pyproject))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return []
    project = _table(data.get("project"))
    poetry = _table(_table(data.get("tool")).get("poetry"))
    lists = [project.get("dependencies", [])]
    tables = [poetry.get("dependencies", {})]
    if development:
        lists += [*_table(project.get("optional-dependencies")).values(), *_table(data.get("dependency-groups")).values()]
        tables += [poetry.get("dev-dependencies", {})]
        tables += [group.get("dependencies", {}) for group in _table(poetry.get("group")).values() if isinstance(group, dict)]
    found = [item for entries in lists if isinstance(entries, list) for item in entries if isinstance(item, str)]
    for table in tables:
        if isinstance(table, dict):
            found += [f"{key} {value}" if isinstance(value, str) else str(key) for key, value in table.items()]
    return found


def _table(value: object) -> dict:
    """A TOML table, or an empty one for a missing key or a value of another type."""
    return value if isinstance(value, dict) else {}


def requirement_name(line: str) -> str:
    """``Tenacity>=8.2 ; python_version>'3'  # retries`` -> ``tenacity``; '' for a blank or comment line."""
    name = line.split("#", 1)[0].strip().split(";", 1)[0]
    for separator in "<>=!~[ @":
        name = name.split(separator, 1)[0]
    return name.strip().lower().replace("_", "-")


__all__ = ["declared_floor", "dependencies", "requirement_name"]
