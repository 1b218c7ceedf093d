"""The resolved settings for a path: plain data, and the path matching that goes with it.

``config.py`` reads and validates ``[tool.sadpath]`` into a ``Settings``; the registry chooses rules from it; the
engine receives both from its caller. This module imports nothing of sadpath's above ``model``.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any


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
    target_version: tuple[int, int] | None = None  # the oldest Python the code runs on (target-version, requires-python)
    extends: tuple[Path, ...] = ()  # the configuration files this one extends (``extend``), nearest first
    root: Path | None = None
    config_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    # ------------------------------------------------------------ paths
    def ignores_for(self, path: str) -> list[str]:
        rel = self.relative(path)
        codes: list[str] = []
        for pattern, pattern_codes in self.per_file_ignores:
            if path_matches(pattern, rel):
                codes.extend(pattern_codes)
        return codes

    def is_excluded(self, path: str | Path) -> bool:
        """Whether ``path`` or a folder it lies in (below the root) is excluded."""
        rel = self.relative(str(path))
        return any(path_matches(pattern, rel) for pattern in self.exclude)

    def excludes_entry(self, path: str | Path) -> bool:
        """Whether an ``exclude`` pattern names this file or folder itself: its name, or its whole path from the
        root (the walk does not enter an excluded folder, so what lies below one is never asked about)."""
        if not self.exclude:
            return False
        rel = self.relative(str(path))
        name = rel.rsplit("/", 1)[-1]
        return any(entry_matches(pattern, rel, name) for pattern in self.exclude)

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


def entry_matches(pattern: str, rel: str, name: str) -> bool:
    """Glob match of a config pattern against one entry: a pattern without a slash against its name, one with a
    slash against its root-relative path."""
    pattern = pattern.strip().rstrip("/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if not pattern:
        return False
    if "/" not in pattern:
        return fnmatch.fnmatchcase(name, pattern)
    return fnmatch.fnmatchcase(rel, pattern)


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
