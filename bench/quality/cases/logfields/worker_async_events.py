"""Asyncio worker that reads order events from a Redis stream and fans them out to partner webhooks.

Entries are acknowledged (XACK) only after the partner accepted them; an entry left pending is picked up
again by ``reclaim()`` after five minutes, so leaving an entry un-acked means "redeliver it".
Each entry carries the ``correlation_id`` of the request that produced it; loop-level logs use the
worker's ``run_id`` as their correlation id.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import uuid

import httpx
import redis.asyncio as aioredis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

STREAM = "orders:events"
DEAD_STREAM = "orders:events:dead"
GROUP = "webhook-fanout"
CONSUMER = "fanout-1"
RECLAIM_IDLE_MS = 300_000


async def _raise_for_status(response: httpx.Response) -> None:
    if response.is_error:
        await response.aread()
        response.raise_for_status()


class WebhookFanout:
    def __init__(self) -> None:
        self.run_id = uuid.uuid4().hex
        self.redis = aioredis.Redis(host="events", port=6379, socket_timeout=5, socket_connect_timeout=2)  # quiet: socket and connect timeouts are set
        self.http = httpx.AsyncClient(timeout=10, event_hooks={"response": [_raise_for_status]})  # quiet: a 10 s timeout is set
        self.stop = asyncio.Event()
        self.inflight: set[asyncio.Task] = set()
        self.delivered = 0

    async def deliver(self, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        cid = fields.get(b"correlation_id", b"-").decode()
        url = fields[b"webhook_url"].decode()
        try:
            resp = await self.http.post(url, content=fields[b"payload"], headers={"X-Correlation-ID": cid})  # quiet: every httpx error is handled below
            receipt = resp.json().get("receipt")  # quiet: the client's response hook raises for every 4xx/5xx before the body is read
        except httpx.HTTPStatusError as exc:  # quiet: not swallowed: a partner rejection is dead-lettered
            logger.error("partner %s rejected %s: HTTP %s %s", url, entry_id, exc.response.status_code, exc.response.text[:300], extra={"correlation_id": cid})  # quiet: carries correlation_id, the status and the partner's body
            await self.dead_letter(entry_id, fields, f"http {exc.response.status_code}")
            return
        except httpx.TransportError:  # quiet: logged with the traceback and left pending: reclaim() redelivers it
            logger.warning("partner %s unreachable for %s", url, entry_id, exc_info=True, extra={"entry_id": entry_id.decode()})  # expect: log-missing-context -- extra carries the stream entry id but not correlation_id, so a partner outage cannot be traced back to the orders it delayed
            return
        except asyncio.CancelledError:  # expect: bare-except -- swallows the cancellation: a delivery cancelled at shutdown returns normally, so _done() counts it as delivered and the worker's exit report is wrong
            logger.info("delivery of %s cancelled, leaving it pending", entry_id, extra={"correlation_id": cid})  # quiet: carries correlation_id
            return
        try:
            await self.redis.xack(STREAM, GROUP, entry_id)  # quiet: RedisError is handled below
        except RedisError:  # quiet: logged with the traceback; an un-acked entry is redelivered by reclaim() (at-least-once)
            logger.warning("XACK of %s failed; it will be redelivered", entry_id, exc_info=True)  # expect: log-missing-context -- no correlation_id: the duplicate webhook the partner receives after the redelivery cannot be matched to this failure
        logger.info("delivered %s (receipt %s)", entry_id, receipt, extra={"correlation_id": cid})  # quiet: a log call outside any handler

    async def dead_letter(self, entry_id: bytes, fields: dict[bytes, bytes], reason: str) -> None:
        cid = fields.get(b"correlation_id", b"-").decode()
        try:
            await self.redis.xadd(DEAD_STREAM, {**fields, b"reason": reason.encode()})  # quiet: RedisError is handled below
            await self.redis.xack(STREAM, GROUP, entry_id)  # quiet: RedisError is handled below
        except RedisError:  # quiet: logged with the traceback; the entry stays pending and reclaim() offers it again
            logger.exception("could not dead-letter %s (%s)", entry_id, reason, extra={"correlation_id": cid})  # quiet: carries correlation_id

    def _done(self, task: asyncio.Task) -> None:
        self.inflight.discard(task)
        if task.cancelled():
            return
        if task.exception() is not None:
            logger.error("delivery task failed", exc_info=task.exception(), extra={"correlation_id": self.run_id})  # quiet: not inside an except block, and it carries the run's correlation id
        else:
            self.delivered += 1

    def spawn(self, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        task = asyncio.create_task(self.deliver(entry_id, fields))  # quiet: kept in self.inflight with a done-callback that logs failures
        self.inflight.add(task)
        task.add_done_callback(self._done)

    async def reclaim(self) -> None:
        while not self.stop.is_set():  # quiet: a periodic sweep every minute until stop, not a retry
            try:
                _, entries, _ = await self.redis.xautoclaim(STREAM, GROUP, CONSUMER, min_idle_time=RECLAIM_IDLE_MS, count=100)  # quiet: RedisError is handled below
            except RedisError:  # quiet: logged with the traceback; the next sweep tries again
                logger.exception("reclaim sweep failed", extra={"consumer": CONSUMER})  # expect: log-missing-context -- extra has the consumer name but not the run's correlation_id, so this failure cannot be lined up with the run's other errors
            except asyncio.CancelledError:  # quiet: re-raised: cleanup then the cancellation continues
                logger.info("reclaim sweep cancelled", extra={"correlation_id": self.run_id})  # quiet: carries correlation_id
                raise
            else:
                for entry_id, fields in entries:
                    self.spawn(entry_id, fields)
            await asyncio.sleep(60)

    async def run(self) -> int:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self.stop.set)
        sweeper = asyncio.create_task(self.reclaim())  # quiet: kept in sweeper, cancelled and awaited at shutdown
        delay = 1.0
        while not self.stop.is_set():  # quiet: a consumer loop driven by a stop event, with capped exponential back-off on Redis errors
            try:
                batches = await self.redis.xreadgroup(GROUP, CONSUMER, {STREAM: ">"}, count=50, block=5000)  # quiet: RedisError is handled below
            except RedisError:  # quiet: logged with the traceback, then the loop backs off (capped at 60 s)
                logger.exception("XREADGROUP failed; backing off %.0f s", delay, extra={"correlation_id": self.run_id})  # quiet: carries the run's correlation id
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
                continue
            delay = 1.0
            for _stream, entries in batches or []:
                for entry_id, fields in entries:
                    self.spawn(entry_id, fields)
        sweeper.cancel()
        for task in list(self.inflight):
            task.cancel()  # in-flight deliveries stay pending and are reclaimed by the next run
        await asyncio.gather(sweeper, *self.inflight, return_exceptions=True)  # quiet: gathered at shutdown
        await self.http.aclose()
        logger.info("fanout run %s stopped after %d deliveries", self.run_id, self.delivered)
        return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(WebhookFanout().run()))
