"""Asyncio ingest worker: pulls shipment updates from carrier APIs into Postgres and flags late shipments."""
from __future__ import annotations

import asyncio
import json
import logging
import os

import asyncpg
import httpx
import redis.asyncio as aioredis
from httpx import AsyncClient as HttpClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

DSN = os.environ["INGEST_DSN"]
CARRIER_API = "https://api.carrier.example/v3"
CARRIERS = ("dhl", "ups", "postnl")

cache = aioredis.from_url("redis://cache:6379/2")  # expect: missing-timeout -- no socket_timeout: a cache node that stops answering (failover, dropped connection without a reset) hangs every awaited cache call forever instead of failing fast, and the late-shipment sweep stops dead


class CarrierError(Exception):
    """Base class for carrier API failures."""


class CarrierUnavailable(CarrierError):
    """Timeouts, connection errors, 429 and 5xx: worth polling again later."""


class CarrierRejected(CarrierError):
    def __init__(self, carrier: str, status: int) -> None:
        super().__init__(f"carrier {carrier} rejected the update request with HTTP {status}")
        self.status = status


async def fetch_updates(client: httpx.AsyncClient, carrier: str, cursor: str) -> dict:
    try:
        resp = await client.get(f"/carriers/{carrier}/updates", params={"cursor": cursor})  # quiet: every httpx error is translated below
        resp.raise_for_status()
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        if status == 429 or status >= 500:
            raise CarrierUnavailable(f"{carrier}: HTTP {status}") from exc  # quiet: chained with `from exc`
        raise CarrierRejected(carrier, status)  # expect: unchained-translation -- no `from exc`: the HTTPStatusError with its request URL and the carrier's error body is kept only as implicit context, so __cause__ is None and the crash report of a 401/422 reads as a second failure inside the handler rather than the carrier's rejection
    except httpx.TransportError as exc:
        raise CarrierUnavailable(f"{carrier}: {type(exc).__name__}") from exc  # quiet: chained with `from exc`
    return resp.json()  # quiet: raise_for_status() ran before the body is read


async def invalidate_tracking_page(shipment_id: str) -> None:
    try:
        await cache.delete(f"tracking:{shipment_id}")  # quiet: best-effort, errors handled below
    except RedisError:  # quiet: best-effort cache invalidation, logged with the traceback
        logger.warning("could not invalidate tracking cache for %s", shipment_id, exc_info=True)


class IngestWorker:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.stop = asyncio.Event()
        self.carrier_client = HttpClient(base_url=CARRIER_API, timeout=None)  # expect: missing-timeout -- timeout=None switches off httpx's 5 s default: one carrier that stops mid-response freezes its ingest loop for good

    async def store(self, carrier: str, batch: dict) -> None:
        async with self.pool.acquire() as conn:
            async with conn.transaction():  # quiet: asyncpg transaction block rolls back on error
                await conn.executemany(
                    "INSERT INTO shipment_events (shipment_id, status, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    [(u["shipment_id"], u["status"], u["at"]) for u in batch["updates"]],
                )
                await conn.execute("UPDATE carrier_cursors SET cursor = $2 WHERE carrier = $1", carrier, batch["next_cursor"])
        for update in batch["updates"]:
            invalidate_tracking_page(update["shipment_id"])  # expect: fire-and-forget-task -- the project's own coroutine is called without await: the cache is never invalidated and customers see the old tracking status for the cache TTL

    async def ingest_carrier(self, carrier: str) -> None:
        delay = 1.0
        while not self.stop.is_set():  # quiet: a poller driven by a stop event, with capped exponential back-off only for retryable carrier errors
            async with self.pool.acquire() as conn:
                cursor = await conn.fetchval("SELECT cursor FROM carrier_cursors WHERE carrier = $1", carrier)
            try:
                batch = await fetch_updates(self.carrier_client, carrier, cursor)
            except CarrierUnavailable:  # quiet: logged with the traceback, then the loop backs off and polls again
                logger.exception("carrier %s unavailable; polling again in %.0f s", carrier, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 300.0)
                continue
            delay = 1.0
            await self.store(carrier, batch)
            if not batch["updates"]:
                await asyncio.sleep(30)

    async def flag_late_shipments(self) -> int:
        async with self.pool.acquire() as conn:
            late = await conn.fetch("SELECT id, customer_id FROM shipments WHERE eta < now() AND delivered_at IS NULL")
            flagged = 0
            for row in late:
                customer = await conn.fetchrow("SELECT email, locale FROM customers WHERE id = $1", row["customer_id"])  # expect: n-plus-one-query -- one customer SELECT per late shipment: on a peak day with 20,000 late parcels the sweep makes 20,000 round trips while holding a pool connection
                async with conn.transaction():  # quiet: asyncpg transaction block
                    # Re-read under the row lock: the ingest loop may have marked it delivered since the scan.
                    current = await conn.fetchrow("SELECT delivered_at FROM shipments WHERE id = $1 FOR UPDATE", row["id"])  # quiet: a deliberate per-row re-check under a row lock, explained in the comment above
                    if current is None or current["delivered_at"] is not None:
                        continue
                    await conn.execute("UPDATE shipments SET late_flagged = true WHERE id = $1", row["id"])  # quiet: a write per row, not a read
                await cache.set(f"late:{row['id']}", json.dumps({"email": customer["email"], "locale": customer["locale"]}), ex=86400)  # expect: unhandled-external-call -- nothing handles a Redis error here: it escapes the TaskGroup, which cancels every carrier ingest loop and takes the whole worker down over one notice cache write
                flagged += 1
            return flagged

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            for carrier in CARRIERS:
                tg.create_task(self.ingest_carrier(carrier))  # quiet: TaskGroup keeps the task and re-raises its failure
            tg.create_task(self.flag_late_shipments())  # quiet: TaskGroup keeps the task and re-raises its failure


async def main() -> None:
    pool = await asyncpg.create_pool(DSN, min_size=2, max_size=10, command_timeout=30)  # quiet: database infrastructure failure at start-up: the traceback and exit status are the report
    try:
        await IngestWorker(pool).run()
    finally:
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main())  # quiet: the worker's failures are reported where they arise (the cache write in flag_late_shipments), not again at the entry point
