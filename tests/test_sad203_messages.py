"""SAD203's consequence is true where it stands: aiohttp's `.json()` raises on a page that is not JSON, so the
message claims only that a JSON error body goes through; a `.text`/`.content` read uses the error page as the body;
no message claims a failure "later far from the cause"; aiohttp's status attribute is `status`."""

from __future__ import annotations

from harness import fixtures

FIXTURE = next(f for f in fixtures() if f.code == "SAD203" and f.id.endswith("consequences.py"))


def _message(fragment: str) -> str:
    line = next(i for i, text in enumerate(FIXTURE.text.splitlines(), 1) if fragment in text and "# error" in text)
    return next(f.message for f in FIXTURE.findings() if f.span.line == line)


def test_aiohttp_json_claims_only_the_json_error_body():
    message = _message("return await response.json()")
    assert "JSON error body" in message and "`ContentTypeError`" in message
    assert "fails later" not in message and "`response.status`" in message and "status_code" not in message


def test_requests_json_names_both_outcomes():
    message = _message("return response.json()  #")
    assert "JSON error body" in message and "decode error" in message and "`response.status_code`" in message


def test_a_raw_body_read_uses_the_error_page():
    message = _message("return response.content")
    assert "error page is used as if it were the body" in message and "fails later" not in message


def test_an_emptying_default_names_the_empty_result():
    message = _message('.get("results", [])')
    assert "becomes an empty result through" in message
