"""Settlement reconciliation: compares paid orders with the gateway's settlement records."""

from __future__ import annotations

import asyncio
import logging
import signal

import aiohttp

from orders_service import db, settings
from orders_service.context import current_correlation_id

logger = logging.getLogger(__name__)

HEADERS = {"Authorization": f"Bearer {settings.GATEWAY_API_KEY}"}
_background_tasks: set[asyncio.Task] = set()


async def fetch_settlement(session: aiohttp.ClientSession, charge_id: str) -> dict:
    async with session.get(f"{settings.GATEWAY_URL}/v2/settlements/{charge_id}") as resp:
        resp.raise_for_status()
        return await resp.json()


async def fetch_fx_rates(base: str = "EUR") -> dict:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"https://fx.example.org/latest?base={base}") as resp:
            data = await resp.json()
    return data["rates"]


async def alert_finance(order_id: str, detail: str) -> None:
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.post(
            settings.ORDER_EVENTS_WEBHOOK,
            json={"type": "settlement.mismatch", "order_id": order_id, "detail": detail},
        ) as resp:
            resp.raise_for_status()


def _log_task_failure(task: asyncio.Task) -> None:
    _background_tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error(
            "background task failed",
            exc_info=task.exception(),
            extra={"correlation_id": current_correlation_id(), "task": task.get_name()},
        )


def spawn(coro) -> asyncio.Task:
    task = asyncio.create_task(coro)
    _background_tasks.add(task)
    task.add_done_callback(_log_task_failure)
    return task


async def reconcile(orders: list[db.Order]) -> int:
    """Check each paid order against its settlement; returns the number of mismatches."""
    mismatches = 0
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout, headers=HEADERS) as session:
        for order in orders:
            try:
                settlement = await fetch_settlement(session, order.charge_id)
            except aiohttp.ClientError as e:
                logger.error("settlement lookup failed for %s: %s", order.charge_id, e)
                continue
            if settlement["amount"] != order.amount_cents:
                mismatches += 1
                detail = f"expected {order.amount_cents}, settled {settlement['amount']}"
                asyncio.create_task(alert_finance(order.id, detail))
            if settlement.get("status") == "reversed":
                spawn(alert_finance(order.id, "settlement reversed"))
    return mismatches


async def heartbeat(interval: float = 30) -> None:
    while True:
        logger.debug("reconciler alive")
        await asyncio.sleep(interval)


async def reconcile_once(order_ids: list[str]) -> int:
    beat = asyncio.create_task(heartbeat())
    try:
        orders = await asyncio.to_thread(db.orders_with_customers, order_ids)
        return await reconcile(orders)
    except asyncio.CancelledError:
        logger.info("reconciliation cancelled")
        return 0
    finally:
        beat.cancel()


async def poll_settlements(order_ids: list[str], interval: float = 300) -> None:
    """Re-check the given orders every `interval` seconds until cancelled."""
    while True:
        try:
            await reconcile_once(order_ids)
            await asyncio.sleep(interval)
        except asyncio.CancelledError:
            logger.info("settlement poller stopped")
            return


async def main(order_ids: list[str]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    poller = asyncio.create_task(poll_settlements(order_ids))
    await stop.wait()
    poller.cancel()
    try:
        await poller
    except asyncio.CancelledError:
        pass
