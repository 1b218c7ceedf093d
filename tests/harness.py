"""Shared helpers for the fixture, fix and snapshot tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sadpath.config import Settings, resolve_settings
from sadpath.engine import analyze
from sadpath.model import Finding
from sadpath.registry import BY_SLUG
from sadpath.source import SourceFile

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
MARKER = re.compile(r"#\s*error:\s*\[([a-z0-9,\s-]+)\]")


@dataclass(frozen=True)
class Fixture:
    path: Path
    slug: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def settings(self) -> Settings:
        return resolve_settings(self.path)

    @property
    def rule(self):
        return BY_SLUG[self.slug]

    def expected_lines(self) -> set[int]:
        lines = set()
        for number, line in enumerate(self.text.splitlines(), start=1):
            match = MARKER.search(line)
            if match and self.slug in [s.strip() for s in match.group(1).split(",")]:
                lines.add(number)
        return lines

    def findings(self, text: str | None = None) -> list[Finding]:
        source = SourceFile(str(self.path), self.text if text is None else text)
        return analyze(source, self.settings, rules=[self.rule]).findings


def fixtures() -> list[Fixture]:
    found = []
    for directory in sorted(FIXTURES.iterdir()):
        if not directory.is_dir():
            continue
        code, slug = directory.name.split("_", 1)
        for path in sorted(directory.glob("*.py")):
            found.append(Fixture(path, slug, code))
    return found
