"""Sample fixes from a corpus, each applied alone, for a pull-request review by eye (``fix-review.md``).

    python bench/quality/fix_sample.py DIR [--count 30] [--seed 7] [--out sample.md]

Every file under ``DIR`` is checked with the settings its nearest configured pyproject.toml gives (the defaults
elsewhere); every finding that offers a fix under ``--fix --unsafe-fixes`` (``choose_offer``) is a candidate. The
sample is drawn round-robin over the fix kinds (so one prolific kind does not fill it), then at random within a
kind, with ``random.Random(seed)`` over candidates sorted by path and line, so two runs give the same sample.

For each sampled fix it prints the finding, the place of its handler (route, task, loop, main, cleanup or none),
and the unified diff of that one fix applied alone to the original file. Nothing is written to the corpus.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import random
import sys
from collections import defaultdict
from pathlib import Path

from sadpath.config import resolve_settings
from sadpath.files import read_source
from sadpath.linter import choose_offer, lint
from sadpath.model import FileError
from sadpath.source import SourceFile

SKIPPED_PARTS = {"_wheels", ".git", "__pycache__", ".venv", "node_modules"}


def candidates(root: Path) -> list[tuple[str, int, str, str, str]]:
    """(path, line, rule, fix kind, message) of every finding that offers a fix, sorted by path and line."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if SKIPPED_PARTS.intersection(path.parts):
            continue
        read = read_source(str(path))
        if isinstance(read, FileError):
            print(f"{path}: skipped ({read.message})", file=sys.stderr)
            continue
        text = read.text
        settings = resolve_settings(path)
        for finding in lint(SourceFile(str(path), text), settings).findings:
            offer = choose_offer(finding, True)
            if offer is not None:
                found.append((str(path), finding.span.line, finding.code, offer.kind, finding.message))
    return found


def draw(found: list[tuple[str, int, str, str, str]], count: int, seed: int) -> list[tuple[str, int, str, str, str]]:
    """Round-robin over fix kinds, at random within each kind."""
    rng = random.Random(seed)
    by_kind: dict[str, list] = defaultdict(list)
    for item in found:
        by_kind[item[3]].append(item)
    for items in by_kind.values():
        rng.shuffle(items)
    picked = []
    while len(picked) < count and any(by_kind.values()):
        for kind in sorted(by_kind):
            if by_kind[kind] and len(picked) < count:
                picked.append(by_kind[kind].pop())
    return picked


def alone(path: str, line: int, rule: str, kind: str) -> tuple[str, str]:
    """The place of the finding's handler and the diff of its chosen fix applied alone."""
    from sadpath.fixes import FixRefused, apply_edits, build_fix
    from sadpath.fixes.place import place_of
    from sadpath.fixes.request import FixRequest

    read = read_source(path)
    if isinstance(read, FileError):
        return "-", f"(unreadable: {read.message})"
    text = read.text
    settings = resolve_settings(Path(path))
    source = SourceFile(path, text)
    analysis = lint(source, settings)
    for finding in analysis.findings:
        offer = choose_offer(finding, True)
        if finding.code != rule or finding.span.line != line or offer is None or offer.kind != kind:
            continue
        place = "-"
        try:
            request = FixRequest(source, analysis.tree, finding, offer, settings, analysis.tree)
            handler = next(
                (n for n in ast.walk(analysis.tree) if isinstance(n, ast.ExceptHandler) and n.lineno == line), None
            )
            found_place = place_of(request, handler) if handler is not None else None
            place = found_place.kind if found_place is not None else "-"
        except (TypeError, ValueError, AttributeError):
            place = "?"
        try:
            fix = build_fix(source, finding, offer, settings, analysis.tree)
            fixed = apply_edits(text, list(fix.edits))
        except FixRefused as exc:
            return place, f"(refused: {exc})"
        diff = difflib.unified_diff(text.splitlines(True), fixed.splitlines(True), path, path, n=3)
        return place, "".join(diff)
    return "-", "(the finding is gone)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="write the sample here (default: stdout)")
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        print(f"fix_sample: {args.root}: not a folder", file=sys.stderr)
        return 2
    found = candidates(args.root)
    kinds = defaultdict(int)
    for item in found:
        kinds[item[3]] += 1
    lines = [f"candidates: {len(found)} fixes; per kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))]
    for number, (path, line, rule, kind, message) in enumerate(draw(found, args.count, args.seed), 1):
        place, diff = alone(path, line, rule, kind)
        shown = Path(path).relative_to(args.root) if Path(path).is_relative_to(args.root) else path
        lines += ["", f"## {number}. {shown}:{line} {rule} `{kind}` (place: {place})", "", message, "", "```diff", diff, "```"]
    out = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
