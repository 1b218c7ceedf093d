"""Threaded render worker: claims jobs over HTTP, keeps a Redis lease alive and flushes usage stats."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time

import redis
import requests
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}-{os.getpid()}"
JOBS_URL = "https://jobs.internal/api/v1"
LEGACY_URL = "https://renderer-legacy.internal"
HEARTBEAT_S = 10
POLL_S = 5

leases = redis.Redis(host="redis-leases", port=6379, socket_timeout=2, socket_connect_timeout=1)  # quiet: socket and connect timeouts are set
stats = redis.Redis(host="redis-stats", port=6379, db=4)  # expect: missing-timeout -- no socket_timeout: a stats node that stops answering blocks the flusher thread and the startup wait forever


class TimeoutSession(requests.Session):
    """A Session that applies a default timeout to every request."""

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", 10)
        return super().request(method, url, **kwargs)


jobs_api = TimeoutSession()
legacy = requests.Session()
legacy.timeout = 30
processed = {"ok": 0, "failed": 0}


def _report(job_id: str, outcome: str, result: dict | None = None) -> None:
    try:
        resp = jobs_api.post(f"{JOBS_URL}/jobs/{job_id}/{outcome}", json=result or {})  # quiet: TimeoutSession puts a 10 s timeout on every request, and every error is handled below
        resp.raise_for_status()
    except requests.RequestException:  # quiet: logged with the traceback; the jobs service re-offers an unreported job when its claim expires
        logger.exception("could not report %s for job %s", outcome, job_id)


def run_job(job: dict) -> None:
    try:
        resp = legacy.post(f"{LEGACY_URL}/render", json=job["payload"])  # expect: missing-timeout -- requests.Session has no session-wide timeout: `legacy.timeout = 30` is ignored, so a renderer that hangs holds this worker thread forever
        resp.raise_for_status()
        result = resp.json()  # quiet: raise_for_status() runs before the body is read
    except requests.HTTPError as exc:  # quiet: not swallowed: the job is reported as rejected and counted
        processed["failed"] += 1
        logger.error("job %s rejected by the legacy renderer: %s", job["id"], exc)  # expect: lost-traceback-log -- HTTPError's text is only "422 Client Error ... for url"; the renderer's response body, which says which field of the job is invalid, is dropped
        _report(job["id"], "rejected")
        return
    except requests.RequestException:  # quiet: logged with the traceback and reported as failed, so the job is re-offered
        processed["failed"] += 1
        logger.exception("legacy renderer unavailable for job %s", job["id"])
        _report(job["id"], "failed")
        return
    processed["ok"] += 1
    _report(job["id"], "done", result)


def job_poller(stop: threading.Event) -> None:
    delay = POLL_S
    while not stop.is_set():  # quiet: a polling loop driven by a stop event, with capped exponential back-off on errors
        try:
            resp = jobs_api.get(f"{JOBS_URL}/claim", params={"worker": WORKER_ID, "max": 4})  # quiet: TimeoutSession sets a 10 s timeout and every error is handled below
            resp.raise_for_status()
        except requests.RequestException:  # quiet: logged with the traceback, then the poller backs off (capped at 120 s)
            logger.exception("claiming jobs failed; next try in %s s", delay)
            stop.wait(delay)
            delay = min(delay * 2, 120)
            continue
        delay = POLL_S
        jobs = resp.json()["jobs"]  # quiet: raise_for_status() ran before the body is read
        for job in jobs:
            run_job(job)
        if not jobs:
            stop.wait(POLL_S)


def heartbeat(stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_S):  # quiet: a periodic heartbeat until stop, not a retry
        try:
            leases.set(f"lease:{WORKER_ID}", int(time.time()), ex=3 * HEARTBEAT_S)  # quiet: RedisError is handled below
        except RedisError:  # quiet: logged with the traceback; the next tick tries again, and three missed ticks let the lease expire as designed
            logger.warning("heartbeat for %s failed", WORKER_ID, exc_info=True)


def stats_flusher(stop: threading.Event) -> None:
    while not stop.wait(60):  # quiet: a periodic flush every 60 s until stop, not a retry
        snapshot = dict(processed, at=int(time.time()))
        stats.hset(f"usage:{WORKER_ID}", mapping=snapshot)  # expect: unhandled-external-call -- thread target with no handling: the first Redis error ends the flusher thread (only threading.excepthook's stderr line remains) and usage stats stop for the life of the worker


def wait_for_stats() -> None:
    while True:  # expect: naive-retry -- no cap and a constant 2 s delay: with the stats node down the worker never starts and never says it gave up
        try:
            stats.ping()  # quiet: ConnectionError is handled by the retry loop (its pacing is reported on the loop line)
            return
        except redis.ConnectionError as exc:  # quiet: the handler of a retry loop that retries; its pacing is reported on the loop line
            logger.warning("stats redis not reachable yet (%s), retrying in 2 s", exc)  # quiet: a descriptive message around one call whose exception text carries the cause (refused connection, unknown host)
            time.sleep(2)


def main() -> int:
    wait_for_stats()  # quiet: wait_for_stats handles connection errors deliberately (its retry policy is reported on its loop line)
    stop = threading.Event()
    threads = [
        threading.Thread(target=job_poller, args=(stop,), name="poller"),
        threading.Thread(target=heartbeat, args=(stop,), name="heartbeat", daemon=True),
        threading.Thread(target=stats_flusher, args=(stop,), name="stats", daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        threads[0].join()
    except KeyboardInterrupt:  # quiet: clean shutdown at the entry point: sets the stop flag and waits for the poller
        stop.set()
        threads[0].join(timeout=60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())  # quiet: nothing new to report at the entry point; each failure is reported where it arises
