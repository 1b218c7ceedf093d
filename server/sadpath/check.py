"""``sadpath check``: analyse (and optionally fix) many files, in parallel, reporting every failure."""

from __future__ import annotations

import difflib
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sadpath.cache import open_cache
from sadpath.config import ConfigError, Settings, path_below, resolve_settings
from sadpath.engine import coverage_data, dependencies
from sadpath.engine import analyze
from sadpath.files import ReadFile, WriteRefused, discover, read_source, write_source
from sadpath.model import Applicability, Edit, FileError, Finding, FixOffer
from sadpath.source import SourceFile, split_lines

MAX_FIX_ROUNDS = 10
PARALLEL_THRESHOLD = 16  # below this many files a process pool costs more than it saves


@dataclass(frozen=True)
class CheckOptions:
    fix: bool = False
    diff: bool = False
    unsafe_fixes: bool = False
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    jobs: int = 1
    cache_dir: Path | None = None  # None: no cache (--no-cache); fixing never reads the cache
    cache_dir_explicit: bool = False  # named by --cache-dir or SADPATH_CACHE_DIR: may lie outside the folder
    coverage: Path | None = None  # --coverage: the coverage.py data SAD302 reads (overrides the config)

    @property
    def uses_cache(self) -> bool:
        return self.cache_dir is not None and not (self.fix or self.diff)

    def apply(self, settings: Settings) -> Settings:
        changes: dict = {}
        if self.select is not None:
            changes["select"] = self.select
            changes["extend_select"] = ()
        if self.ignore:
            changes["ignore"] = (*settings.ignore, *self.ignore)
        if self.extend_select:
            changes["extend_select"] = (*changes.get("extend_select", settings.extend_select), *self.extend_select)
        if self.coverage is not None:
            changes["coverage"] = Path(os.path.abspath(self.coverage))
        return settings.with_overrides(**changes) if changes else settings


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    fixed: int = 0
    diff: str = ""
    error: FileError | None = None
    rule_failures: list[str] = field(default_factory=list)
    dependencies: dict[str, str] = field(default_factory=dict)  # other project files the analysis read


def choose_offer(finding: Finding, unsafe: bool) -> FixOffer | None:
    for offer in finding.fixes:
        if offer.applicability is Applicability.SAFE:
            return offer
    if unsafe:
        for offer in finding.fixes:
            if offer.applicability is Applicability.UNSAFE:
                return offer
    return None


def fix_text(path: str, text: str, settings: Settings, unsafe: bool) -> tuple[str, int]:
    """Apply fixes until none applies (at most MAX_FIX_ROUNDS rounds); returns the text and how many were applied."""
    from sadpath.fixes import FixRefused, apply_edits, build_fix  # libcst: only loaded when fixing

    fixed = 0
    for _ in range(MAX_FIX_ROUNDS):
        source = SourceFile(path, text)
        analysis = analyze(source, settings)
        chosen: list[Edit] = []
        taken: list[tuple[int, int]] = []
        applied = 0
        for finding in analysis.findings:
            offer = choose_offer(finding, unsafe)
            if offer is None:
                continue
            try:
                fix = build_fix(source, finding, offer, settings, analysis.tree)
            except FixRefused:
                continue  # the finding stays and is reported; the fix could not prove itself here
            ranges = [(e.span.line, max(e.span.end_line, e.span.line)) for e in fix.edits]
            if any(a <= d and c <= b for a, b in ranges for c, d in taken):
                continue  # overlaps an edit of this round; the next round sees the new text
            taken.extend(ranges)
            chosen.extend(fix.edits)
            applied += 1
        if not chosen:
            break
        try:
            text = apply_edits(text, chosen)
        except FixRefused:
            break
        fixed += applied
    return text, fixed


def check_file(path: str, settings: Settings, options: CheckOptions) -> FileResult:
    read = read_source(path)
    if isinstance(read, FileError):
        return FileResult(path, error=read)
    return check_text(read, settings, options)


def check_text(read: ReadFile, settings: Settings, options: CheckOptions) -> FileResult:
    result = FileResult(read.path)
    text = read.text
    if options.fix or options.diff:
        new_text, result.fixed = fix_text(read.path, text, settings, options.unsafe_fixes)
        if new_text != text:
            if options.diff:
                result.diff = "".join(
                    difflib.unified_diff(
                        split_lines(text),
                        split_lines(new_text),
                        fromfile=_diff_name("a", read.path),
                        tofile=_diff_name("b", read.path),
                    )
                )
            else:
                try:
                    write_source(read, new_text)
                except WriteRefused as exc:
                    result.error = FileError(read.path, f"not fixed: {exc.strerror}")
                    result.fixed = 0
                    new_text = text
                except OSError as exc:
                    result.error = FileError(read.path, f"cannot write fixes: {exc.strerror or exc}")
                    result.fixed = 0
                    new_text = text
        if options.diff:
            new_text = text  # --diff changes nothing: report the findings of the file as it is
            result.fixed = 0
        text = new_text
    analysis = analyze(SourceFile(read.path, text), settings)
    result.findings = analysis.findings
    result.rule_failures = [f"rule {f.code} crashed on {f.path}: {f.error}" for f in analysis.rule_failures]
    return result


def _diff_name(prefix: str, path: str) -> str:
    shown = display_path(path)
    return shown if Path(shown).is_absolute() else f"{prefix}/{shown}"


Job = tuple[ReadFile, Settings, CheckOptions]


def _worker(job: Job) -> FileResult:
    read, settings, options = job
    with dependencies.recording() as read_files:
        result = check_text(read, settings, options)
    result.dependencies = dict(read_files)
    return result


@dataclass
class RunResult:
    results: list[FileResult]
    errors: list[FileError]


class SettingsResolver:
    """Settings per file: the explicit --config, else the nearest configured pyproject.toml (cached)."""

    def __init__(self, explicit: Path | None, options: CheckOptions) -> None:
        self.options = options
        self._by_config: dict = {}
        self._by_dir: dict[str, Settings] = {}
        self._explicit = options.apply(resolve_settings(Path.cwd(), explicit)) if explicit is not None else None

    def for_path(self, path: str | Path) -> Settings:
        if self._explicit is not None:
            return self._explicit
        text = os.fspath(path)
        directory = os.path.dirname(text) if text.endswith(".py") or os.path.isfile(text) else text
        return self._for_directory(os.path.abspath(directory or "."))

    def _for_directory(self, directory: str) -> Settings:
        """The settings of the nearest configured pyproject.toml upward, remembered for every folder on the way:
        resolving starts at the first folder that has a pyproject.toml (or at the file system's root)."""
        chain: list[str] = []
        current = directory
        while (settings := self._by_dir.get(current)) is None:
            chain.append(current)
            parent = os.path.dirname(current)
            if parent == current or os.path.isfile(os.path.join(current, "pyproject.toml")):
                settings = self.options.apply(resolve_settings(Path(current), None, self._by_config))
                break
            current = parent
        for folder in chain:
            self._by_dir[folder] = settings
        return settings


def run(paths: list[str], resolver: SettingsResolver, options: CheckOptions) -> RunResult:
    """Check every Python file under ``paths``. Raises ConfigError for an invalid configuration."""
    jobs: list[Job] = []
    errors: list[FileError] = []
    slots: list[FileResult | None] = []  # in discovery order; None where a job computes the result
    cache = None
    if options.uses_cache and options.cache_dir is not None:
        cache = open_cache(options.cache_dir, explicit=options.cache_dir_explicit)
    coverage_checked: set[str] = set()
    for path, error in discover(paths, lambda p: resolver.for_path(p).is_excluded(p)):
        if error is not None:
            errors.append(error)
            continue
        settings = resolver.for_path(path)
        _say_if_coverage_unusable(settings, coverage_checked)
        read: ReadFile | FileError | None = None
        if cache is not None:
            opened: list[ReadFile | FileError] = []

            def read_text(path: str = path, opened: list = opened) -> str | None:
                opened.append(read_source(path))
                return opened[-1].text if isinstance(opened[-1], ReadFile) else None

            cached, _ = cache.lookup(path, settings, read_text)
            if cached is not None:
                slots.append(FileResult(path, findings=cached))
                continue
            read = opened[-1] if opened else None
        if read is None:
            read = read_source(path)
        if isinstance(read, FileError):
            slots.append(FileResult(path, error=read))
            continue
        slots.append(None)
        jobs.append((read, settings, options))
    workers = effective_jobs(options.jobs, len(jobs))
    if workers > 1 and len(jobs) >= PARALLEL_THRESHOLD:
        chunk = max(1, min(32, len(jobs) // (workers * 4)))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_worker, jobs, chunksize=chunk))
    else:
        results = [_worker(job) for job in jobs]
    if cache is not None:
        for (read, settings, _), result in zip(jobs, results):
            if not result.rule_failures and result.error is None:
                cache.record(read.path, settings, read.text, result.findings, result.dependencies)
        cache.save()
    computed = iter(results)
    ordered = [slot if slot is not None else next(computed) for slot in slots]
    return RunResult(ordered, errors)


def _say_if_coverage_unusable(settings: Settings, checked: set[str]) -> None:
    """One stderr line per run for configured coverage data that cannot be read (SAD302 is then silent)."""
    path = coverage_data.data_path(settings)
    if path is None or path in checked:
        return
    checked.add(path)
    problem = coverage_data.problem(settings)
    if problem is not None and any(rule.code == "SAD302" for rule in settings.enabled_rules()):
        print(f"sadpath: {problem.message}", file=sys.stderr)


def effective_jobs(requested: int, files: int) -> int:
    """Worker processes for a run: never more than the files to analyse, nor four per core."""
    return max(1, min(requested, files, 4 * default_jobs()))


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def display_path(path: str) -> str:
    """``path`` relative to the current folder when it is below it, else as given."""
    try:
        below = path_below(path, os.getcwd())
    except OSError as exc:
        print(f"sadpath: cannot resolve {path}: {exc.strerror or exc}", file=sys.stderr)
        below = None
    return below if below is not None else Path(path).as_posix()


__all__ = ["CheckOptions", "ConfigError", "FileResult", "RunResult", "SettingsResolver", "check_text", "fix_text", "run"]
