"""Count sadpath's findings per rule on a corpus and print a seeded sample with context for review by hand.

    python bench/rule_findings.py CORPUS_DIR [--rules SAD101,SAD201] [--sample 40] [--seed 1] [--context 6]

The corpus is built by ../shared/bench/build_corpus.sh. The sample is what the closing notes' precision
figures are judged on: each finding is shown with the code around it, to be marked right or wrong.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sadpath.config import Settings
from sadpath.linter import lint
from sadpath.files import read_source
from sadpath.model import FileError
from sadpath.source import SourceFile

SETTINGS = Settings(required_log_fields=("correlation_id",))


def _analyze(path: str):
    read = read_source(path)
    if isinstance(read, FileError):
        return path, [], [read.message]
    analysis = lint(SourceFile(path, read.text), SETTINGS)
    crashes = [f"{f.code}: {f.error}" for f in analysis.rule_failures]
    return path, [(f.code, f.span.line, f.message) for f in analysis.findings], crashes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--rules", default="")
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--context", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    files = sorted(str(p) for p in args.corpus.rglob("*.py") if "_wheels" not in p.parts)
    if not files:
        print(f"no Python files under {args.corpus}", file=sys.stderr)
        return 2
    wanted = {r.strip().upper() for r in args.rules.split(",") if r.strip()}
    by_rule: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    crashes: list[str] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for path, findings, failures in pool.map(_analyze, files, chunksize=16):
            crashes.extend(f"{path}: {c}" for c in failures)
            for code, line, message in findings:
                if not wanted or code in wanted:
                    by_rule[code].append((path, line, message))
    counts = Counter({code: len(items) for code, items in by_rule.items()})
    print(f"files: {len(files)}")
    for code in sorted(counts):
        print(f"{code}: {counts[code]} findings")
    print(f"crashes or unreadable files: {len(crashes)}")
    for crash in crashes[:20]:
        print(f"  {crash}")
    rng = random.Random(args.seed)
    for code in sorted(by_rule):
        items = by_rule[code]
        sample = items if len(items) <= args.sample else rng.sample(items, args.sample)
        print(f"\n==================== {code}: sample of {len(sample)} / {len(items)}")
        for index, (path, line, message) in enumerate(sorted(sample), start=1):
            rel = Path(path).relative_to(args.corpus)
            print(f"\n--- [{code} #{index}] {rel}:{line}\n    {message}")
            lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
            start, end = max(line - args.context, 1), min(line + args.context, len(lines))
            for number in range(start, end + 1):
                marker = ">>" if number == line else "  "
                print(f"{marker}{number:5d} {lines[number - 1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
