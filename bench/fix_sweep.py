"""Apply every fix together (``sadpath check --fix --unsafe-fixes``) to each file of a corpus and check the result.

    python bench/fix_sweep.py DIR [DIR ...] [--jobs 2] [--json out.json] [--show 20] [--limit N]

Nothing is written: each file is read, fixed in memory with ``linter.lint_fix(..., unsafe=True)`` under the
settings its nearest configured pyproject.toml gives (the defaults elsewhere), and the fixed text is checked:

* it parses;
* pyflakes finds no warning the original did not have (undefined names, redefinitions, unused locals and imports);
* a second check with the same settings finds nothing that still offers a fix (``leftover``), and no finding that
  the fixes created (``created``: more findings of a rule in a function than before);
* a second run changes nothing (``unconverged``);
* the fixes make no run of three blank lines.

It prints the fixes applied per kind, the files changed, and each count with up to ``--show`` examples. The test
suite runs the same checks (``check_text``) over the fixtures, ``examples/`` and ``bench/quality/cases/``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

SKIPPED_PARTS = {"_wheels", ".git", "__pycache__", ".venv", "node_modules"}


@dataclass
class FileSweep:
    path: str
    applied: dict[str, int] = field(default_factory=dict)  # fixes applied per kind
    changed: bool = False
    parse_error: str | None = None
    new_pyflakes: list[str] = field(default_factory=list)
    leftover: list[str] = field(default_factory=list)  # findings of the fixed text that still offer a fix
    created: list[str] = field(default_factory=list)  # findings the fixes created
    unconverged: bool = False  # a second run changed the text again
    blank_runs: int = 0  # new runs of three or more blank lines (PEP 8 has two at most)
    error: str | None = None  # the sweep itself failed on the file (unreadable, a crash)
    fixed_text: str | None = None

    @property
    def problems(self) -> list[str]:
        out = []
        if self.parse_error:
            out.append(f"does not parse: {self.parse_error}")
        out += [f"new pyflakes warning: {w}" for w in self.new_pyflakes]
        out += [f"still offers a fix: {f}" for f in self.leftover]
        out += [f"created: {f}" for f in self.created]
        if self.unconverged:
            out.append("a second run changes the text again")
        if self.blank_runs:
            out.append(f"{self.blank_runs} new run(s) of three blank lines")
        if self.error:
            out.append(f"error: {self.error}")
        return out


def pyflakes_warnings(text: str, path: str) -> Counter:
    """pyflakes' messages without line numbers, so that moved code matches (``UnusedImport: 'os' imported but
    unused``, ``RedefinedWhileUnused: redefinition of unused 'f' from line N``)."""
    from pyflakes import checker

    try:
        tree = ast.parse(text, path)
    except (SyntaxError, ValueError):
        return Counter()
    found = checker.Checker(tree, filename=path)
    return Counter(re.sub(r"\bline \d+", "line N", f"{type(m).__name__}: {m.message % m.message_args}") for m in found.messages)


def _functions(tree: ast.Module) -> list[tuple[int, int, str]]:
    spans = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def _where(spans: list[tuple[int, int, str]], line: int) -> str:
    best = "<module>"
    size = None
    for start, end, name in spans:
        if start <= line <= end and (size is None or end - start < size):
            best, size = name, end - start
    return best


def finding_keys(analysis) -> Counter:
    """Findings by (rule, enclosing function): lines move when fixes add code, functions do not."""
    spans = _functions(analysis.tree) if analysis.tree is not None else []
    return Counter(f"{f.code} in {_where(spans, f.span.line)}" for f in analysis.findings)


def offers_fix(finding) -> bool:
    from sadpath.model import Applicability

    return any(o.applicability is not Applicability.DISPLAY_ONLY for o in finding.fixes)


def check_text(path: str, text: str, settings, keep_text: bool = False) -> FileSweep:
    """Fix ``text`` with every fix and check the result (see the module docstring)."""
    from sadpath.linter import lint, lint_fix
    from sadpath.source import SourceFile

    result = FileSweep(path)
    before = lint(SourceFile(path, text), settings)
    if before.tree is None:
        return result  # a file that does not parse gets no fixes
    tally: dict[str, int] = {}
    fixed, _ = lint_fix(SourceFile(path, text), settings, True, tally=tally)
    result.applied = tally
    result.changed = fixed != text
    if keep_text:
        result.fixed_text = fixed
    after = lint(SourceFile(path, fixed), settings) if result.changed else before
    try:
        ast.parse(fixed, path)
    except (SyntaxError, ValueError) as exc:
        result.parse_error = f"{getattr(exc, 'msg', exc)} at line {getattr(exc, 'lineno', '?')}"
        return result
    lines = SourceFile(path, fixed)
    result.leftover = [
        f"{f.code} line {f.span.line}: {lines.line(f.span.line).strip()[:100]}" for f in after.findings if offers_fix(f)
    ]
    if not result.changed:
        return result
    result.blank_runs = max(0, _blank_runs(fixed) - _blank_runs(text))
    new_warnings = pyflakes_warnings(fixed, path) - pyflakes_warnings(text, path)
    result.new_pyflakes = sorted(new_warnings.elements())
    created = finding_keys(after) - finding_keys(before)
    result.created = sorted(created.elements())
    again, _ = lint_fix(SourceFile(path, fixed), settings, True)
    result.unconverged = again != fixed
    return result


def _blank_runs(text: str) -> int:
    return len(re.findall(r"\n[ \t]*\n[ \t]*\n[ \t]*\n(?=[ \t]*\S)", text))


def _sweep_one(path: str) -> FileSweep:
    from sadpath.config import resolve_settings
    from sadpath.files import read_source
    from sadpath.model import FileError

    try:
        read = read_source(path)
        if isinstance(read, FileError):
            return FileSweep(path, error=read.message)
        return check_text(path, read.text, resolve_settings(Path(path)))
    except Exception as exc:  # one file's crash is counted and named, the sweep goes on
        return FileSweep(path, error=f"{type(exc).__name__}: {exc}"[:300])


def python_files(roots: list[Path]) -> list[str]:
    files = []
    for root in roots:
        if root.is_file():
            files.append(str(root))
            continue
        for path in sorted(root.rglob("*.py")):
            if not SKIPPED_PARTS.intersection(path.parts) and path.is_file() and not path.is_symlink():
                files.append(str(path))
    return files


def summary(results: list[FileSweep], show: int) -> tuple[str, dict]:
    applied: Counter = Counter()
    for r in results:
        applied.update(r.applied)
    counts = {
        "files": len(results),
        "files_changed": sum(r.changed for r in results),
        "fixes_applied": sum(applied.values()),
        "fixes_per_kind": dict(sorted(applied.items())),
        "parse_errors": sum(bool(r.parse_error) for r in results),
        "new_pyflakes_warnings": sum(len(r.new_pyflakes) for r in results),
        "leftover_fixable_findings": sum(len(r.leftover) for r in results),
        "created_findings": sum(len(r.created) for r in results),
        "unconverged_files": sum(r.unconverged for r in results),
        "new_blank_runs": sum(r.blank_runs for r in results),
        "sweep_errors": sum(bool(r.error) for r in results),
    }
    lines = [f"{counts['files']} files, {counts['files_changed']} changed, {counts['fixes_applied']} fixes applied"]
    lines += [f"  {kind}: {n}" for kind, n in counts["fixes_per_kind"].items()]
    keys = ("parse_errors", "new_pyflakes_warnings", "leftover_fixable_findings", "created_findings", "unconverged_files", "new_blank_runs", "sweep_errors")
    for key in keys:
        lines.append(f"{key.replace('_', ' ')}: {counts[key]}")
    problems = [(r.path, p) for r in results for p in r.problems]
    for path, problem in problems[:show]:
        lines.append(f"  {path}: {problem}")
    if len(problems) > show:
        lines.append(f"  ... and {len(problems) - show} more")
    return "\n".join(lines), counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+", type=Path)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--json", type=Path, help="write the counts and every file's problems here")
    parser.add_argument("--show", type=int, default=20, help="problems to print (default 20)")
    parser.add_argument("--limit", type=int, default=0, help="sweep only the first N files (0: all)")
    args = parser.parse_args(argv)
    missing = [str(r) for r in args.roots if not r.exists()]
    if missing:
        print(f"fix_sweep: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    files = python_files(args.roots)
    if args.limit:
        files = files[: args.limit]
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(_sweep_one, files, chunksize=8))
    else:
        results = [_sweep_one(f) for f in files]
    text, counts = summary(results, args.show)
    print(text)
    if args.json:
        detail = [{k: v for k, v in asdict(r).items() if k != "fixed_text"} for r in results if r.problems]
        args.json.write_text(json.dumps({"counts": counts, "problems": detail}, indent=2) + "\n", encoding="utf-8")
    return 0 if not any(r.problems for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
