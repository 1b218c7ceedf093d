"""SAD205, round 10: a short-circuiting ``any()``/``all()``/``next()`` over the rows a filter keyed by this request
matches stays quiet; over a listing it is still reported, worded as the worst case, naming every lazy hop the check
reads (and the methods it calls on them, which may load more)."""

from __future__ import annotations

import textwrap

from harness import fixtures
from sadpath.engine.analyze import analyze
from sadpath.registry import lookup
from sadpath.settings import Settings
from sadpath.source import SourceFile

FIXTURE = next(f for f in fixtures() if f.code == "SAD205" and f.id.endswith("short_circuit_checks.py"))


def _message_at(fragment: str) -> str:
    line = next(i for i, text in enumerate(FIXTURE.text.splitlines(), 1) if fragment in text and "# error" in text)
    return next(f.message for f in FIXTURE.findings() if f.span.line == line)


def _lines(source: str) -> set[int]:
    text = textwrap.dedent(source)
    return {f.span.line for f in analyze(SourceFile("app/views.py", text), Settings(), [lookup("SAD205")]).findings}


def test_check_over_a_listing_names_every_hop_it_loads():
    message = _message_at("s.project.organization.archived for s in LocalStorage.objects.all()")
    assert "that `any()` reads before it stops" in message and "up to n + 1" in message
    assert "`s.project` and `s.project.organization`" in message
    assert '`.select_related("project__organization")`' in message


def test_method_called_on_the_relation_is_named():
    message = _message_at("s.project.has_permission(user)")
    assert '`.select_related("project")`' in message
    assert "`s.project.has_permission()` may load more relations of its own" in message


def test_request_keyed_lookup_is_quiet_and_a_constant_filter_is_not():
    source = """\
        from shop.models import Storage


        def allowed(user, path):
            return any(s.project.allows(user) for s in Storage.objects.filter(prefix=path))


        def allowed_view(self):
            return any(s.project.allows(self.request.user) for s in Storage.objects.filter(owner=self.request.user))


        def any_public():
            return any(s.project.public for s in Storage.objects.filter(kind="s3"))


        def all_public(path):
            return [s.project.public for s in Storage.objects.filter(prefix=path)]
        """
    lines = _lines(source)
    assert 5 not in lines and 9 not in lines  # any() over one request's lookup set
    assert 13 in lines  # a constant filter is a listing, not one request's lookup
    assert 17 in lines  # a list comprehension reads every row: not short-circuiting
