"""certwatch: check the TLS certificate of every public endpoint and push days-to-expiry to the Pushgateway.

cron:  0 * * * *  certwatch /etc/certwatch/endpoints.txt
Exit status 0 when every host was checked, 1 when some could not be, 3 when the metrics push failed."""

import asyncio
import logging
import ssl
import sys
from asyncio.tasks import create_task
from datetime import datetime, timezone

import httpx

log = logging.getLogger("certwatch")

PUSHGATEWAY = "https://pushgateway.internal.example.com"
EVENTS_API = "https://events.internal.example.com/v1"
CTX = ssl.create_default_context()
EXPIRY_WARN_DAYS = 14
_background: set[asyncio.Task] = set()


def days_left(cert: dict) -> float:
    expires = datetime.strptime(cert["notAfter"], "%b %d %H:%M:%S %Y %Z").replace(tzinfo=timezone.utc)
    return (expires - datetime.now(timezone.utc)).total_seconds() / 86400


async def check(host: str, results: dict[str, float], failures: dict[str, str], timeout: float = 10.0) -> None:
    try:
        _reader, writer = await asyncio.wait_for(  # quiet: bounded by wait_for, and both handlers below turn a failure into a counted failure
            asyncio.open_connection(host, 443, ssl=CTX, server_hostname=host), timeout
        )
    except asyncio.TimeoutError as exc:  # quiet: a counted failure, reported through the exit status
        log.error("cert check for %s failed: %s", host, exc)  # expect: lost-traceback-log -- asyncio.TimeoutError has an empty message: the line reads "cert check for shop.example.com failed: " and nobody reading the log can tell that this host timed out after 10 s rather than failed some other way
        failures[host] = "timeout"
        return
    except OSError as exc:  # quiet: a counted failure, reported through the exit status
        log.error("TLS connection to %s:443 failed: %s", host, exc)  # quiet: one call whose error text carries the cause (refused, unreachable, certificate verify failed)
        failures[host] = str(exc)
        return
    try:
        results[host] = days_left(writer.get_extra_info("peercert"))
    finally:
        writer.close()


async def check_all(hosts: list[str], results: dict[str, float], failures: dict[str, str]) -> None:
    tasks = []
    for host in hosts:
        tasks.append(asyncio.create_task(check(host, results, failures)))  # quiet: collected and gathered below
        asyncio.sleep(0.05)  # expect: fire-and-forget-task -- the coroutine is created and never awaited, so there is no pacing at all: every TLS handshake starts at once and the load balancer's SYN-flood protection drops some of them, which then show up as timeouts
    await asyncio.gather(*tasks)  # quiet: every check task is awaited here


async def heartbeat(client: httpx.AsyncClient, interval: float = 15.0) -> None:
    """Tell the Pushgateway the run is alive while it lasts (a run can take minutes)."""
    while True:  # quiet: a periodic heartbeat, not a retry: a failed push is simply skipped until the next beat
        try:
            await asyncio.sleep(interval)
            stamp = datetime.now(timezone.utc).timestamp()
            resp = await client.put(f"{PUSHGATEWAY}/metrics/job/certwatch_heartbeat", content=f"certwatch_alive {stamp:.0f}\n")  # quiet: the client's timeout applies, and the failure of this best-effort push is logged below
            resp.raise_for_status()
        except BaseException:  # expect: bare-except -- also catches the CancelledError from hb.cancel(), so the heartbeat can never be stopped: run()'s `await hb` waits forever and the hourly cron job never exits
            log.warning("heartbeat push failed", exc_info=True)


async def push_metrics(client: httpx.AsyncClient, results: dict[str, float]) -> None:
    body = "".join(f'certwatch_days_left{{host="{h}"}} {d:.2f}\n' for h, d in sorted(results.items()))
    resp = await client.put(f"{PUSHGATEWAY}/metrics/job/certwatch", content=body)  # quiet: the client's timeout applies, and run() handles both httpx error kinds
    resp.raise_for_status()


async def post_event(client: httpx.AsyncClient, kind: str, payload: dict) -> None:
    """Best effort: an event for the certificates channel."""
    try:
        resp = await client.post(f"{EVENTS_API}/{kind}", json=payload)  # quiet: the client's timeout applies, and the failure is logged below
        resp.raise_for_status()
    except httpx.HTTPError:  # quiet: a best-effort step that logs with the traceback
        log.warning("posting %s event failed", kind, exc_info=True)


async def notify_ops(client: httpx.AsyncClient, failures: dict[str, str]) -> None:
    await post_event(client, "check-failures", {"job": "certwatch", "failures": failures})


def _report_crash(client: httpx.AsyncClient, task: asyncio.Task) -> None:
    if task.cancelled() or task.exception() is None:
        return
    asyncio.ensure_future(post_event(client, "job-crash", {"error": repr(task.exception())}))  # expect: fire-and-forget-task -- the future created in the done-callback is dropped: the callback fires as run() finishes (right after asyncio.wait returns), so the crash report is still pending when run() returns, asyncio.run cancels it on the way out, and the crash is never reported


def spawn(client: httpx.AsyncClient, coro) -> asyncio.Task:
    task = asyncio.create_task(coro)  # quiet: kept in _background until done, with a callback that reports crashes
    _background.add(task)
    task.add_done_callback(_background.discard)
    task.add_done_callback(lambda done: _report_crash(client, done))
    return task


async def run(hosts: list[str]) -> int:
    results: dict[str, float] = {}
    failures: dict[str, str] = {}
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as client:
        hb = asyncio.create_task(heartbeat(client))  # quiet: kept, cancelled and awaited below
        try:
            await check_all(hosts, results, failures)
        finally:
            hb.cancel()
            try:
                await hb
            except asyncio.CancelledError:  # quiet: the self-cancel idiom: the task we just cancelled
                pass
        soon = {h: round(d, 1) for h, d in results.items() if d < EXPIRY_WARN_DAYS}
        if soon:
            spawn(client, post_event(client, "expiring", soon))
        if failures:
            notify_ops(client, failures)  # expect: fire-and-forget-task -- the project's own coroutine is called and never awaited: no failure report is ever posted, only a "coroutine 'notify_ops' was never awaited" RuntimeWarning on stderr
        try:
            await push_metrics(client, results)
        except httpx.HTTPStatusError as exc:  # quiet: exit status 3
            log.error("Pushgateway answered %s: %s", exc.response.status_code, exc.response.text[:300])  # quiet: the message carries the status and the response body
            return 3
        except httpx.TransportError:  # quiet: exit status 3, logged with the traceback
            log.exception("pushing metrics to %s failed", PUSHGATEWAY)
            return 3
        if _background:
            await asyncio.wait(set(_background))
        create_task(post_event(client, "run-finished", {"checked": len(results), "failed": len(failures)}))  # expect: fire-and-forget-task -- the task is dropped just before run() returns: asyncio.run cancels it on the way out (and the client is already closed), so the run-finished event is never posted and nothing says so
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s certwatch %(levelname)s %(message)s")
    with open(argv[0]) as fh:
        hosts = [line.strip() for line in fh if line.strip() and not line.startswith("#")]
    return asyncio.run(run(hosts))  # quiet: the coroutine is handed to asyncio.run, which awaits it


if __name__ == "__main__":
    sys.exit(main())  # quiet: the __main__ block is not a second boundary: whatever main() lets escape is reported once, inside main()
