"""Kafka consumer that turns export requests into queued exports and tells the customer's webhook."""
from __future__ import annotations

import json
import logging
import signal
import threading

import requests
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer

from exports.db import SessionLocal
from exports.models import Export
from worker_pipeline import records
from worker_pipeline.storage import load_manifest

logger = logging.getLogger(__name__)

REQUESTS_TOPIC = "exports.requested"
DLQ_TOPIC = "exports.requested.dlq"
MANIFEST_BUCKET = "acme-export-manifests"
WEBHOOK_TIMEOUT_S = 5


class UnusableRequest(Exception):
    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"export request at offset {offset} is unusable: {reason}")
        self.offset = offset


def decode_request(msg) -> dict:
    try:
        request = json.loads(msg.value())
        return {"customer_id": request["customer_id"], "manifest_key": request["manifest_key"], "webhook_url": request["webhook_url"]}
    except (ValueError, KeyError) as exc:
        raise UnusableRequest(msg.offset(), type(exc).__name__)  # expect: unchained-translation -- no `from exc`: the JSONDecodeError or KeyError survives only as implicit context, so run()'s log shows it under "During handling of the above exception, another exception occurred", as if decode_request itself had crashed, and __cause__ is None


class ExportRequestConsumer:
    """At-least-once consumer: an offset is committed only after its request is stored or dead-lettered."""

    def __init__(self, brokers: str, group: str) -> None:
        self.consumer = Consumer(
            {
                "bootstrap.servers": brokers,
                "group.id": group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        self.dlq = Producer({"bootstrap.servers": brokers, "message.timeout.ms": 10000})
        self.session = SessionLocal()  # lives as long as the consumer
        self.stop_event = threading.Event()

    def run(self) -> None:
        self.consumer.subscribe([REQUESTS_TOPIC])
        try:
            while not self.stop_event.is_set():  # quiet: a consumer loop driven by a stop event, not a retry
                msg = self.consumer.poll(1.0)  # quiet: broker errors come back as msg.error(), which the loop checks
                if msg is None:
                    continue
                if msg.error():
                    if msg.error().code() != KafkaError._PARTITION_EOF:
                        logger.error("kafka error on %s: %s", REQUESTS_TOPIC, msg.error())
                    continue
                try:
                    self._process(msg)
                except Exception:  # quiet: logged with the traceback and dead-lettered before the offset is committed
                    logger.exception("export request %s[%s]@%s failed", msg.topic(), msg.partition(), msg.offset())
                    if not self._dead_letter(msg):
                        logger.critical("DLQ unavailable; stopping without committing offset %s", msg.offset())
                        break
                self._commit(msg)
        finally:
            self.consumer.close()
            self.session.close()

    def _process(self, msg) -> None:
        """Store one export request. Every error goes to run(), which logs it and dead-letters the message."""
        request = decode_request(msg)
        manifest = load_manifest(MANIFEST_BUCKET, request["manifest_key"])  # quiet: S3 errors reach run()'s handler, which logs them with the traceback and dead-letters the request
        export = Export(customer_id=request["customer_id"], key=manifest["key"], status="queued")
        self.session.add(export)
        self.session.commit()  # expect: transaction-without-rollback -- self.session lives as long as the consumer: one IntegrityError here leaves it in a failed transaction, and every later request fails with PendingRollbackError and is dead-lettered
        url = request["webhook_url"]
        try:
            resp = requests.post(url, json={"export_id": export.id, "status": "queued"}, timeout=WEBHOOK_TIMEOUT_S)  # quiet: a timeout is set; connection errors and timeouts are handled below, error statuses right after
        except (requests.ConnectionError, requests.Timeout) as exc:  # quiet: not swallowed: the notification is handed to the retry sweeper
            logger.warning("webhook %s for export %s unreachable, queued for retry: %s", url, export.id, exc)  # quiet: one external call, and the exception text of a refused connection or a timeout carries the cause
            records.schedule_webhook_retry(self.session, export.id, url)
            return
        if resp.status_code == 429 or resp.status_code >= 500:
            logger.warning("webhook %s for export %s answered HTTP %s, queued for retry", url, export.id, resp.status_code)
            records.schedule_webhook_retry(self.session, export.id, url)
        elif resp.status_code >= 400:
            logger.warning("webhook %s for export %s rejected with HTTP %s; not retried", url, export.id, resp.status_code)

    def _dead_letter(self, msg) -> bool:
        """Park msg on the DLQ; False when the DLQ could not take it."""
        try:
            self.dlq.produce(DLQ_TOPIC, key=msg.key(), value=msg.value(), headers=msg.headers())  # quiet: BufferError and KafkaException are handled below
            remaining = self.dlq.flush(10)  # quiet: flush() returns the number of undelivered messages instead of raising, and that count is checked below
        except (BufferError, KafkaException):  # quiet: an explicit failure answer (False), logged with the traceback; the caller then stops without committing
            logger.exception("could not dead-letter offset %s", msg.offset())
            return False
        return remaining == 0

    def _commit(self, msg) -> None:
        try:
            self.consumer.commit(message=msg, asynchronous=False)  # quiet: KafkaException is handled below
        except KafkaException:  # quiet: logged with the traceback; an uncommitted offset means the request comes back after the next rebalance (at-least-once)
            logger.exception("offset commit failed for %s[%s]@%s", msg.topic(), msg.partition(), msg.offset())


def main() -> None:
    consumer = ExportRequestConsumer("kafka-1:9092,kafka-2:9092", "export-requests")
    signal.signal(signal.SIGTERM, lambda *_: consumer.stop_event.set())
    try:
        consumer.run()
    except KeyboardInterrupt:  # quiet: clean shutdown at the entry point
        consumer.stop_event.set()


if __name__ == "__main__":
    main()
