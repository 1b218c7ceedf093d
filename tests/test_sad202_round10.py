"""SAD202, round 10: a connect-only probe is worded as the OS connect timeout it blocks for (and the event loop it
blocks, when a coroutine runs it), and a call inside a pytest test function of a test module stays quiet."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sadpath.engine.analyze import analyze
from sadpath.registry import lookup
from sadpath.settings import Settings
from sadpath.source import SourceFile

SUITE = textwrap.dedent(
    """\
    import requests


    class BlockSuite:
        def test_has_a_valid_image(self, block):
            assert requests.get(block.logo_url).status_code == 200


    def test_download():
        assert requests.get("https://example.test/x").ok


    def download(url):
        return requests.get(url).content
    """
)
PROBES = textwrap.dedent(
    """\
    import asyncio
    import socket


    def can_connect(ip, port):
        try:
            socket.create_connection((ip, port)).close()
        except OSError:
            return False
        return True


    def reachable(ip, port):
        try:
            sock = socket.create_connection((ip, port))
            sock.close()
        except OSError:
            return False
        return True


    def banner(ip, port):
        sock = socket.create_connection((ip, port))
        return sock.recv(100)


    async def wait_for_server(ip, port):
        while not await poll(lambda: can_connect(ip, port)):
            await asyncio.sleep(0.1)


    async def poll(check):
        return check()


    async def off_loop(ip, port):
        return await asyncio.to_thread(reachable, ip, port)
    """
)


def _findings(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return {f.span.line: f for f in analyze(SourceFile(str(path), text), Settings(), [lookup("SAD202")]).findings}


def _package(tmp_path: Path, *folders: str) -> Path:
    folder = tmp_path / "app"
    for part in ("", *folders):
        folder = folder / part if part else folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "__init__.py").write_text("")
    return folder


def test_test_functions_of_a_testing_folder_are_quiet_but_its_helpers_are_not(tmp_path):
    found = _findings(_package(tmp_path, "testing", "standard_suites") / "blocks.py", SUITE)
    assert 6 not in found and 10 not in found  # `def test_*` methods and functions
    assert 14 in found  # a helper of the suite is not a test function


def test_test_module_by_file_name(tmp_path):
    found = _findings(tmp_path / "test_blocks.py", SUITE)
    assert set(found) == {14}


def test_the_same_names_in_a_service_module_are_reported(tmp_path):
    found = _findings(_package(tmp_path, "integrations") / "blocks.py", SUITE)
    assert {6, 10, 14} <= set(found)  # `test_connection()` of a service is code a user triggers


def test_connect_only_probe_says_os_connect_timeout_and_the_event_loop(tmp_path):
    found = _findings(_package(tmp_path) / "utils.py", PROBES)
    loop = found[7]
    assert "blocks for up to the OS connect timeout (about 2 minutes)" in loop.message
    assert "waits forever" not in loop.message
    assert "on the event loop (`wait_for_server()` runs it there" in loop.message
    assert "`timeout=1`" in loop.message and loop.data["seconds"] == 1
    threaded = found[15]  # closed at once, run in a thread by `asyncio.to_thread`
    assert "blocks for up to the OS connect timeout (about 2 minutes)" in threaded.message
    assert "event loop" not in threaded.message and threaded.data["seconds"] == 10
    reads = found[23]  # not a probe: it reads from the socket
    assert "waits forever" in reads.message
