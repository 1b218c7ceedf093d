"""Storefront edge gateway (FastAPI, async): product pages with reviews and recommendations,
shipping quotes, live order events and the audit trail posted to the audit service."""
import asyncio
import logging
from asyncio import create_task as spawn
from contextlib import asynccontextmanager

import httpx
from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from httpx import AsyncClient as HttpClient

logger = logging.getLogger(__name__)
ORDER_EVENTS: dict = {}  # order id -> asyncio.Queue, filled by the order-events consumer
_background: set = set()


async def _raise_for_status(response: httpx.Response) -> None:
    response.raise_for_status()


reviews = HttpClient(base_url="https://reviews.internal.example", timeout=2.5, event_hooks={"response": [_raise_for_status]})
recommender = HttpClient(base_url="https://recs.internal.example", timeout=1.0)
shipping = HttpClient(base_url="https://shipping.internal.example")
audit = HttpClient(base_url="https://audit.internal.example", timeout=2.0)


class UpstreamError(Exception):
    def __init__(self, service: str, status: int = 502):
        super().__init__(f"{service} failed")
        self.service = service
        self.status = status


async def record_audit(event: str, payload: dict) -> None:
    """Post one audit event. Best effort: the audit trail never fails a request."""
    try:
        resp = await audit.post("/events", json={"event": event, **payload})
        resp.raise_for_status()
    except httpx.HTTPError:  # quiet: a best-effort audit step, logged with the traceback, documented never to fail the request
        logger.warning("audit event %s not recorded", event, exc_info=True)


async def _recommendations(user_id: int) -> list:
    """Optional enrichment: an empty list when the recommender cannot be reached."""
    try:
        resp = await recommender.get(f"/users/{user_id}/recommendations")
    except httpx.TransportError:  # quiet: optional enrichment, logged with the traceback, with the documented empty fallback
        logger.warning("recommender unreachable for user %s", user_id, exc_info=True)
        return []
    return resp.json()["items"]  # expect: unchecked-http-status -- no status check: a 429 or 503 error body has no "items" (or is an HTML page), so the KeyError/JSONDecodeError escapes and the whole product page answers 500 for an optional widget


async def _refresh_shipping_zones(stop: asyncio.Event) -> None:
    """Keep the shipping zone table warm; a failed refresh keeps the previous table."""
    while not stop.is_set():  # quiet: a periodic refresh driven by a stop event, not a retry loop
        try:
            resp = await shipping.get("/zones")
            resp.raise_for_status()
            app.state.zones = resp.json()
        except httpx.HTTPError:  # quiet: a background refresher that logs with the traceback and keeps the previous table until the next round
            logger.warning("shipping zone refresh failed", exc_info=True)
        try:
            await asyncio.wait_for(stop.wait(), timeout=300)
        except asyncio.TimeoutError:  # quiet: the wait running out is the normal "time for the next refresh"
            pass


@asynccontextmanager
async def lifespan(app: FastAPI):
    stop = asyncio.Event()
    refresher = asyncio.create_task(_refresh_shipping_zones(stop))  # quiet: the task is kept and awaited at shutdown
    yield
    stop.set()
    refresher.cancel()
    try:
        await refresher
    except asyncio.CancelledError:  # quiet: the self-cancel idiom: the task was cancelled two lines above
        pass
    await asyncio.gather(reviews.aclose(), recommender.aclose(), shipping.aclose(), audit.aclose())


app = FastAPI(lifespan=lifespan)
app.state.zones = {}


@app.exception_handler(UpstreamError)
async def upstream_error(request: Request, exc: UpstreamError) -> JSONResponse:
    return JSONResponse({"error": f"{exc.service} unavailable"}, status_code=exc.status)


@app.get("/products/{product_id}")
async def product_page(product_id: int, request: Request):
    try:
        resp = await reviews.get(f"/products/{product_id}/summary")  # quiet: transport errors and (through the response hook) error statuses become UpstreamError, answered by the registered handler
    except httpx.HTTPError as exc:
        raise UpstreamError("reviews") from exc
    user_id = int(request.headers.get("x-user-id", "0"))
    recs = await _recommendations(user_id) if user_id else []
    spawn(record_audit("product_viewed", {"product_id": product_id, "user_id": user_id}))  # expect: fire-and-forget-task -- nobody keeps the task: the event loop holds only a weak reference, so the audit post can be garbage-collected before it finishes and the event silently goes missing
    return {"product_id": product_id, "reviews": resp.json(), "recommendations": recs}  # quiet: the reviews client's response hook raised for any error status before this read


@app.post("/shipping/quote")
async def shipping_quote(request: Request):
    body = await request.json()
    try:
        resp = await shipping.post("/quotes", json=body, timeout=None)  # expect: missing-timeout -- timeout=None switches off httpx's 5 s default: a shipping service that accepts the connection and never answers holds this request and its connection forever
    except httpx.TransportError as exc:
        raise UpstreamError("shipping") from exc
    if resp.is_error:
        raise UpstreamError("shipping", status=502 if resp.status_code >= 500 else 422)
    task = asyncio.create_task(record_audit("quote_requested", {"postcode": body.get("postcode")}))  # quiet: kept in _background with a done-callback that discards it
    _background.add(task)
    task.add_done_callback(_background.discard)
    return resp.json()  # quiet: is_error was checked on this path before the read


@app.post("/checkout/{cart_id}/start")
async def start_checkout(cart_id: str, background_tasks: BackgroundTasks):
    background_tasks.add_task(record_audit, "checkout_started", {"cart_id": cart_id})  # quiet: FastAPI runs BackgroundTasks after the response and the server logs an exception raised by one; nothing is dropped
    record_audit("checkout_page_viewed", {"cart_id": cart_id})  # expect: fire-and-forget-task -- record_audit is a coroutine function: called without await it only builds a coroutine that never runs, so this audit event is never sent
    return {"cart_id": cart_id, "status": "started"}


@app.get("/orders/{order_id}/events")
async def order_events(order_id: int):
    queue = ORDER_EVENTS.setdefault(order_id, asyncio.Queue())
    asyncio.ensure_future(record_audit("order_stream_opened", {"order_id": order_id}))  # expect: fire-and-forget-task -- the future is dropped: nothing keeps it alive or looks at its outcome, so the audit post may be collected mid-flight and never land

    async def stream():
        try:
            while True:  # quiet: an event stream waiting for the next event; nothing is retried
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=15)
                except asyncio.TimeoutError:  # quiet: no event within 15 s is the normal case; a keep-alive comment is sent instead
                    yield ": keep-alive\n\n"
                    continue
                yield f"data: {event}\n\n"
        except asyncio.CancelledError:  # expect: bare-except -- swallows the CancelledError that Starlette and uvicorn use to stop the stream (client gone, server shutdown): the generator ends as if it completed, so whoever cancelled it is told nothing was cancelled
            logger.info("order %s event stream closed", order_id)
        finally:
            ORDER_EVENTS.pop(order_id, None)

    return StreamingResponse(stream(), media_type="text/event-stream")
