"""Poller that mirrors customer preferences from DynamoDB into the reporting Postgres and audits each change."""
from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timezone

import boto3
import psycopg2
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import BotoCoreError, ClientError

from reporting.normalise import normalise_preferences

logger = logging.getLogger(__name__)

dynamodb = boto3.resource("dynamodb")
prefs_table = dynamodb.Table("customer-preferences")
audit_table = dynamodb.Table("preference-audit")

# One connection for the life of the poller process.
pg = psycopg2.connect(os.environ["REPORTING_DSN"], connect_timeout=5)


class PreferencesUnavailable(Exception):
    """The preferences table could not be read."""


class AuditWriteFailed(Exception):
    pass


def fetch_dirty_page(start_key: dict | None) -> dict:
    scan_kwargs = {"FilterExpression": Attr("dirty").eq(True), "Limit": 200}
    if start_key:
        scan_kwargs["ExclusiveStartKey"] = start_key
    try:
        return prefs_table.scan(**scan_kwargs)  # quiet: every botocore error is translated below, and botocore's default timeouts bound the call
    except ClientError as exc:
        raise PreferencesUnavailable(exc.response["Error"]["Code"])  # expect: unchained-translation -- no `from exc`: the ClientError survives only as implicit context, so __cause__ is None and the poller's log reads "during handling of the above exception, another exception occurred", as if the handler itself had crashed
    except BotoCoreError as exc:
        raise PreferencesUnavailable(type(exc).__name__) from exc  # quiet: chained with `from exc`


def upsert_preferences(customer_id: str, prefs: dict) -> None:
    with pg.cursor() as cur:
        cur.execute(
            "INSERT INTO customer_prefs (customer_id, locale, marketing_opt_in) VALUES (%s, %s, %s) "
            "ON CONFLICT (customer_id) DO UPDATE SET locale = EXCLUDED.locale, marketing_opt_in = EXCLUDED.marketing_opt_in",
            (customer_id, prefs["locale"], prefs["marketing_opt_in"]),
        )
    pg.commit()  # expect: transaction-without-rollback -- `with pg.cursor()` only closes the cursor: after one failed INSERT the module-level connection stays in an aborted transaction, and every later upsert fails with InFailedSqlTransaction until something rolls it back


def save_checkpoint(position: str) -> None:
    with pg:  # quiet: psycopg2's connection context commits on success and rolls back on error
        with pg.cursor() as cur:
            cur.execute("UPDATE sync_checkpoints SET position = %s WHERE name = 'preferences'", (position,))


def write_audit(entry: dict) -> None:
    for attempt in range(5):  # expect: naive-retry -- five back-to-back attempts with no pause: a throttled audit table is hit again within milliseconds, and AccessDenied or ValidationException, which can never succeed, are retried just the same
        try:
            audit_table.put_item(Item=entry, ConditionExpression=Attr("event_id").not_exists())  # quiet: ClientError is handled by the retry loop
            return
        except ClientError as exc:  # quiet: a duplicate is the narrow "already audited" outcome; every other error is retried by the loop
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return
            logger.warning("audit write for %s failed (attempt %d)", entry["event_id"], attempt + 1, exc_info=True)
    raise AuditWriteFailed(entry["event_id"])


def poll(stop: threading.Event) -> None:
    start_key = None
    failures = 0
    while not stop.is_set():  # quiet: a poller driven by a stop event, with capped exponential back-off on DynamoDB errors
        try:
            page = fetch_dirty_page(start_key)
        except PreferencesUnavailable:  # quiet: logged with the traceback, then the poller backs off (capped at 120 s)
            failures += 1
            logger.exception("preference scan failed; backing off")
            stop.wait(min(2 ** failures, 120))
            continue
        failures = 0
        synced = failed = 0
        for item in page["Items"]:
            try:
                prefs = normalise_preferences(item)
                upsert_preferences(item["customer_id"], prefs)  # quiet: a write per item of a DynamoDB page, not a read per row of another query
                write_audit({"event_id": f"{item['customer_id']}:{item['version']}", "customer_id": item["customer_id"]})
                prefs_table.update_item(  # quiet: its errors are caught by the handler below (counted, item stays dirty)
                    Key={"customer_id": item["customer_id"]},
                    UpdateExpression="SET dirty = :clean",
                    ConditionExpression=Attr("version").eq(item["version"]),
                    ExpressionAttributeValues={":clean": False},
                )
                synced += 1
            except Exception as exc:  # quiet: a counted failure, reported per page below; the item stays dirty and is picked up again
                failed += 1
                logger.error("sync of customer %s failed: %s", item.get("customer_id"), exc)  # expect: lost-traceback-log -- the try covers normalisation, the Postgres upsert, the audit write and the DynamoDB update; str(exc) alone ("'locale'" or "current transaction is aborted") says neither which step failed nor where
        if failed:
            logger.error("preference sync page: %d synced, %d failed", synced, failed)
        start_key = page.get("LastEvaluatedKey")
        if start_key is None:
            save_checkpoint(datetime.now(timezone.utc).isoformat())
            stop.wait(30)


def main() -> int:
    stop = threading.Event()
    try:
        poll(stop)
    except KeyboardInterrupt:  # quiet: clean shutdown at the entry point
        stop.set()
    finally:
        pg.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
