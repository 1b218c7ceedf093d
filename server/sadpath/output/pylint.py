"""``path:line: [CODE(slug)] message``, the shape pylint's parsable output has (and editors' problem matchers read)."""

from __future__ import annotations

from sadpath.output import RenderOptions, Report
from sadpath.messages import concise


def render(report: Report, options: RenderOptions | None = None) -> str:
    lines = [f"{path}:{f.span.line}: [{f.code}({f.slug})] {concise(f.message)}" for path, f in report.all_findings()]
    lines.extend(f"{e.path}:1: [E0001(unreadable)] {e.message}" for e in report.errors)
    return "".join(line + "\n" for line in lines)
