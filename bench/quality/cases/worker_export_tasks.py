"""Celery tasks that build customer exports from S3 manifests, the CRM and partner feeds."""
from __future__ import annotations

import csv
import logging
import os
import tempfile
from datetime import datetime, timedelta, timezone

import requests
from celery import shared_task
from sqlalchemy.exc import NoResultFound, SQLAlchemyError

from exports.db import SessionLocal
from worker_pipeline import enrich, records
from worker_pipeline.storage import (
    ExportUploadFailed,
    delete_export_object,
    find_previous_export,
    load_manifest,
    tag_export,
    upload_export,
)

logger = logging.getLogger(__name__)

MANIFEST_BUCKET = "acme-export-manifests"
RETENTION_DAYS = 30

# One session per worker process, reused by every task the process runs.
worker_session = SessionLocal()


class PurgeIncomplete(Exception):
    def __init__(self, failed: int, total: int) -> None:
        super().__init__(f"{failed} of {total} expired exports could not be purged")
        self.failed = failed
        self.total = total


class ExportRenderFailed(Exception):
    def __init__(self, export_id: int) -> None:
        super().__init__(f"rendering export {export_id} failed")
        self.export_id = export_id


def _write_csv(export_id: int, rows: list[dict]) -> str:
    fd, path = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["customer_id", "name", "email", "region"])
            writer.writeheader()
            writer.writerows(rows)
    except BaseException as exc:  # expect: bare-except -- BaseException is translated into a domain error: a KeyboardInterrupt or SystemExit (Celery's WorkerShutdown and WorkerTerminate are SystemExit subclasses) raised while rendering becomes an ordinary ExportRenderFailed, so a shutdown request is handled as a failed export and no longer stops the process
        os.unlink(path)
        raise ExportRenderFailed(export_id) from exc
    return path


@shared_task(bind=True, max_retries=3)
def build_customer_export(self, export_id: int, manifest_key: str) -> str:
    export = records.load_export(worker_session, export_id)  # expect: unhandled-external-call -- cancel_export handles NoResultFound but this task does not: an export deleted before the task runs fails the task with a bare NoResultFound and no status on the export
    manifest = load_manifest(MANIFEST_BUCKET, manifest_key)  # expect: unhandled-external-call -- the stream consumer handles S3 errors around load_manifest, this task does not: a missing manifest or S3 throttling fails the task outright although it has a retry budget of 3
    previous = find_previous_export(export.key)  # quiet: the helper answers None for "no earlier export" and re-raises the rest on purpose
    rows = []
    for customer_id in manifest["customer_ids"]:
        profile = enrich.fetch_customer_profile(customer_id)  # quiet: no caller handles the CRM call, so it is reported once, at the helper's call
        rows.append(
            {
                "customer_id": customer_id,
                "name": profile["name"],
                "email": profile["email"],
                "region": enrich.lookup_region(profile["last_ip"]) or "",  # quiet: the helper handles every requests error (documented None)
            }
        )
    path = _write_csv(export_id, rows)
    try:
        url = upload_export(export.key, path)
    except ExportUploadFailed as exc:  # quiet: not swallowed: the task is retried
        raise self.retry(exc=exc, countdown=60 * 2 ** self.request.retries)  # quiet: Celery's retry idiom, exponential countdown capped by max_retries=3
    finally:
        os.unlink(path)
    tag_export(export.key, manifest.get("retention", "standard" if previous is None else "extended"))  # quiet: tag_export handles ClientError itself (that handler is the defect, reported in the helper); the rest is left to the caller on purpose
    records.mark_exported(worker_session, export_id, url)  # quiet: only database infrastructure failures can come out of this UPDATE, and those are not reported
    return url


@shared_task
def refresh_customer_snapshot(customer_id: str) -> dict:
    profile = enrich.fetch_customer_profile(customer_id)  # quiet: reported once, at the helper's CRM call, which no caller handles
    return {"customer_id": customer_id, "tier": profile.get("tier", "free")}  # quiet: .get() on a dict


@shared_task(bind=True, max_retries=5)
def notify_export_ready(self, export_id: int, webhook_url: str, url: str) -> int:
    try:
        return enrich.post_webhook(webhook_url, {"export_id": export_id, "url": url}, timeout=10)  # quiet: connection errors and timeouts are retried below; an error status raises HTTPError on purpose
    except (requests.ConnectionError, requests.Timeout) as exc:  # quiet: not swallowed: the task is retried with back-off
        raise self.retry(exc=exc, countdown=30 * 2 ** self.request.retries)  # quiet: Celery's retry idiom, exponential countdown capped by max_retries=5


@shared_task
def cancel_export(export_id: int) -> str:
    try:
        export = records.load_export(worker_session, export_id)  # quiet: NoResultFound is handled right below
    except NoResultFound:  # quiet: the narrow "already deleted" outcome, logged and answered as "gone"
        logger.info("export %s already deleted, nothing to cancel", export_id)  # quiet: an info line for the narrow expected "already deleted" outcome; there is no failure to diagnose
        return "gone"
    try:
        export.status = "cancelled"
        worker_session.commit()  # quiet: the handler rolls the shared session back and re-raises
    except SQLAlchemyError:
        worker_session.rollback()
        raise
    return "cancelled"


@shared_task(  # quiet: autoretry only for connection errors and timeouts, exponential back-off with jitter, capped at 5 retries
    autoretry_for=(requests.ConnectionError, requests.Timeout),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def import_partner_rows(export_id: int, partner: str, since: str) -> int:
    rows = enrich.fetch_partner_rows(partner, since)  # quiet: autoretry_for covers connection errors and timeouts of the partner feed
    return records.record_rows(worker_session, export_id, rows)


@shared_task
def attach_partner_logo(export_id: int, partner: str) -> str | None:
    """Optional decoration: exports render without the partner logo, so an unavailable logo gives None."""
    dest = os.path.join(tempfile.gettempdir(), f"export-{export_id}-{partner}.png")
    try:
        return enrich.download_partner_logo(partner, dest)  # quiet: every requests error is handled below
    except requests.RequestException:  # quiet: the logo is optional decoration; logged with the traceback and the export renders without it
        logger.warning("logo for partner %s unavailable, export %s renders without it", partner, export_id, exc_info=True)
        return None


@shared_task
def purge_expired_exports() -> int:
    cutoff = datetime.now(timezone.utc) - timedelta(days=RETENTION_DAYS)
    expired = records.expired_exports(worker_session, cutoff)  # quiet: a plain SELECT: database infrastructure failures are not reported and it has no not-found
    failed = 0
    for export in expired:
        try:
            delete_export_object(export.key)
            records.mark_purged(worker_session, export.id)  # quiet: a write per row (one UPDATE), not a read
        except Exception as exc:  # quiet: a counted failure: the task fails with PurgeIncomplete below
            failed += 1
            logger.error("purge of export %s failed: %s", export.id, exc)  # expect: lost-traceback-log -- the try covers the S3 delete and the database update; the message keeps only str(exc), so nobody can tell which of the two failed or why
    if failed:
        raise PurgeIncomplete(failed, len(expired))
    return len(expired)
