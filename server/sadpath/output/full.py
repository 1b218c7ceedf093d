"""``full``: each finding with its whole message, the source lines around it with a caret under the span, the
related locations, and the fix it offers with its applicability; then the summary of ``concise``."""

from __future__ import annotations

import unicodedata

from sadpath.model import Applicability, Finding
from sadpath.output import RenderOptions, Report
from sadpath.messages import tidy
from sadpath.output.style import Style
from sadpath.output.text import fix_marker, location, summary
from sadpath.source import split_lines

CONTEXT = 2  # lines shown before and after the finding's lines
MAX_SPAN_LINES = 6  # a longer span shows its first and last lines
TAB = "    "
_APPLICABILITY = {Applicability.SAFE: "safe fix", Applicability.UNSAFE: "unsafe fix", Applicability.DISPLAY_ONLY: "advice only"}


def render(report: Report, options: RenderOptions) -> str:
    style = options.style
    blocks: list[str] = []
    for file in report.files:
        lines = split_lines(file.text, keepends=False) if file.text is not None else None
        for finding in file.findings:
            blocks.append(_finding(file.path, finding, lines, report.unsafe_fixes, style))
    out = "\n".join(blocks)
    if not options.quiet:
        tail = "\n".join(summary(report, style))
        out = f"{out}\n{tail}" if out else tail
    return out + ("\n" if out else "")


def _finding(path: str, finding: Finding, lines: list[str] | None, unsafe_fixes: bool, style: Style) -> str:
    marker = fix_marker(finding, unsafe_fixes, style)
    out = [f"{location(path, finding, style)} {style(finding.code, 'bold_red')}{marker} {tidy(finding.message)}"]
    if lines:
        out.extend(_snippet(finding, lines, style))
    notes = [f"note: {r.message} ({r.path}:{r.span.line})" for r in finding.related]
    helps = [f"help: {o.title} ({_APPLICABILITY[o.applicability]})" for o in finding.fixes]
    if notes or helps:
        gutter = " " * (_gutter_width(finding, lines) + 1)
        if not lines:
            gutter = "  "
        out.extend(f"{gutter}{style('=', 'bold_blue')} {text}" for text in [*notes, *helps])
    return "\n".join(out) + "\n"


def _gutter_width(finding: Finding, lines: list[str] | None) -> int:
    last = min(finding.span.end_line + CONTEXT, len(lines)) if lines else finding.span.end_line
    return len(str(max(last, 1)))


def _snippet(finding: Finding, lines: list[str], style: Style) -> list[str]:
    span = finding.span
    first_line = max(1, min(span.line, len(lines)))
    last_line = max(first_line, min(span.end_line, len(lines)))
    show = list(range(max(1, first_line - CONTEXT), first_line))
    span_lines = list(range(first_line, last_line + 1))
    if len(span_lines) > MAX_SPAN_LINES:
        span_lines = span_lines[: MAX_SPAN_LINES // 2] + [0] + span_lines[-(MAX_SPAN_LINES // 2) :]
    show += span_lines + list(range(last_line + 1, min(len(lines), last_line + CONTEXT) + 1))
    width = _gutter_width(finding, lines)
    bar = style("|", "bold_blue")
    out = [f"{' ' * (width + 1)}{bar}"]
    for number in show:
        if number == 0:
            out.append(f"{style('...'.rjust(width), 'bold_blue')} {bar}")
            continue
        text = lines[number - 1]
        out.append(f"{style(str(number).rjust(width), 'bold_blue')} {bar} {_expand(text)}".rstrip())
        if number == first_line:
            start = _display_width(text[: span.column])
            end_column = span.end_column if span.end_line == span.line else len(text.rstrip())
            length = max(1, _display_width(text[span.column : max(end_column, span.column)]))
            carets = style("^" * length, "bold_red")
            out.append(f"{' ' * (width + 1)}{bar} {' ' * start}{carets} {style(finding.code, 'bold_red')}")
    out.append(f"{' ' * (width + 1)}{bar}")
    return out


def _expand(text: str) -> str:
    return text.replace("\t", TAB)


def _display_width(text: str) -> int:
    width = 0
    for char in text:
        if char == "\t":
            width += len(TAB)
        elif unicodedata.combining(char):
            continue
        else:
            width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width
