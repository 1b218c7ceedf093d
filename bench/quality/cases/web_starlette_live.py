"""Live inventory edge (Starlette): stock levels from the stock cache, a websocket feed of the
stock changes published on Redis, cache invalidation and the session lookup."""
import asyncio
import contextlib
import json
import logging

import httpx
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

logger = logging.getLogger(__name__)
INVENTORY_URL = "https://inventory.internal.example/v2"
SUBSCRIBERS: set = set()

stock_cache = aioredis.Redis(host="stock-cache", port=6379, socket_timeout=0.5, socket_connect_timeout=0.5, decode_responses=True)  # quiet: socket and connect timeouts are set on the client
sessions = aioredis.Redis.from_url("redis://sessions:6379/0", decode_responses=True)  # expect: missing-timeout -- neither the URL nor the call sets socket_timeout: a sessions Redis that stops answering mid-failover leaves every /me request awaiting a reply forever, with no error to answer or log
feed = aioredis.Redis(host="stock-events", port=6379, socket_timeout=10, socket_connect_timeout=2)  # quiet: socket and connect timeouts are set; the pump reads with get_message(timeout=1.0)


async def _pump_stock_changes() -> None:
    """Fan the stock-change messages published on Redis out to every websocket subscriber."""
    while True:  # expect: naive-retry -- reconnects forever, every second, with no cap and no back-off: during a Redis outage every worker hammers the server once a second, and the feed never gives up or tells the app it is down, so websocket clients sit on a silent feed
        try:
            async with feed.pubsub() as pubsub:
                await pubsub.subscribe("stock-changes")
                while True:  # quiet: a message pump that polls for the next message; nothing is retried here
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None:
                        for queue in list(SUBSCRIBERS):
                            queue.put_nowait(message["data"].decode())
        except RedisConnectionError:  # quiet: the handler of a retry loop that retries; the loop is the finding
            logger.warning("stock feed lost its Redis connection, reconnecting", exc_info=True)
            await asyncio.sleep(1)


async def _warm_stock(sku: str) -> None:
    """Reload one SKU's stock into the cache. Best effort: a miss is served from inventory later."""
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            resp = await client.get(f"{INVENTORY_URL}/stock/{sku}")
            resp.raise_for_status()
        await stock_cache.set(f"stock:{sku}", resp.json()["on_hand"], ex=60)
    except (httpx.HTTPError, RedisError):  # quiet: a best-effort cache warm-up, logged with the traceback
        logger.warning("stock warm-up failed for %s", sku, exc_info=True)


async def stock_level(request: Request) -> JSONResponse:
    sku = request.path_params["sku"]
    try:
        raw = await stock_cache.get(f"stock:{sku}")
    except RedisError:  # expect: silent-except -- every cache error (down, timeout, auth) silently becomes a cache miss with no log line: during an outage every product shows "stock unknown" and nothing tells anyone the stock cache is down
        raw = None
    if raw is None:
        return JSONResponse({"sku": sku, "on_hand": None})
    return JSONResponse({"sku": sku, "on_hand": int(raw)})


async def invalidate_stock(request: Request) -> JSONResponse:
    sku = request.path_params["sku"]
    await stock_cache.delete(f"stock:{sku}")  # quiet: RedisError is answered 503 by the exception handler registered on the app
    asyncio.get_running_loop().create_task(_warm_stock(sku))  # expect: fire-and-forget-task -- the task returned by loop.create_task is dropped: the loop keeps only a weak reference, so the warm-up can be garbage-collected mid-flight and the cache stays cold
    return JSONResponse({"sku": sku, "invalidated": True}, status_code=202)


async def whoami(request: Request) -> JSONResponse:
    token = request.cookies.get("sid")
    if not token:
        return JSONResponse({"error": "not signed in"}, status_code=401)
    data = await sessions.get(f"session:{token}")  # quiet: RedisError is answered 503 by the exception handler registered on the app
    if data is None:
        return JSONResponse({"error": "session expired"}, status_code=401)
    return JSONResponse(json.loads(data))


async def stock_feed(websocket: WebSocket) -> None:
    await websocket.accept()
    queue: asyncio.Queue = asyncio.Queue()
    SUBSCRIBERS.add(queue)
    try:
        while True:  # quiet: forwards each change as it arrives; nothing is retried
            await websocket.send_text(await queue.get())
    except WebSocketDisconnect:  # quiet: the client closing the socket is the normal end of the feed, not a failure
        logger.info("stock feed client disconnected")
    except asyncio.CancelledError:  # expect: bare-except -- the close is polite but the cancellation is swallowed: the server shutting down (or an enclosing timeout) cancels this task and sees it return normally instead of cancelled
        await websocket.close(code=1001)
    finally:
        SUBSCRIBERS.discard(queue)


async def redis_unavailable(request: Request, exc: RedisError) -> JSONResponse:
    logger.error("redis unavailable on %s", request.url.path, exc_info=exc)
    return JSONResponse({"error": "temporarily unavailable"}, status_code=503)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):
    pump = asyncio.create_task(_pump_stock_changes())  # quiet: the task is kept, cancelled and awaited at shutdown
    yield
    pump.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await pump
    await asyncio.gather(stock_cache.aclose(), sessions.aclose(), feed.aclose())


app = Starlette(
    routes=[
        Route("/stock/{sku}", stock_level),
        Route("/stock/{sku}/invalidate", invalidate_stock, methods=["POST"]),
        Route("/me", whoami),
        WebSocketRoute("/ws/stock", stock_feed),
    ],
    exception_handlers={RedisError: redis_unavailable},
    lifespan=lifespan,
)
