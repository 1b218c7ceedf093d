"""``path:line:col: CODE message`` lines, then a summary with how many findings are fixable."""

from __future__ import annotations

from sadpath.model import Applicability
from sadpath.output import Report


def render(report: Report) -> str:
    lines = []
    safe = unsafe = total = 0
    for path, finding in report.all_findings():
        total += 1
        marker = ""
        offers = {o.applicability for o in finding.fixes}
        if Applicability.SAFE in offers:
            safe += 1
            marker = " [*]"
        elif Applicability.UNSAFE in offers:
            unsafe += 1
            marker = " [unsafe fix]" if report.unsafe_fixes else ""
        lines.append(f"{path}:{finding.span.line}:{finding.span.column + 1}: {finding.code}{marker} {finding.message}")
    lines.extend(_summary(report, total, safe, unsafe))
    return "\n".join(lines) + "\n"


def _summary(report: Report, total: int, safe: int, unsafe: int) -> list[str]:
    out = []
    files = report.files_checked
    noun = "file" if files == 1 else "files"
    if total == 0 and report.fixed == 0:
        out.append(f"All checks passed! ({files} {noun} checked)")
    else:
        fixed = f" ({report.fixed} fixed, {total} remaining)" if report.fixed else ""
        found = total + report.fixed
        out.append(f"Found {found} finding{'s' if found != 1 else ''} in {files} {noun} checked{fixed}.")
        fixable = []
        if report.unsafe_fixes:
            if safe + unsafe:
                fixable.append(f"{safe + unsafe} fixable with `sadpath check --fix --unsafe-fixes`")
        else:
            if safe:
                fixable.append(f"{safe} fixable with `sadpath check --fix`")
            if unsafe:
                fixable.append(f"{unsafe} more with `--unsafe-fixes`")
        if fixable:
            out.append("[*] " + "; ".join(fixable) + ".")
    if report.errors:
        out.append(f"{len(report.errors)} file{'s' if len(report.errors) != 1 else ''} could not be checked (see errors above).")
    return out
