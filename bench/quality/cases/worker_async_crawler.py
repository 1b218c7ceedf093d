"""Asyncio crawler that refreshes partner prices and stock levels for the catalogue."""
from __future__ import annotations

import asyncio
import logging
import signal

import aiohttp

from catalogue.store import PriceStore

logger = logging.getLogger(__name__)

PRICE_API = "https://prices.partner.example/v1/items"
STOCK_API = "https://stock.partner.example/v1/items"
METRICS_URL = "http://metrics-gateway:9091/metrics/job/price-crawler"
WORKERS = 8


class PriceCrawler:
    def __init__(self, store: PriceStore) -> None:
        self.store = store
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        self.stop = asyncio.Event()
        self.failures = 0
        self._refreshes: set[asyncio.Task] = set()

    async def fetch_price(self, session: aiohttp.ClientSession, sku: str) -> dict:
        async with session.get(f"{PRICE_API}/{sku}") as resp:  # quiet: aiohttp's default 300 s total timeout bounds the call, and the worker catches its errors
            return await resp.json()  # expect: unchecked-http-status -- the plain session does not raise for status and the status is never looked at: the partner's 429 JSON error body is stored as the item's price

    async def fetch_stock(self, strict: aiohttp.ClientSession, sku: str) -> dict:
        async with strict.get(f"{STOCK_API}/{sku}") as resp:  # quiet: the strict session has a 15 s total timeout
            return await resp.json()  # quiet: the strict session is created with raise_for_status=True

    async def worker(self, name: str, session: aiohttp.ClientSession, strict: aiohttp.ClientSession) -> None:
        while not self.stop.is_set():  # quiet: a consumer loop driven by a stop event, not a retry
            try:
                sku = await asyncio.wait_for(self.queue.get(), timeout=1.0)
            except asyncio.TimeoutError:  # quiet: the narrow "nothing queued yet" outcome; the loop re-checks the stop event
                continue
            try:
                price = await asyncio.wait_for(self.fetch_price(session, sku), timeout=10)
                stock = await self.fetch_stock(strict, sku)
                await self.store.save(sku, price, stock)
            except asyncio.TimeoutError as exc:  # quiet: a counted failure that run() reports when it stops
                self.failures += 1
                logger.warning("%s: price refresh for %s failed: %s", name, sku, exc)  # expect: lost-traceback-log -- asyncio.TimeoutError has an empty message and no traceback is logged, so the line ends in "failed: " and never says which of the three awaited steps timed out
            except aiohttp.ClientError:  # quiet: a counted failure, logged with the traceback
                self.failures += 1
                logger.exception("%s: price refresh for %s failed", name, sku)
                asyncio.sleep(1)  # expect: fire-and-forget-task -- the sleep coroutine is created and never awaited, so the intended pause after a partner error never happens and the worker hits the rate-limited API again at once
            finally:
                self.queue.task_done()

    async def refresh_later(self, sku: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.queue.put(sku)

    def schedule_refresh(self, sku: str, delay: float) -> None:
        task = asyncio.create_task(self.refresh_later(sku, delay))  # quiet: the task is kept in a set with a done-callback
        self._refreshes.add(task)
        task.add_done_callback(self._refreshes.discard)

    async def push_metrics(self, session: aiohttp.ClientSession) -> None:
        while not self.stop.is_set():  # quiet: a periodic push every 30 s until stop, not a retry: the interval is the same whether or not the last push failed
            try:
                async with session.post(METRICS_URL, data=f"crawler_failures {self.failures}\n") as resp:  # quiet: best-effort metrics, errors logged with the traceback below
                    resp.raise_for_status()
            except aiohttp.ClientError:  # quiet: best-effort metrics push, logged with the traceback
                logger.warning("metrics push failed", exc_info=True)
            await asyncio.sleep(30)

    async def heartbeat(self) -> None:
        while True:  # quiet: a periodic heartbeat, not a retry: no error is caught and retried here
            try:
                await self.store.touch_heartbeat("price-crawler")
                await asyncio.sleep(15)
            except asyncio.CancelledError:  # expect: bare-except -- swallows the cancellation: the heartbeat task ends as if it had completed (hb.cancelled() is False), so whatever cancels it (run()'s shutdown, asyncio.run()'s clean-up, a timeout) cannot tell a cancelled heartbeat from one that finished
                logger.info("heartbeat stopped")
                break

    async def feed(self) -> None:
        async for sku in self.store.stale_skus():
            await self.queue.put(sku)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.store.reload_partners()))  # expect: fire-and-forget-task -- the future created in the signal callback is dropped: a failed partner reload is only an "exception was never retrieved" warning at garbage collection, and the task can be collected mid-run
        timeout = aiohttp.ClientTimeout(total=15)
        async with aiohttp.ClientSession() as session, aiohttp.ClientSession(raise_for_status=True, timeout=timeout) as strict:  # quiet: aiohttp's 300 s default and an explicit 15 s total timeout
            asyncio.create_task(self.push_metrics(session))  # expect: fire-and-forget-task -- the metrics task is not kept anywhere: the loop holds only a weak reference, so it can be garbage-collected mid-run and its crash is never reported
            hb = asyncio.create_task(self.heartbeat())  # quiet: kept in hb and cancelled then awaited at shutdown
            workers = [asyncio.create_task(self.worker(f"w{n}", session, strict)) for n in range(WORKERS)]  # quiet: every worker task is gathered below
            await self.feed()
            await self.queue.join()
            self.stop.set()
            await asyncio.gather(*workers)
            hb.cancel()
            try:
                await hb
            except asyncio.CancelledError:  # quiet: the self-cancel idiom: this coroutine cancelled hb itself
                pass
        if self.failures:
            logger.error("price crawl finished with %d failed SKUs", self.failures)
            return 1
        return 0


def main() -> int:
    return asyncio.run(PriceCrawler(PriceStore.from_env()).run())


if __name__ == "__main__":
    raise SystemExit(main())
