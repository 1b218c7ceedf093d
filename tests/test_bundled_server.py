"""The bundled server of a built VSIX (``extension/bundled/tool/lsp_server.py``, unpacked) under every CPython on
the machine: its start-up check passes, and over LSP its quick fixes resolve to edits, so the compiled modules
(libcst's parser) load for each version, the version-specific backports (tomli, exceptiongroup on 3.10) are
there, and no quick fix does nothing.

Runs when ``SADPATH_VSIX`` names the VSIX (scripts/test.sh sets it after building this machine's one); with
``SADPATH_REQUIRE_EDITORS=1`` (CI) fewer than two CPythons fail."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig

sys.path.insert(0, str(Path(__file__).resolve().parent / "lsp"))
from conftest import capabilities, record_versions  # noqa: E402
from helpers import apply_workspace_edit, open_document, wait_for_version  # noqa: E402

VSIX = os.environ.get("SADPATH_VSIX")
REQUIRED = os.environ.get("SADPATH_REQUIRE_EDITORS") == "1"  # CI: at least two CPythons must be there
TEXT = (
    "import requests\n\n\nclass RateError(Exception):\n    pass\n\n\n"
    "def get_rate(currency):\n    try:\n"
    "        return requests.get('https://fx.example/' + currency, timeout=5).json()\n"
    "    except KeyError:\n        raise RateError('no rate')\n"
)


def cpythons() -> list[str]:
    """Every CPython 3.10+ on the machine: pyenv's versions and python3.X on PATH, one per real executable."""
    found: dict[str, str] = {}
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3")))
    candidates += [shutil.which(f"python3.{minor}") or "" for minor in range(10, 16)]
    for candidate in filter(None, candidates):
        try:
            out = subprocess.run(
                [candidate, "-c", "import sys, platform; print(platform.python_implementation(), '%d.%d' % sys.version_info[:2])"],
                capture_output=True, text=True, timeout=30, cwd="/",
            ).stdout.split()
        except OSError:
            continue
        if len(out) == 2 and out[0] == "CPython" and tuple(map(int, out[1].split("."))) >= (3, 10):
            found.setdefault(out[1], candidate)
    return [found[v] for v in sorted(found, key=lambda v: tuple(map(int, v.split("."))))]


PYTHONS = cpythons()
pytestmark = pytest.mark.skipif(not VSIX, reason="set SADPATH_VSIX to a built VSIX (scripts/test.sh does, after building it)")


@pytest.fixture(scope="module")
def extension(tmp_path_factory) -> Path:
    assert VSIX and Path(VSIX).is_file(), f"SADPATH_VSIX={VSIX!r} is not a built VSIX"
    folder = tmp_path_factory.mktemp("vsix")
    with zipfile.ZipFile(VSIX) as archive:
        archive.extractall(folder)
    return folder / "extension"


def test_the_machine_has_several_cpythons():
    assert len(PYTHONS) >= (2 if REQUIRED else 1), PYTHONS


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return env


@pytest.mark.parametrize("python", PYTHONS)
def test_the_start_up_check_passes(extension, python, tmp_path):
    shim = extension / "bundled" / "tool" / "lsp_server.py"
    proc = subprocess.run([python, str(shim), "--check"], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_clean_env())
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 0 and report["ok"], report
    manifest = json.loads((extension / "bundled" / "libs" / "sadpath_bundle.json").read_text(encoding="utf-8"))
    assert report["python"].rsplit(".", 1)[0] in manifest["pythons"]
    assert report["bundle"]["target"] == manifest["target"] == report["platform"]


@pytest.mark.parametrize("python", PYTHONS)
async def test_quick_fixes_resolve_to_edits(extension, python, tmp_path):
    shim = extension / "bundled" / "tool" / "lsp_server.py"
    config = ClientServerConfig(server_command=[python, str(shim)], server_env=_clean_env())
    client = await config.start()
    try:
        record_versions(client)
        answer = await client.initialize_session(
            t.InitializeParams(
                capabilities=capabilities(resolve=True), root_uri=tmp_path.as_uri(), initialization_options={"debounceMs": 0}
            )
        )
        assert answer.server_info is not None and answer.server_info.name == "sadpath"  # the bundled one answers
        uri = (tmp_path / "rates.py").as_uri()
        open_document(client, uri, TEXT)
        diagnostics = await wait_for_version(client, uri, 1)
        target = next(d for d in diagnostics if d.code == "SAD103")
        actions = await client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=t.TextDocumentIdentifier(uri=uri), range=target.range,
                context=t.CodeActionContext(diagnostics=[target]),
            )
        )
        fixes = [a for a in actions if a.title.startswith("sadpath (SAD103): ") and "Disable" not in a.title]
        assert fixes, [a.title for a in actions]
        for action in fixes:  # every fix builds: libcst's compiled parser loads under this Python
            resolved = await client.code_action_resolve_async(action)
            assert resolved.edit is not None, (python, action.title, [m.message for m in client.messages])
            fixed = apply_workspace_edit(TEXT, uri, resolved.edit)
            compile(fixed, "rates.py", "exec")
            assert fixed != TEXT
        chain = next(a for a in fixes if "Chain the cause" in a.title)
        assert "from exc" in apply_workspace_edit(TEXT, uri, (await client.code_action_resolve_async(chain)).edit)
        assert not [m.message for m in client.messages if "Could not build" in m.message]
        result = await client.workspace_execute_command_async(
            t.ExecuteCommandParams(command="sadpath.debugInformation", arguments=[uri])
        )
        assert result["bundle"] and result["bundle"].startswith(str(extension)), result["bundle"]
        assert result["libcstNative"] == "loads" and result["executable"]
    finally:
        await client.shutdown_session()
        await client.stop()


def test_the_check_refuses_what_cannot_run(extension, tmp_path):
    """An interpreter the bundle has no compiled modules for, or one too old, is an error that says why."""
    shim_dir = tmp_path / "ext" / "bundled" / "tool"
    shim_dir.mkdir(parents=True)
    shutil.copy2(extension / "bundled" / "tool" / "lsp_server.py", shim_dir)
    libs = tmp_path / "ext" / "bundled" / "libs"
    libs.mkdir()
    manifest = json.loads((extension / "bundled" / "libs" / "sadpath_bundle.json").read_text(encoding="utf-8"))
    newest = PYTHONS[-1]
    version = subprocess.run([newest, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True).stdout.strip()
    manifest["pythons"] = [p for p in manifest["pythons"] if p != version]
    (libs / "sadpath_bundle.json").write_text(json.dumps(manifest), encoding="utf-8")
    proc = subprocess.run([newest, str(shim_dir / "lsp_server.py"), "--check"], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_clean_env())
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 3 and not report["ok"]
    assert any(f"not for Python {version}" in problem for problem in report["problems"]), report["problems"]
    old = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3")))
    if old:  # Python 3.9 runs the check, and hears it is too old
        proc = subprocess.run([old[0], str(extension / "bundled" / "tool" / "lsp_server.py"), "--check"], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_clean_env())
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        assert not report["ok"] and "needs Python 3.10 or newer" in report["problems"][0], report
