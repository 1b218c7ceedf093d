"""Writes of the carrier-import and export jobs against the reporting database (psycopg 3).

The connection belongs to the calling job for its whole run; each helper decides where its transaction ends."""

import logging
from typing import Iterable

import psycopg
from psycopg.rows import dict_row

logger = logging.getLogger(__name__)

UPSERT_SHIPMENT = """
    INSERT INTO shipments (tracking_no, carrier, status, event_at, weight_g)
    VALUES (%(tracking_no)s, %(carrier)s, %(status)s, %(event_at)s, %(weight_g)s)
    ON CONFLICT (tracking_no) DO UPDATE
       SET status = EXCLUDED.status, event_at = EXCLUDED.event_at, weight_g = EXCLUDED.weight_g
     WHERE shipments.event_at < EXCLUDED.event_at
"""


def connect(dsn: str) -> psycopg.Connection:
    """A connection for one job run (not autocommit)."""
    return psycopg.connect(dsn, connect_timeout=10, row_factory=dict_row)


def already_imported(conn: psycopg.Connection, names: list[str]) -> set[str]:
    """Which of ``names`` are in imported_files already (one query for the whole drop)."""
    rows = conn.execute("SELECT name FROM imported_files WHERE name = ANY(%s)", (names,)).fetchall()
    return {row["name"] for row in rows}


def upsert_shipments(conn: psycopg.Connection, rows: Iterable[dict]) -> int:
    """Insert or update one carrier file's shipments; returns how many rows were written."""
    written = 0
    with conn.cursor() as cur:
        for row in rows:
            cur.execute(UPSERT_SHIPMENT, row)  # quiet: a write per parsed CSV row, not a read per row of another query
            written += cur.rowcount
    conn.commit()  # expect: transaction-without-rollback -- the connection is the import job's for its whole run: one bad row (a weight out of range) aborts the transaction and nothing rolls it back, so the job's per-file handler moves on and every later file fails with "current transaction is aborted"
    logger.debug("upserted %d shipments", written)
    return written


def mark_exported(conn: psycopg.Connection, invoice_ids: list[int], batch: str) -> None:
    """Flag invoices as exported in ``batch``; the caller's connection is left clean whatever happens."""
    try:
        conn.execute("UPDATE invoices SET exported_batch = %s WHERE id = ANY(%s)", (batch, invoice_ids))
        conn.commit()  # quiet: the handler below rolls back before re-raising, so the caller's connection is never left aborted
    except psycopg.Error:  # quiet: rolls back and re-raises, nothing is swallowed
        conn.rollback()
        raise


def record_run(conn: psycopg.Connection, job: str, ok: int, failed: int) -> None:
    """Append the run's outcome to job_runs."""
    with conn.transaction():
        conn.execute(  # quiet: inside conn.transaction(), which commits or rolls back by itself
            "INSERT INTO job_runs (job, finished_at, ok, failed) VALUES (%s, now(), %s, %s)",
            (job, ok, failed),
        )
