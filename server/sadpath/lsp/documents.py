"""Open documents: the analysis of each version, cached by text, and the settings of each document's project."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import astuple, dataclass, field
from pathlib import Path

from pygls.uris import to_fs_path

from sadpath.linter import Overrides, SettingsResolver
from sadpath.registry import RULES, enabled_rules
from sadpath.settings import ConfigError, Settings
from sadpath.engine import Analysis, coverage_data
from sadpath.engine.incremental import IncrementalAnalyzer
from sadpath.lsp.options import Options
from sadpath.lsp.resilient import Good, good_of, recover
from sadpath.source import SourceFile

log = logging.getLogger("sadpath.lsp")


@dataclass
class Result:
    version: int | None
    digest: str
    analysis: Analysis
    settings: Settings
    stamp: tuple = ()  # the coverage data and the file on disk, when SAD302 reads them (coverage_data.stamp)
    # when the text does not parse: the analysis of the text with the broken units blanked (``lsp.resilient``),
    # whose tree the hover reads; ``analysis`` then holds the kept findings and the SAD000, without a tree
    partial: Analysis | None = None
    # the diagnostics of this result as shown (``SadpathServer.diagnostics``), by how they were converted: a
    # codeAction or pull request reads them again without converting every finding again
    shown: dict = field(default_factory=dict, compare=False, repr=False)

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
    good: Good | None = None  # the last analysis whose text parsed: what a syntax error keeps (lsp.resilient)
    good_settings: Settings | None = None  # the settings it was found with


class SettingsCache:
    """Settings per document: its project's configuration (``linter.SettingsResolver``, read again when the
    pyproject.toml changes) with the editor's overrides. An invalid configuration falls back to the defaults,
    and the error is said once."""

    def __init__(self) -> None:
        self._resolvers: dict[tuple, SettingsResolver] = {}
        self.reported: set[str] = set()

    def clear(self) -> None:
        self._resolvers.clear()
        self.reported.clear()

    def settings_for(self, path: str | None, options: Options, root: str | None = None) -> tuple[Settings, str | None]:
        """Settings for a document path, with the editor's overrides, and an error to show (once) if any.
        ``root``: the workspace root, that a relative ``coverage`` option is relative to."""
        overrides = _overrides(options, root)
        explicit = explicit_configuration(options, root)
        key = (astuple(overrides), explicit)
        resolver = self._resolvers.get(key)
        if resolver is None:
            resolver = self._resolvers[key] = SettingsResolver(overrides, explicit, reload=True)
        error = None
        if not path and explicit is None:
            return overrides.apply(Settings()), None
        if explicit is not None and not explicit.is_file():
            error = f"sadpath: the configuration {explicit} (sadpath.configuration) is not a file; using the default settings"
            settings = overrides.apply(Settings())
            if error in self.reported:
                return settings, None
            self.reported.add(error)
            return settings, error
        try:
            settings = resolver.for_path(str(Path(path).parent) if path else ".")
        except ConfigError as exc:
            settings, error = overrides.apply(Settings()), f"sadpath: {exc}; using the default settings for this project"
        except OSError as exc:
            settings = overrides.apply(Settings())
            error = f"sadpath: cannot read the configuration for {path}: {exc.strerror or exc}"
        if error is not None and error in self.reported:
            error = None
        elif error is not None:
            self.reported.add(error)
        return settings, error


def _overrides(options: Options, root: str | None) -> Overrides:
    coverage = None
    if options.coverage:
        data = Path(options.coverage).expanduser()
        coverage = data if data.is_absolute() else Path(root or Path.cwd()) / data
    return Overrides(select=options.select, ignore=options.ignore, extend_select=options.extend_select, coverage=coverage)


def explicit_configuration(options: Options, root: str | None) -> Path | None:
    """The ``configuration`` option as an absolute path (relative to the workspace root), or None."""
    if not options.configuration:
        return None
    config = Path(options.configuration).expanduser()
    return config if config.is_absolute() else Path(root or Path.cwd()) / config


def document_path(uri: str) -> str:
    path = to_fs_path(uri)
    return path if path else uri


def digest_of(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def analyze(uri: str, text: str, version: int | None, settings: Settings, state: DocumentState) -> Result:
    """The analysis of a document version: reused whole when neither the text nor the settings changed,
    otherwise incremental (only the top-level statements the edit touched are analysed again). A text that does
    not parse keeps the findings of the units its syntax error is not in (``lsp.resilient``)."""
    digest = digest_of(text)
    previous = state.result
    stamp = coverage_data.stamp(settings, document_path(uri))  # new test data, or the file saved: analyse again
    if previous is not None and previous.digest == digest and previous.settings == settings and previous.stamp == stamp:
        if previous.version == version:
            return previous  # the same version asked about again (a request after the publish): its diagnostics too
        return Result(version, digest, previous.analysis, settings, stamp, previous.partial)
    path = document_path(uri)
    rules = enabled_rules(settings, path)
    source = SourceFile(path, text)
    analysis = state.analyzer.analyze(source, settings, rules, known_rules=RULES)
    if analysis.tree is not None:
        state.good, state.good_settings = good_of(text, analysis), settings
        return Result(version, digest, analysis, settings, stamp)
    error = analysis.syntax_error
    good = state.good if state.good is not None and state.good.analysis.source.path == path else None
    if error is None or good is None:
        return Result(version, digest, analysis, settings, stamp)

    def analyze_text(blanked: str) -> Analysis:
        return state.analyzer.analyze(SourceFile(path, blanked), settings, rules, known_rules=RULES)

    recovered = recover(good, source, error, analyze_text, keep_old=state.good_settings == settings)
    if recovered is None:
        return Result(version, digest, analysis, settings, stamp)
    kept = Analysis(source, recovered.findings)
    return Result(version, digest, kept, settings, stamp, recovered.partial)


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
