"""The result cache of ``sadpath check``: ``.sadpath_cache/`` in the directory the run starts from.

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
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import fields
from pathlib import Path

import sadpath
from sadpath.config import Settings
from sadpath.engine import coverage_data
from sadpath.engine.dependencies import text_digest
from sadpath.model import Applicability, Finding, FixOffer, Related, Severity, Span

log = logging.getLogger("sadpath.cache")

CACHE_DIR_NAME = ".sadpath_cache"
_FORMAT = 1
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by sadpath.\n"


def default_cache_dir() -> Path:
    return Path(os.environ.get("SADPATH_CACHE_DIR") or CACHE_DIR_NAME)


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
                raw = self.index_path.read_bytes()
                data = json.loads(raw)
                if data.get("format") == _FORMAT and isinstance(data.get("entries"), dict):
                    self._entries = data["entries"]
                    self._written = float(data.get("written", 0))
            except FileNotFoundError:
                pass
            except (OSError, ValueError, TypeError) as exc:
                log.debug("ignoring a damaged cache index %s: %s", self.index_path, exc)
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
                self._read_digests[path] = text_digest(Path(path).read_text(encoding="utf-8"))
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
            log.warning("cannot write the cache in %s (%s); going on without it", self.root, exc.strerror or exc)

    def _prepare(self) -> None:
        if self.directory.is_dir():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, text in ((".gitignore", "# Created by sadpath automatically.\n*\n"), ("CACHEDIR.TAG", _TAG)):
            marker = self.root / name
            if not marker.exists():
                marker.write_text(text, encoding="utf-8")
        # entries of other sadpath builds can never be read again
        for sibling in self.root.iterdir():
            if sibling.is_dir() and sibling != self.directory:
                shutil.rmtree(sibling, ignore_errors=True)


def clean(root: Path) -> bool:
    """Remove a cache directory; False when ``root`` exists but is not a sadpath cache."""
    if not root.exists():
        return True
    if not (root / "CACHEDIR.TAG").is_file():
        return False
    shutil.rmtree(root)
    return True


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


__all__ = ["CACHE_DIR_NAME", "ResultCache", "clean", "default_cache_dir"]
