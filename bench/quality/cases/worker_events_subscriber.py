"""An events service's websocket client: a subscriber that connects at start-up and a stream reader that
reconnects after a drop, both capped with a short constant pause, and a dispatcher that fires webhook deliveries
whose coroutine logs its own failures."""
import asyncio
import logging

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK

log = logging.getLogger(__name__)

# what a reconnect can fix: a dropped socket, a refused or reset connect (OSError), a handshake timeout
RETRYABLE_EXCEPTIONS = (ConnectionClosed, OSError, TimeoutError)


class EventSubscriber:
    def __init__(self, url: str, reconnection_attempts: int = 10):
        self._url = url
        self._reconnection_attempts = reconnection_attempts
        self._websocket = None

    async def _reconnect(self) -> None:
        if self._websocket is not None:
            await self._websocket.close()
            self._websocket = None
        self._websocket = await connect(self._url, open_timeout=10)
        await self._websocket.send(orjson.dumps({"type": "subscribe"}).decode())

    async def __aenter__(self):
        for i in range(self._reconnection_attempts + 1):  # expect: naive-retry -- only drops and timeouts are retried: a refused connect during a server restart fails the start at once
            try:
                await self._reconnect()
                break
            except (ConnectionClosed, TimeoutError) as exc:
                log.debug("initial connect %s failed: %s", i + 1, exc)
                if i == self._reconnection_attempts:
                    raise
                if i > 2:
                    await asyncio.sleep(1)
        return self

    async def __aexit__(self, *exc_info):
        if self._websocket is not None:
            await self._websocket.close()
            self._websocket = None

    def __aiter__(self):
        return self

    async def __anext__(self) -> dict:
        failures = 0
        while failures <= self._reconnection_attempts:  # expect: naive-retry -- after a drop its 11 attempts are spent in about 8 s, so a restart kills the stream
            try:
                if self._websocket is None or failures > 0:
                    await self._reconnect()
                return orjson.loads(await self._websocket.recv())
            except RETRYABLE_EXCEPTIONS as exc:
                if isinstance(exc, ConnectionClosedOK):
                    raise StopAsyncIteration
                failures += 1
                log.debug("stream error, %s/%s reconnects", failures, self._reconnection_attempts)
                if failures > self._reconnection_attempts:
                    raise
                if failures > 2:
                    await asyncio.sleep(1)
        raise StopAsyncIteration


async def post_webhook(url: str, event: dict) -> None:
    async with connect(url, open_timeout=5) as ws:
        await ws.send(orjson.dumps(event).decode())


async def deliver_all(urls: list[str], event: dict) -> None:
    for url in urls:
        try:
            await post_webhook(url, event)
        except Exception:
            log.exception("webhook delivery of %s to %s failed", event.get("id"), url)


_deliveries: set[asyncio.Task] = set()


def on_event(urls: list[str], event: dict) -> None:
    asyncio.create_task(deliver_all(urls, event))  # expect: fire-and-forget-task -- nothing holds the task, so a delivery can be garbage-collected part way


def on_event_kept(urls: list[str], event: dict) -> None:
    task = asyncio.create_task(deliver_all(urls, event))  # quiet: held in a set until it is done
    _deliveries.add(task)
    task.add_done_callback(_deliveries.discard)
