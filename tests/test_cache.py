"""The result cache of ``sadpath check``: hits equal fresh analyses, and every input that matters invalidates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sadpath import cache as cache_module
from sadpath.commands import check as check_module
from sadpath.commands.check import CheckOptions, SettingsResolver, run
from sadpath.cli import main

SWALLOW = """
import requests


def fetch():
    try:
        response = requests.get("https://api.example/x", timeout=5)
        response.raise_for_status()
        return response.json()
    except Exception:
        pass
"""

HELPER = """
import requests


def charge(amount):
    return requests.post("https://pay.example/charge", json={"amount": amount}, timeout=5)
"""

HELPER_HANDLED = """
import requests


class PaymentError(Exception):
    pass


def charge(amount):
    try:
        return requests.post("https://pay.example/charge", json={"amount": amount}, timeout=5)
    except requests.RequestException as exc:
        raise PaymentError("payment gateway failed") from exc
"""

ROUTES = """
import requests
from flask import Flask

from shop.payments import charge

app = Flask(__name__)


@app.post("/checkout")
def checkout():
    charge(10)
    return {"ok": True}


@app.post("/tip")
def tip():
    try:
        charge(1)
    except requests.RequestException:
        return {"error": "payments unavailable"}, 503
    return {"ok": True}
"""  # one route handles charge()'s failures and one does not: the finding is on the unguarded route's call


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path, monkeypatch):
    write(tmp_path, "pyproject.toml", "[tool.sadpath]\n")
    write(tmp_path, "svc/__init__.py", "")
    write(tmp_path, "svc/client.py", SWALLOW)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(paths: list[str], cache_dir: Path | None, **options) -> list[tuple[str, int, str]]:
    opts = CheckOptions(cache_dir=cache_dir, **options)
    result = run(paths, SettingsResolver(opts.overrides), opts)
    return [(Path(r.path).name, f.span.line, f.code) for r in result.results for f in r.findings]


class Analyses:
    """Counts the files actually analysed (cache misses)."""

    def __init__(self, monkeypatch) -> None:
        self.paths: list[str] = []
        original = check_module.check_text

        def counting(read, settings, options):
            self.paths.append(Path(read.path).name)
            return original(read, settings, options)

        monkeypatch.setattr(check_module, "check_text", counting)


def test_warm_run_reuses_every_result(project, monkeypatch):
    cold = check(["."], project / ".sadpath_cache")
    counter = Analyses(monkeypatch)
    warm = check(["."], project / ".sadpath_cache")
    assert warm == cold and ("client.py", 10, "SAD101") in cold
    assert counter.paths == []


def test_changed_file_is_analyzed_again(project, monkeypatch):
    check(["."], project / ".sadpath_cache")
    write(project, "svc/client.py", SWALLOW.replace("    except Exception:\n        pass", "    except Exception:\n        raise"))
    counter = Analyses(monkeypatch)
    assert check(["."], project / ".sadpath_cache") == []
    assert counter.paths == ["client.py"]


def test_settings_change_misses(project, monkeypatch):
    check(["."], project / ".sadpath_cache")
    counter = Analyses(monkeypatch)
    assert check(["."], project / ".sadpath_cache", select=("SAD102",)) == []
    assert sorted(counter.paths) == ["__init__.py", "client.py"]
    write(project, "pyproject.toml", '[tool.sadpath]\nignore = ["SAD101"]\n')
    assert check(["."], project / ".sadpath_cache") == []


def test_new_sadpath_build_or_knowledge_base_misses(project, monkeypatch):
    check(["."], project / ".sadpath_cache")
    monkeypatch.setattr(cache_module, "_BUILD", "another-build")
    counter = Analyses(monkeypatch)
    check(["."], project / ".sadpath_cache")
    assert sorted(counter.paths) == ["__init__.py", "client.py"]
    # entries of the old build are removed when the new build's directory is made
    assert [p.name for p in (project / ".sadpath_cache").iterdir() if p.is_dir()] == ["another-build"]


def test_build_digest_follows_the_knowledge_base(monkeypatch, tmp_path):
    package = tmp_path / "sadpath"
    (package / "knowledge").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    kb = package / "knowledge" / "exceptions.toml"
    kb.write_text("a = 1\n")
    monkeypatch.setattr(cache_module.sadpath, "__file__", str(package / "__init__.py"))
    monkeypatch.setattr(cache_module, "_BUILD", None)
    first = cache_module.build_digest()
    kb.write_text("a = 22\n")
    monkeypatch.setattr(cache_module, "_BUILD", None)
    assert cache_module.build_digest() != first


def test_interprocedural_finding_follows_its_dependency(tmp_path, monkeypatch):
    write(tmp_path, "pyproject.toml", "[tool.sadpath]\n")
    write(tmp_path, "shop/__init__.py", "")
    write(tmp_path, "shop/payments.py", HELPER)
    write(tmp_path, "shop/routes.py", ROUTES)
    monkeypatch.chdir(tmp_path)
    cache_dir = tmp_path / ".sadpath_cache"
    assert ("routes.py", 12, "SAD201") in check(["shop/routes.py"], cache_dir, select=("SAD201",))
    counter = Analyses(monkeypatch)
    assert ("routes.py", 12, "SAD201") in check(["shop/routes.py"], cache_dir, select=("SAD201",))
    assert counter.paths == []
    write(tmp_path, "shop/payments.py", HELPER_HANDLED)  # routes.py itself is unchanged
    assert check(["shop/routes.py"], cache_dir, select=("SAD201",)) == []
    assert counter.paths == ["routes.py"]


def test_damaged_index_is_a_miss(project, monkeypatch):
    cold = check(["."], project / ".sadpath_cache")
    (index,) = (project / ".sadpath_cache").rglob("index.json")
    index.write_text("{not json", encoding="utf-8")
    counter = Analyses(monkeypatch)
    assert check(["."], project / ".sadpath_cache") == cold
    assert sorted(counter.paths) == ["__init__.py", "client.py"]
    # and the index was written again
    assert len(json.loads(index.read_text())["entries"]) == 2


def test_files_untouched_for_a_while_are_not_even_read(project, monkeypatch):
    import os
    import time

    old = time.time() - 100
    for path in (project / "svc").glob("*.py"):
        os.utime(path, (old, old))
    check(["."], project / ".sadpath_cache")
    reads: list[str] = []
    original = check_module.read_source

    def counting(path):
        reads.append(Path(path).name)
        return original(path)

    monkeypatch.setattr(check_module, "read_source", counting)
    assert ("client.py", 10, "SAD101") in check(["."], project / ".sadpath_cache")
    assert reads == []
    write(project, "svc/client.py", SWALLOW.replace("    except Exception:\n        pass", "    except Exception:\n        raise"))
    assert check(["."], project / ".sadpath_cache") == [] and reads == ["client.py"]


def test_unwritable_cache_warns_once_and_the_run_goes_on(project, caplog):
    blocker = project / "not-a-dir"
    blocker.write_text("a file where the cache would go")
    with caplog.at_level("WARNING", logger="sadpath.cache"):
        assert ("client.py", 10, "SAD101") in check(["."], blocker / "cache")
    warnings = [r for r in caplog.records if "cannot write the cache" in r.getMessage()]
    assert len(warnings) == 1


def test_no_cache_writes_nothing_and_fix_never_reads(project, monkeypatch, capsys):
    assert main(["check", "--no-cache", "--exit-zero", "."]) == 0
    assert not (project / ".sadpath_cache").exists()
    assert main(["check", "--exit-zero", "."]) == 0
    assert (project / ".sadpath_cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (project / ".sadpath_cache" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    counter = Analyses(monkeypatch)
    assert main(["check", "--diff", "--unsafe-fixes", "."]) == 1
    assert "client.py" in counter.paths


def test_clean_removes_only_a_sadpath_cache(project, capsys):
    assert main(["check", "--exit-zero", "."]) == 0
    assert main(["clean"]) == 0
    assert not (project / ".sadpath_cache").exists()
    other = project / "data"
    other.mkdir()
    (other / "keep.txt").write_text("precious")
    assert main(["clean", "--cache-dir", str(other)]) == 2
    assert (other / "keep.txt").exists()
    assert "not a sadpath cache" in capsys.readouterr().err


def test_concurrent_runs_share_the_cache(project):
    for index in range(30):
        write(project, f"svc/mod{index}.py", SWALLOW.replace("fetch", f"fetch{index}"))
    command = [sys.executable, "-m", "sadpath", "check", "--format", "json", "--exit-zero", "--jobs", "2", "."]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    procs = [subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(3)]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err.decode() for _, err in outputs]
    reports = [json.loads(out)["findings"] for out, _ in outputs]
    assert reports[0] == reports[1] == reports[2] and len(reports[0]) == 31
    warm = subprocess.run(command, cwd=project, capture_output=True, check=True, env=env)
    assert json.loads(warm.stdout)["findings"] == reports[0]
    assert not list((project / ".sadpath_cache").rglob(".tmp-*"))
