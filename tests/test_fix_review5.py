"""The open classes of the round-5 review of fixes (bench/quality/fix-review.md): each fix, applied alone, parses,
removes its finding, changes nothing on a second run, and does what the class asks.

- sibling sites: SAD206's rollback covers every commit its message names ("one rollback path covers them all"): the
  function's shared ``except``, or one new ``try`` around the whole transaction, or no fix is offered;
- SAD204's sibling retry loops of one class (``for i in range(n)``, ``while failures <= n``) are each their own finding,
  fixed the same way: each fix changes its own loop only, and all of them applied leave one policy."""

from __future__ import annotations

import re

from sadpath.commands.check import fix_text
from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile
from test_fix_review4 import applied, findings


def _sad206(path, text):
    return [f for f in lint(SourceFile(str(path), text), Settings()).findings if f.code == "SAD206"]


# ---- (1) SAD206: one rollback path for all the commits the message names


SPAWN = '''import logging

log = logging.getLogger(__name__)


class User:
    def __init__(self, db):
        self.db = db

    def spawn(self, name):
        db = self.db
        try:
            self.orm.name = name
            db.add(self.orm)
            db.commit()
            self.orm.started = True
            db.add(self.orm)
            db.commit()
        except Exception as e:
            log.error("spawn of %s failed: %s", name, e)
            self.stop()
            raise


def caller(user):
    try:
        user.spawn("x")
    except Exception:
        user.spawn("y")
'''


def test_rollback_for_sibling_commits_goes_first_in_the_shared_except(tmp_path):
    path = tmp_path / "users.py"
    finding = _sad206(path, SPAWN)[0]
    assert "one rollback path covers them all" in finding.message
    assert [finding.span.line + n for n in finding.data["commit_offsets"]] == [15, 18]
    out, _ = applied(path, SPAWN, "SAD206", "rollback_on_error")
    assert "        except Exception as e:\n            db.rollback()\n            log.error(" in out, out
    assert out.count("rollback()") == 1 and out.count("try:") == SPAWN.count("try:"), out
    assert _sad206(path, out) == []


ARCHIVE = '''from sqlalchemy import update


def archive(session, report_ids):
    for report_id in report_ids:
        session.execute(update(Report).where(Report.id == report_id).values(archived=True))
        session.commit()
    session.execute(update(Batch).values(done=True))
    session.commit()


def run(session):
    archive(session, [1, 2])
    session.query(Report).all()
'''


def test_a_new_rollback_try_wraps_the_whole_transaction(tmp_path):
    path = tmp_path / "reports.py"
    assert "one rollback path covers them all" in _sad206(path, ARCHIVE)[0].message
    out, _ = applied(path, ARCHIVE, "SAD206", "rollback_on_error")
    body = out[out.index("def archive") : out.index("def run")]
    assert body.count("try:") == 1 and body.count("session.rollback()") == 1, body
    inside = body[body.index("try:") : body.index("except Exception:")]
    assert inside.count("session.commit()") == 2 and "for report_id in report_ids:" in inside, body
    assert [f for f in _sad206(path, out) if f.span.line < 12] == []


FINALLY = '''def save(session, cell):
    try:
        session.add(cell)
        session.commit()
    finally:
        session.add(cell)
        session.commit()


def run(session):
    save(session, 1)
    session.query(Cell).all()
'''


def test_no_rollback_fix_where_no_one_path_covers_the_commits(tmp_path):
    """The second commit is in the ``finally``: it runs on the failed session before a new outer ``try`` could roll
    back, and there is no shared ``except``. No fix is offered; the message stays and names the remedy."""
    path = tmp_path / "cells.py"
    (finding,) = _sad206(path, FINALLY)
    assert "outside the body of the `try` at line 2: it needs a rollback of its own" in finding.message
    assert "one rollback path covers them all" not in finding.message
    assert finding.fixes == ()


# ---- (2) SAD204: sibling retry loops, each its own finding, fixed the same way


CLIENT = '''import asyncio

from websockets.exceptions import ConnectionClosed


class Subscriber:
    def __init__(self, connect, attempts=10):
        self._connect = connect
        self._attempts = attempts
        self._socket = None

    async def __aenter__(self):
        for i in range(self._attempts + 1):
            try:
                self._socket = await self._connect()
                break
            except (ConnectionClosed, TimeoutError, OSError):
                if i == self._attempts:
                    raise
                if i > 2:
                    await asyncio.sleep(1)
        return self

    async def __anext__(self):
        failures = 0
        while failures <= self._attempts:
            try:
                if self._socket is None or failures > 0:
                    self._socket = await self._connect()
                return await self._socket.recv()
            except (ConnectionClosed, TimeoutError, OSError):
                failures += 1
                if failures > self._attempts:
                    raise
                if failures > 2:
                    await asyncio.sleep(1)
        raise StopAsyncIteration
'''


def _backoffs(text: str) -> list[str]:
    """The back-off of each sleep, its attempt counter written as ``N``."""
    flat = re.sub(r"\s+", "", text).replace(",)", ")")  # a call the line limit wrapped reads as the call
    found = re.findall(r"asyncio\.sleep\((min\(30\.0,0\.5\*2\*\*(\w+)\)\*random\.uniform\(0\.5,1\.5\))\)", flat)
    return [expr.replace(f"2**{counter}", "2**N") for expr, counter in found]


def test_each_sibling_retry_loop_is_its_own_finding_fixed_the_same_way(tmp_path):
    path = tmp_path / "clients.py"
    lines = findings(path, CLIENT, "SAD204")
    assert lines == [13, 26]
    for line in lines:  # each fix changes its own loop only, and removes exactly its finding
        out, _ = applied(path, CLIENT, "SAD204", "backoff_sleep", line=line)
        assert out.count("asyncio.sleep(1)") == 1, out
        left = [f for f in lint(SourceFile(str(path), out), Settings()).findings if f.code == "SAD204"]
        other = next(n for n in lines if n != line)
        assert [SourceFile("x", out).line(f.span.line) for f in left] == [SourceFile("x", CLIENT).line(other)]
    every, count = fix_text(str(path), CLIENT, Settings(), True)
    assert count == 2 and "asyncio.sleep(1)" not in every
    assert findings(path, every, "SAD204") == []
    policies = _backoffs(every)
    assert len(policies) == 2 and len(set(policies)) == 1, every  # one policy, capped per wait, in both loops


# ---- (3) the project's own back-off helper


RETRIES = '''import random


def exponential_backoff_with_jitter(attempt: int, base_delay: float, max_delay: float) -> float:
    return min(base_delay * 2**attempt, max_delay) * random.uniform(0.7, 1.3)
'''


def test_backoff_uses_the_packages_own_backoff_helper_capped(tmp_path):
    package = tmp_path / "shop"
    (package / "events").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "events" / "__init__.py").write_text("")
    (package / "retries.py").write_text(RETRIES)
    path = package / "events" / "clients.py"
    path.write_text(CLIENT)
    out, _ = applied(path, CLIENT, "SAD204", "backoff_sleep", line=13)
    assert "from shop.retries import exponential_backoff_with_jitter\n" in out, out
    flat = re.sub(r"\s+", "", out).replace(",)", ")")
    assert "awaitasyncio.sleep(exponential_backoff_with_jitter(i,0.5,10.0))" in flat, out
    assert "random" not in out and "min(30" not in out
    every, count = fix_text(str(path), CLIENT, Settings(), True)
    flat = re.sub(r"\s+", "", every).replace(",)", ")")
    assert count == 2 and "exponential_backoff_with_jitter(failures,0.5,10.0)" in flat, every
    assert findings(path, every, "SAD204") == []
