"""RabbitMQ consumer that prices billing events and applies them to customer balances.

Every message carries the caller's correlation id in its AMQP properties; error logs must carry it so the
on-call engineer can follow one charge from the checkout request to the ledger. The queue dead-letters
``basic_nack(requeue=False)`` onto ``billing.dead``.
"""
from __future__ import annotations

import json
import logging

import pika
import requests
from sqlalchemy.exc import SQLAlchemyError

from billing.db import SessionLocal
from billing.ledger import LedgerConflict, apply_event

logger = logging.getLogger(__name__)

AMQP_URL = "amqp://billing:billing@rabbitmq:5672/%2F"
QUEUE = "billing.events"
TAX_URL = "https://tax.internal/v1/quote"
RECEIPTS_URL = "https://receipts.internal/v1/receipts"


def quote_tax(event: dict, correlation_id: str) -> dict:
    resp = requests.post(  # quiet: a timeout is set and the callback handles every requests error
        TAX_URL,
        json={"amount": event["amount_cents"], "country": event["country"]},
        headers={"X-Correlation-ID": correlation_id},
        timeout=5,
    )
    resp.raise_for_status()
    return resp.json()  # quiet: raise_for_status() runs before the body is read


def send_receipt(event: dict, correlation_id: str) -> None:
    """Receipts are a courtesy e-mail; the charge stands without one."""
    try:
        resp = requests.post(RECEIPTS_URL, json={"event_id": event["id"]}, headers={"X-Correlation-ID": correlation_id}, timeout=5)  # quiet: a timeout is set and every requests error is handled below
        resp.raise_for_status()
    except requests.RequestException:  # quiet: a documented best-effort step, logged with the traceback
        logger.exception("receipt for billing event %s not sent", event["id"])  # expect: log-missing-context -- no correlation_id in extra: the failed receipt cannot be tied to the checkout request that caused it, which is the first thing support asks for


def on_billing_event(channel, method, properties, body: bytes) -> None:
    correlation_id = properties.correlation_id or properties.message_id
    try:
        event = json.loads(body)
    except ValueError:  # quiet: an undecodable message can never succeed: logged with the traceback and dead-lettered
        logger.exception("undecodable billing event", extra={"correlation_id": correlation_id})  # quiet: carries correlation_id and the traceback
        channel.basic_nack(delivery_tag=method.delivery_tag, requeue=False)
        return

    try:
        tax = quote_tax(event, correlation_id)
    except requests.HTTPError as exc:  # quiet: not swallowed: the event is dead-lettered
        logger.error("tax quote rejected for event %s: %s", event["id"], exc, extra={"correlation_id": correlation_id})  # expect: lost-traceback-log -- HTTPError's text is only "422 Client Error: Unprocessable Entity for url"; the tax service's body naming the invalid country or amount is dropped, so the dead-lettered event cannot be fixed from the log
        channel.basic_nack(delivery_tag=method.delivery_tag, requeue=False)
        return
    except requests.RequestException:  # quiet: not swallowed: the event is dead-lettered for replay once the tax service is back
        logger.exception("tax service unavailable for event %s", event["id"])  # expect: log-missing-context -- no correlation_id: during a tax outage hundreds of these lines cannot be matched to the checkouts waiting on them
        channel.basic_nack(delivery_tag=method.delivery_tag, requeue=False)
        return

    with SessionLocal() as session:
        try:
            apply_event(session, event, tax)
            session.commit()  # quiet: the session is opened and closed here, and both handlers roll back
        except LedgerConflict:  # quiet: the narrow "already applied" outcome of a redelivered event: rolled back and acknowledged
            session.rollback()
            logger.info("billing event %s already applied", event["id"], extra={"correlation_id": correlation_id})  # quiet: carries correlation_id
        except SQLAlchemyError:  # expect: silent-except -- logs and falls through to basic_ack below: a charge that failed to post (deadlock, failover) is acknowledged and never applied, and the customer's balance is silently wrong
            session.rollback()
            logger.exception("could not apply billing event %s", event["id"], extra={"correlation_id": correlation_id})  # quiet: the swallow is reported once, on the except line; the log carries correlation_id
    send_receipt(event, correlation_id)
    channel.basic_ack(delivery_tag=method.delivery_tag)


def main() -> None:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))  # quiet: start-up in main(), which handles none of its own failures: an unreachable broker fails the start with its traceback and a non-zero exit
    channel = connection.channel()  # quiet: start-up in main(), which handles none of its own failures; its traceback and exit status are the report
    channel.basic_qos(prefetch_count=10)
    channel.basic_consume(QUEUE, on_billing_event)
    logger.info("billing consumer started on %s", QUEUE)  # quiet: a log call outside any handler needs no correlation_id
    try:
        channel.start_consuming()
    except KeyboardInterrupt:  # quiet: clean shutdown at the entry point
        channel.stop_consuming()
    finally:
        connection.close()


if __name__ == "__main__":
    main()  # quiet: main() handles none of its failures, and the consumer callback handles its own; nothing to report at the entry point
