"""Configuration as a ruff user expects it: a parent's exclude reaches nested configurations (the project's own
root included), --force-exclude, extend, the cache at the project root, target-version and syntax newer than the
running Python, and stdin with the settings of the path it stands for."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness import ROOT, UNCHAINED, write
from sadpath.cli import main
from sadpath.engine.syntax import RUNNING


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SADPATH_CACHE_DIR", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.sadpath]\n", encoding="utf-8")
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# ---------------------------------------------------------------- exclude


def test_the_projects_own_root_exclude_reaches_nested_configurations(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert (ROOT / "examples" / "pyproject.toml").is_file()  # examples/ has a [tool.sadpath] of its own
    code, out, _ = run(capsys, "--show-files", ".")
    assert code == 0
    shown = out.splitlines()
    assert "server/sadpath/cli.py" in shown
    for excluded in ("examples/", "tests/fixtures/", "bench/quality/cases/"):
        assert not [p for p in shown if p.startswith(excluded)], excluded
    code, out, _ = run(capsys, "--show-files", "examples/")
    assert "examples/orders_service/app.py" in out.splitlines()  # a path named on the command line is checked
    code, out, _ = run(capsys, "--show-files", "--force-exclude", "examples/orders_service/app.py")
    assert out == ""


def test_a_parent_exclude_applies_below_a_nested_config(project, capsys):
    write(project, "pyproject.toml", '[tool.sadpath]\nexclude = ["legacy", "svc/generated"]\n')
    write(project, "legacy/pyproject.toml", "[tool.sadpath]\nignore = []\n")
    write(project, "legacy/old.py", UNCHAINED)
    write(project, "svc/pyproject.toml", '[tool.sadpath]\nexclude = ["vendored"]\n')
    write(project, "svc/generated/client.py", UNCHAINED)
    write(project, "svc/vendored/lib.py", UNCHAINED)
    write(project, "svc/app.py", UNCHAINED)
    code, out, _ = run(capsys, "--show-files", ".")
    assert out.splitlines() == ["svc/app.py"]
    code, out, _ = run(capsys, "--no-cache", "--output-format", "concise", ".")
    assert code == 1 and {line.split(":")[0] for line in out.splitlines() if ": SAD" in line} == {"svc/app.py"}
    code, out, _ = run(capsys, "--no-cache", "--output-format", "concise", "legacy/old.py")
    assert "legacy/old.py:9:9: SAD103" in out  # named on the command line
    code, out, _ = run(capsys, "--no-cache", "--force-exclude", "legacy/old.py", "svc/generated/client.py")
    assert code == 0 and "(0 files checked)" in out


# ---------------------------------------------------------------- extend


def test_extend_inherits_a_configuration(project, capsys):
    write(project, "pyproject.toml", '[tool.sadpath]\nignore = ["SAD202"]\nextend-select = ["SAD100"]\nper-file-ignores = { "tests/*" = ["SAD103"] }\n')
    write(project, "svc/pyproject.toml", '[tool.sadpath]\nextend = "../pyproject.toml"\nper-file-ignores = { "scripts/*" = ["SAD103"] }\n')
    write(project, "svc/app.py", UNCHAINED + "\n\nimport requests\n\n\ndef f(u):\n    return requests.get(u)  # sadpath: ignore[SAD104]\n")
    write(project, "svc/tests/test_app.py", UNCHAINED)
    write(project, "svc/scripts/tool.py", UNCHAINED)
    code, out, _ = run(capsys, "--no-cache", "--output-format", "concise", "svc")
    codes = {line.split(": ")[1].split()[0] for line in out.splitlines() if line.startswith("svc/app.py:")}
    assert codes == {"SAD103", "SAD100"}  # SAD202 ignored, SAD100 selected, both by the base
    assert "svc/tests/" not in out and "svc/scripts/" not in out  # per-file ignores of both files, merged
    code, out, _ = run(capsys, "--show-settings", "svc/app.py")
    assert "Settings path: svc/pyproject.toml" in out and "Extends: pyproject.toml" in out


@pytest.mark.parametrize(
    ("extend", "expected"),
    [
        ('"missing.toml"', "missing.toml: no such configuration file"),
        ('"pyproject.toml"', "extends itself"),
        ("3", "expected the path of another pyproject.toml (a string), got an integer"),
    ],
)
def test_bad_extend_is_one_line_and_exit_2(project, capsys, extend, expected):
    write(project, "pyproject.toml", f"[tool.sadpath]\nextend = {extend}\n")
    write(project, "app.py", "x = 1\n")
    code, out, err = run(capsys, "--no-cache", ".")
    assert code == 2 and out == "" and expected in err and "tool.sadpath.extend" in err


# ---------------------------------------------------------------- the cache


def test_the_cache_lives_at_the_project_root(project, capsys):
    write(project, "pkg/sub/app.py", UNCHAINED)
    (project / "pkg" / "sub").mkdir(exist_ok=True)
    import os

    os.chdir(project / "pkg" / "sub")
    code, _, err = run(capsys, "--output-format", "concise", "app.py")
    assert code == 1 and err == ""
    assert (project / ".sadpath_cache" / "CACHEDIR.TAG").is_file()
    assert not (project / "pkg" / "sub" / ".sadpath_cache").exists()
    assert main(["clean"]) == 0
    assert not (project / ".sadpath_cache").exists()


def test_coverage_data_is_never_written_by_sad302(project, capsys):
    write(project, "app.py", UNCHAINED)
    empty = project / "empty.coverage"
    empty.write_bytes(b"")
    code, _, err = run(capsys, "--no-cache", "--coverage", "empty.coverage", "app.py")
    assert empty.read_bytes() == b""  # not turned into a new data file
    assert "empty.coverage" in err and code == 1


# ---------------------------------------------------------------- target-version and newer syntax

# a construct newer than the Python running the tests, and the version it needs
NEWER = next(
    ((version, text, words) for version, text, words in (
        ((3, 12), "type Amount = int\n", "a `type` statement"),
        ((3, 14), "def f(api):\n    try:\n        api.x()\n    except KeyError, ValueError:\n        raise\n", "`except A, B:` without parentheses"),
    ) if version > RUNNING),
    None,
)  # fmt: skip


@pytest.mark.skipif(NEWER is None, reason="no syntax is newer than this Python")
def test_syntax_newer_than_the_running_python_is_an_error_not_a_finding(project, capsys):
    version, text, words = NEWER
    write(project, "new.py", "import os\n\n" + text)
    write(project, "app.py", UNCHAINED)
    code, out, err = run(capsys, "--no-cache", "--output-format", "json", ".")
    assert code == 1
    document = json.loads(out)
    assert {f["path"] for f in document["findings"]} == {"app.py"}  # no SAD000 for new.py
    (error,) = document["errors"]
    running = f"{RUNNING[0]}.{RUNNING[1]}"
    needs = f"{version[0]}.{version[1]}"
    assert error["path"] == "new.py"
    assert error["message"].startswith(f"line 3 uses {words}")
    assert f"(Python {needs}); sadpath runs on Python {running} and cannot parse it: run sadpath with Python ≥ {needs}" in error["message"]
    assert f"sadpath: new.py: line 3 uses {words}" in err


def test_the_oldest_supported_python_reports_a_312_only_file(tmp_path):
    """Under Python 3.10 (the oldest sadpath supports) a PEP 695 file is an error naming the construct; run by
    this suite on 3.10 too, and here through pyenv's 3.10 when it is installed."""
    python = Path("/root/.pyenv/versions/3.10.13/bin/python")
    candidates = [sys.executable] if RUNNING < (3, 12) else []
    if python.is_file() and subprocess.run([python, "-c", "import sadpath"], capture_output=True).returncode == 0:
        candidates.append(str(python))
    if not candidates:
        pytest.skip("no Python older than 3.12 with sadpath installed")
    write(tmp_path, "pyproject.toml", '[project]\nname = "svc"\nrequires-python = ">=3.12"\n\n[tool.sadpath]\n')
    write(tmp_path, "generic.py", "class Box[T]:\n    def __init__(self, item: T) -> None:\n        self.item = item\n")
    for interpreter in candidates:
        done = subprocess.run(
            [interpreter, "-m", "sadpath", "check", "--no-cache", "generic.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        version = subprocess.run([interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True).stdout.strip()
        assert done.returncode == 1, done.stdout + done.stderr
        assert "SAD000" not in done.stdout and "Traceback" not in done.stderr
        assert (
            f"generic.py: line 1 uses type parameters on a class (PEP 695 generics) (Python 3.12); sadpath runs on "
            f"Python {version} and cannot parse it: run sadpath with Python ≥ 3.12"
        ) in done.stderr
        assert "1 file could not be checked" in done.stdout


def test_target_version_makes_newer_syntax_a_syntax_error(project, capsys):
    write(project, "pyproject.toml", '[project]\nname = "svc"\nrequires-python = ">=3.10"\n\n[tool.sadpath]\n')
    write(project, "groups.py", "def f(api):\n    try:\n        api.x()\n    except* KeyError:\n        raise\n")
    code, out, _ = run(capsys, "--no-cache", "--output-format", "concise", "groups.py")
    assert code == 1
    if RUNNING >= (3, 11):
        assert "SAD000 syntax error for Python 3.10 (the target-version): Exception groups are only supported" in out
    code, out, _ = run(capsys, "--no-cache", "--target-version", "py311", "groups.py")
    if RUNNING >= (3, 11):
        assert code == 0, out
    write(project, "pyproject.toml", '[tool.sadpath]\ntarget-version = "python3"\n')
    code, _, err = run(capsys, "--no-cache", "groups.py")
    assert code == 2 and 'tool.sadpath.target-version: expected a Python version like "py312"' in err


# ---------------------------------------------------------------- stdin


def stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))


def test_stdin_uses_the_settings_of_the_path_it_stands_for(project, capsys, monkeypatch):
    write(project, "pyproject.toml", '[tool.sadpath]\nper-file-ignores = { "legacy/*" = ["SAD103"] }\n')
    stdin(monkeypatch, UNCHAINED)
    code, out, _ = run(capsys, "--output-format", "concise", "--stdin-filename", "app/routes.py", "-")
    assert code == 1 and out.startswith("app/routes.py:9:9: SAD103 [*] ")
    stdin(monkeypatch, UNCHAINED)
    code, out, _ = run(capsys, "--output-format", "concise", "--stdin-filename", "legacy/old.py", "-")
    assert code == 0 and "All checks passed! (1 file checked)" in out
    stdin(monkeypatch, UNCHAINED)
    code, out, _ = run(capsys, "--output-format", "json", "-")
    assert json.loads(out)["findings"][0]["path"] == "-"
    assert not (project / "app").exists()  # nothing is written for the path stdin stands for


def test_stdin_fix_prints_the_fixed_source_and_reports_on_stderr(project, capsys, monkeypatch):
    stdin(monkeypatch, UNCHAINED)
    code, out, err = run(capsys, "--fix", "--stdin-filename", "app.py", "-")
    assert out == UNCHAINED.replace("except KeyError:", "except KeyError as exc:").replace('failed")', 'failed") from exc')
    assert code == 0 and "(1 fixed, 0 remaining)" in err
    stdin(monkeypatch, UNCHAINED)
    code, out, _ = run(capsys, "--diff", "--stdin-filename", "app.py", "-")
    assert code == 1 and out.startswith("--- a/app.py\n+++ b/app.py\n")
    write(project, "pyproject.toml", '[tool.sadpath]\nexclude = ["vendored"]\n')
    stdin(monkeypatch, UNCHAINED)
    code, out, _ = run(capsys, "--fix", "--force-exclude", "--stdin-filename", "vendored/lib.py", "-")
    assert code == 0 and out == UNCHAINED  # excluded: passed through unchanged


def test_stdin_in_a_real_pipe(project):
    done = subprocess.run(
        [sys.executable, "-m", "sadpath", "check", "--stdin-filename", "svc/app.py", "-"],
        input=UNCHAINED, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1 and done.stdout.startswith("svc/app.py:9:9: SAD103") and done.stderr == ""
    done = subprocess.run([sys.executable, "-m", "sadpath", "check", "-", "app.py"], input="", capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "cannot be checked together" in done.stderr


@pytest.mark.skipif(NEWER is None, reason="no syntax is newer than this Python")
def test_the_editor_shows_why_a_newer_file_is_not_analysed():
    from sadpath.engine.incremental import IncrementalAnalyzer
    from sadpath.lsp.convert import unsupported_diagnostic
    from sadpath.registry import RULES
    from sadpath.settings import Settings
    from sadpath.source import SourceFile

    version, text, words = NEWER
    source = SourceFile("new.py", "import os\n\n" + text)
    analysis = IncrementalAnalyzer().analyze(source, Settings(), list(RULES), known_rules=RULES)
    assert analysis.findings == [] and analysis.unsupported is not None
    diagnostic = unsupported_diagnostic(analysis.unsupported, source, "utf-16")
    assert diagnostic.range.start.line == 2 and diagnostic.severity == 1
    assert diagnostic.message.startswith(f"sadpath cannot analyse this file: line 3 uses {words}")
