"""The hover on an ``except`` line says whether the handler swallows, and which SAD101 exemptions were weighed."""

from __future__ import annotations

from sadpath.engine import analyze
from sadpath.engine.failure_view import handler_view
from sadpath.lsp.hover import handler_markdown
from sadpath.registry import RULES
from sadpath.settings import Settings
from sadpath.source import SourceFile

CODE = '''import redis
import requests

cache = redis.Redis(socket_timeout=1)


def cached(key):
    """The cached value, or None when the cache is down."""
    try:
        return cache.get(key)
    except redis.RedisError:
        return None


def version_gate(importer, name):
    try:
        version = importer.version_of(name)
    except Exception:
        version = ""
    return version >= "2.0"


def fetch(url):
    try:
        return requests.get(url, timeout=5).json()
    except requests.RequestException as exc:
        raise RuntimeError(url) from exc
'''


def _analysis():
    return analyze(SourceFile("svc.py", CODE), Settings(), list(RULES))


def test_an_exempted_handler_names_the_exemption_that_keeps_it_quiet():
    view = handler_view(_analysis(), 11)
    assert view is not None and not view.swallows
    assert "answers None or an empty value" in view.exemption
    text = handler_markdown(_analysis(), 11, Settings())
    assert text.startswith("**`except redis.RedisError`** is not reported as swallowing: the function says")


def test_a_swallowing_handler_lists_the_exemptions_considered_and_why_they_do_not_apply():
    view = handler_view(_analysis(), 18)
    assert view.swallows and "placeholder" in view.consequence
    names = [name for name, _doc in view.considered]
    assert "local_computation" in names and "placeholder_guarded" in names
    text = handler_markdown(_analysis(), 18, Settings())
    assert "Considered, and not the case here:" in text
    assert "Every later use of the placeholder it stores sits under a test of it" in text


def test_a_handling_handler_says_it_handles_and_other_lines_get_nothing():
    assert "handles the failure" in handler_markdown(_analysis(), 26, Settings())
    assert handler_markdown(_analysis(), 25, Settings()) is None
    assert handler_view(_analysis(), 1) is None
