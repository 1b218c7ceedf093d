"""Telemetry batcher: a service on the process's background event loop thread collects events from the
application threads and posts them in batches. It stops through a `None` sentinel; a second flusher is cancelled
on shutdown and has its cancellation caught as one more failure."""
import asyncio
import logging
import queue
import threading

import httpx

logger = logging.getLogger(__name__)


class EventBatcher:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._queue: queue.Queue = queue.Queue(maxsize=10_000)
        self._worker = None
        self._stopped = threading.Event()

    def start(self) -> None:
        self._worker = self._loop.create_task(self._run())

    def stop(self) -> None:
        self._worker = None  # drop the handle: the sentinel stops the loop below
        self._queue.put_nowait(None)

    def send(self, event: dict) -> None:
        self._queue.put_nowait(event)

    async def _post(self, client: httpx.AsyncClient, batch: list) -> None:
        response = await client.post("https://telemetry.internal.example/v1/events", json=batch)
        response.raise_for_status()

    async def _main_loop(self) -> None:
        async with httpx.AsyncClient(timeout=5.0) as client:
            while True:
                event = await asyncio.to_thread(self._queue.get)
                if event is None:
                    return
                await self._post(client, [event])

    async def _run(self) -> None:
        try:
            await self._main_loop()
        except BaseException:  # quiet: a task nothing cancels stops through its sentinel; only the loop's final teardown can cancel it, and logging that with the pending count is the honest report
            logger.error("event batcher failed with %s pending events", self._queue.qsize(), exc_info=True)
        finally:
            self._stopped.set()


class MetricsFlusher:
    def __init__(self):
        self._flush_task = None
        self.pending: list = []

    def start(self) -> None:
        self._flush_task = asyncio.create_task(self._flush_forever())

    async def shutdown(self) -> None:
        self._flush_task.cancel()
        await self._flush_task

    async def _flush_forever(self) -> None:
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                while True:
                    await asyncio.sleep(10)
                    await client.post("https://metrics.internal.example/flush", json=self.pending)
                    self.pending = []
        except BaseException:  # expect: bare-except -- shutdown() cancels this task: the cancellation is logged as a failure and the task returns normally to the canceller
            logger.exception("metrics flusher failed")
