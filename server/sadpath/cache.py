"""The result cache of ``sadpath check``: ``.sadpath_cache/`` at the project root, the folder of the nearest
``pyproject.toml`` upward from where the run starts (that folder itself when there is none).

One index per sadpath build (``<build>/index.json``), with an entry per checked file holding everything its
findings depend on:

* the file's path and text;
* the settings that apply to it (selection, per-file ignores, required log fields, user interfaces, ...);
* the coverage data SAD302 reads, when configured: its path, size and modification time;
* sadpath itself: its version and every module and knowledge-base file of the installed package, by size
  and modification time, so an upgrade or an edited ``knowledge/*.toml`` starts a fresh cache;
* for SAD201's cross-file calls, the other project files the analysis read: the entry stores their digests
  and is used only while they are unchanged.

The index is written to a temporary file and renamed into place, so concurrent runs never see half of it;
a damaged or unreadable index is a miss for every file. A cache that cannot be written is reported once and the run goes
on without it. The directory carries its own ``.gitignore`` and ``CACHEDIR.TAG``.

The cache is harmless wherever it is pointed: a cache folder that is a link, that holds other files without
sadpath's ``CACHEDIR.TAG``, or (unless the user named it) that lies outside both the folder the run started in
and its project root is refused with one line, and the run goes on without a cache. Only build folders inside a tagged root are
removed, and in them only the files sadpath writes; markers are created with ``O_EXCL`` (never through a
planted link), and every read is of a regular file, capped in size.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
import tempfile
import time
from dataclasses import fields
from pathlib import Path

import sadpath
from sadpath.settings import Settings
from sadpath.engine import coverage_data
from sadpath.engine.file_reads import text_digest
from sadpath.files import read_regular, read_text
from sadpath.model import Applicability, Finding, FixOffer, Related, Severity, Span

log = logging.getLogger("sadpath.cache")

CACHE_DIR_NAME = ".sadpath_cache"
_FORMAT = 1
_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"
_TAG = _SIGNATURE.decode() + "\n# This file is a cache directory tag created by sadpath.\n"
_GITIGNORE = "# Created by sadpath automatically.\n*\n"
_BUILD_NAME = re.compile(r"[0-9a-f]{16}")  # build_digest(): blake2b with 8 bytes, in hex
_MAX_INDEX_BYTES = 1 << 30


def project_root(start: str | os.PathLike | None = None) -> Path:
    """The folder of the nearest ``pyproject.toml`` upward from ``start`` (the current folder), by real path;
    ``start`` itself when no folder above it has one."""
    base = Path(os.path.realpath(start if start is not None else os.getcwd()))
    for folder in (base, *base.parents):
        try:
            if (folder / "pyproject.toml").is_file():
                return folder
        except OSError:
            break
    return base


def default_cache_dir() -> Path:
    """``$SADPATH_CACHE_DIR``, else ``.sadpath_cache`` at the project root (shown relative when it is the
    current folder's)."""
    named = os.environ.get("SADPATH_CACHE_DIR")
    if named:
        return Path(named)
    root = project_root()
    if root == Path(os.path.realpath(os.getcwd())):
        return Path(CACHE_DIR_NAME)
    return root / CACHE_DIR_NAME


def build_digest() -> str:
    """sadpath's version and the size and mtime of every file of the package (code and knowledge base)."""
    global _BUILD
    if _BUILD is None:
        package = Path(sadpath.__file__).parent
        digest = hashlib.blake2b(f"{sadpath.__version__}:{_FORMAT}".encode(), digest_size=8)
        for path in sorted(package.rglob("*")):
            if path.suffix in (".py", ".toml"):
                stat = path.stat()
                digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
        _BUILD = digest.hexdigest()
    return _BUILD


_BUILD: str | None = None


def settings_digest(settings: Settings) -> str:
    parts = [f"{f.name}={getattr(settings, f.name)!r}" for f in fields(settings) if f.name != "extra"]
    data = coverage_data.data_path(settings)
    if data is not None:  # SAD302's findings depend on the coverage data: a new test run is a new key
        parts.append(f"coverage-data={coverage_data.identity(data)!r}")
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


class ResultCache:
    """One index per sadpath build: ``{absolute path: entry}``, read once at the start of a run and written
    once at its end (atomically; of two concurrent runs the last one's index stays, nothing is corrupted).

    An entry holds the file's size and modification time, a digest of its text, the settings digest, the
    findings and the digests of the project files SAD201 followed. A file whose size and modification time
    match (and that was not modified within a second of the index being written, when a same-size edit could
    hide in the clock's resolution) is served without being read; otherwise its text is read and compared
    by digest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.directory = root / build_digest()
        self.index_path = self.directory / "index.json"
        self._settings: dict[int, str] = {}
        self._entries: dict[str, dict] | None = None
        self._written = 0.0
        self._fresh: dict[str, dict] = {}  # entries of this run, written at the end
        self._changed = False  # whether the index on disk needs writing
        self._read_digests: dict[str, str | None] = {}  # files cross-file findings depend on, as read this run
        self.broken = False

    def settings_key(self, settings: Settings) -> str:
        ident = id(settings)
        digest = self._settings.get(ident)
        if digest is None:
            digest = self._settings[ident] = settings_digest(settings)
        return digest

    # ------------------------------------------------------------ read
    def _load(self) -> dict[str, dict]:
        if self._entries is None:
            self._entries = {}
            try:
                data = json.loads(read_regular(self.index_path, _MAX_INDEX_BYTES, follow_links=False))
            except FileNotFoundError:
                return self._entries
            except (OSError, ValueError) as exc:  # unreadable, a link, not JSON: a miss for every file
                log.debug("ignoring a damaged cache index %s: %s", self.index_path, exc)
                return self._entries
            entries = data.get("entries") if isinstance(data, dict) and data.get("format") == _FORMAT else None
            written = data.get("written") if isinstance(data, dict) else None
            if isinstance(entries, dict) and isinstance(written, (int, float)) and not isinstance(written, bool):
                self._entries = {path: entry for path, entry in entries.items() if _well_formed(entry)}
                self._written = float(written)
            else:
                log.debug("ignoring a cache index of the wrong shape: %s", self.index_path)
        return self._entries

    def lookup(self, path: str, settings: Settings, read_text) -> tuple[list[Finding] | None, str | None]:
        """(cached findings or None, the file's text digest if it had to be read, else None)."""
        absolute = os.path.abspath(path)
        entry = self._load().get(absolute)
        sdigest = self.settings_key(settings)
        digest = None
        if entry is not None and entry.get("settings") == sdigest:
            try:
                stat = os.stat(absolute)
            except OSError:
                stat = None
            unchanged = (
                stat is not None
                and [stat.st_size, stat.st_mtime_ns] == entry.get("stat")
                and stat.st_mtime_ns / 1e9 < self._written - 1.0
            )
            if not unchanged:
                text = read_text()
                if text is None:
                    return None, None
                digest = text_digest(text)
                unchanged = digest == entry.get("digest")
            if unchanged and self._dependencies_unchanged(entry.get("dependencies", {})):
                try:
                    findings = [_finding(item) for item in entry["findings"]]
                except (KeyError, TypeError, ValueError) as exc:
                    log.debug("ignoring a damaged cache entry for %s: %s", absolute, exc)
                    return None, digest
                if stat is not None and entry.get("stat") != [stat.st_size, stat.st_mtime_ns]:
                    entry = {**entry, "stat": [stat.st_size, stat.st_mtime_ns]}
                    self._changed = True  # same text, new time stamp: remember it to skip the read next time
                self._fresh[absolute] = entry
                return findings, digest
        return None, digest

    def _dependencies_unchanged(self, dependencies: dict[str, str]) -> bool:
        return all(self._digest_of(path) == digest for path, digest in dependencies.items())

    def _digest_of(self, path: str) -> str | None:
        """A project file's text digest, read once per run however many entries depend on it."""
        if path not in self._read_digests:
            try:
                self._read_digests[path] = text_digest(read_text(path))
            except (OSError, UnicodeDecodeError):
                self._read_digests[path] = None
        return self._read_digests[path]

    # ------------------------------------------------------------ write
    def record(self, path: str, settings: Settings, text: str, findings: list[Finding], dependencies: dict[str, str]) -> None:
        absolute = os.path.abspath(path)
        try:
            stat = os.stat(absolute)
            stamp = [stat.st_size, stat.st_mtime_ns]
        except OSError:
            stamp = None
        self._changed = True
        self._fresh[absolute] = {
            "settings": self.settings_key(settings),
            "stat": stamp,
            "digest": text_digest(text),
            "dependencies": dependencies,
            "findings": [_plain(f) for f in findings],
        }

    def save(self) -> None:
        """Write the index: this run's entries over the previous ones (of files that still exist)."""
        if self.broken or not self._changed:
            return
        entries = {path: entry for path, entry in self._load().items() if path not in self._fresh and os.path.exists(path)}
        entries.update(self._fresh)
        payload = json.dumps({"format": _FORMAT, "written": time.time(), "entries": entries}, separators=(",", ":"))
        try:
            self._prepare()
            handle, temp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(payload)
                os.replace(temp, self.index_path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            self.broken = True
            # one line for the user, who can act on the OS error it names; a traceback would only be noise here
            log.warning("cannot write the cache in %s (%s); going on without it", self.root, exc.strerror or exc)  # sadpath: ignore[SAD104]

    def _prepare(self) -> None:
        """Create the cache's folders and markers (never through a link) and drop the indexes of other builds."""
        os.makedirs(self.root, exist_ok=True)
        problem = root_problem(self.root, explicit=True)
        if problem is not None:  # replaced by a link, or filled with other files, since the run started
            raise OSError(0, problem)
        for name, text in ((".gitignore", _GITIGNORE), ("CACHEDIR.TAG", _TAG)):
            _create_marker(self.root / name, text)
        try:
            self.directory.mkdir()
        except FileExistsError:
            pass
        if self.directory.is_symlink() or not self.directory.is_dir():
            raise OSError(0, f"{self.directory} is not a folder sadpath created")
        with os.scandir(self.root) as entries:  # entries of other sadpath builds can never be read again
            stale = [e.path for e in entries if e.name != self.directory.name and _is_build_folder(e)]
        for folder in stale:
            _remove_build(folder)


def _create_marker(path: Path, text: str) -> None:
    """Write a marker file only where none is: ``O_EXCL`` never writes through a link planted there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def _is_build_folder(entry: os.DirEntry) -> bool:
    return bool(_BUILD_NAME.fullmatch(entry.name)) and entry.is_dir(follow_symlinks=False)


def _remove_build(folder: str) -> list[str]:
    """Remove the files sadpath writes in a build folder (its index and temporaries), then the folder if
    that emptied it. Returns what was left because sadpath did not write it."""
    left: list[str] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            ours = entry.name == "index.json" or entry.name.startswith(".tmp-")
            if ours and entry.is_file(follow_symlinks=False):
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    pass
            else:
                left.append(entry.path)
    if not left:
        try:
            os.rmdir(folder)
        except OSError:
            pass
    return left


def is_sadpath_cache(root: Path) -> bool:
    """Whether ``root`` carries sadpath's CACHEDIR.TAG (a regular file, not a link)."""
    try:
        tag = read_regular(root / "CACHEDIR.TAG", 4096, follow_links=False)
    except OSError:
        return False
    return tag.startswith(_SIGNATURE) and b"sadpath" in tag


def root_problem(root: Path, *, explicit: bool) -> str | None:
    """Why ``root`` cannot hold the cache, or None. A link is refused, and so is a folder that holds other
    files without sadpath's CACHEDIR.TAG; unless the user named the folder, it must lie inside the folder the
    run started in or its project root (a repository can commit a ``.sadpath_cache`` that points anywhere)."""
    try:
        info = os.lstat(root)
    except (FileNotFoundError, NotADirectoryError):
        info = None  # created when the index is first written (which reports a failure once)
    except OSError as exc:
        return f"cannot use the cache folder {root}: {exc.strerror or exc}"
    if info is not None and stat.S_ISLNK(info.st_mode):
        return f"the cache folder {root} is a symbolic link; sadpath does not follow it"
    if info is not None and not stat.S_ISDIR(info.st_mode):
        return f"the cache folder {root} is not a folder"
    if not explicit:
        base = os.path.realpath(os.getcwd())
        project = str(project_root(base))
        real = os.path.realpath(root)
        if not any(real.startswith(folder.rstrip(os.sep) + os.sep) for folder in (base, project)):
            where = base if project == base else f"{base}, or its project root {project}"
            return f"the cache folder {root} lies outside the folder the run started in ({where})"
    if info is not None and not is_sadpath_cache(root):
        try:
            with os.scandir(root) as entries:
                occupied = any(True for _ in entries)
        except OSError as exc:
            return f"cannot use the cache folder {root}: {exc.strerror or exc}"
        if occupied:
            return f"{root} holds other files and no CACHEDIR.TAG of sadpath's: it is not a sadpath cache"
    return None


def open_cache(root: Path, *, explicit: bool) -> "ResultCache | None":
    """The result cache in ``root``, or None (said in one line) when ``root`` is not safe to use."""
    problem = root_problem(root, explicit=explicit)
    if problem is not None:
        log.warning("%s; going on without a cache", problem)
        return None
    return ResultCache(root)


class CacheRefused(Exception):
    """``sadpath clean`` will not touch this folder; the message says why."""


def clean(root: Path) -> list[str]:
    """Remove a cache folder: only what sadpath wrote there (build folders, their indexes, the markers).
    Returns what was left because sadpath did not write it; raises CacheRefused for a folder that is not a
    sadpath cache or is a link."""
    try:
        info = os.lstat(root)
    except FileNotFoundError:
        return []
    if stat.S_ISLNK(info.st_mode):
        raise CacheRefused(f"{root} is a symbolic link; left alone")
    if not stat.S_ISDIR(info.st_mode) or not is_sadpath_cache(root):
        raise CacheRefused(f"{root} is not a sadpath cache (no CACHEDIR.TAG of sadpath's); left alone")
    left: list[str] = []
    with os.scandir(root) as entries:
        listed = list(entries)
    for entry in listed:
        if entry.name == "CACHEDIR.TAG":
            continue
        if _is_build_folder(entry):
            left.extend(_remove_build(entry.path))
            continue
        if entry.name == ".gitignore" and entry.is_file(follow_symlinks=False):
            try:
                if read_regular(entry.path, 4096, follow_links=False) == _GITIGNORE.encode():
                    os.unlink(entry.path)
                    continue
            except OSError:
                pass
        left.append(entry.path)
    if not left:
        os.unlink(root / "CACHEDIR.TAG")
        os.rmdir(root)
    return left


def _well_formed(entry: object) -> bool:
    """An index entry of the shape ``record`` writes (its findings are checked when they are rebuilt)."""
    if not isinstance(entry, dict):
        return False
    stamp, dependencies = entry.get("stat"), entry.get("dependencies", {})
    return (
        isinstance(entry.get("settings"), str)
        and isinstance(entry.get("digest"), str)
        and isinstance(entry.get("findings"), list)
        and (stamp is None or isinstance(stamp, list))
        and isinstance(dependencies, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in dependencies.items())
    )


def _span(values: list[int]) -> Span:
    line, column, end_line, end_column = values
    return Span(line, column, end_line, end_column)


def _plain(finding: Finding) -> dict:
    s = finding.span
    return {
        "code": finding.code,
        "slug": finding.slug,
        "span": [s.line, s.column, s.end_line, s.end_column],
        "message": finding.message,
        "severity": finding.severity.value,
        "fixes": [[o.kind, o.title, o.applicability.value, o.preferred] for o in finding.fixes],
        "related": [[r.path, [r.span.line, r.span.column, r.span.end_line, r.span.end_column], r.message] for r in finding.related],
    }


def _finding(item: dict) -> Finding:
    return Finding(
        item["code"],
        item["slug"],
        _span(item["span"]),
        item["message"],
        Severity(item["severity"]),
        tuple(FixOffer(kind, title, Applicability(applicability), preferred) for kind, title, applicability, preferred in item["fixes"]),
        related=tuple(Related(path, _span(span), message) for path, span, message in item["related"]),
    )


__all__ = ["CACHE_DIR_NAME", "CacheRefused", "ResultCache", "clean", "default_cache_dir", "open_cache", "project_root", "root_problem"]
