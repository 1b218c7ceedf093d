"""The one entry point the command line and the language server share.

* ``lint(source, settings)``: the findings of one text, with the rules the settings enable for its path.
* ``lint_fix(source, settings, unsafe)``: the text with every applicable fix applied, repeated until nothing more
  applies (``MAX_FIX_ROUNDS``), and how many fixes were applied. ``--fix``, ``--diff``, the editor's fix-all
  and fix-on-save all use it; ``choose_offer`` is the one choice of which fix a finding gets.
* ``Overrides`` and ``SettingsResolver``: the settings of a path (an explicit ``--config``, else the nearest
  configured ``pyproject.toml``), with the command line's or the editor's overrides applied.

libcst is loaded only when a fix is built.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from sadpath.config import configures_sadpath, load_settings
from sadpath.engine import Analysis, analyze
from sadpath.model import Applicability, Edit, Finding, FixOffer
from sadpath.registry import RULES, enabled_rules
from sadpath.settings import Settings
from sadpath.source import SourceFile

MAX_FIX_ROUNDS = 10


def lint(source: SourceFile, settings: Settings | None = None) -> Analysis:
    """All findings of one file, suppressions and per-file ignores applied, sorted by position."""
    settings = settings or Settings()
    return analyze(source, settings, enabled_rules(settings, source.path), known_rules=RULES)


def choose_offer(finding: Finding, unsafe: bool) -> FixOffer | None:
    """The fix ``--fix`` and fix-all apply: the first safe one, else (with ``unsafe``) the first unsafe one."""
    for offer in finding.fixes:
        if offer.applicability is Applicability.SAFE:
            return offer
    if unsafe:
        for offer in finding.fixes:
            if offer.applicability is Applicability.UNSAFE:
                return offer
    return None


def lint_fix(
    source: SourceFile, settings: Settings | None, unsafe: bool, *, tally: dict[str, int] | None = None
) -> tuple[str, int]:
    """Apply fixes until none applies (at most ``MAX_FIX_ROUNDS`` rounds): the new text and how many were applied.

    Each round analyses the current text, builds the chosen fix of every finding, and applies those whose edits
    do not overlap an edit already taken in that round; the next round sees the new text. ``tally``, when given,
    counts the applied fixes per fix kind."""
    from sadpath.fixes import FixRefused, apply_edits, build_fix  # libcst: only loaded when fixing

    settings = settings or Settings()
    text = source.text
    fixed = 0
    for _ in range(MAX_FIX_ROUNDS):
        current = SourceFile(source.path, text)
        analysis = lint(current, settings)
        chosen: list[Edit] = []
        taken: list[tuple[int, int]] = []
        applied = 0
        kinds: list[str] = []
        for finding in analysis.findings:
            offer = choose_offer(finding, unsafe)
            if offer is None:
                continue
            try:
                fix = build_fix(current, finding, offer, settings, analysis.tree)
            except FixRefused:
                continue  # the finding stays and is reported; the fix could not prove itself here
            ranges = [(e.span.line, max(e.span.end_line, e.span.line)) for e in fix.edits]
            if any(a <= d and c <= b for a, b in ranges for c, d in taken):
                continue  # overlaps an edit of this round; the next round sees the new text
            taken.extend(ranges)
            chosen.extend(fix.edits)
            kinds.append(offer.kind)
            applied += 1
        if not chosen:
            break
        try:
            text = apply_edits(text, chosen)
        except FixRefused:
            break
        fixed += applied
        if tally is not None:
            for kind in kinds:
                tally[kind] = tally.get(kind, 0) + 1
    return text, fixed


@dataclass(frozen=True)
class Overrides:
    """What the command line or the editor sets over the project's configuration."""

    select: tuple[str, ...] | None = None  # replaces the configuration's select (and its extend-select)
    ignore: tuple[str, ...] = ()  # added to the configuration's
    extend_select: tuple[str, ...] = ()
    coverage: Path | None = None  # absolute: the caller decides what a relative path is relative to
    preview: bool | None = None  # --preview / --no-preview
    target_version: tuple[int, int] | None = None  # --target-version

    def apply(self, settings: Settings) -> Settings:
        changes: dict = {}
        if self.preview is not None:
            changes["preview"] = self.preview
        if self.target_version is not None:
            changes["target_version"] = self.target_version
        if self.select is not None:
            changes["select"] = self.select
            changes["extend_select"] = ()
        if self.ignore:
            changes["ignore"] = (*settings.ignore, *self.ignore)
        if self.extend_select:
            changes["extend_select"] = (*changes.get("extend_select", settings.extend_select), *self.extend_select)
        if self.coverage is not None:
            changes["coverage"] = Path(os.path.normpath(self.coverage))
        return replace(settings, **changes) if changes else settings


class SettingsResolver:
    """Settings per path: the explicit configuration, else the nearest ``pyproject.toml`` upward that has a
    ``[tool.sadpath]`` table, with ``overrides`` applied. Folders and loaded files are remembered; with
    ``reload=True`` (the language server) a configuration file is read again when its time stamp changes.
    ``for_path`` raises ConfigError for an invalid configuration."""

    def __init__(self, overrides: Overrides | None = None, explicit: Path | None = None, *, reload: bool = False) -> None:
        self.overrides = overrides or Overrides()
        self.explicit = explicit
        self.reload = reload
        self._by_config: dict[Path, tuple[int, Settings]] = {}
        self._config_of: dict[str, Path | None] = {}

    def clear(self) -> None:
        self._by_config.clear()
        self._config_of.clear()

    def for_path(self, path: str | os.PathLike) -> Settings:
        if self.explicit is not None:
            return self._load(self.explicit)
        text = os.fspath(path)
        directory = os.path.dirname(text) if text.endswith(".py") or os.path.isfile(text) else text
        config = self._config_for(os.path.abspath(directory or "."))
        return self._load(config) if config is not None else self.overrides.apply(Settings())

    def config_path_for(self, path: str | os.PathLike) -> Path | None:
        """The configuration file whose settings apply to ``path`` (None: the defaults)."""
        if self.explicit is not None:
            return self.explicit
        text = os.fspath(path)
        directory = os.path.dirname(text) if text.endswith(".py") or os.path.isfile(text) else text
        return self._config_for(os.path.abspath(directory or "."))

    def exclusion_chain(self, directory: str) -> list[Settings]:
        """The settings of every configuration from the one of ``directory`` up to the top: a parent's
        ``exclude`` applies below it, nested configurations included (the explicit ``--config``: that one)."""
        if self.explicit is not None:
            return [self._load(self.explicit)]
        chain: list[Settings] = []
        current: str | None = os.path.abspath(directory or ".")
        while current is not None:
            config = self._config_for(current)
            if config is None:
                break
            chain.append(self._load(config))
            parent = os.path.dirname(str(config.parent))
            current = parent if parent != str(config.parent) else None
        return chain

    def excludes_entry(self, path: str) -> bool:
        """Whether a file or folder met while walking is excluded by any configuration above it."""
        return any(settings.excludes_entry(path) for settings in self.exclusion_chain(os.path.dirname(os.path.abspath(path))))

    def excludes_path(self, path: str) -> bool:
        """Whether a path named on the command line is excluded (``--force-exclude``): it, or a folder it lies in,
        matches an ``exclude`` of a configuration above it."""
        return any(settings.is_excluded(path) for settings in self.exclusion_chain(os.path.dirname(os.path.abspath(path))))

    def _config_for(self, directory: str) -> Path | None:
        """The configuration of a folder. The command line remembers it for every folder on the way up; the
        server looks again each time (a pyproject.toml may have been created since)."""
        chain: list[str] = []
        current = directory
        found: Path | None = None
        while self.reload or current not in self._config_of:
            chain.append(current)
            candidate = Path(current) / "pyproject.toml"
            if candidate.is_file() and configures_sadpath(candidate):
                found = candidate.resolve()
                break
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        else:
            found = self._config_of[current]
        if not self.reload:
            for folder in chain:
                self._config_of[folder] = found
        return found

    def _load(self, config: Path) -> Settings:
        stamp = config.stat().st_mtime_ns if self.reload else 0
        cached = self._by_config.get(config)
        if cached is None or cached[0] != stamp:
            cached = (stamp, self.overrides.apply(load_settings(config)))
            self._by_config[config] = cached
        return cached[1]


__all__ = ["MAX_FIX_ROUNDS", "Overrides", "SettingsResolver", "choose_offer", "lint", "lint_fix"]
