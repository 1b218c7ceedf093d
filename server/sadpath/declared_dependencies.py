"""Which distributions a project names as its dependencies, read from its pyproject.toml and requirements files.

Fixes and generated tests follow the project's own choices: a retry fix writes tenacity code only when the
project depends on tenacity at runtime; generated tests use responses or respx when the project's tests do.
The files are searched from the analysed file's folder upward to the project root (the first folder with a
pyproject.toml). Nothing is imported or installed.
"""

from __future__ import annotations

from pathlib import Path

from sadpath.files import read_regular, read_text, tomllib

_NOT_RUNTIME = ("dev", "test", "lint", "doc")  # requirements-dev.txt and the like


def dependencies(path: Path, *, development: bool) -> set[str]:
    """Normalised names (``python-dateutil``) of the distributions the project of ``path`` names.

    Runtime (``development=False``): ``[project] dependencies``, Poetry's ``dependencies``, and requirements
    files whose name is not for development, tests, linting or docs. With ``development=True`` also the
    extras, dependency groups, Poetry's dev dependencies and groups, and every requirements file (including
    ``requirements/*.txt``)."""
    names: set[str] = set()
    start = path.resolve().parent
    for directory in (start, *start.parents):
        files = sorted(directory.glob("requirements*.txt"))
        if development:
            files += sorted(directory.glob("requirements/*.txt"))
        else:
            files = [f for f in files if not any(word in f.name for word in _NOT_RUNTIME)]
        for requirements in files:
            try:
                text = read_regular(requirements).decode("utf-8", errors="replace")
                names |= {requirement_name(line) for line in text.splitlines()}
            except OSError:
                continue
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            names |= _pyproject_dependencies(pyproject, development)
            break  # the project's root
    names.discard("")
    return names


def _pyproject_dependencies(pyproject: Path, development: bool) -> set[str]:
    try:
        data = tomllib.loads(read_text(pyproject))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return set()
    project = _table(data.get("project"))
    poetry = _table(_table(data.get("tool")).get("poetry"))
    lists = [project.get("dependencies", [])]
    tables = [poetry.get("dependencies", {})]
    if development:
        lists += [*_table(project.get("optional-dependencies")).values(), *_table(data.get("dependency-groups")).values()]
        tables += [poetry.get("dev-dependencies", {})]
        tables += [group.get("dependencies", {}) for group in _table(poetry.get("group")).values() if isinstance(group, dict)]
    names = {requirement_name(item) for entries in lists if isinstance(entries, list) for item in entries if isinstance(item, str)}
    names |= {requirement_name(key) for table in tables if isinstance(table, dict) for key in table}
    return names


def _table(value: object) -> dict:
    """A TOML table, or an empty one for a missing key or a value of another type."""
    return value if isinstance(value, dict) else {}


def requirement_name(line: str) -> str:
    """``Tenacity>=8.2 ; python_version>'3'  # retries`` -> ``tenacity``; '' for a blank or comment line."""
    name = line.split("#", 1)[0].strip().split(";", 1)[0]
    for separator in "<>=!~[ @":
        name = name.split(separator, 1)[0]
    return name.strip().lower().replace("_", "-")


__all__ = ["dependencies", "requirement_name"]
