"""Open documents: the analysis of each version, cached by text, and the settings of each document's project."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from pygls.uris import to_fs_path

from sadpath.config import ConfigError, Settings, find_config, load_settings
from sadpath.engine import Analysis, coverage_data
from sadpath.engine.incremental import IncrementalAnalyzer
from sadpath.lsp.options import Options
from sadpath.source import SourceFile

log = logging.getLogger("sadpath.lsp")


@dataclass
class Result:
    version: int | None
    digest: str
    analysis: Analysis
    settings: Settings
    stamp: tuple = ()  # the coverage data and the file on disk, when SAD302 reads them (coverage_data.stamp)

    @property
    def result_id(self) -> str:
        if self.stamp:  # the same text with new coverage data is a new result
            return f"{self.version}:{self.digest[:16]}:{digest_of(repr(self.stamp))[:8]}"
        return f"{self.version}:{self.digest[:16]}"


@dataclass
class DocumentState:
    uri: str
    result: Result | None = None
    pending: object | None = None  # the asyncio task of a scheduled analysis
    too_large_reported: bool = False
    analyzer: IncrementalAnalyzer = field(default_factory=IncrementalAnalyzer)


class SettingsCache:
    """Settings per project: the nearest configured pyproject.toml, re-read when it changes."""

    def __init__(self) -> None:
        self._by_config: dict[Path, tuple[float, Settings]] = {}
        self.reported: set[str] = set()

    def clear(self) -> None:
        self._by_config.clear()
        self.reported.clear()

    def settings_for(self, path: str | None, options: Options, root: str | None = None) -> tuple[Settings, str | None]:
        """Settings for a document path, with the editor's overrides, and an error to show (once) if any.
        ``root``: the workspace root, that a relative ``coverage`` option is relative to."""
        base, error = Settings(), None
        if path:
            try:
                config = find_config(Path(path).parent)
                if config is not None:
                    stamp = config.stat().st_mtime
                    cached = self._by_config.get(config)
                    if cached is None or cached[0] != stamp:
                        cached = (stamp, load_settings(config))
                        self._by_config[config] = cached
                    base = cached[1]
            except ConfigError as exc:
                error = f"sadpath: {exc}; using the default settings for this project"
            except OSError as exc:
                error = f"sadpath: cannot read the configuration for {path}: {exc.strerror or exc}"
        changes = {}
        if options.select is not None:
            changes["select"] = options.select
            changes["extend_select"] = ()
        if options.ignore:
            changes["ignore"] = (*base.ignore, *options.ignore)
        if options.coverage:
            data = Path(options.coverage).expanduser()
            if not data.is_absolute():
                data = Path(root or Path.cwd()) / data
            changes["coverage"] = Path(os.path.normpath(data))
        settings = base.with_overrides(**changes) if changes else base
        if error is not None and error in self.reported:
            error = None
        elif error is not None:
            self.reported.add(error)
        return settings, error


def document_path(uri: str) -> str:
    path = to_fs_path(uri)
    return path if path else uri


def digest_of(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def analyse(uri: str, text: str, version: int | None, settings: Settings, state: DocumentState) -> Result:
    """The analysis of a document version: reused whole when neither the text nor the settings changed,
    otherwise incremental (only the top-level statements the edit touched are analysed again)."""
    digest = digest_of(text)
    previous = state.result
    stamp = coverage_data.stamp(settings, document_path(uri))  # new test data, or the file saved: analyse again
    if previous is not None and previous.digest == digest and previous.settings == settings and previous.stamp == stamp:
        return Result(version, digest, previous.analysis, settings, stamp)
    source = SourceFile(document_path(uri), text)
    return Result(version, digest, state.analyzer.analyze(source, settings), settings, stamp)


@dataclass
class Store:
    states: dict[str, DocumentState] = field(default_factory=dict)

    def get(self, uri: str) -> DocumentState:
        state = self.states.get(uri)
        if state is None:
            state = DocumentState(uri)
            self.states[uri] = state
        return state

    def drop(self, uri: str) -> DocumentState | None:
        return self.states.pop(uri, None)
