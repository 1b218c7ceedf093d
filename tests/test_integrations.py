"""The integrations from the repository itself: the pre-commit hooks (run with `pre-commit try-repo` on a scratch
git repository, installing sadpath from a copy of this checkout) and the GitHub Action's steps."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness import ROOT, UNCHAINED

COPY_IGNORES = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", ".sadpath_cache", "__pycache__", "*.egg-info", "e2e-out", "*.vsix", "dist", "build", "bundled"
)


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env).stdout


def test_the_hooks_file_declares_both_hooks():
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert set(hooks) == {"sadpath", "sadpath-fix"}
    assert hooks["sadpath"]["entry"] == "sadpath check --force-exclude"
    assert hooks["sadpath-fix"]["entry"] == "sadpath check --force-exclude --fix --exit-non-zero-on-fix"
    assert all(hook["language"] == "python" and "python" in hook["types_or"] for hook in hooks.values())


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_try_repo_runs_both_hooks(tmp_path):
    pre_commit = Path(sys.executable).parent / "pre-commit"
    assert pre_commit.is_file(), "pre-commit is in the test extra: pip install -e '.[test]'"
    hooks_repo = tmp_path / "sadpath-repo"
    shutil.copytree(ROOT, hooks_repo, ignore=COPY_IGNORES, symlinks=True)
    git(hooks_repo, "init", "-q")
    git(hooks_repo, "add", "-A")
    git(hooks_repo, "commit", "-qm", "sadpath")  # try-repo takes the last commit of a local repository

    project = tmp_path / "service"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.sadpath]\nexclude = ["vendored"]\n', encoding="utf-8")
    (project / "app.py").write_text(UNCHAINED, encoding="utf-8")
    (project / "vendored").mkdir()
    (project / "vendored" / "lib.py").write_text(UNCHAINED, encoding="utf-8")
    (project / "README.md").write_text("not python\n", encoding="utf-8")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "service")

    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PRE_COMMIT_COLOR": "never", "SADPATH_OUTPUT_FORMAT": "concise"}
    env.pop("VIRTUAL_ENV", None)

    def try_repo(hook: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(pre_commit), "try-repo", str(hooks_repo), hook, "--all-files", "--verbose"],
            cwd=project, capture_output=True, text=True, env=env, timeout=900,
        )  # fmt: skip

    checked = try_repo("sadpath")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "app.py:9:9: SAD103 [*] " in checked.stdout
    assert "vendored/lib.py" not in checked.stdout  # --force-exclude: the project's exclude applies
    assert (project / "app.py").read_text(encoding="utf-8") == UNCHAINED

    fixed = try_repo("sadpath-fix")
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr  # it changed a file: the commit stops
    assert "raise GatewayError(\"charge failed\") from exc" in (project / "app.py").read_text(encoding="utf-8")
    git(project, "add", "-A")
    again = try_repo("sadpath")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Passed" in again.stdout


# ---------------------------------------------------------------- the GitHub Action


def test_action_is_a_composite_that_uploads_sarif():
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert {"args", "version", "sarif"} <= set(action["inputs"])
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    uploads = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert len(uploads) == 1 and "inputs.sarif == 'true'" in uploads[0]["if"]
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash" and "${{" not in step["run"]  # inputs reach scripts as env, never spliced in
    assert subprocess.run(["bash", "-n", str(ROOT / "scripts" / "action.sh")]).returncode == 0


def action_step(step: str, tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    environ = {**os.environ, "GITHUB_OUTPUT": str(output), "SADPATH_SOURCE": str(ROOT), **env}
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}"
    done = subprocess.run(["bash", str(ROOT / "scripts" / "action.sh"), step], cwd=tmp_path, capture_output=True, text=True, env=environ, timeout=300)
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if "=" in line)
    return done, outputs


def test_action_check_step_writes_sarif_and_reports_the_status(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.sadpath]\n", encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(UNCHAINED, encoding="utf-8")
    done, outputs = action_step("check", tmp_path, SADPATH_ARGS="src/ --select SAD1", SADPATH_SARIF="true", SADPATH_SARIF_FILE="out.sarif")
    assert done.returncode == 0, done.stderr  # the step itself never fails: the last one does, after the upload
    assert outputs == {"sarif-written": "true", "exit-code": "1"}
    import json

    results = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["SAD103"]
    assert "src/app.py:9:9: SAD103" in done.stdout  # a readable list in the log too
    done, outputs = action_step("check", tmp_path, SADPATH_ARGS="src/", SADPATH_SARIF="false")
    assert outputs == {"sarif-written": "false", "exit-code": "1"}
    assert done.stdout.startswith("::warning file=src/app.py,line=9,col=9,")
    (tmp_path / "src" / "app.py").write_text("x = 1\n", encoding="utf-8")
    done, outputs = action_step("check", tmp_path, SADPATH_ARGS="src/", SADPATH_SARIF="true")
    assert outputs["exit-code"] == "0" and (tmp_path / "sadpath.sarif").is_file()
