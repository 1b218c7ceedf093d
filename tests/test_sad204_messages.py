"""SAD204's message says what a capped reconnect loop with a short constant pause costs where it stands: its
attempts run out within a few seconds against a restarting server (the number and the window when the code shows
them), then the caller fails; only an uncapped loop claims that every client retries in lockstep."""

from __future__ import annotations

from harness import fixtures

FIXTURE = next(f for f in fixtures() if f.code == "SAD204" and f.id.endswith("capped_windows.py"))


def _messages() -> dict[int, str]:
    return {f.span.line: f.message for f in FIXTURE.findings()}


def _line_of(fragment: str) -> int:
    return next(i for i, line in enumerate(FIXTURE.text.splitlines(), 1) if fragment in line and "# error" in line)


def test_capped_loop_names_its_window_and_who_fails():
    message = _messages()[_line_of("for i in range(self._reconnection_attempts + 1)")]
    assert "its 11 attempts run out within about 7 s" in message  # the `__init__` default, 3 attempts at once
    assert "refuses each connect at once" in message and "then the caller fails" in message
    assert "lockstep" not in message


def test_capped_loop_on_timeouts_only_says_a_refused_connect_is_not_retried():
    message = _messages()[_line_of("while failures <= self._reconnection_attempts")]
    assert "does not retry a refused connect" in message and "`ConnectionRefusedError`" in message
    assert "each of its 11 attempts waits out its own connect timeout" in message
    assert "run out within" not in message and "grow the delay" not in message and "lockstep" not in message


def test_loop_that_falls_through_claims_no_raise():
    message = _messages()[_line_of("for attempt in range(MAX_ATTEMPTS)")]
    assert "its 5 attempts run out within about 8 s and then the loop gives up" in message
    assert "caller fails" not in message


def test_uncapped_loop_keeps_the_lockstep_wording():
    message = _messages()[_line_of("while True:")]
    assert "every client retries in lockstep" in message and "run out" not in message


def _fixture(name: str):
    return next(f for f in fixtures() if f.code == "SAD204" and f.id.endswith(name))


def _message_at(fixture, fragment: str) -> str:
    line = next(i for i, text in enumerate(fixture.text.splitlines(), 1) if fragment in text and "# error" in text)
    return next(f.message for f in fixture.findings() if f.span.line == line)


def test_window_counts_the_pauses_the_loop_takes():
    """Counted by hand in the fixture's comments."""
    windows = _fixture("window_counts.py")
    assert "its 7 attempts run out within about 10 s" in _message_at(windows, "while failures <= self._attempts")
    assert "its 5 attempts run out within about 3 s" in _message_at(windows, "while tries < 5")
    assert "its 5 attempts run out within about 2 s" in _message_at(windows, "for attempt in range(1, 6)")
    filters = _fixture("refused_filters.py")
    assert "its 11 attempts run out within about 8 s" in _message_at(filters, "while failures <= self._reconnection_attempts")
    assert "its 5 attempts run out within about 4 s" in _message_at(filters, "for attempt in range(5)")


def test_filter_without_a_refused_connect_names_the_missing_error_not_the_module_set():
    filters = _fixture("refused_filters.py")
    message = _message_at(filters, "for i in range(self._reconnection_attempts + 1)")
    assert "does not retry a refused connect" in message and "the start fails at once" in message
    assert "Add `ConnectionRefusedError` to the filter." in message  # round 10: not the module's whole set
    assert "Widen the filter" not in message and "RETRYABLE_EXCEPTIONS" not in message
    assert "grow the delay" not in message and "run out within" not in message
    finding = next(f for f in filters.findings() if "refused connect:" in f.message)
    assert not finding.fixes  # a growing delay changes nothing here: no back-off fix is offered


def test_narrow_filter_names_the_one_missing_error_and_may_be_deliberate():
    """Round 10: a filter that leaves out the refused first connect names `ConnectionRefusedError` (or the client's
    connect error), not the whole `OSError` family, and says the narrow set may be deliberate."""
    narrow = _fixture("refused_narrow_filters.py")
    message = _message_at(narrow, "for i in range(self._reconnection_attempts + 1)")
    assert "(`ConnectionRefusedError`) is not retried and the start fails at once" in message
    assert "Add `ConnectionRefusedError` to the filter." in message
    assert "The narrow set may be deliberate" in message and "all of `OSError` would retry them too" in message
    assert "add `OSError`" not in message and "Widen" not in message
    client = _message_at(narrow, "for attempt in range(4)")
    assert "Add `httpx.ConnectError` to the filter." in client and "`httpx.TransportError`" in client
    assert "ConnectionRefusedError" not in client
