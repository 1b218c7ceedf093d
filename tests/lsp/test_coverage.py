"""SAD302 in the editor: the ``coverage`` option, diagnostics that follow a rewritten data file (pushed after
a watched-file notice, pulled with a new result id), and one warning for data that cannot be read."""

from __future__ import annotations

import asyncio
import importlib.util
import os
from pathlib import Path
from unittest import mock

import coverage
import pytest
import pytest_lsp
import requests
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import SERVER, start
from helpers import open_document, wait_for_version
from sadpath.lsp.documents import SettingsCache
from sadpath.lsp.options import Options, parse_options

SERVICE = """\
import requests


class ServiceError(Exception):
    pass


def charge(amount):
    try:
        resp = requests.post("https://pay.example/charges", json={"amount": amount}, timeout=5)
    except requests.Timeout as exc:
        raise ServiceError("the payment service timed out") from exc
    if not resp.ok:
        raise ServiceError(f"the payment was refused: HTTP {resp.status_code}")
    return resp.json()["id"]
"""
TIMEOUT = 11  # the `except requests.Timeout` line
NOT_OK = 13  # the `if not resp.ok:` line


def run_tests(module: Path, data_file: Path, test_the_timeout: bool) -> Path:
    """A test run of ``module`` under coverage.py: the happy path, and the timeout when asked."""
    before = data_file.stat().st_mtime_ns if data_file.exists() else 0
    cov = coverage.Coverage(data_file=str(data_file), include=[str(module)], config_file=False)
    cov.start()
    try:
        spec = importlib.util.spec_from_file_location("_sad302_lsp_service", module)
        service = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(service)
        answer = mock.Mock(status_code=200, ok=True, json=mock.Mock(return_value={"id": "ch_1"}))
        with mock.patch("requests.post", return_value=answer):
            assert service.charge(10) == "ch_1"
        if test_the_timeout:
            with mock.patch("requests.post", side_effect=requests.Timeout):
                with pytest.raises(service.ServiceError):
                    service.charge(10)
    finally:
        cov.stop()
        cov.save()
    newest = max(before, module.stat().st_mtime_ns)
    if data_file.stat().st_mtime_ns <= newest:  # coarse file clocks: make the new run visibly newer
        os.utime(data_file, ns=(newest + 1_000_000, newest + 1_000_000))
    return data_file


def lines(diagnostics) -> list[tuple[str, int]]:
    return sorted((str(d.code), d.range.start.line + 1) for d in diagnostics)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def coverage_client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, tmp_path, {"coverage": ".coverage", "select": ["SAD302"]})
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_diagnostics_appear_and_follow_a_new_test_run(coverage_client, tmp_path):
    module = tmp_path / "service.py"
    module.write_text(SERVICE, encoding="utf-8")
    data = run_tests(module, tmp_path / ".coverage", test_the_timeout=False)
    uri = module.as_uri()
    open_document(coverage_client, uri, SERVICE)
    diagnostics = await wait_for_version(coverage_client, uri, 1)
    assert lines(diagnostics) == [("SAD302", TIMEOUT), ("SAD302", NOT_OK)]
    assert "`except requests.Timeout`" in diagnostics[0].message + diagnostics[1].message

    run_tests(module, data, test_the_timeout=True)  # the data file is rewritten
    coverage_client.workspace_did_change_watched_files(
        t.DidChangeWatchedFilesParams(changes=[t.FileEvent(uri=data.as_uri(), type=t.FileChangeType.Changed)])
    )
    for _ in range(20):
        if lines(coverage_client.diagnostics.get(uri, [])) == [("SAD302", NOT_OK)]:
            break
        await asyncio.wait_for(coverage_client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 20)
    assert lines(coverage_client.diagnostics[uri]) == [("SAD302", NOT_OK)]
    assert not coverage_client.messages  # the data was readable all along: nothing to say


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def coverage_pull_client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, tmp_path, {"coverage": str(tmp_path / "data" / ".coverage"), "select": ["SAD302"]}, pull=True)
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_pulled_diagnostics_reload_the_data(coverage_pull_client, tmp_path):
    module = tmp_path / "service.py"
    module.write_text(SERVICE, encoding="utf-8")
    (tmp_path / "data").mkdir()
    data = run_tests(module, tmp_path / "data" / ".coverage", test_the_timeout=False)
    uri = module.as_uri()
    open_document(coverage_pull_client, uri, SERVICE)
    params = t.DocumentDiagnosticParams(text_document=t.TextDocumentIdentifier(uri=uri))
    first = await coverage_pull_client.text_document_diagnostic_async(params)
    assert lines(first.items) == [("SAD302", TIMEOUT), ("SAD302", NOT_OK)]
    run_tests(module, data, test_the_timeout=True)
    params.previous_result_id = first.result_id
    second = await coverage_pull_client.text_document_diagnostic_async(params)
    assert second.kind == "full" and second.result_id != first.result_id
    assert lines(second.items) == [("SAD302", NOT_OK)]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def missing_data_client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, tmp_path, {"coverage": "missing/.coverage"})
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_missing_data_is_said_once(missing_data_client, tmp_path):
    for index in range(2):
        path = tmp_path / f"service{index}.py"
        path.write_text(SERVICE, encoding="utf-8")
        open_document(missing_data_client, path.as_uri(), SERVICE)
        diagnostics = await wait_for_version(missing_data_client, path.as_uri(), 1)
        assert "SAD302" not in {d.code for d in diagnostics}
    about = [m for m in missing_data_client.messages if "coverage" in m.message]
    assert len(about) == 1, [m.message for m in missing_data_client.messages]
    assert about[0].type == t.MessageType.Warning
    assert str(tmp_path / "missing" / ".coverage") in about[0].message and "Traceback" not in about[0].message


def test_the_coverage_option_is_relative_to_the_workspace(tmp_path):
    options, problems = parse_options({"coverage": "build/.coverage"})
    assert problems == [] and options.coverage == "build/.coverage"
    settings, error = SettingsCache().settings_for(str(tmp_path / "app.py"), options, str(tmp_path))
    assert error is None and settings.coverage == tmp_path / "build" / ".coverage"
    absolute, _ = parse_options({"coverage": str(tmp_path / "x" / ".coverage")})
    assert SettingsCache().settings_for(str(tmp_path / "app.py"), absolute, "/elsewhere")[0].coverage == tmp_path / "x" / ".coverage"
    wrong, problems = parse_options({"coverage": 3})
    assert problems and problems[0].startswith("coverage:") and wrong.coverage is None
    assert parse_options({"coverage": None}) == (Options(), [])
