"""``--statistics``: one line per code with its count and how many findings are fixable, most frequent first."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sadpath.model import Applicability
from sadpath.output import RenderOptions, Report


@dataclass
class Row:
    code: str
    name: str
    count: int = 0
    fixable: int = 0  # with a safe fix
    unsafe_fixable: int = 0  # with only an unsafe fix


def rows(report: Report) -> list[Row]:
    table: dict[str, Row] = {}
    for _, finding in report.all_findings():
        row = table.setdefault(finding.code, Row(finding.code, finding.slug))
        row.count += 1
        offers = {o.applicability for o in finding.fixes}
        if Applicability.SAFE in offers:
            row.fixable += 1
        elif Applicability.UNSAFE in offers:
            row.unsafe_fixable += 1
    return sorted(table.values(), key=lambda r: (-r.count, r.code))


def render(report: Report, options: RenderOptions, fmt: str = "concise") -> str:
    table = rows(report)
    if fmt in ("json", "json-lines"):
        items = [
            {"code": r.code, "name": r.name, "count": r.count, "fixable": r.fixable, "unsafe_fixable": r.unsafe_fixable}
            for r in table
        ]
        if fmt == "json-lines":
            return "".join(json.dumps(item) + "\n" for item in items)
        return json.dumps(items, indent=2) + "\n"
    style = options.style
    if not table:
        return "" if options.quiet else style(f"All checks passed! ({report.files_checked} files checked)", "green") + "\n"
    count_width = max(len(str(r.count)) for r in table)
    name_width = max(len(r.name) for r in table)
    lines = []
    for r in table:
        fixable = f"{r.fixable} fixable" if r.fixable else "no safe fix"
        if r.unsafe_fixable:
            fixable += f", {r.unsafe_fixable} more with --unsafe-fixes" if r.fixable else f", {r.unsafe_fixable} with --unsafe-fixes"
        marker = style("[*]", "bold_cyan") if r.fixable else "[ ]"
        lines.append(
            f"{str(r.count).rjust(count_width)}  {style(r.code, 'bold_red')}  {marker} {r.name.ljust(name_width)}  {fixable}"
        )
    if not options.quiet:
        total = sum(r.count for r in table)
        lines.append(style(f"Found {total} finding{'s' if total != 1 else ''} in {report.files_checked} files checked.", "bold"))
    return "\n".join(lines) + "\n"
