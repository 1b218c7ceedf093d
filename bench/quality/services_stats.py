"""Figures of sadpath's findings on the services corpus that measure "one finding per problem".

    python bench/quality/services_stats.py CORPUS --findings FILE
    python bench/quality/services_stats.py CORPUS [--sadpath CMD] [--save FILE]

Reads the same findings JSON as services_sample.py (or runs sadpath the same way) and prints one line per figure:

- the findings per rule;
- handlers reported twice: `except` handlers that get both a SAD101 finding (on the `except` line) and a SAD104
  finding (on a log call inside that handler's body). The handler is found with `ast`: the innermost `except`
  clause whose body holds the SAD104 line;
- external call sites reported more than once: the JSON carries no related locations (SARIF has them as
  relatedLocations), so the external call of each SAD201 finding is taken from what the JSON gives. A finding that
  sits on the external call itself ("`x()` (lib) in ... can fail with ...") counts for its own path and line; a
  finding on a call into project code ("`helper()` in ... lets ... from `call()` in dir/file.py (line N) ...")
  counts for the call it names, at line N of that file (the message shortens the path to its last two parts: it is
  resolved to the corpus file with that suffix nearest the finding's). Only the FIRST external call a message names
  is counted: the ones behind "(and K more external calls)" are not in the JSON, so the figure is a lower bound.
  Printed: the call sites named by more than one finding, and the findings that name them.

stdlib only.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from services_sample import Sources, add_source_arguments, escape_site, load_findings  # noqa: E402


def handler_at(tree: ast.AST | None, line: int) -> ast.ExceptHandler | None:
    """The innermost `except` clause whose body holds the line."""
    if tree is None:
        return None
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.body:
            if node.body[0].lineno <= line <= node.end_lineno:
                if best is None or node.lineno > best.lineno:
                    best = node
    return best


def double_reported_handlers(findings: list[dict], sources: Sources) -> int:
    sad101 = {(f["path"], f["line"]) for f in findings if f["code"] == "SAD101"}
    handlers = set()
    for f in findings:
        if f["code"] != "SAD104":
            continue
        handler = handler_at(sources.tree(f["path"]), f["line"])
        if handler is not None and (f["path"], handler.lineno) in sad101:
            handlers.add((f["path"], handler.lineno))
    return len(handlers)


def repeated_call_sites(findings: list[dict], sources: Sources) -> tuple[int, int]:
    reports: dict[tuple[str, int], int] = defaultdict(int)
    for f in findings:
        if f["code"] != "SAD201":
            continue
        site = escape_site(f, sources)
        key = (f["path"], f["line"]) if site is None else (site[0], site[1])
        reports[key] += 1
    repeated = {k: n for k, n in reports.items() if n > 1}
    return len(repeated), sum(repeated.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_source_arguments(parser)
    args = parser.parse_args()
    args.corpus = args.corpus.resolve()
    findings = load_findings(args)["findings"]
    sources = Sources(args.corpus)
    counts = Counter(f["code"] for f in findings)
    print("findings per rule: " + ", ".join(f"{code} {counts[code]}" for code in sorted(counts)) + f" (total {len(findings)})")
    print(f"except handlers with both a SAD101 and a SAD104 finding: {double_reported_handlers(findings, sources)}")
    sites, reports = repeated_call_sites(findings, sources)
    print(f"external call sites named by more than one SAD201 finding: {sites} (named by {reports} findings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
