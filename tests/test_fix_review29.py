"""The classes of the round-29 review of fixes (/opt/sp/fixreview29.md): each fix, applied alone, parses, removes its
finding, changes nothing on a second run, and does what the class asks.

- twin branches of one call (#11 Redis TLS and plain, #29 ``SMTP_SSL(...) if ssl else SMTP(...)``): SAD202 reports the
  twins of one ``if``/``else`` or ternary as one finding, anchored on the first and naming both, and its fix gives both
  the same timeout; two unrelated calls in the two arms stay two findings;
- SAD206's rollback (#10) never re-indents a large block: it goes first in an existing ``except`` the commits reach
  (before that ``except``'s cleanup), and a wrap of more than a small block is no fix at all;
- SAD204's backoff (#30) grows on the counter that gates the sleep, not on one reset on success."""

from __future__ import annotations

from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile
from test_fix_review4 import applied


def _found(path, text, code):
    return [f for f in lint(SourceFile(str(path), text), Settings()).findings if f.code == code]


# ---- (1) SAD202: twin branches of one call are one finding, fixed together


SMTP = '''import smtplib


def send(host, port, smtp_ssl, context):
    smtp = (
        smtplib.SMTP_SSL(host, port, context=context)
        if smtp_ssl
        else smtplib.SMTP(host, port)
    )
    smtp.quit()
'''

REDIS = '''from redis.asyncio import Redis


def client(parsed, use_ssl):
    if use_ssl:
        redis_client = Redis(
            host=parsed.hostname,
            ssl=True,
        )
    else:
        redis_client = Redis(
            host=parsed.hostname,
        )
    return redis_client
'''


def test_ternary_twins_are_one_finding_and_both_get_the_timeout(tmp_path):
    path = tmp_path / "mail.py"
    (finding,) = _found(path, SMTP, "SAD202")
    assert finding.span.line == 6 and "`smtplib.SMTP()` in the other branch (line 8)" in finding.message
    out, title = applied(path, SMTP, "SAD202", "add_timeout")
    assert "smtplib.SMTP_SSL(host, port, context=context, timeout=10)" in out, out
    assert "else smtplib.SMTP(host, port, timeout=10)" in out, out
    assert "both" in title
    assert _found(path, out, "SAD202") == []


def test_if_else_twins_are_one_finding_and_both_get_the_timeout(tmp_path):
    path = tmp_path / "storage.py"
    (finding,) = _found(path, REDIS, "SAD202")
    assert finding.span.line == 6 and "in the other branch (line 11)" in finding.message
    out, _ = applied(path, REDIS, "SAD202", "add_timeout")
    assert out.count("socket_timeout=10") == 2, out
    assert _found(path, out, "SAD202") == []


UNRELATED = '''import smtplib

import requests


def notify(url, host, by_mail):
    if by_mail:
        smtplib.SMTP(host)
    else:
        requests.get(url)
'''


def test_unrelated_calls_in_two_arms_stay_two_findings(tmp_path):
    path = tmp_path / "notify.py"
    found = _found(path, UNRELATED, "SAD202")
    assert [f.span.line for f in found] == [8, 10]
    assert not any("other branch" in f.message for f in found)
    out, _ = applied(path, UNRELATED, "SAD202", "add_timeout", line=8)
    assert "smtplib.SMTP(host, timeout=10)" in out and "requests.get(url)\n" in out, out


# ---- (2) SAD206: rollback first in the existing except, never a large re-indent


SPAWN = '''class User:
    def __init__(self, db):
        self.db = db

    async def spawn(self, name):
        db = self.db
        try:
            self.orm.state = await launch(name)
            db.commit()
        except Exception:
            await self.stop()
            raise

    async def stop(self):
        self.orm.state = None
        self.db.commit()


async def run(user):
    try:
        await user.spawn("x")
    except Exception:
        await user.spawn("y")
'''


def test_rollback_goes_first_in_the_except_the_commit_reaches(tmp_path):
    path = tmp_path / "user.py"
    finding = next(f for f in _found(path, SPAWN, "SAD206") if f.span.line == 9)
    assert finding.data.get("except_line") == 10, finding.data
    out, _ = applied(path, SPAWN, "SAD206", "rollback_on_error", line=9)
    assert "        except Exception:\n            db.rollback()\n            await self.stop()\n" in out, out
    assert out.count("try:") == SPAWN.count("try:"), out


def _long_spawn(lines: int) -> str:
    steps = "".join(f"        self.orm.step{n} = compute({n})\n" for n in range(lines))
    return (
        "class User:\n    def __init__(self, db):\n        self.db = db\n\n"
        "    def spawn(self, name):\n        db = self.db\n        db.add(self.orm)\n        db.commit()\n"
        f"{steps}"
        "        db.add(self.orm)\n        db.commit()\n\n\n"
        "def run(user):\n    try:\n        user.spawn('x')\n    except Exception:\n        user.spawn('y')\n"
    )


def test_no_rollback_fix_that_would_re_indent_a_large_body(tmp_path):
    path = tmp_path / "user.py"
    long = _long_spawn(60)
    found = _found(path, long, "SAD206")
    assert found and all(f.fixes == () for f in found), [(f.span.line, f.data) for f in found]
    short = _long_spawn(3)
    found = _found(path, short, "SAD206")
    assert found and any(f.fixes for f in found), [(f.span.line, f.data) for f in found]


# ---- (3) SAD204: the backoff grows on the counter that gates the sleep


ANEXT = '''import asyncio

from websockets.exceptions import ConnectionClosed, ConnectionClosedOK


class Subscriber:
    def __init__(self, attempts=10):
        self._attempts = attempts
        self._websocket = None

    async def __anext__(self):
        consecutive_failures = 0
        consecutive_clean_closes = 0
        while consecutive_failures <= self._attempts:
            try:
                if not self._websocket or consecutive_failures > 0:
                    await self._reconnect()
                    consecutive_failures = 0
                return await self._websocket.recv()
            except (ConnectionClosed, OSError) as exc:
                if isinstance(exc, ConnectionClosedOK):
                    consecutive_clean_closes += 1
                consecutive_failures += 1
                attempts = consecutive_clean_closes if isinstance(exc, ConnectionClosedOK) else consecutive_failures
                if attempts > self._attempts:
                    raise
                if attempts > 2:
                    await asyncio.sleep(1)
        raise StopAsyncIteration
'''


def test_backoff_grows_on_the_gate_counter_not_the_one_reset_on_success(tmp_path):
    path = tmp_path / "clients.py"
    out, _ = applied(path, ANEXT, "SAD204", "backoff_sleep")
    sleep = next(line for line in out.splitlines() if "asyncio.sleep(" in line)
    assert "2**attempts" in sleep.replace(" ", ""), out
    assert "consecutive_failures" not in sleep, out
