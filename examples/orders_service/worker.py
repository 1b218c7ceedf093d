"""Background work: Celery tasks, and the consumers that drain the order and refund queues."""

from __future__ import annotations

import json
import logging
import queue
import signal
import smtplib
import threading
import time
from datetime import datetime, timedelta, timezone

import redis
from celery import Celery

from orders_service import db, notifications, settings
from orders_service.context import bind_correlation_id, current_correlation_id
from orders_service.payments import PaymentGatewayClient

logger = logging.getLogger(__name__)

celery_app = Celery("orders", broker=settings.CELERY_BROKER_URL)
gateway = PaymentGatewayClient(settings.GATEWAY_URL, settings.GATEWAY_API_KEY, timeout=settings.GATEWAY_TIMEOUT)


@celery_app.task(bind=True, max_retries=5, acks_late=True)
def send_receipt(self, order_id: str, correlation_id: str | None = None) -> None:
    bind_correlation_id(correlation_id)
    order = db.load_order(order_id)
    customer = db.find_customer(order.customer_id)
    if customer is None:
        return
    try:
        notifications.send_receipt_email(customer.email, order.id, order.amount_cents, order.currency)
    except (smtplib.SMTPException, ConnectionError) as exc:
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries)


@celery_app.task
def sync_payment_status(order_id: str) -> None:
    order = db.load_order(order_id)
    try:
        status = gateway.get_status(order.charge_id)
        db.update_status(order_id, status.lower())
    except Exception as e:
        logger.error(e)


@celery_app.task
def send_payment_reminders() -> int:
    cutoff = datetime.now(timezone.utc) - timedelta(hours=24)
    sent = 0
    for order_id, phone in db.unpaid_orders_with_contacts(older_than=cutoff):
        if phone:
            notifications.send_sms(phone, f"Your order {order_id} is waiting for payment.")
            sent += 1
    return sent


def handle_event(event: dict) -> None:
    kind = event["type"]
    if kind == "order.paid":
        send_receipt.delay(event["order_id"], correlation_id=current_correlation_id())
    elif kind == "charge.settled":
        db.update_status(event["order_id"], "settled")
    elif kind == "charge.disputed":
        db.update_status(event["order_id"], "disputed")
        notifications.publish_order_event("order.disputed", {"order_id": event["order_id"]})
    else:
        logger.info("ignoring event type %s", kind)


def consume_order_events(events: queue.Queue, stop: threading.Event) -> None:
    """Process gateway webhook events pushed onto the in-process queue by the listener thread."""
    backoff = 1.0
    while not stop.is_set():
        try:
            raw = events.get(timeout=1)
        except queue.Empty:
            continue
        try:
            event = json.loads(raw)
        except ValueError:
            logger.warning("dropping malformed event", extra={"correlation_id": current_correlation_id()})
            continue
        bind_correlation_id(event.get("correlation_id"))
        try:
            handle_event(event)
            backoff = 1.0
        except Exception:
            logger.exception(
                "event handling failed, requeueing",
                extra={"correlation_id": current_correlation_id(), "event_type": event.get("type")},
            )
            events.put(raw)
            time.sleep(backoff)
            backoff = min(backoff * 2, 30.0)


def drain_refund_requests(client: redis.Redis) -> None:
    """Refund requests queued by the support tool (one JSON object per list item)."""
    while True:
        item = client.blpop("refund-requests", timeout=5)
        if item is None:
            continue
        try:
            request = json.loads(item[1])
            refund = gateway.refund(request["charge_id"], request.get("amount_cents"))
            db.mark_refunded(request["order_id"], refund["id"])
        except:
            logger.error("refund request failed: %r", item)
            time.sleep(1)


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        consume_order_events(events, stop)
    except KeyboardInterrupt:
        logger.info("interrupted, shutting down")
        stop.set()
    finally:
        db.engine.dispose()


if __name__ == "__main__":
    main()
