"""``sadpath check``: analyse (and optionally fix) many files, in parallel, reporting every failure."""

from __future__ import annotations

import difflib
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import argparse

from sadpath.cache import open_cache
from sadpath.commands import display_path
from sadpath.engine import coverage_data, file_reads
from sadpath.files import ReadFile, WriteRefused, discover, read_source, write_source
from sadpath.linter import Overrides, SettingsResolver, lint, lint_fix
from sadpath.model import FileError, Finding
from sadpath.registry import is_enabled
from sadpath.settings import ConfigError, Settings
from sadpath.source import SourceFile, split_lines

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
    preview: bool | None = None  # --preview / --no-preview
    target_version: tuple[int, int] | None = None  # --target-version
    force_exclude: bool = False  # exclude applies to the paths named on the command line too

    @property
    def uses_cache(self) -> bool:
        return self.cache_dir is not None and not (self.fix or self.diff)

    @property
    def overrides(self) -> Overrides:
        coverage = Path(os.path.abspath(self.coverage)) if self.coverage is not None else None
        return Overrides(self.select, self.ignore, self.extend_select, coverage, self.preview, self.target_version)


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    fixed: int = 0
    diff: str = ""
    error: FileError | None = None
    rule_failures: list[str] = field(default_factory=list)
    dependencies: dict[str, str] = field(default_factory=dict)  # other project files the analysis read
    text: str | None = None  # the text the findings are of (kept only when there are findings)


def fix_text(path: str, text: str, settings: Settings, unsafe: bool) -> tuple[str, int]:
    """The fixed text of one file and how many fixes were applied (``linter.lint_fix``)."""
    return lint_fix(SourceFile(path, text), settings, unsafe)


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
    analysis = lint(SourceFile(read.path, text), settings)
    if analysis.unsupported is not None:  # not a finding of the code: a limit of this run, said as an error
        result.error = FileError(read.path, analysis.unsupported.message)
        result.fixed = 0
        return result
    result.findings = analysis.findings
    result.text = text if analysis.findings else None
    result.rule_failures = [f"rule {f.code} crashed on {f.path}: {f.error}" for f in analysis.rule_failures]
    return result


def _diff_name(prefix: str, path: str) -> str:
    shown = display_path(path)
    return shown if Path(shown).is_absolute() else f"{prefix}/{shown}"


Job = tuple[ReadFile, Settings, CheckOptions]


def _worker(job: Job) -> FileResult:
    read, settings, options = job
    with file_reads.recording() as read_files:
        result = check_text(read, settings, options)
    result.dependencies = dict(read_files)
    return result


@dataclass
class RunResult:
    results: list[FileResult]
    errors: list[FileError]


def run(paths: list[str], resolver: SettingsResolver, options: CheckOptions) -> RunResult:
    """Check every Python file under ``paths``. Raises ConfigError for an invalid configuration."""
    jobs: list[Job] = []
    errors: list[FileError] = []
    slots: list[FileResult | None] = []  # in discovery order; None where a job computes the result
    cache = None
    if options.uses_cache and options.cache_dir is not None:
        cache = open_cache(options.cache_dir, explicit=options.cache_dir_explicit)
    coverage_checked: set[str] = set()
    if options.force_exclude:
        paths = [p for p in paths if not resolver.excludes_path(p)]
    for path, error in discover(paths, resolver.excludes_entry):
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
    if problem is not None and is_enabled("SAD302", settings):
        print(f"sadpath: {problem.message}", file=sys.stderr)


def effective_jobs(requested: int, files: int) -> int:
    """Worker processes for a run: never more than the files to analyse, nor four per core."""
    return max(1, min(requested, files, 4 * default_jobs()))


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1



def main(args: argparse.Namespace) -> int:
    from sadpath.commands import check_output

    return check_output.main(args)


__all__ = ["main", "CheckOptions", "ConfigError", "FileResult", "RunResult", "SettingsResolver", "check_text", "fix_text", "run"]
