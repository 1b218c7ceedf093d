"""The classes of round 12 of bench/quality/fix-review.md (seed 27) that asked for changes: each fix, applied
alone, parses, removes its finding, changes nothing on a second run and adds no pyflakes warning; each class has a
look-alike that keeps the old behaviour.

- #6: a handler that writes one record on two branches (``if logger: logger.warning(...)`` / ``else:
  get_logger(__name__).warning(...)``) gets the traceback on both; a different record on the other branch is
  left as it is;
- #25: SAD102's narrowing of a handler that only passes writes the log line its message asks for (``and log what
  is dropped``); the narrowings of handlers that do something else keep their bodies (the SAD102 snapshots, e.g.
  ``round10_shapes``' translations and fallbacks)."""

from __future__ import annotations

from test_fix_review31 import checked

TWO_BRANCHES = '''import logging

import requests

from app.logs import get_logger


def emit_event(logger, client, run_id, payload):
    try:
        client.connect()
        requests.post("https://events.example/emit", json=payload, timeout=10)
    except Exception:
        if logger:
            logger.warning("Failed to emit event for run %s", run_id)
        else:
            get_logger(__name__).warning("{other}", run_id)
'''


def test_one_record_on_two_branches_gets_the_traceback_on_both(tmp_path):
    text = TWO_BRANCHES.replace("{other}", "Failed to emit event for run %s")
    out, _ = checked(tmp_path / "events.py", text, "SAD104", "log_structured")
    assert out.count("exc_info=True") == 2, out


def test_a_different_record_on_the_other_branch_is_left_alone(tmp_path):
    text = TWO_BRANCHES.replace("{other}", "no logger for run %s")
    out, _ = checked(tmp_path / "events.py", text, "SAD104", "log_structured")
    assert out.count("exc_info=True") == 1, out
    assert 'get_logger(__name__).warning("no logger for run %s", run_id)' in out


ATTACH = '''import logging

from django.core.mail import EmailMultiAlternatives

logger = logging.getLogger(__name__)


def build_mail(subject, body, attachments):
    email = EmailMultiAlternatives(subject=subject, body=body)
    for attachment in attachments:
        try:
            email.attach(*attachment)
        except:
            pass
    return email
'''


def test_a_narrowed_pass_logs_what_it_drops(tmp_path):
    out, title = checked(tmp_path / "mail.py", ATTACH, "SAD102", "narrow_except")
    handler = out[out.index("except Exception:"):out.index("return email")]
    assert "logger.exception(" in handler and "pass" not in handler, handler
    assert "log what it drops" in title

