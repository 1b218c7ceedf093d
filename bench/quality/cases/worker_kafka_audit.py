"""kafka-python consumer that stores audit events in Postgres and keeps per-tenant counters in Redis."""
from __future__ import annotations

import json
import logging
import signal
import time
from datetime import datetime, timedelta, timezone

import redis
from kafka import KafkaConsumer
from kafka.errors import CommitFailedError, KafkaError
from redis.exceptions import RedisError
from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError

from audit.db import SessionLocal
from audit.models import AuditEvent, Tenant

logger = logging.getLogger(__name__)

TOPIC = "audit.events"
BROKERS = ["kafka-1:9092", "kafka-2:9092"]

counters = redis.Redis.from_url("redis://counters:6379/0", socket_timeout=1, socket_connect_timeout=1)  # quiet: socket and connect timeouts are set
session = SessionLocal()  # the consumer's session, reused for every event
running = True


def _stop(signum, frame) -> None:
    global running
    running = False


def bump_counter(tenant_id: str) -> None:
    """Dashboard counters are approximate by design; a lost increment is acceptable."""
    try:
        counters.hincrby(f"tenant:{tenant_id}", "events", 1)  # quiet: RedisError is handled below
    except RedisError:  # quiet: a best-effort metric, logged with the traceback
        logger.warning("counter update for tenant %s failed", tenant_id, exc_info=True)


def handle(record) -> None:
    event = json.loads(record.value)
    tenant = session.get(Tenant, event["tenant_id"])  # expect: unhandled-external-call -- an event for an unknown tenant gets None back and the attribute access below raises AttributeError out of the poll loop, so one stray event stops the audit consumer
    expires_at = datetime.now(timezone.utc) + timedelta(days=tenant.retention_days)
    try:
        session.add(AuditEvent(tenant_id=tenant.id, actor=event["actor"], action=event["action"], expires_at=expires_at))
        session.commit()  # expect: transaction-without-rollback -- the handler never rolls the module-level session back: after one failed commit it stays in a failed transaction, and the very next event raises PendingRollbackError at session.get, out of the poll loop
    except SQLAlchemyError:  # expect: silent-except -- logs and returns normally, and consume() then commits the offset: the audit event is gone from the trail for good although the log says it failed
        logger.exception("could not store audit event at offset %s", record.offset)
        return
    bump_counter(tenant.id)


def purge_expired() -> int:
    with SessionLocal() as purge_session, purge_session.begin():  # quiet: session.begin() commits on success and rolls back on error; the session is the function's own
        result = purge_session.execute(delete(AuditEvent).where(AuditEvent.expires_at < datetime.now(timezone.utc)))
    return result.rowcount


def consume(consumer: KafkaConsumer) -> None:
    delay = 1
    while running:  # quiet: a consumer poll loop driven by a stop flag, with capped exponential back-off on broker errors
        try:
            batches = consumer.poll(timeout_ms=1000, max_records=200)  # quiet: KafkaError is handled below
        except KafkaError:  # quiet: logged with the traceback, then the loop backs off (capped at 60 s) and polls again
            logger.exception("poll of %s failed; backing off %s s", TOPIC, delay)
            time.sleep(delay)
            delay = min(delay * 2, 60)
            continue
        delay = 1
        for records in batches.values():
            for record in records:
                handle(record)
        if not batches:
            continue
        try:
            consumer.commit()  # quiet: CommitFailedError is handled below
        except CommitFailedError:  # quiet: logged with the traceback; after the rebalance the uncommitted batch is redelivered to the new owner
            logger.exception("offset commit failed after a rebalance; the batch will be redelivered")


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    consumer = KafkaConsumer(TOPIC, bootstrap_servers=BROKERS, group_id="audit-writer", enable_auto_commit=False)  # quiet: start-up in main(), which handles none of its own failures: unreachable brokers fail the start with NoBrokersAvailable, its traceback and a non-zero exit
    try:
        consume(consumer)  # quiet: consume() handles poll and commit failures itself; the one unhandled path (session.get) is reported at its call
    except KeyboardInterrupt:  # quiet: clean shutdown at the entry point
        logger.info("audit consumer interrupted")
    finally:
        consumer.close()
        session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())  # quiet: nothing new to report at the entry point; each failure is reported where it arises
