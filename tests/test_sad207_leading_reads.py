"""SAD207 says a dropped task's coroutine "handles its own failures" only when no awaited read outside every
``try`` can fail unseen; otherwise it names the read and asks for a done-callback that logs."""

from __future__ import annotations

from harness import fixtures

FIXTURE = next(f for f in fixtures() if f.code == "SAD207" and f.id.endswith("leading_reads.py"))


def _message(fragment: str) -> str:
    line = next(i for i, text in enumerate(FIXTURE.text.splitlines(), 1) if fragment in text and "# error" in text)
    return next(f.message for f in FIXTURE.findings() if f.span.line == line)


def test_unguarded_reads_are_named_with_a_logging_done_callback():
    for fragment, read in (("dispatch_hooks(payload)", "`await load_hooks()` (line 24)"),
                           ("dispatch_if_enabled(users", "`await enabled('user_hooks')` (line 32)")):
        message = _message(fragment)
        assert "no error is lost" not in message and read in message
        assert "never retrieved" in message and "log the task's exception" in message


def test_fully_guarded_dispatcher_keeps_the_reference_only_message():
    message = _message("dispatch_all_guarded(payload)")
    assert "no error is lost" in message and "never retrieved" not in message
