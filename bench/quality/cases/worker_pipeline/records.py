"""Export bookkeeping in Postgres through SQLAlchemy.

Every function takes the caller's session: the Celery worker keeps one session per process
(``worker_export_tasks.worker_session``) and the stream consumer keeps one per consumer instance.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from exports.models import Customer, Export, ExportRow

logger = logging.getLogger(__name__)


def load_export(session: Session, export_id: int) -> Export:
    """Return the export row; raises NoResultFound when it does not exist."""
    return session.execute(select(Export).where(Export.id == export_id)).scalar_one()  # quiet: cancel_export handles NoResultFound and build_customer_export does not, so the finding belongs on the task's call line


def mark_exported(session: Session, export_id: int, url: str) -> None:
    session.execute(
        update(Export)
        .where(Export.id == export_id)
        .values(status="done", url=url, finished_at=datetime.now(timezone.utc))
    )
    session.commit()  # expect: transaction-without-rollback -- the session is the worker's long-lived one; a failed UPDATE or commit leaves it in a failed transaction, and every later task in this process fails (PendingRollbackError) until the worker restarts


def record_rows(session: Session, export_id: int, rows: list[dict]) -> int:
    """Insert the rendered rows of an export in one transaction."""
    try:
        session.add_all([ExportRow(export_id=export_id, **row) for row in rows])
        session.commit()  # quiet: the handler below rolls the shared session back and re-raises
    except SQLAlchemyError:
        session.rollback()
        raise
    return len(rows)


def schedule_webhook_retry(session: Session, export_id: int, url: str) -> None:
    """Queue a webhook notification for the retry sweeper."""
    try:
        session.execute(
            update(Export).where(Export.id == export_id).values(webhook_url=url, webhook_pending=True)
        )
        session.commit()  # quiet: the handler below rolls the caller's session back and re-raises
    except SQLAlchemyError:
        session.rollback()
        raise


def expired_exports(session: Session, before: datetime) -> list[Export]:
    return list(session.scalars(select(Export).where(Export.finished_at < before, Export.status == "done")))


def mark_purged(session: Session, export_id: int) -> None:
    try:
        session.execute(update(Export).where(Export.id == export_id).values(status="purged", url=None))
        session.commit()  # quiet: the handler below rolls the caller's session back and re-raises
    except SQLAlchemyError:
        session.rollback()
        raise


def rows_with_customer_emails(session: Session, export_id: int) -> list[tuple[int, str]]:
    """(row id, customer e-mail) for every row of an export."""
    rows = session.scalars(select(ExportRow).where(ExportRow.export_id == export_id)).all()
    result = []
    for row in rows:
        result.append((row.id, row.customer.email))  # expect: n-plus-one-query -- ExportRow.customer is a lazy relationship and the query has no selectinload, so a 50,000-row export issues 50,000 customer SELECTs
    return result


def rows_with_contacts(session: Session, export_id: int) -> list[tuple[int, str, str]]:
    """(row id, customer e-mail, contact phone) with the customers loaded up front."""
    stmt = (
        select(ExportRow)
        .options(selectinload(ExportRow.customer))
        .where(ExportRow.export_id == export_id)
    )
    result = []
    for row in session.scalars(stmt):
        phone = row.payload.get("phone", "")  # quiet: .get() on the row's JSON payload, not a query
        result.append((row.id, row.customer.email, phone))  # quiet: customer is loaded by selectinload on the outer query
    return result


def count_rows_per_customer(session: Session, export_id: int) -> dict[int, int]:
    """Row count per customer, in one GROUP BY."""
    stmt = (
        select(ExportRow.customer_id, func.count(ExportRow.id))
        .where(ExportRow.export_id == export_id)
        .group_by(ExportRow.customer_id)
    )
    return {customer_id: n for customer_id, n in session.execute(stmt)}


def active_customers(session: Session) -> list[Customer]:
    return list(session.scalars(select(Customer).where(Customer.active.is_(True))))
