"""SAD104 round 10: an ``isinstance`` guard narrows the tuple a claim is judged by; a fallback that repeats the
guarded call unguarded needs no traceback; an empty-message timeout whose record names the type asks for the target
(and offers no traceback fix); project callees whose errors name themselves are no project code to trace."""

from __future__ import annotations

import ast

from harness import fixtures

from sadpath.engine import fallback_retry, lost_payload

FIXTURE = next(f for f in fixtures() if f.code == "SAD104" and f.id.endswith("round10_shapes.py"))


def _finding(fragment: str):
    line = next(i for i, text in enumerate(FIXTURE.text.splitlines(), 1) if fragment in text)
    return next((f for f in FIXTURE.findings() if f.span.line == line), None)


def test_the_guarded_type_is_the_one_whose_cause_is_claimed():
    assert _finding('"permission denied cancelling task') is None
    finding = _finding('"cancelling task %s failed')
    assert finding is not None and "`CancelFailed`" in finding.message and "`CancelDenied`" not in finding.message


def test_a_fallback_that_runs_the_call_again_is_quiet():
    assert _finding("downloading it") is None
    assert _finding("speech is off") is not None


def test_a_typed_timeout_asks_for_the_target_not_the_traceback():
    finding = _finding("str(error) or type(error).__name__")
    assert finding is not None
    assert "empty" in finding.message and "Add the target" in finding.message and "logger.exception" not in finding.message
    assert not finding.fixes
    assert _finding("(type and target: all there is)") is None


def test_callees_whose_errors_name_themselves_are_quiet():
    assert _finding("(encrypt_blob logs its own step)") is None
    assert _finding("(the request's error says it)") is None
    assert _finding("(every override refuses with a message, or does nothing)") is None
    relogged = _finding("Failed to register tool server")
    assert relogged is not None and "discover_server" in relogged.message
    assert _finding("Pre-archive error") is not None


def _call(text: str) -> ast.Call:
    return ast.parse(text).body[0].value


def test_names_the_type_and_a_target():
    assert lost_payload.names_the_type(_call('log.error("x: %s", str(e) or type(e).__name__)'), "e")
    assert lost_payload.names_the_type(_call('log.error("x: %r", e)'), "e")
    assert lost_payload.names_the_type(_call('log.error(f"x: {e!r}")'), "e")
    assert not lost_payload.names_the_type(_call('log.error("x: %s", e)'), "e")
    assert not lost_payload.names_a_target(_call('log.error("x: %s", str(e) or e.__class__.__name__)'), "e")
    assert lost_payload.names_a_target(_call('log.error("x %s: %r", server_id, e)'), "e")
    assert lost_payload.names_a_target(_call('log.error(f"x {self.url}: {e!r}")'), "e")


def test_a_reporting_handler_is_no_retry():
    source = (
        "try:\n    result = compute(x)\n    ws.send_json(result)\nexcept Exception as e:\n"
        "    log.error(e)\n    ws.send_json({'error': str(e)})\n"
    )
    node = ast.parse(source).body[0]
    is_log = lambda c: isinstance(c.func, ast.Attribute) and c.func.attr == "error"  # noqa: E731
    assert not fallback_retry.repeats_unguarded(node.handlers[0], node, None, is_log)
    retry = "try:\n    m = Model(**kw)\nexcept Exception:\n    log.error('x')\n    m = Model(**kw)\n"
    node = ast.parse(retry).body[0]
    assert fallback_retry.repeats_unguarded(node.handlers[0], node, None, is_log)
    guarded = "try:\n    m = Model(**kw)\nexcept Exception:\n    log.error('x')\n    try:\n        m = Model(**kw)\n    except Exception:\n        m = None\n"
    node = ast.parse(guarded).body[0]
    assert not fallback_retry.repeats_unguarded(node.handlers[0], node, None, is_log)
