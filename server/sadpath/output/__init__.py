"""Output formats of ``sadpath check``: text, json, sarif, github."""

from __future__ import annotations

from dataclasses import dataclass, field

from sadpath.model import FileError, Finding


@dataclass
class FileReport:
    path: str  # as shown to the user (relative to the working directory where possible)
    findings: list[Finding] = field(default_factory=list)
    fixed: int = 0


@dataclass
class Report:
    files: list[FileReport]
    errors: list[FileError]
    files_checked: int
    unsafe_fixes: bool = False

    def all_findings(self):
        for file in self.files:
            for finding in file.findings:
                yield file.path, finding

    @property
    def fixed(self) -> int:
        return sum(f.fixed for f in self.files)


def render(report: Report, fmt: str) -> str:
    from sadpath.output import github, json_format, sarif, text

    renderers = {"text": text.render, "json": json_format.render, "sarif": sarif.render, "github": github.render}
    return renderers[fmt](report)


FORMATS = ("text", "json", "sarif", "github")
