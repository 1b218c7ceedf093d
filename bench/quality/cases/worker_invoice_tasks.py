"""Celery tasks that push invoices to the ledger, e-mail them and reconcile customer balances."""
from __future__ import annotations

import logging

import requests
from celery import chord, shared_task
from kombu.exceptions import OperationalError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from billing.db import SessionLocal
from billing.models import Invoice, InvoiceLine
from billing.pdf import render_invoice_pdf

logger = logging.getLogger(__name__)

LEDGER_URL = "https://ledger.internal/api/v2"
MAILER_URL = "https://mailer.internal/v1/send"

# One session for the life of the worker process; Celery runs many tasks in the same process.
worker_session = SessionLocal()


class InvoiceDeliveryRejected(Exception):
    def __init__(self, recipient: str, status: int) -> None:
        super().__init__(f"mailer rejected invoice for {recipient} with HTTP {status}")
        self.recipient = recipient
        self.status = status


@shared_task(  # quiet: autoretry only for connection errors and timeouts, exponential back-off with jitter, at most 5 retries
    autoretry_for=(requests.ConnectionError, requests.Timeout),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def push_invoice_to_ledger(invoice_id: int) -> str | None:
    invoice = worker_session.get(Invoice, invoice_id)  # quiet: the not-found case (None) is checked before any attribute use
    if invoice is None:
        logger.warning("invoice %s no longer exists, skipping ledger push", invoice_id)
        return None
    resp = requests.post(f"{LEDGER_URL}/entries", json=invoice.to_ledger_entry(), timeout=10)  # quiet: a timeout is set and autoretry_for covers connection errors and timeouts
    resp.raise_for_status()
    entry = resp.json()  # quiet: raise_for_status() runs before the body is read
    invoice.ledger_entry_id = entry["id"]
    worker_session.commit()  # expect: transaction-without-rollback -- worker_session serves every task in the process: a failed flush here (say a unique violation on ledger_entry_id) leaves it in a failed transaction and every later task dies with PendingRollbackError until the worker restarts
    return entry["id"]


@shared_task(bind=True, max_retries=4)
def email_invoice(self, invoice_id: int, recipient: str) -> None:
    pdf = render_invoice_pdf(invoice_id)
    try:
        resp = requests.post(  # quiet: a timeout is set and every requests error is handled below
            MAILER_URL,
            data={"to": recipient, "subject": f"Invoice {invoice_id}"},
            files={"attachment": (f"invoice-{invoice_id}.pdf", pdf, "application/pdf")},
            timeout=15,
        )
        resp.raise_for_status()
    except (requests.ConnectionError, requests.Timeout) as exc:  # quiet: not swallowed: the task is retried with back-off
        raise self.retry(exc=exc, countdown=30 * 2 ** self.request.retries)  # quiet: Celery's retry idiom, exponential countdown capped by max_retries=4
    except requests.HTTPError as exc:
        if exc.response.status_code == 429 or exc.response.status_code >= 500:
            raise self.retry(exc=exc, countdown=60 * 2 ** self.request.retries)  # quiet: Celery's retry idiom, only for 429 and 5xx
        raise InvoiceDeliveryRejected(recipient, exc.response.status_code)  # expect: unchained-translation -- no `from exc`: the mailer's HTTPError (and its response) is kept only as implicit context, so __cause__ is None and the failed task reads "During handling of the above exception, another exception occurred" instead of a deliberate translation of the rejection


@shared_task
def reconcile_customer(customer_id: int) -> dict[int, int]:
    """Open balance per invoice of one customer, in cents."""
    with SessionLocal() as session:
        invoices = session.scalars(
            select(Invoice).where(Invoice.customer_id == customer_id, Invoice.status == "open")
        ).all()
        balances = {}
        for invoice in invoices:
            lines = session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()  # expect: n-plus-one-query -- one SELECT of invoice lines per open invoice; a customer with 3,000 open invoices costs 3,001 round trips per reconciliation
            balances[invoice.id] = sum(line.amount_cents for line in lines) - invoice.paid_cents  # quiet: paid_cents is a column of the invoice row already loaded, not a lazy relationship
    return balances


@shared_task
def overdue_summary() -> list[dict]:
    with SessionLocal() as session:
        stmt = (
            select(Invoice)
            .options(selectinload(Invoice.lines), selectinload(Invoice.customer))
            .where(Invoice.status == "overdue")
        )
        summary = []
        for invoice in session.scalars(stmt):
            summary.append(
                {
                    "invoice": invoice.id,
                    "customer": invoice.customer.email,  # quiet: customer is loaded by selectinload on the outer query
                    "lines": len(invoice.lines),  # quiet: lines are loaded by selectinload on the outer query
                }
            )
    return summary


@shared_task(autoretry_for=(Exception,), max_retries=None)  # expect: naive-retry -- retries every exception forever at Celery's fixed 180 s default delay, including the ledger's 400/422 answers for a malformed batch, which can never succeed
def publish_reconciliation(balances: list[dict[int, int]]) -> None:
    merged = {invoice_id: cents for part in balances for invoice_id, cents in part.items()}
    resp = requests.post(f"{LEDGER_URL}/reconciliations", json={"balances": merged})  # expect: missing-timeout -- no timeout: a ledger that stops answering holds this worker slot until the hard time limit kills it
    resp.raise_for_status()


@shared_task(bind=True, max_retries=3)
def reconcile_all(self, customer_ids: list[int]) -> None:
    header = [reconcile_customer.s(customer_id) for customer_id in customer_ids]
    try:
        chord(header)(publish_reconciliation.s())  # quiet: a broker that cannot take the chord raises kombu's OperationalError, which is retried below
    except OperationalError as exc:  # quiet: not swallowed: the task is retried with back-off
        raise self.retry(exc=exc, countdown=120 * 2 ** self.request.retries)  # quiet: Celery's retry idiom, exponential countdown capped by max_retries=3
