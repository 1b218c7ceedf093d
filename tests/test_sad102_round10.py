"""SAD102, review round 10: a private task its owner cancels and gathers quietly swallows nothing; one in-memory
call (a DRF field parse, an email attachment) gets the in-memory wording and names its errors, and a `pass` that
drops an attachment says so; GeneratorExit is named only where a generator is suspended in the `try`."""

from __future__ import annotations

from harness import fixtures

FIXTURE = next(f for f in fixtures() if f.code == "SAD102" and f.id.endswith("round10_shapes.py"))


def _messages() -> dict[int, str]:
    return {f.span.line: f.message for f in FIXTURE.findings()}


def _line(fragment: str, after: str) -> int:
    lines = FIXTURE.text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i, line in enumerate(lines[start:], start + 1) if fragment in line)


def test_owner_cancelled_tasks_stay_quiet():
    messages = _messages()
    assert _line("except asyncio.CancelledError:", "class Interleaver") not in messages
    assert _line("except asyncio.CancelledError:", "class Poller") not in messages


def test_a_plain_await_or_a_leaked_handle_still_reports():
    messages = _messages()
    for owner in ("class StrictPoller", "class Restarter", "class Leaky"):
        assert _line("except asyncio.CancelledError:", owner) in messages


def test_drf_field_parse_names_drf_validation_error_not_gunicorn():
    message = _messages()[_line("except:", "def extend(")]
    assert "in-memory work" in message and "`rest_framework.exceptions.ValidationError`" in message
    assert "gunicorn" not in message and "SystemExit" not in message


def test_pass_around_an_attachment_says_the_part_is_dropped():
    message = _messages()[_line("except:", "def build_mail(")]
    assert "in-memory work" in message and "`email.attach(...)`" in message and "dropped" in message
    assert "keeps the fallback" not in message and "WorkerTerminate" not in message


def test_generator_exit_only_for_a_generator_suspended_in_the_try():
    messages = _messages()
    assert "GeneratorExit" not in messages[_line("except:", "def parse_key(")]
    assert "GeneratorExit" in messages[_line("except:", "def parse_keys(")]
