"""The result cache of ``sadpath check``: ``.sadpath_cache/`` in the directory the run starts from.

One JSON entry per checked file, named by a digest of everything its findings depend on:

* the file's path and text;
* the settings that apply to it (selection, per-file ignores, required log fields, user interfaces, ...);
* the coverage data SAD302 reads, when configured: its path, size and modification time;
* sadpath itself: its version and every module and knowledge-base file of the installed package, by size
  and modification time, so an upgrade or an edited ``knowledge/*.toml`` starts a fresh cache;
* for SAD201's cross-file calls, the other project files the analysis read: the entry stores their digests
  and is used only while they are unchanged.

Entries are written to a temporary file and renamed into place, so concurrent runs never see half an entry;
a damaged or unreadable entry is a miss. A cache that cannot be written is reported once and the run goes
on without it. The directory carries its own ``.gitignore`` and ``CACHEDIR.TAG``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
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
    def __init__(self, root: Path) -> None:
        self.root = root
        self.directory = root / build_digest()
        self._settings: dict[int, str] = {}
        self._broken = False

    # ------------------------------------------------------------ keys
    def key(self, path: str, text: str, settings: Settings) -> str:
        ident = id(settings)
        sdigest = self._settings.get(ident)
        if sdigest is None:
            sdigest = self._settings[ident] = settings_digest(settings)
        absolute = os.path.abspath(path)
        return hashlib.blake2b(f"{sdigest}\0{absolute}\0{text_digest(text)}".encode(), digest_size=20).hexdigest()

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    # ------------------------------------------------------------ read
    def get(self, key: str) -> list[Finding] | None:
        try:
            raw = self._entry(key).read_bytes()
        except OSError:
            return None
        try:
            data = json.loads(raw)
            if data.get("format") != _FORMAT or not _dependencies_unchanged(data.get("dependencies", {})):
                return None
            return [_finding(item) for item in data["findings"]]
        except (ValueError, KeyError, TypeError) as exc:
            log.debug("ignoring a damaged cache entry %s: %s", key, exc)
            return None

    # ------------------------------------------------------------ write
    def put(self, key: str, findings: list[Finding], dependencies: dict[str, str]) -> None:
        if self._broken:
            return
        entry = self._entry(key)
        payload = json.dumps(
            {"format": _FORMAT, "dependencies": dependencies, "findings": [_plain(f) for f in findings]},
            separators=(",", ":"),
        )
        try:
            self._prepare()
            entry.parent.mkdir(exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(payload)
                os.replace(temp, entry)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            self._broken = True
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


def _dependencies_unchanged(dependencies: dict[str, str]) -> bool:
    for path, digest in dependencies.items():
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        if text_digest(text) != digest:
            return False
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
