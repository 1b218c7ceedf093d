"""SAD103 stays quiet in test support and vendored code (``testing/``, ``_vendor/``, ``vendor/``), and still fires
for the same code elsewhere, including a checkout that happens to sit under a folder named ``vendor`` far up."""

from __future__ import annotations

import pytest

from sadpath.config import resolve_settings
from sadpath.engine import analyze
from sadpath.registry import BY_SLUG
from sadpath.source import SourceFile

CODE = '''
class CroniterError(Exception):
    pass


def expand(table, index, key, expr):
    try:
        return table[index][key] + len(expr)
    except KeyError:
        raise CroniterError(f"[{expr}] is not acceptable")
'''


def _lines(path):
    source = SourceFile(str(path), CODE)
    return [f.span.line for f in analyze(source, resolve_settings(path), [BY_SLUG["unchained-translation"]]).findings]


@pytest.mark.parametrize("folder", ["pkg/testing", "pkg/_vendor/croniter", "pkg/vendor"])
def test_quiet_in_support_and_vendored_code(tmp_path, folder):
    path = tmp_path / folder / "mod.py"
    path.parent.mkdir(parents=True)
    path.write_text(CODE, encoding="utf-8")
    assert _lines(path) == []


@pytest.mark.parametrize("folder", ["pkg/croniter", "vendor/checkouts/team/app/pkg/core"])
def test_fires_in_project_code(tmp_path, folder):
    path = tmp_path / folder / "mod.py"
    path.parent.mkdir(parents=True)
    path.write_text(CODE, encoding="utf-8")
    assert _lines(path) == [10]
