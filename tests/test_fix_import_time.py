"""A swallowing handler that runs at import time (module or class body) and that SAD101 judges a best-effort step
gets the fix its message advises: log with the traceback and carry on. A re-raise there would stop the module from
importing, so no fix writes one; a handler at import time that is not best-effort is offered no fix that acts."""

from __future__ import annotations

from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile
from test_fix_review31 import checked

STATIC = '''import logging
from pathlib import Path

log = logging.getLogger(__name__)

STATIC_DIR = Path("static")

try:
    if STATIC_DIR.exists():
        for item in STATIC_DIR.iterdir():
            if item.is_file():
                item.unlink()
except Exception as e:
    pass
'''


def test_an_import_time_cleanup_logs_with_the_traceback_and_carries_on(tmp_path):
    out, title = checked(tmp_path / "config.py", STATIC, "SAD101", "reraise")
    handler = out[out.index("except") :]
    assert "log.exception(" in handler and "raise" not in handler
    assert "carry on" in title.lower()
    compile(out, "config.py", "exec")


def test_the_fix_leaves_no_finding_behind(tmp_path):
    out, _ = checked(tmp_path / "config.py", STATIC, "SAD101", "reraise")
    path = tmp_path / "config.py"
    assert [f for f in lint(SourceFile(str(path), out), Settings()).findings if f.code == "SAD101"] == []


def test_an_import_time_handler_that_is_not_best_effort_is_offered_no_fix(tmp_path):
    text = """import requests


class Loader:
    try:
        PLUGINS = requests.get("https://registry.example.com/plugins", timeout=5).json()
    except Exception:
        PLUGINS = None
"""
    source = SourceFile(str(tmp_path / "loader.py"), text)
    findings = [f for f in lint(source, Settings()).findings if f.code == "SAD101"]
    assert len(findings) == 1, "the placeholder is still reported"
    assert findings[0].fixes == [] or findings[0].fixes == ()  # a raise there stops the module from importing


def test_the_same_handler_in_a_function_keeps_its_re_raise(tmp_path):
    text = """import requests


def plugins():
    try:
        return requests.get("https://registry.example.com/plugins", timeout=5).json()
    except Exception:
        return None
"""
    source = SourceFile(str(tmp_path / "loader.py"), text)
    findings = [f for f in lint(source, Settings()).findings if f.code == "SAD101"]
    assert findings and "reraise" in [o.kind for o in findings[0].fixes]
