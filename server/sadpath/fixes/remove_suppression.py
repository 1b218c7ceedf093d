"""Remove the unused codes of a suppression comment, or the whole directive (SAD100)."""

from __future__ import annotations

from sadpath.fixes.region import FixRefused
from sadpath.fixes.request import FixRequest
from sadpath.model import Edit, Span
from sadpath.source import with_names_removed


def build(req: FixRequest) -> list[Edit]:
    finding = req.finding
    line = finding.span.line
    start, end = finding.data.get("directive_start"), finding.data.get("directive_end")
    directive = next((d for d in req.source.directives_on(line) if (d.start, d.end) == (start, end)), None)
    if directive is None:
        raise FixRefused("the suppression comment is no longer there")
    remove = {name.upper() for name in finding.data.get("remove") or ()} or set(directive.names)
    text = req.source.line(line)
    new = with_names_removed(text, directive, remove) if directive.names else with_names_removed(text, directive, set())
    if new == text:
        raise FixRefused("nothing to remove")
    if new == "":  # the comment stood alone on its line: the line goes
        return [Edit(Span(line, 0, line + 1, 0), "")] if line < req.source.line_count else [Edit(Span(line, 0, line, len(text)), "")]
    return [Edit(Span(line, 0, line, len(text)), new)]
