"""Adopting sadpath on legacy code: --add-noqa, file-level suppressions, SAD100 unused-suppression, fixing in
CI with --exit-non-zero-on-fix, and checking only the files a branch changed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sadpath.cli import main
from sadpath.commands.add_noqa import with_suppressions
from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile

LEGACY = textwrap.dedent(
    """\
    import requests


    class GatewayError(Exception):
        pass


    def charge(api):
        try:
            api.charge()
        except KeyError:
            raise GatewayError("charge failed")  # noqa: E501


    def fetch(url):
        return requests.get(url)  # the old client


    def describe(api):
        try:
            api.charge()
        except KeyError:
            raise GatewayError(\"\"\"charge
    failed\"\"\")


    def refund(api):
        try:
            api.refund()
        except:  # sadpath: ignore[SAD101]
            return None
    """
)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.sadpath]\n", encoding="utf-8")
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", "--no-cache", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def codes_by_line(text: str) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for finding in lint(SourceFile("legacy.py", text)).findings:
        found.setdefault(finding.span.line, set()).add(finding.code)
    return found


def test_add_noqa_silences_every_finding_and_a_second_run_is_clean(project, capsys):
    path = project / "legacy.py"
    path.write_text(LEGACY, encoding="utf-8")
    before = codes_by_line(LEGACY)
    assert {"SAD103", "SAD202"} <= set().union(*before.values()) and len(before) >= 3
    code, out, err = run(capsys, "--add-noqa", "legacy.py")
    assert code == 0 and out == ""
    assert err.startswith("Added ") and "to 1 file." in err
    text = path.read_text(encoding="utf-8")
    compile(text, "legacy.py", "exec")
    assert 'raise GatewayError("charge failed")  # noqa: E501  # sadpath: ignore[SAD103]\n' in text
    assert "return requests.get(url)  # the old client  # sadpath: ignore[SAD202]\n" in text
    assert '\nfailed""")  # sadpath: ignore[SAD103]\n' in text  # where the multi-line string ends
    bare = next(n for n, line in enumerate(LEGACY.splitlines(), start=1) if line.strip().startswith("except:"))
    merged = ["SAD101", *sorted(before.get(bare, set()) - {"SAD101"})]
    assert f"except:  # sadpath: ignore[{', '.join(merged)}]\n" in text  # merged into the existing comment
    code, out, _ = run(capsys, "legacy.py")
    assert code == 0 and "All checks passed!" in out
    code, _, err = run(capsys, "--add-noqa", "legacy.py")
    assert code == 0 and err.startswith("Added 0 suppressions to 0 files.")
    assert path.read_text(encoding="utf-8") == text
    code, out, _ = run(capsys, "--extend-select", "SAD100", "--select", ",".join(sorted(set().union(*before.values()))), "legacy.py")
    assert code == 0, out  # every suppression it wrote is in use


def test_add_noqa_merges_into_a_noqa_list_of_our_codes():
    text = "def f(api):\n    try:\n        api.x()\n    except KeyError:\n        raise ValueError('x')  # noqa: SAD104\n"
    findings = lint(SourceFile("m.py", text)).findings
    new, added = with_suppressions(text, findings)
    assert added == 1 and "raise ValueError('x')  # noqa: SAD104, SAD103\n" in new


def test_file_level_suppressions(project, capsys):
    body = LEGACY.replace("  # sadpath: ignore[SAD101]", "")
    everything = set().union(*codes_by_line(body).values())
    (project / "all.py").write_text("# sadpath: ignore-file\n" + body, encoding="utf-8")
    (project / "some.py").write_text("# legacy module\n# sadpath: ignore-file[SAD103, missing-timeout]\n" + body, encoding="utf-8")
    code, out, _ = run(capsys, "--output-format", "concise", "all.py", "some.py")
    assert "all.py" not in out
    reported = {line.split(": ")[1].split()[0] for line in out.splitlines() if line.startswith("some.py:")}
    assert reported == everything - {"SAD103", "SAD202"} and reported
    assert code == 1


def test_sad100_reports_unused_suppressions_and_its_fix_removes_them(project, capsys):
    path = project / "app.py"
    path.write_text(
        textwrap.dedent(
            """\
            def total(values):
                return sum(values)  # sadpath: ignore[SAD101]  # noqa: E501


            def lookup(table, key):
                return table[key]  # noqa: SAD103, E501, SAD1O1
            """
        ),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "--output-format", "concise", "app.py")
    assert code == 0, out  # a preview rule: off unless named or preview = true
    code, out, _ = run(capsys, "--output-format", "concise", "--extend-select", "SAD100", "app.py")
    assert code == 1
    assert "app.py:2:25: SAD100 [*] `# sadpath: ignore[SAD101]` is unused: no SAD101 finding is left to silence" in out
    assert "app.py:6:24: SAD100 [*] `# noqa: SAD103, E501, SAD1O1` has unused codes:" in out and "SAD1O1 is no sadpath rule" in out
    code, out, _ = run(capsys, "--preview", "--fix", "app.py")
    assert code == 0, out
    assert path.read_text(encoding="utf-8").splitlines()[1::4] == ["    return sum(values)  # noqa: E501", "    return table[key]  # noqa: E501"]


def test_sad100_judges_only_rules_that_ran(project):
    text = "def f(total):\n    return total  # sadpath: ignore[SAD302]\n"
    found = lint(SourceFile("m.py", text), Settings(extend_select=("SAD100",))).findings
    assert found == []  # SAD302 needs coverage data: without it the comment may be needed where it runs


def test_exit_non_zero_on_fix(project, capsys):
    path = project / "app.py"
    source = "class E(Exception):\n    pass\n\n\ndef f(api):\n    try:\n        api.x()\n    except KeyError:\n        raise E('x')\n"
    path.write_text(source, encoding="utf-8")
    code, out, _ = run(capsys, "--fix", "app.py")
    assert code == 0 and "(1 fixed, 0 remaining)" in out
    path.write_text(source, encoding="utf-8")
    code, _, _ = run(capsys, "--fix", "--exit-non-zero-on-fix", "app.py")
    assert code == 1
    code, _, _ = run(capsys, "--fix", "--exit-non-zero-on-fix", "app.py")
    assert code == 0  # nothing left to fix


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_changed_files_recipe_checks_only_what_the_branch_changed(project):
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=project, check=True, capture_output=True, text=True).stdout

    git("init", "-q", "-b", "main")
    git("config", "user.email", "ci@example.com")
    git("config", "user.name", "CI")
    bad = "def f(api):\n    try:\n        api.x()\n    except KeyError:\n        raise ValueError('x')\n"
    (project / "old.py").write_text(bad, encoding="utf-8")
    (project / "gone.py").write_text("x = 1\n", encoding="utf-8")
    git("add", "-A")
    git("commit", "-qm", "base")
    git("checkout", "-qb", "feature")
    (project / "new.py").write_text(bad, encoding="utf-8")
    (project / "gone.py").unlink()
    (project / "notes.txt").write_text("not python\n", encoding="utf-8")
    git("add", "-A")
    git("commit", "-qm", "feature")
    recipe = f"git diff --name-only --diff-filter=d main...HEAD -- '*.py' | xargs -r {sys.executable} -m sadpath check --no-cache --force-exclude"
    done = subprocess.run(["bash", "-c", recipe], cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 123, done.stderr  # xargs: the command it ran exited 1
    assert "new.py:5:9: SAD103" in done.stdout and "old.py" not in done.stdout and done.stderr == ""
    git("checkout", "-qb", "docs-only", "main")
    done = subprocess.run(["bash", "-c", recipe], cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == ""  # nothing changed: nothing runs


def test_add_noqa_never_writes_through_a_link(project, tmp_path, capsys):
    outside = tmp_path / "outside.py"
    outside.write_text(LEGACY, encoding="utf-8")
    link = project / "linked.py"
    link.symlink_to(outside)
    code, _, err = run(capsys, "--add-noqa", "linked.py")
    assert code == 1 and "symbolic link" in err
    assert outside.read_text(encoding="utf-8") == LEGACY
    assert Path(link).is_symlink()
