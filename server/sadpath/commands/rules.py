"""``sadpath rule CODE`` and ``sadpath rules``: the rules' documentation and their table."""

from __future__ import annotations

import sys

from sadpath.commands import EXIT_CLEAN, EXIT_ERROR
from sadpath.registry import RULES, lookup, status


def show(code: str) -> int:
    rule = lookup(code)
    if rule is None:
        print(f"sadpath: unknown rule {code!r} (see `sadpath rules`)", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule.doc().markdown())
    sys.stdout.write("\n" + where_it_lives(rule))
    return EXIT_CLEAN


def where_it_lives(rule) -> str:
    """The modules of a rule and of its fixes, and its fixtures' folder, for someone about to change them."""
    fixes = ", ".join(f"`sadpath.fixes.{kind}`" for kind in rule.fix_kinds) or "none"
    return (
        "## Where it lives\n\n"
        f"- Rule: `{rule.__module__}`\n"
        f"- Fix modules: {fixes}\n"
        f"- Fixtures: `tests/fixtures/{rule.code}_{rule.slug}/`\n"
    )


def table() -> int:
    rows = [("CODE", "RULE", "STATUS", "FIX", "WHAT IT FLAGS")]
    for rule in RULES:
        rows.append((rule.code, rule.slug, status(rule), fix_summary(rule), rule.summary))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        head = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4]))
        sys.stdout.write(f"{head}  {row[4]}\n")
    return EXIT_CLEAN


def fix_summary(rule) -> str:
    return "/".join(str(a) for a in rule.fix_applicabilities) or "none"


