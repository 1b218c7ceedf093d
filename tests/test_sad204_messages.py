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


def test_capped_loop_on_timeouts_only_counts_their_own_timeouts():
    message = _messages()[_line_of("while failures <= self._reconnection_attempts")]
    assert "its 11 attempts run out within about 5 s plus each attempt's own timeout" in message
    assert "refuses each connect" not in message and "lockstep" not in message


def test_loop_that_falls_through_claims_no_raise():
    message = _messages()[_line_of("for attempt in range(MAX_ATTEMPTS)")]
    assert "its 5 attempts run out within about 8 s and then the loop gives up" in message
    assert "caller fails" not in message


def test_uncapped_loop_keeps_the_lockstep_wording():
    message = _messages()[_line_of("while True:")]
    assert "every client retries in lockstep" in message and "run out" not in message
