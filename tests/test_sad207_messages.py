"""SAD207's message says what a dropped task's failure costs where it stands: the steps after the failing await
that never run (named by line), only the missing context for a one-step coroutine, and only the garbage-collection
hazard for a coroutine that handles its own failures. asyncio does log the exception: no message claims it does
not."""

from __future__ import annotations

from harness import fixtures

FIXTURE = next(f for f in fixtures() if f.code == "SAD207" and f.id.endswith("undone_steps.py"))


def _messages() -> dict[int, str]:
    return {f.span.line: f.message for f in FIXTURE.findings()}


def _line_of(fragment: str) -> int:
    return next(i for i, line in enumerate(FIXTURE.text.splitlines(), 1) if fragment in line and "# error" in line)


def test_cleanup_names_the_steps_a_failure_skips():
    message = _messages()[_line_of("cleanup_job(client, job_id)))")]
    start = _line_of("cleanup_job(client, job_id)))")
    assert "when `release_remote(client, job_id)` fails, the rest of `cleanup_job()`" in message
    assert "(lines 21-23) never runs" in message and start > 23
    assert "Task exception was never retrieved" in message and "only once the task is collected" not in message


def test_shutdown_from_a_signal_handler_names_what_is_left_undone():
    message = _messages()[_line_of("self.shutdown(signal.SIGTERM)")]
    assert "when `self.close_connections()` fails, the rest of `self.shutdown()`" in message
    assert "Handle that failure in `self.shutdown()`" in message


def test_one_step_coroutine_claims_no_skipped_work():
    message = _messages()[_line_of("touch_last_seen(db, user_id)")]
    assert "never runs" not in message
    assert "nothing in the application logs the failure with context" in message


def test_guarded_coroutine_claims_only_the_weak_reference():
    message = _messages()[_line_of("deliver_all(hooks, payload)")]
    assert "no error is lost" in message and "garbage-collected" in message
    assert "never retrieved" not in message and "never runs" not in message


DESTROYED = next(f for f in fixtures() if f.code == "SAD207" and f.id.endswith("destroyed_pending.py"))


def test_reference_only_task_names_the_destroyed_pending_line():
    findings = DESTROYED.findings()
    assert len(findings) == 2
    for finding in findings:
        message = finding.message
        assert "no error is lost" in message and "garbage-collected" in message
        assert "\"Task was destroyed but it is pending!\"" in message and "the only report" in message
        assert "no log" not in message and "never retrieved" not in message


REAL = next(f for f in fixtures() if f.code == "SAD207" and f.id.endswith("real_failures.py"))


def _real(fragment: str) -> str:
    line = next(i for i, text in enumerate(REAL.text.splitlines(), 1) if fragment in text and "# error" in text)
    return next(f.message for f in REAL.findings() if f.span.line == line)


def test_a_callee_that_returns_none_on_every_error_is_not_the_failing_step():
    message = _real("run_timer(timer_id)")
    assert "Chats.get_chat(" not in message and "set_state(timer_id, \"error\")" not in message
    assert "when `Chats.get_prompt(timer_id)` fails" in message


def test_a_deliberate_refusal_before_a_delete_gets_only_the_done_callback_advice():
    message = _real("remove_spawner())")
    assert "raises `RuntimeError` on purpose" in message and "done-callback that logs the failure" in message
    assert "still run" not in message


def test_cleanup_steps_after_a_failure_keep_the_run_anyway_advice():
    message = _real("self.prune(key, cache)")
    assert "so its remaining steps still run" in message and "on purpose" not in message
