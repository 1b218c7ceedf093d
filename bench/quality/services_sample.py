"""Count sadpath's SAD1/SAD2 findings on the services corpus per rule and print a seeded sample of each rule for review by hand.

    python bench/quality/services_sample.py CORPUS [--sadpath CMD] [--save FILE] [--rule SAD201] [--sample 20] [--seed 13]
    python bench/quality/services_sample.py CORPUS --findings FILE [--rule SAD201] ...

Without --findings it runs `CMD check --no-cache --exit-zero --format json --select SAD1,SAD2 CORPUS` in CORPUS
(CMD defaults to this interpreter's `-m sadpath`; pass e.g. `--sadpath ../baseline/.venv/bin/sadpath`), and
--save keeps that JSON so a later run (or services_stats.py) reads the same findings. The corpus is built by
../shared/bench/build_services_corpus.sh.

Each rule's sample is drawn with random.Random(seed + rule number) from that rule's findings sorted by path and
line, so the sample of one rule does not move when another rule's findings change. Each sampled finding is shown
with its message and its enclosing function (at most about 60 lines, a window around the finding when the function
is longer), the finding's lines marked with `>>`; a SAD201 finding that names an external call in another place
also shows that call's line. stdlib only.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import re
import shlex
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

MAX_LINES = 60
# "... lets <modes> from `call()` in models/x.py (line 92) ..." (the "in" part only when the call is in another file)
_ESCAPE_FROM = re.compile(r" from `(?P<call>[^`]+)`(?: in (?P<path>\S+))? \(line (?P<line>\d+)\)")


def run_sadpath(command: str, corpus: Path) -> dict:
    argv = shlex.split(command) + [
        "check", "--no-cache", "--exit-zero", "--format", "json", "--select", "SAD1,SAD2", str(corpus),
    ]
    try:
        done = subprocess.run(argv, cwd=corpus, capture_output=True, text=True)
    except OSError as exc:
        raise SystemExit(f"cannot run {shlex.join(argv)}: {exc}") from exc
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"sadpath exited {done.returncode}: {shlex.join(argv)}")
    return json.loads(done.stdout)


def load_findings(args: argparse.Namespace) -> dict:
    """The findings JSON: read from --findings, or produced by running --sadpath (and saved to --save)."""
    if args.findings:
        report = json.loads(Path(args.findings).read_text(encoding="utf-8"))
    else:
        report = run_sadpath(args.sadpath, args.corpus)
    if args.save:
        Path(args.save).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", type=Path, help="the corpus directory (finding paths are relative to it)")
    parser.add_argument("--sadpath", default=f"{shlex.quote(sys.executable)} -m sadpath", help="the sadpath command to run")
    parser.add_argument("--findings", help="read this saved findings JSON instead of running sadpath")
    parser.add_argument("--save", help="save the findings JSON here")


def sort_key(finding: dict) -> tuple:
    return (finding["path"], finding["line"], finding["column"], finding["end_line"], finding["end_column"], finding["message"])


def by_rule(findings: list[dict]) -> dict[str, list[dict]]:
    """Each rule's findings, sorted by path and line."""
    rules: dict[str, list[dict]] = defaultdict(list)
    for finding in sorted(findings, key=sort_key):
        rules[finding["code"]].append(finding)
    return dict(rules)


def sample(code: str, items: list[dict], size: int, seed: int) -> list[dict]:
    """The rule's seeded sample, in path and line order."""
    rng = random.Random(seed + int(code[3:]))
    picked = rng.sample(range(len(items)), min(size, len(items)))
    return [items[i] for i in sorted(picked)]


class Sources:
    """Corpus files read and parsed once each."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lines: dict[str, list[str]] = {}
        self._trees: dict[str, ast.Module | None] = {}
        self._all: list[str] | None = None

    def lines(self, path: str) -> list[str]:
        if path not in self._lines:
            try:
                self._lines[path] = (self.root / path).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self._lines[path] = []
        return self._lines[path]

    def tree(self, path: str) -> ast.Module | None:
        if path not in self._trees:
            try:
                self._trees[path] = ast.parse("\n".join(self.lines(path)))
            except (SyntaxError, ValueError):
                self._trees[path] = None
        return self._trees[path]

    def resolve(self, short: str, near: str, line: int, call: str) -> str | None:
        """The corpus path a message's shortened path (its last two parts) names.

        Several files can end with the same two parts (pretix has api/views/cart.py and presale/views/cart.py):
        the one whose line `line` starts a call to `call` wins, then the one nearest `near`."""
        if self._all is None:
            self._all = sorted(
                p.relative_to(self.root).as_posix() for p in self.root.rglob("*.py") if "_wheels" not in p.parts
            )
        candidates = [p for p in self._all if p == short or p.endswith("/" + short)]
        name = call.rsplit(".", 1)[-1]

        def calls_there(p: str) -> bool:
            text = self.lines(p)[line - 1 : line + 10]
            return bool(text) and any(name + "(" in t for t in text)

        def shared(p: str) -> int:
            n = 0
            for a, b in zip(p.split("/"), near.split("/")):
                if a != b:
                    break
                n += 1
            return n

        return max(candidates, key=lambda p: (calls_there(p), shared(p), -len(p)), default=None)


def escape_site(finding: dict, sources: Sources) -> tuple[str, int, str] | None:
    """For a SAD201 finding at a call into project code: the (path, line, call) of the external call its message names."""
    m = _ESCAPE_FROM.search(finding["message"])
    if m is None:
        return None
    line, call = int(m["line"]), m["call"].removesuffix("()")
    if m["path"] is None:
        return finding["path"], line, call
    return sources.resolve(m["path"], finding["path"], line, call) or m["path"], line, call


def enclosing(tree: ast.AST | None, line: int, end_line: int) -> tuple[int, int] | None:
    """First and last line of the innermost function around the lines (else the top-level statement)."""
    if tree is None:
        return None
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if first <= line and end_line <= node.end_lineno:
                if best is None or node.end_lineno - first < best[1] - best[0]:
                    best = (first, node.end_lineno)
    if best is None:
        for node in getattr(tree, "body", []):
            if node.lineno <= line <= node.end_lineno:
                best = (node.lineno, node.end_lineno)
    return best


def excerpt(sources: Sources, path: str, line: int, end_line: int, cap: int = MAX_LINES) -> list[str]:
    lines = sources.lines(path)
    if not lines:
        return [f"    (cannot read {path})"]
    span = enclosing(sources.tree(path), line, end_line) or (max(1, line - 5), min(len(lines), end_line + 5))
    first, last = span
    if last - first + 1 > cap:
        # keep the def line, then a window around the finding
        body = cap - 2
        start = max(first + 1, line - body // 3)
        stop = min(last, start + body - 1)
        start = max(first + 1, stop - body + 1)
        shown = [first, None] if start > first + 1 else [first]
        shown += list(range(start, stop + 1))
        if stop < last:
            shown.append(None)
    else:
        shown = list(range(first, last + 1))
    out = []
    for n in shown:
        if n is None:
            out.append("       ...")
            continue
        mark = ">>" if line <= n <= end_line else "  "
        out.append(f"{mark}{n:6d} {lines[n - 1] if n <= len(lines) else ''}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_source_arguments(parser)
    parser.add_argument("--rule", help="only this rule (e.g. SAD201)")
    parser.add_argument("--sample", "-n", type=int, default=20, help="findings sampled per rule (default 20)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    args.corpus = args.corpus.resolve()
    report = load_findings(args)
    rules = by_rule(report["findings"])
    counts = Counter({code: len(items) for code, items in rules.items()})
    print(f"files checked: {report.get('files_checked')}; findings: {sum(counts.values())}; errors: {len(report.get('errors', []))}")
    for code in sorted(counts):
        print(f"  {code} {counts[code]:6d}")
    wanted = [args.rule.upper()] if args.rule else sorted(rules)
    sources = Sources(args.corpus)
    for code in wanted:
        items = rules.get(code, [])
        picked = sample(code, items, args.sample, args.seed)
        print(f"\n{'=' * 100}\n{code}: {len(items)} findings, sample of {len(picked)} (seed {args.seed})")
        for i, f in enumerate(picked, 1):
            print(f"\n--- {code} #{i} {f['path']}:{f['line']}")
            print(f"    {f['message']}")
            print("\n".join(excerpt(sources, f["path"], f["line"], f["end_line"])))
            if code == "SAD201":
                site = escape_site(f, sources)
                if site is not None and (site[0], site[1]) != (f["path"], f["line"]):
                    path, line, call = site
                    print(f"    external call `{call}()` at {path}:{line}:")
                    print("\n".join(excerpt(sources, path, line, line, cap=25)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
