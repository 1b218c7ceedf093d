"""SAD206's message for a session that outlives the function: the rollback is the one remedy (``with db:`` closes a
shared session, ``db.begin()`` raises on one that has begun), and only the commits the rollback of the reported
``try`` covers are said to be covered."""

from __future__ import annotations

from pathlib import Path

from sadpath.engine.analyze import analyze
from sadpath.registry import lookup
from sadpath.settings import Settings
from sadpath.source import SourceFile

FIXTURE = Path(__file__).parent / "fixtures" / "SAD206_transaction-without-rollback" / "shared_sessions.py"


def _messages() -> dict[int, str]:
    text = FIXTURE.read_text(encoding="utf-8")
    found = analyze(SourceFile(str(FIXTURE), text), Settings(), [lookup("SAD206")]).findings
    return {f.span.line: f.message for f in found}


def test_a_shared_session_gets_only_the_rollback_advice():
    for message in _messages().values():
        assert ".begin()" not in message and "with db" not in message and "with self.db" not in message
        assert "rollback(); raise`)" in message


def test_only_the_commits_in_the_try_body_are_said_to_be_covered():
    messages = _messages()
    assert "covers them all" not in messages[22]
    assert "also covers line 25; lines 19, 30 are outside the body of the `try` at line 20" in messages[22]
    assert "(line 39), outside the body of the `try` at line 33: it needs a rollback of its own" in messages[36]
