"""Coverage.py data for SAD302: which lines of a module ran under the tests.

The data file (``.coverage``) is read through coverage.py's own API (``CoverageData``) and kept per process,
keyed by the file's identity ``(path, mtime_ns, size)``: a data file rewritten by a new test run is read
again the next time anyone asks, an unchanged one never.

``view(settings, path, text)`` answers for one module: the lines that ran, or nothing when the answer would
lie: no data, data that does not measure this file, a file changed since the data was written (newer on
disk than the data), or a text that is not the file on disk (an editor buffer with unsaved edits).

Nothing here raises or logs: a missing or unreadable data file is a ``Problem`` that the front ends report
once (``sadpath check`` on stderr, the language server as one message).
"""

from __future__ import annotations

import os
import stat
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

Identity = tuple[str, int, int]  # (absolute path, st_mtime_ns, st_size)

_MAX_TEXTS = 64  # files on disk kept to compare editor buffers with


@dataclass(frozen=True)
class Problem:
    """The configured data file cannot be used."""

    path: str
    reason: str

    @property
    def message(self) -> str:
        return (
            f"cannot read the coverage data {self.path}: {self.reason}; "
            "SAD302 (untested-error-branch) reports nothing until it can"
        )


@dataclass(frozen=True)
class FileView:
    """What the data says about one module's text."""

    key: str  # what SAD302's findings in this module depend on (the incremental analyzer's context)
    lines: frozenset[int] | None = None  # lines that ran, when the data measures exactly this text
    arcs: frozenset[tuple[int, int]] | None = None  # (from, to) line pairs, when the data has branch data

    @property
    def measured(self) -> bool:
        return self.lines is not None


class Snapshot:
    """One reading of a data file: its measured files, their lines (read on first use)."""

    def __init__(self, identity: Identity, data: Any, measured: set[str]) -> None:
        self.identity = identity
        self._data = data
        self.has_arcs = bool(data.has_arcs())
        directory = os.path.dirname(identity[0])
        self._files: dict[str, str] = {}
        for name in measured:
            # coverage stores absolute paths; with `relative_files = true` they are relative to the run's folder
            absolute = name if os.path.isabs(name) else os.path.join(directory, name)
            self._files[os.path.normcase(os.path.normpath(absolute))] = name
        self.failure = ""  # why the last query of the data failed, if one did
        self._lines: dict[str, frozenset[int] | None] = {}
        self._arcs: dict[str, frozenset[tuple[int, int]] | None] = {}

    def stored_name(self, path: str) -> str | None:
        """The data's name for a source file, matched by absolute (or resolved) path; None when not measured."""
        absolute = os.path.abspath(path)
        found = self._files.get(os.path.normcase(absolute))
        if found is None:
            try:
                found = self._files.get(os.path.normcase(os.path.realpath(absolute)))
            except OSError:
                return None
        return found

    def lines(self, name: str) -> frozenset[int] | None:
        if name not in self._lines:
            self._lines[name] = self._query(self._data.lines, name)
        return self._lines[name]

    def arcs(self, name: str) -> frozenset[tuple[int, int]] | None:
        if not self.has_arcs:
            return None
        if name not in self._arcs:
            self._arcs[name] = self._query(self._data.arcs, name)
        return self._arcs[name]

    def _query(self, method, name: str) -> frozenset | None:
        try:
            found = method(name)
        except Exception as exc:  # the data file went away or was damaged meanwhile: no answer, no crash
            self.failure = f"{type(exc).__name__}: {exc}"
            return None
        return frozenset(found) if found is not None else None

    def close(self) -> None:
        close = getattr(self._data, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # closing a reader that already lost its file: nothing to do
                pass


_LOADED: dict[str, tuple[Identity | None, Snapshot | Problem]] = {}
_TEXTS: OrderedDict[str, tuple[int, int, str | None]] = OrderedDict()


def data_path(settings: Any) -> str | None:
    """The configured data file as an absolute path, or None when no coverage data is configured."""
    value = getattr(settings, "coverage", None)
    return os.path.abspath(os.fspath(value)) if value else None


def identity(path: str) -> Identity | None:
    """``(path, mtime_ns, size)`` of a regular file, None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return (path, st.st_mtime_ns, st.st_size)


def load(path: str) -> Snapshot | Problem:
    """The data in ``path``, read again only when the file changed."""
    current = identity(path)
    cached = _LOADED.get(path)
    if cached is not None and current is not None and cached[0] == current:
        return cached[1]
    if cached is not None and isinstance(cached[1], Snapshot):
        cached[1].close()
    loaded = _read(path, current)
    _LOADED[path] = (current, loaded)
    return loaded


def problem(settings: Any) -> Problem | None:
    """Why the configured data cannot be used, or None (also when none is configured)."""
    path = data_path(settings)
    if path is None:
        return None
    loaded = load(path)
    return loaded if isinstance(loaded, Problem) else None


def stamp(settings: Any, path: str | None) -> tuple:
    """Cheap (two ``stat`` calls): changes whenever the data file or the module's file on disk changes."""
    data = data_path(settings)
    if data is None:
        return ()
    source = identity(os.path.abspath(path)) if path else None
    return (identity(data), source)


def view(settings: Any, path: str, text: str) -> FileView:
    """The lines of ``path`` that ran, if the configured data measured this very text."""
    data = data_path(settings)
    if data is None:
        return FileView("")
    loaded = load(data)
    if isinstance(loaded, Problem):
        return FileView("no data")
    _, mtime_ns, size = loaded.identity
    prefix = f"{data}:{mtime_ns}:{size}"
    name = loaded.stored_name(path)
    if name is None:
        return FileView(f"{prefix}:not measured")
    on_disk = _disk_text(os.path.abspath(path))
    if on_disk is None:
        return FileView(f"{prefix}:unreadable")
    disk_mtime_ns, disk_text = on_disk
    if disk_mtime_ns > mtime_ns:
        return FileView(f"{prefix}:changed since")  # line numbers would lie
    if disk_text != text:
        return FileView(f"{prefix}:edited")  # an editor buffer with unsaved changes: the same
    lines = loaded.lines(name)
    if lines is None:
        return FileView(f"{prefix}:not measured")
    return FileView(f"{prefix}:measured", lines, loaded.arcs(name))


def _read(path: str, current: Identity | None) -> Snapshot | Problem:
    if current is None:
        try:
            os.stat(path)
        except OSError as exc:
            return Problem(path, exc.strerror or str(exc))
        return Problem(path, "not a file")
    try:
        from coverage import CoverageData
    except ImportError:  # pragma: no cover - a dependency of sadpath
        return Problem(path, "coverage.py is not installed")
    try:
        try:
            data = CoverageData(basename=path, read_only=True)
        except TypeError:  # coverage before 7.17 (the last for Python 3.10 is 7.16) has no read_only: check first
            refused = _not_coverage_data(path)
            if refused is not None:
                return Problem(path, refused)
            data = CoverageData(basename=path)  # it only reads a file that has coverage.py's schema
        data.read()
        measured = set(data.measured_files())
        return Snapshot(current, data, measured)
    except Exception as exc:  # coverage's DataError, sqlite errors, anything a damaged or foreign file causes
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return Problem(path, reason)


def _not_coverage_data(path: str) -> str | None:
    """Why a file is not coverage.py data, found without writing to it (SQLite opened read-only); None when it
    has coverage.py's schema. Without ``read_only``, ``CoverageData`` would turn an empty or foreign SQLite file
    into a new, empty data file."""
    import sqlite3
    from urllib.parse import quote

    try:
        connection = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return f"cannot open it as coverage.py data: {exc}"
    try:
        row = connection.execute("select version from coverage_schema").fetchone()
    except sqlite3.Error as exc:
        return f"not coverage.py data ({exc})"
    finally:
        connection.close()
    return None if row is not None else "not coverage.py data (no schema version)"


def _disk_text(path: str) -> tuple[int, str | None] | None:
    """``(mtime_ns, text)`` of a file on disk (text None when it cannot be decoded); cached by mtime and size."""
    from sadpath.files import ReadFile, read_source

    try:
        st = os.stat(path)
    except OSError:
        return None
    cached = _TEXTS.get(path)
    if cached is not None and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
        _TEXTS.move_to_end(path)
        return cached[0], cached[2]
    read = read_source(path)
    text = read.text if isinstance(read, ReadFile) else None
    _TEXTS[path] = (st.st_mtime_ns, st.st_size, text)
    _TEXTS.move_to_end(path)
    while len(_TEXTS) > _MAX_TEXTS:
        _TEXTS.popitem(last=False)
    return st.st_mtime_ns, text


def forget() -> None:
    """Drop every cached reading (tests)."""
    for _, loaded in _LOADED.values():
        if isinstance(loaded, Snapshot):
            loaded.close()
    _LOADED.clear()
    _TEXTS.clear()
