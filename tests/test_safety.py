"""Harmless in a hostile repository: sadpath never deletes, overwrites or runs what the user did not ask for.

Each test reproduces one way the tool could hurt: a cache that deletes folders it did not create, a fix that
writes through a planted link or over an edit saved meanwhile, line separators that move edits to the wrong
line, special files that hang the run, an interpreter picked up from the repository, bad configuration that
ends in a traceback.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sadpath.commands import check as check_module
from sadpath.cache import build_digest, clean, open_cache, root_problem, CacheRefused
from sadpath.commands.check import CheckOptions, SettingsResolver, effective_jobs, run
from sadpath.cli import main
from sadpath.linter import lint
from sadpath.files import ReadFile, WriteRefused, read_source, write_new, write_source
from sadpath.source import SourceFile, split_lines
from harness import write

SWALLOW = textwrap.dedent(
    """\
    import requests


    def fetch():
        try:
            response = requests.get("https://api.example/x", timeout=5)
            response.raise_for_status()
            return response.json()
        except Exception as exc:
            print(exc)
            return None
    """
)
# the SAD103 fix (add `from exc`) is safe: `--fix` alone rewrites this file
LOGGED = textwrap.dedent(
    """\
    import requests


    class FetchError(Exception):
        pass


    def fetch():
        try:
            return requests.get("https://api.example/x", timeout=5)
        except requests.RequestException as exc:
            raise FetchError(f"fetch failed: {exc}")
    """
)
FIXED_MARK = ") from exc"


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "project"
    write(root, "pyproject.toml", "[tool.sadpath]\n")
    write(root, "src/svc/client.py", SWALLOW)
    write(root, "docs/index.md", "# docs\n")
    write(root, ".git/HEAD", "ref: refs/heads/main\n")
    monkeypatch.chdir(root)
    return root


def tree_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".sadpath_cache" not in p.parts}


# ------------------------------------------------------------------ 1. the cache deletes only its own


def said(capsys, caplog) -> str:
    """What a run told the user: stderr, and the log lines the CLI prints there (pytest captures those)."""
    return capsys.readouterr().err + "".join(f"{r.getMessage()}\n" for r in caplog.records)


def test_cache_dir_dot_touches_nothing(project, capsys, caplog):
    before = tree_of(project)
    assert main(["check", "--cache-dir", ".", "--exit-zero", "src"]) == 0
    assert main(["check", "--cache-dir", ".", "--exit-zero", "src"]) == 0
    assert tree_of(project) == before
    err = said(capsys, caplog)
    assert "not a sadpath cache" in err and "going on without a cache" in err and "Traceback" not in err


def test_cache_dir_env_on_a_home_folder_touches_nothing(project, tmp_path, monkeypatch, capsys, caplog):
    home = tmp_path / "home"
    write(home, ".ssh/authorized_keys", "ssh-ed25519 AAAA\n")
    (home / "0123456789abcdef").mkdir()  # looks like a build folder of sadpath's, but the root is not its cache
    write(home, "0123456789abcdef/index.json", "{}")
    monkeypatch.setenv("SADPATH_CACHE_DIR", str(home))
    before = tree_of(home)
    assert main(["check", "--exit-zero", "src"]) == 0
    assert tree_of(home) == before
    assert "not a sadpath cache" in said(capsys, caplog)


def test_planted_cache_symlink_is_refused(project, tmp_path, capsys, caplog):
    target = tmp_path / "elsewhere"
    write(target, "CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n# sadpath\n")
    write(target, "fedcba9876543210/index.json", "{}")
    write(target, "precious.txt", "keep me")
    (project / ".sadpath_cache").symlink_to(target, target_is_directory=True)
    before = tree_of(target)
    assert main(["check", "--exit-zero", "."]) == 0
    assert tree_of(target) == before
    err = said(capsys, caplog)
    assert "symbolic link" in err and err.count("going on without a cache") == 1
    assert main(["clean"]) == 2 and tree_of(target) == before


def test_cache_outside_the_start_folder_needs_to_be_named(project, tmp_path):
    outside = tmp_path / "outside-cache"
    assert "outside the folder the run started in" in root_problem(outside, explicit=False)
    assert root_problem(outside, explicit=True) is None
    assert root_problem(project / ".sadpath_cache", explicit=False) is None


def test_stale_builds_go_but_foreign_entries_stay(project):
    assert main(["check", "--exit-zero", "."]) == 0
    cache = project / ".sadpath_cache"
    stale = cache / "00000000deadbeef"
    write(stale, "index.json", "{}")
    write(cache, "0123456789abcdef/notes.txt", "not sadpath's")  # a build-like folder holding a foreign file
    write(cache, "mine/keep.txt", "a folder sadpath never made")
    (cache / build_digest()).joinpath("index.json").unlink()  # the current build's index is written again
    write(project, "src/svc/other.py", "x = 1\n")
    assert main(["check", "--exit-zero", "."]) == 0
    assert not stale.exists()
    assert (cache / "0123456789abcdef/notes.txt").read_text() == "not sadpath's"
    assert (cache / "0123456789abcdef/index.json").exists() is False
    assert (cache / "mine/keep.txt").exists()


def test_planted_marker_links_are_not_written_through(project, tmp_path):
    victim = write(tmp_path, "victim.txt", "original")
    cache = project / ".sadpath_cache"
    cache.mkdir()
    (cache / ".gitignore").symlink_to(victim)
    (cache / "CACHEDIR.TAG").symlink_to(tmp_path / "dangling-target")
    assert main(["check", "--exit-zero", "."]) == 0
    assert victim.read_text() == "original"
    assert not (tmp_path / "dangling-target").exists()


def test_clean_removes_only_what_sadpath_wrote(project, capsys):
    assert main(["check", "--exit-zero", "."]) == 0
    cache = project / ".sadpath_cache"
    write(cache, "user-notes.txt", "mine")
    assert main(["clean"]) == 0
    assert (cache / "user-notes.txt").read_text() == "mine"
    assert not (cache / build_digest()).exists()
    assert "did not create" in capsys.readouterr().err
    (cache / "user-notes.txt").unlink()
    assert clean(cache) == [] and not cache.exists()
    folder = write(project, "data/keep.txt", "precious").parent
    with pytest.raises(CacheRefused):
        clean(folder)
    assert (folder / "keep.txt").exists()


@pytest.mark.parametrize(
    "index",
    ["[1, 2, 3]", '{"format": 1, "entries": [1]}', '{"format": 1, "written": "x", "entries": {}}', "{{{", '"text"'],
)
def test_cache_index_of_the_wrong_shape_is_a_miss(project, index, capsys):
    assert main(["check", "--exit-zero", "."]) == 0
    index_path = project / ".sadpath_cache" / build_digest() / "index.json"
    index_path.write_text(index)
    assert main(["check", "--exit-zero", "."]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_cache_entries_of_the_wrong_shape_are_misses(project, capsys):
    assert main(["check", "--exit-zero", "--format", "json", "."]) == 0
    first = json.loads(capsys.readouterr().out)["findings"]
    index_path = project / ".sadpath_cache" / build_digest() / "index.json"
    data = json.loads(index_path.read_text())
    path = next(iter(data["entries"]))
    for broken in (7, {"settings": 1}, {**data["entries"][path], "findings": [1]}, {**data["entries"][path], "dependencies": [1]}):
        data["entries"][path] = broken
        index_path.write_text(json.dumps(data))
        assert main(["check", "--exit-zero", "--format", "json", "."]) == 0
        captured = capsys.readouterr()
        assert json.loads(captured.out)["findings"] == first and "Traceback" not in captured.err


def test_open_cache_says_one_line(project, caplog):
    with caplog.at_level("WARNING", logger="sadpath.cache"):
        assert open_cache(project, explicit=True) is None
    assert len(caplog.records) == 1


# ------------------------------------------------------------------ 2-3. fixes write safely


def fix(paths: list[str], unsafe: bool = False) -> check_module.RunResult:
    options = CheckOptions(fix=True, unsafe_fixes=unsafe)
    return run(paths, SettingsResolver(options.overrides), options)


def test_fix_never_writes_through_a_planted_temporary_link(project, tmp_path):
    victim = write(tmp_path, "authorized_keys", "ssh-ed25519 AAAA\n")
    target = write(project, "src/svc/logged.py", LOGGED)
    (target.parent / f".{target.name}.sadpath-tmp").symlink_to(victim)
    result = fix([str(target)])
    assert result.results[0].fixed == 1 and FIXED_MARK in target.read_text()
    assert victim.read_text() == "ssh-ed25519 AAAA\n"
    assert not target.is_symlink()


def test_fix_refuses_a_symlinked_file(project, tmp_path, capsys):
    real = write(tmp_path, "outside.py", LOGGED)
    link = project / "src/svc/linked.py"
    link.symlink_to(real)
    assert main(["check", "--fix", "--no-cache", str(link)]) == 1
    assert link.is_symlink() and real.read_text() == LOGGED
    assert "symbolic link" in capsys.readouterr().err


def test_fix_keeps_mode_and_refuses_read_only(project, capsys):
    target = write(project, "src/svc/logged.py", LOGGED)
    target.chmod(0o751)
    assert fix([str(target)]).results[0].fixed == 1
    assert stat.S_IMODE(target.stat().st_mode) == 0o751 and FIXED_MARK in target.read_text()
    frozen = write(project, "src/svc/frozen.py", LOGGED)
    frozen.chmod(0o444)
    assert main(["check", "--fix", "--no-cache", str(frozen)]) == 1
    assert frozen.read_text() == LOGGED
    assert "read-only" in capsys.readouterr().err


def test_an_edit_saved_during_the_fix_is_kept(project, monkeypatch, capsys):
    target = write(project, "src/svc/logged.py", LOGGED)
    original = check_module.fix_text
    saved = LOGGED + "\n\ndef added_by_the_user():\n    return 1\n"

    def fix_while_the_user_saves(path, text, settings, unsafe):
        target.write_text(saved)  # the editor saves between sadpath's read and its write
        return original(path, text, settings, unsafe)

    monkeypatch.setattr(check_module, "fix_text", fix_while_the_user_saves)
    assert main(["check", "--fix", "--no-cache", str(target)]) == 1
    assert target.read_text() == saved
    assert "changed on disk" in capsys.readouterr().err


def test_a_file_deleted_during_the_fix_stays_deleted(project, monkeypatch, capsys):
    target = write(project, "src/svc/logged.py", LOGGED)
    original = check_module.fix_text

    def fix_while_the_user_deletes(path, text, settings, unsafe):
        target.unlink()
        return original(path, text, settings, unsafe)

    monkeypatch.setattr(check_module, "fix_text", fix_while_the_user_deletes)
    assert main(["check", "--fix", "--no-cache", str(target)]) == 1
    assert not target.exists()
    assert "deleted" in capsys.readouterr().err


def test_write_source_checks_what_it_read(tmp_path):
    path = write(tmp_path, "m.py", "x = 1\n")
    read = read_source(str(path))
    assert isinstance(read, ReadFile)
    path.write_text("x = 2\n")
    with pytest.raises(WriteRefused, match="changed on disk"):
        write_source(read, "x = 3\n")
    assert path.read_text() == "x = 2\n"


def test_generated_files_never_go_through_a_planted_link(tmp_path):
    victim = write(tmp_path, "victim.txt", "original")
    (tmp_path / "tests").mkdir()
    planted = tmp_path / "tests" / "test_failures_charge.py"
    planted.symlink_to(victim)
    with pytest.raises(WriteRefused, match="symbolic link"):
        write_new(planted, "generated")
    assert victim.read_text() == "original"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "tests").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(WriteRefused, match="outside"):
        write_new(tmp_path / "project" / "tests" / "test_x.py", "generated", inside=tmp_path / "project")
    assert not list(elsewhere.iterdir())


def test_contracts_init_write_refuses_a_linked_pyproject(tmp_path, monkeypatch, capsys):
    real = write(tmp_path / "outside", "pyproject.toml", "[tool.sadpath]\n")
    project = tmp_path / "p"
    write(project, "svc.py", "import requests\n\ndef f():\n    return requests.get('https://x.example', timeout=3)\n")
    (project / "pyproject.toml").symlink_to(real)
    monkeypatch.chdir(project)
    assert main(["contracts", "init", "--write", "."]) == 2
    assert real.read_text() == "[tool.sadpath]\n"
    assert "symbolic link" in capsys.readouterr().err


# ------------------------------------------------------------------ 4. line separators

SEPARATORS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("separator", SEPARATORS, ids=[f"U+{ord(s):04X}" for s in SEPARATORS])
def test_lines_are_split_as_python_counts_them(separator):
    text = f"# a comment with {separator} inside\nx = 1\r\ny = 2\rz = 3"
    assert split_lines(text) == [f"# a comment with {separator} inside\n", "x = 1\r\n", "y = 2\r", "z = 3"]
    source = SourceFile("m.py", text)
    assert source.line_count == 4 and source.line(2) == "x = 1"


@pytest.mark.parametrize("separator", SEPARATORS, ids=[f"U+{ord(s):04X}" for s in SEPARATORS])
def test_fix_lands_on_the_right_line_after_a_separator(project, separator):
    # a form feed may start a line (PEP 8's page break); the others may sit in a comment
    filler = "\x0c\n" if separator == "\x0c" else f"# page {separator} break\n"
    text = LOGGED.replace("class FetchError", filler + "class FetchError")
    target = write(project, "src/svc/sep.py", text)
    analysis = lint(SourceFile(str(target), text))
    sad103 = [f for f in analysis.findings if f.code == "SAD103"]
    assert sad103 and SourceFile("x", text).line(sad103[0].span.line).strip().startswith("raise FetchError(")
    result = fix([str(target)])
    assert result.results[0].fixed == 1
    fixed = target.read_text(encoding="utf-8")
    assert FIXED_MARK in fixed and filler in fixed and fixed.count("\n") == text.count("\n")


# ------------------------------------------------------------------ 5. special files


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_and_device_links_are_skipped_not_read(project):
    os.mkfifo(project / "src/svc/pipe.py")
    (project / "src/svc/zero.py").symlink_to("/dev/zero")
    proc = subprocess.run(
        [sys.executable, "-m", "sadpath", "check", "--no-cache", "--format", "json", "."],
        cwd=project, capture_output=True, text=True, timeout=60,
    )
    report = json.loads(proc.stdout)
    errors = {Path(e["path"]).name: e["message"] for e in report["errors"]}
    assert "FIFO" in errors["pipe.py"] and "character device" in errors["zero.py"]
    assert any(f["path"].endswith("client.py") for f in report["findings"])
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def test_huge_files_are_skipped(project):
    write(project, "src/svc/huge.py", "x = 1\n" * 200_000)
    read = read_source(str(project / "src/svc/huge.py"))
    assert not isinstance(read, ReadFile) and "more than 1,000,000" in read.message


# ------------------------------------------------------------------ 6. no interpreter but sadpath's own


def test_jedi_never_runs_the_repository_interpreter(tmp_path, monkeypatch):
    import ast

    from sadpath.config import resolve_settings
    from sadpath.engine.context import ModuleContext
    from sadpath.engine.semantic import SemanticModel
    from sadpath.knowledge import exception_hierarchy
    from sadpath.engine import project_calls as _project_calls

    marker = tmp_path / "ran.txt"
    venv = tmp_path / "evil-venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f"#!/bin/sh\necho ran >> {marker}\nexec {sys.executable} \"$@\"\n")
    python.chmod(0o755)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    monkeypatch.setenv("VIRTUAL_ENV", str(venv))
    monkeypatch.setenv("CONDA_PREFIX", str(venv))
    project = tmp_path / "shop"
    write(project, "pyproject.toml", "[tool.sadpath]\n")
    write(project, "shop/__init__.py", "")
    write(project, "shop/gateway.py", "import requests\n\n\ndef charge(amount):\n    return requests.post('https://pay.example', json={'a': amount}, timeout=5)\n")
    routes = write(project, "shop/routes.py", "import shop.gateway as gw\n\n\ndef pay():\n    gw.charge(10)\n")
    text = routes.read_text()
    tree = ast.parse(text)
    source = SourceFile(str(routes), text)
    ctx = ModuleContext(source, tree, SemanticModel(tree, "routes", source=source), exception_hierarchy(), resolve_settings(routes))
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    found = _project_calls._resolve_import(call, ctx, {})  # jedi's goto, as for a re-export it must follow
    assert found is not None and found[1].name == "charge", "jedi did not resolve: the test proves nothing"
    assert not marker.exists()


def test_the_editor_shim_never_imports_from_the_workspace(tmp_path):
    shim = Path(__file__).resolve().parents[1] / "client-vscode" / "bundled" / "tool" / "lsp_server.py"
    workspace = tmp_path / "workspace"
    marker = tmp_path / "imported.txt"
    write(workspace, "sadpath/__init__.py", f"open({str(marker)!r}, 'w').write('sadpath')\n")
    write(workspace, "sadpath/lsp/__init__.py", "")
    write(workspace, "sadpath/lsp/server.py", f"open({str(marker)!r}, 'w').write('server')\n")
    write(workspace, "argparse.py", f"open({str(marker)!r}, 'w').write('argparse')\n")
    proc = subprocess.run([sys.executable, str(shim), "--from-environment", "--help"], cwd=workspace, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "sadpath server" in proc.stdout
    assert not marker.exists()


# ------------------------------------------------------------------ 7. bad configuration


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("tool = 1\n", "tool: expected a table"),
        ('tool = "x"\n', "tool: expected a table"),
        ("[tool]\nsadpath = 3\n", "tool.sadpath: expected a table"),
        ("[tool.sadpath]\ndefault-timeout = nan\n", "tool.sadpath.default-timeout"),
        ("[tool.sadpath]\ndefault-timeout = inf\n", "tool.sadpath.default-timeout"),
        ("[tool.sadpath]\ndefault-timeout = 1e400\n", "tool.sadpath.default-timeout"),
        ('[tool.sadpath]\nrequired-log-fields = ["correlation_id", "name"]\n', "attribute of every logging.LogRecord"),
        ('[tool.sadpath]\nrequired-log-fields = ["message"]\n', "raises KeyError"),
        ('[tool.sadpath]\nignore = [""]\n', "empty rule selector"),
        ('[tool.sadpath]\nselect = [" "]\n', "empty rule selector"),
        ("[tool.sadpath]\nx = " + "[" * 2000 + "]" * 2000 + "\n", "pyproject.toml"),
    ],
    ids=["tool-int", "tool-str", "sadpath-int", "nan", "inf", "1e400", "logrecord-name", "logrecord-message", "empty-ignore", "blank-select", "deep"],
)
def test_bad_configuration_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, content, expected):
    write(tmp_path, "pyproject.toml", content)
    write(tmp_path, "m.py", "x = 1\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-cache", "."]) == 2
    err = capsys.readouterr().err
    assert expected in err and "pyproject.toml" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_pyproject_that_is_not_utf8(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.sadpath]\n# caf\xe9\n")
    write(tmp_path, "m.py", "x = 1\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-cache", "."]) == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "pyproject.toml" in err and "Traceback" not in err


@pytest.mark.parametrize("flag", ["--select", "--ignore", "--extend-select"])
@pytest.mark.parametrize("value", [",", "", " , "])
def test_an_empty_selector_on_the_command_line(tmp_path, monkeypatch, capsys, flag, value):
    write(tmp_path, "m.py", "x = 1\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["check", "--no-cache", flag, value, "."])
    assert exit_.value.code == 2
    assert "empty rule selector" in capsys.readouterr().err


# ------------------------------------------------------------------ 8. smaller gaps


def test_server_help_and_transport_flags():
    proc = subprocess.run([sys.executable, "-m", "sadpath", "server", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "--tcp HOST:PORT" in proc.stdout and "--stdio" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "sadpath", "server", "--tcp", "nonsense"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "expected HOST:PORT" in bad.stderr


def test_server_over_tcp_answers_initialize():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sadpath", "server", "--tcp", f"127.0.0.1:{port}"], stderr=subprocess.PIPE)
    try:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}}).encode()
        import time

        connection = None
        deadline = time.monotonic() + 90  # a loaded CI machine can take many seconds to import the server
        while connection is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=1)
            except OSError:
                time.sleep(0.2)
        assert proc.poll() is None, f"the server exited: {proc.stderr.read().decode(errors='replace')[-2000:]}"
        assert connection is not None, "the server never listened"
        with connection:
            connection.settimeout(30)
            connection.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            received = b""
            while b'"capabilities"' not in received:
                chunk = connection.recv(65536)
                assert chunk, "the server closed the connection"
                received += chunk
        assert b'"id": 1' in received
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_jobs_are_capped():
    cores = check_module.default_jobs()
    assert effective_jobs(1000, 3) == 3
    assert effective_jobs(1000, 10_000) == 4 * cores
    assert effective_jobs(2, 10_000) == 2
    assert effective_jobs(8, 0) == 1


def test_fix_on_deeply_nested_code_is_refused_in_one_line(tmp_path, monkeypatch):
    expression = "+".join(["x"] * 1500)
    write(
        tmp_path,
        "deep.py",
        f"def f(x):\n    try:\n        return {expression}\n"
        "    except ValueError as exc:\n        raise RuntimeError('bad input')\n",
    )
    monkeypatch.chdir(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "sadpath", "check", "--no-cache", "--fix", "--unsafe-fixes", "deep.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert "Traceback" not in proc.stderr
    assert "nested too deeply" in proc.stderr and len(proc.stderr.strip().splitlines()) <= 3


def test_module_tuples_are_found_once_per_module(monkeypatch):
    from sadpath.engine import catching as _except

    handlers = "".join(f"\ndef f{i}():\n    try:\n        g()\n    except ERRS:\n        raise RuntimeError('x')\n" for i in range(300))
    text = "ERRS = (ValueError, KeyError)\n" + handlers
    scans = []
    original = _except.module_tuples

    def counting(ctx):
        if "module-tuples" not in ctx.memo:
            scans.append(1)
        return original(ctx)

    monkeypatch.setattr(_except, "module_tuples", counting)
    findings = lint(SourceFile("m.py", text)).findings
    assert sum(f.code == "SAD103" for f in findings) == 300
    assert len(scans) == 1


def test_a_folder_of_every_bad_input_checks_the_good_files(tmp_path):
    root = tmp_path / "hostile"
    write(root, "pyproject.toml", "[tool.sadpath]\n")
    write(root, "good.py", SWALLOW)
    (root / "binary.py").write_bytes(b"x = 1\x00\n")
    (root / "latin.py").write_bytes(b"x = '\xe9'\n")
    write(root, "syntax.py", "def (:\n")
    write(root, "huge.py", "x = 1\n" * 200_000)
    write(root, "deep.py", "x = " + "(" * 300 + ")" * 300 + "\n")
    write(root, "separators.py", "# \x0c \x85 \u2028\nx = 1\n")
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "pipe.py")
        (root / "zero.py").symlink_to("/dev/zero")
    write(root, "sub/pyproject.toml", "tool = 1\n")
    write(root, "sub/other.py", "x = 1\n")
    (root / ".sadpath_cache").symlink_to(tmp_path, target_is_directory=True)
    before = tree_of(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "sadpath", "check", "--format", "json", "good.py", "binary.py", "latin.py", "syntax.py", "huge.py", "deep.py", "separators.py"]
        + (["pipe.py", "zero.py"] if hasattr(os, "mkfifo") else []),
        cwd=root, capture_output=True, text=True, timeout=120,
    )
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert any(f["path"] == "good.py" and f["code"] == "SAD101" for f in report["findings"])
    assert {Path(e["path"]).name for e in report["errors"]} >= {"binary.py", "latin.py", "huge.py"}
    assert proc.returncode == 1
    assert tree_of(tmp_path) == before
    sub = subprocess.run([sys.executable, "-m", "sadpath", "check", "sub"], cwd=root, capture_output=True, text=True, timeout=60)
    assert sub.returncode == 2 and "tool: expected a table" in sub.stderr and "Traceback" not in sub.stderr
