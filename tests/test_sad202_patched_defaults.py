"""SAD202 and a default timeout the project installs for every call of a client at start-up, by patching the client's
send or request method (pretix: ``HTTPAdapter.send = httpadapter_send``, which sets ``timeout = 30`` when the caller
passed none, run from an ``AppConfig.ready()``): the project's calls are bounded and stay quiet. A patch that never
runs, or whose new function gives no default, bounds nothing."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sadpath.engine.analyze import analyze
from sadpath.registry import lookup
from sadpath.settings import Settings
from sadpath.source import SourceFile

CALLS = textwrap.dedent(
    """\
    import requests


    def fetch_rates():
        return requests.get("https://fx.example/latest").json()


    def post_event(session: requests.Session, event):
        return session.post("https://events.example/v1", json=event)
    """
)
ADAPTER_PATCH = textwrap.dedent(
    """\
    import types

    from requests.adapters import HTTPAdapter


    def monkeypatch_requests_timeout():
        old_send = HTTPAdapter.send

        def httpadapter_send(self, request, stream=False, timeout=None, **kwargs):
            if timeout is None:
                timeout = 30
            return types.MethodType(old_send, self)(request, stream=stream, timeout=timeout, **kwargs)

        HTTPAdapter.send = httpadapter_send


    def monkeypatch_all_at_ready():
        monkeypatch_requests_timeout()
    """
)
APPS = textwrap.dedent(
    """\
    from django.apps import AppConfig


    class HelpersConfig(AppConfig):
        name = "shop.helpers"

        def ready(self):
            from .patching import monkeypatch_all_at_ready
            monkeypatch_all_at_ready()
    """
)
SESSION_PATCH = textwrap.dedent(
    """\
    import functools

    import requests

    _request = requests.Session.request


    def request_with_default(self, method, url, **kwargs):
        kwargs.setdefault("timeout", 15)
        return _request(self, method, url, **kwargs)


    requests.Session.request = request_with_default
    """
)


def _lines(tmp_path: Path, files: dict[str, str]) -> set[int]:
    package = tmp_path / "shop"
    (package / "helpers").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "helpers" / "__init__.py").write_text("")
    for name, text in files.items():
        (package / name).write_text(text)
    path = package / "rates.py"
    path.write_text(CALLS)
    found = analyze(SourceFile(str(path), CALLS), Settings(), [lookup("SAD202")]).findings
    return {f.span.line for f in found}


def test_adapter_patch_run_from_app_ready_bounds_every_requests_call(tmp_path):
    files = {"helpers/patching.py": ADAPTER_PATCH, "helpers/apps.py": APPS}
    assert _lines(tmp_path, files) == set()


def test_session_request_patch_at_import_bounds_the_calls(tmp_path):
    assert _lines(tmp_path, {"http.py": SESSION_PATCH}) == set()


def test_a_patch_nothing_runs_bounds_nothing(tmp_path):
    assert _lines(tmp_path, {"helpers/patching.py": ADAPTER_PATCH}) == {5, 9}


def test_a_patch_without_a_default_bounds_nothing(tmp_path):
    no_default = SESSION_PATCH.replace('kwargs.setdefault("timeout", 15)', 'kwargs.setdefault("headers", {})')
    assert _lines(tmp_path, {"http.py": no_default}) == {5, 9}
