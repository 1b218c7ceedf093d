"""``concise``: ``path:line:col: CODE message`` lines (the message cut to one screen line), then a summary with
how many findings are fixable. ``full`` shares the summary."""

from __future__ import annotations

from sadpath.model import Applicability, Finding
from sadpath.output import RenderOptions, Report
from sadpath.messages import concise
from sadpath.output.style import Style


def fix_marker(finding: Finding, unsafe_fixes: bool, style: Style) -> str:
    offers = {o.applicability for o in finding.fixes}
    if Applicability.SAFE in offers:
        return " " + style("[*]", "bold_cyan")
    if Applicability.UNSAFE in offers and unsafe_fixes:
        return " " + style("[unsafe fix]", "cyan")
    return ""


def location(path: str, finding: Finding, style: Style) -> str:
    colon = style(":", "cyan")
    return f"{style(path, 'bold')}{colon}{finding.span.line}{colon}{finding.span.column + 1}{colon}"


def render(report: Report, options: RenderOptions) -> str:
    style = options.style
    lines = []
    for path, finding in report.all_findings():
        marker = fix_marker(finding, report.unsafe_fixes, style)
        lines.append(f"{location(path, finding, style)} {style(finding.code, 'bold_red')}{marker} {concise(finding.message)}")
    if not options.quiet:
        lines.extend(summary(report, style))
    return "\n".join(lines) + ("\n" if lines else "")


def fix_counts(report: Report) -> tuple[int, int, int]:
    """(findings, with a safe fix, with only an unsafe fix)."""
    safe = unsafe = total = 0
    for _, finding in report.all_findings():
        total += 1
        offers = {o.applicability for o in finding.fixes}
        if Applicability.SAFE in offers:
            safe += 1
        elif Applicability.UNSAFE in offers:
            unsafe += 1
    return total, safe, unsafe


def summary(report: Report, style: Style) -> list[str]:
    total, safe, unsafe = fix_counts(report)
    out = []
    files = report.files_checked
    noun = "file" if files == 1 else "files"
    if total == 0 and report.fixed == 0:
        out.append(style(f"All checks passed! ({files} {noun} checked)", "green"))
    else:
        fixed = f" ({report.fixed} fixed, {total} remaining)" if report.fixed else ""
        found = total + report.fixed
        out.append(style(f"Found {found} finding{'s' if found != 1 else ''} in {files} {noun} checked{fixed}.", "bold"))
        if report.unsafe_fixes:
            if safe + unsafe:
                out.append(f"{style('[*]', 'bold_cyan')} {safe + unsafe} fixable with `sadpath check --fix --unsafe-fixes`.")
        elif safe and unsafe:
            out.append(f"{style('[*]', 'bold_cyan')} {safe} fixable with `sadpath check --fix`; {unsafe} more with `--unsafe-fixes`.")
        elif safe:
            out.append(f"{style('[*]', 'bold_cyan')} {safe} fixable with `sadpath check --fix`.")
        elif unsafe:
            out.append(f"No safe fixes; {unsafe} fixable with `sadpath check --fix --unsafe-fixes`.")
    if report.errors:
        count = len(report.errors)
        out.append(style(f"{count} file{'s' if count != 1 else ''} could not be checked (see errors above).", "yellow"))
    return out
