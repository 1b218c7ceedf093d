"""Output formats of ``sadpath check``: full, concise, json, json-lines, sarif, github, gitlab, junit, pylint."""

from __future__ import annotations

from dataclasses import dataclass, field

from sadpath.model import FileError, Finding
from sadpath.output.style import PLAIN, Style

DEFAULT_DOCS_URL = "https://github.com/sadpath/sadpath/blob/main/"  # + docs/rules/SADNNN-slug.md


@dataclass
class FileReport:
    path: str  # as shown to the user (relative to the working directory where possible)
    findings: list[Finding] = field(default_factory=list)
    fixed: int = 0
    text: str | None = None  # the file's text, for the formats that show its lines or fingerprint them


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


@dataclass(frozen=True)
class RenderOptions:
    style: Style = PLAIN
    docs_url: str = DEFAULT_DOCS_URL  # base of the rule pages: helpUri in SARIF, links in junit and gitlab
    quiet: bool = False  # findings only: no summary line
    show_fixes: bool = False  # full: list the fixes that were applied per file


FORMATS = ("full", "concise", "json", "json-lines", "sarif", "github", "gitlab", "junit", "pylint")
ALIASES = {"text": "concise"}  # the name of `concise` before 0.2
NEEDS_SOURCE = frozenset({"full", "sarif", "gitlab"})  # they show the file's lines, or fingerprint them


def render(report: Report, fmt: str, options: RenderOptions | None = None) -> str:
    from sadpath.output import full, github, gitlab, json_format, junit, pylint, sarif, text

    options = options or RenderOptions()
    renderers = {
        "full": full.render,
        "concise": text.render,
        "json": json_format.render,
        "json-lines": json_format.render_lines,
        "sarif": sarif.render,
        "github": github.render,
        "gitlab": gitlab.render,
        "junit": junit.render,
        "pylint": pylint.render,
    }
    return renderers[ALIASES.get(fmt, fmt)](report, options)


def docs_url_for(code: str, base: str) -> str | None:
    """The page of a rule (or of SAD000) under the docs base URL: ``<base>docs/rules/SADNNN-slug.md``."""
    from sadpath.model import SYNTAX_ERROR_CODE, SYNTAX_ERROR_SLUG
    from sadpath.registry import BY_CODE, docs_path

    rule = BY_CODE.get(code)
    if rule is not None:
        path = docs_path(rule)
    elif code == SYNTAX_ERROR_CODE:
        path = f"docs/rules/{SYNTAX_ERROR_CODE}-{SYNTAX_ERROR_SLUG}.md"
    else:
        return None
    return base.rstrip("/") + "/" + path


__all__ = ["ALIASES", "DEFAULT_DOCS_URL", "FORMATS", "FileReport", "NEEDS_SOURCE", "RenderOptions", "Report", "docs_url_for", "render"]
