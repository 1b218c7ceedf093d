"""Shared helpers for the fixture, fix and snapshot tests."""

from __future__ import annotations

import atexit
import importlib.util
import re
import shutil
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from sadpath.config import Settings, resolve_settings
from sadpath.engine import analyze
from sadpath.model import Finding
from sadpath.registry import BY_SLUG, RULES, enabled_rules
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
        settings = resolve_settings(self.path)
        if self.code == "SAD100":  # a preview rule: named, so that fix-all and the CLI paths run it too
            settings = settings.with_overrides(extend_select=(*settings.extend_select, "SAD100"))
        if self.code == "SAD302":  # coverage data made by running the fixtures' tests (see fixture_coverage)
            settings = settings.with_overrides(coverage=fixture_coverage(self.path.parent))
        return settings

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
        if self.rule.code == "SAD100":  # it judges the other rules' suppressions: they all run, it alone is kept
            settings = self.settings
            analysis = analyze(source, settings, enabled_rules(settings, source.path), known_rules=RULES)
            return [f for f in analysis.findings if f.code == "SAD100"]
        return analyze(source, self.settings, [self.rule]).findings


def measure(paths: list[Path], data_file: Path, branch: bool = False) -> Path:
    """A test run under coverage.py, in this process: each module's top level runs, then its ``test_*``
    functions; only these modules are measured. The data is saved to ``data_file``."""
    import coverage

    cov = coverage.Coverage(data_file=str(data_file), branch=branch, include=[str(p) for p in paths], config_file=False)
    cov.start()
    try:
        for index, path in enumerate(paths):
            name = f"_sadpath_measured_{index}_{path.stem}"
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
                for attribute, value in list(vars(module).items()):
                    if attribute.startswith("test_") and callable(value):
                        value()
            finally:
                sys.modules.pop(name, None)
    finally:
        cov.stop()
        cov.save()
    return data_file


_FIXTURE_COVERAGE: dict[Path, Path] = {}


def fixture_coverage(directory: Path) -> Path:
    """Coverage data for SAD302's fixtures, made once per session: the fixture files that define ``test_*``
    functions run under coverage (the others stay unmeasured); the data lives in a temporary folder."""
    data = _FIXTURE_COVERAGE.get(directory)
    if data is None:
        paths = [p for p in sorted(directory.glob("*.py")) if "\ndef test_" in p.read_text(encoding="utf-8")]
        folder = tempfile.mkdtemp(prefix="sadpath-sad302-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        data = measure(paths, Path(folder) / ".coverage")
        _FIXTURE_COVERAGE[directory] = data
    return data


def fixtures() -> list[Fixture]:
    found = []
    for directory in sorted(FIXTURES.iterdir()):
        if not directory.is_dir():
            continue
        code, slug = directory.name.split("_", 1)
        for path in sorted(directory.glob("*.py")):
            found.append(Fixture(path, slug, code))
    return found


# shared by the CLI tests: an unchained translation (SAD103, a safe fix)
UNCHAINED = textwrap.dedent(
    """\
    class GatewayError(Exception):
        pass


    def charge(api):
        try:
            api.charge()
        except KeyError:
            raise GatewayError("charge failed")
    """
)


def write(root: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``root/name``, making its folders."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
