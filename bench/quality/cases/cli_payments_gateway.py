"""Stripe adapter, and the nightly dunning job that charges overdue invoices with it.

The adapter is the only place that knows stripe's exceptions: callers see PaymentsError and its subclasses.

cron:  0 4 * * *  dunning        (exit status 1 when some invoices could not be settled)"""

import logging
import os
import sys
from dataclasses import dataclass

import psycopg2
import stripe
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_fixed

log = logging.getLogger("dunning")


class PaymentsError(Exception):
    """The payment provider could not do what we asked."""


class PaymentsUnavailable(PaymentsError):
    """Stripe is down, throttling us or unreachable; safe to try again on the next run."""


class PaymentDeclined(PaymentsError):
    """The card was declined; retrying will not help."""

    def __init__(self, invoice_ref: str, code: str | None):
        super().__init__(f"{invoice_ref}: card declined ({code})")
        self.code = code


class StripeGateway:
    def __init__(self, api_key: str):
        stripe.api_key = api_key
        stripe.max_network_retries = 0  # retries are decided here, not inside the SDK

    def charge(self, customer: str, amount_cents: int, currency: str, invoice_ref: str) -> str:
        """Charge the customer's default card off-session; returns the PaymentIntent id."""
        try:
            intent = stripe.PaymentIntent.create(  # quiet: every StripeError is translated below, once, for every caller
                customer=customer,
                amount=amount_cents,
                currency=currency,
                confirm=True,
                off_session=True,
                idempotency_key=f"dunning-{invoice_ref}",
            )
        except stripe.error.CardError as exc:  # quiet: typed translation
            raise PaymentDeclined(invoice_ref, exc.code) from exc  # quiet: chained
        except (stripe.error.APIConnectionError, stripe.error.RateLimitError) as exc:  # quiet: typed translation (its raise is the defect)
            raise PaymentsUnavailable(f"stripe unavailable for {invoice_ref}: {exc}")  # expect: unchained-translation -- raised without `from exc`: the stripe error (its request id, the 429 or the connection failure underneath) is not the cause of PaymentsUnavailable, so the dunning log's traceback reads as a crash during handling and the request id support asks for is gone
        except stripe.error.StripeError as exc:  # quiet: typed translation
            raise PaymentsError(f"stripe rejected the charge for {invoice_ref}: {exc}") from exc  # quiet: chained
        return intent.id

    def refund(self, payment_intent: str, amount_cents: int | None = None) -> str:
        """Refund a charge (all of it unless ``amount_cents``); returns the refund id."""
        try:
            refund = self._create_refund(payment_intent, amount_cents)
        except stripe.error.StripeError as exc:  # quiet: typed translation
            raise PaymentsError(f"refund of {payment_intent} failed: {exc}") from exc  # quiet: chained
        return refund.id

    @retry(wait=wait_fixed(2), stop=stop_after_attempt(4), reraise=True)  # expect: naive-retry -- a fixed 2 s wait and no retry filter around a non-idempotent call: a refund whose response timed out is sent again without an idempotency key (the customer is refunded twice), and InvalidRequestError ("already refunded") is retried three more times
    def _create_refund(self, payment_intent: str, amount_cents: int | None):
        return stripe.Refund.create(payment_intent=payment_intent, amount=amount_cents)  # quiet: refund() translates every StripeError this raises

    def intent_status(self, payment_intent: str) -> str:
        """The PaymentIntent's status, e.g. 'succeeded' or 'requires_action'."""
        try:
            return self._retrieve_intent(payment_intent).status
        except stripe.error.StripeError as exc:  # quiet: typed translation
            raise PaymentsError(f"cannot read {payment_intent}: {exc}") from exc  # quiet: chained

    @retry(  # quiet: an attempt cap, exponential wait and a retryable-only filter around an idempotent read
        retry=retry_if_exception_type((stripe.error.APIConnectionError, stripe.error.RateLimitError)),
        wait=wait_exponential(multiplier=0.5, max=8),
        stop=stop_after_attempt(4),
        reraise=True,
    )
    def _retrieve_intent(self, payment_intent: str):
        return stripe.PaymentIntent.retrieve(payment_intent)  # quiet: intent_status() translates every StripeError this raises


@dataclass
class Overdue:
    invoice_id: int
    stripe_customer: str
    amount_cents: int
    currency: str


class InvoiceStore:
    """The billing database: one connection for the whole dunning run (psycopg2)."""

    def __init__(self, dsn: str):
        self.conn = psycopg2.connect(dsn, connect_timeout=10)

    def overdue(self) -> list[Overdue]:
        with self.conn.cursor() as cur:
            cur.execute("SELECT id, customer_id, amount_cents, currency FROM invoices WHERE status = 'overdue' ORDER BY due_at")
            invoices = cur.fetchall()
            result = []
            for invoice_id, customer_id, amount, currency in invoices:
                cur.execute("SELECT stripe_customer_id FROM customers WHERE id = %s", (customer_id,))  # expect: n-plus-one-query -- one customer query per overdue invoice: after a failed card-network day that is tens of thousands of round trips before the first charge; a JOIN in the invoice query does it in one
                (stripe_customer,) = cur.fetchone()
                result.append(Overdue(invoice_id, stripe_customer, amount, currency))
        return result

    def mark_paid(self, invoice_id: int, intent_id: str) -> None:
        with self.conn.cursor() as cur:
            cur.execute("UPDATE invoices SET status = 'paid', payment_ref = %s WHERE id = %s", (intent_id, invoice_id))
            cur.execute(
                "INSERT INTO payment_events (invoice_id, kind, ref) VALUES (%s, 'charged', %s)", (invoice_id, intent_id)
            )
        self.conn.commit()  # expect: transaction-without-rollback -- the store's connection lives for the whole run: when the payment_events insert fails (a ref already recorded) nothing rolls back, the dunning loop counts it and moves on, and every later invoice, already charged at Stripe, fails to be marked paid with "current transaction is aborted": those invoices stay overdue although Stripe charged them, and a later run charges the customers again

    def mark_declined(self, invoice_id: int, code: str | None) -> None:
        try:
            with self.conn.cursor() as cur:
                cur.execute("UPDATE invoices SET status = 'declined', decline_code = %s WHERE id = %s", (code, invoice_id))
            self.conn.commit()  # quiet: the handler below rolls back before re-raising
        except psycopg2.Error:  # quiet: rolls back and re-raises, nothing is swallowed
            self.conn.rollback()
            raise


def collect_overdue(store: InvoiceStore, gateway: StripeGateway) -> int:
    """Charge every overdue invoice; returns how many could not be settled."""
    failed = 0
    for inv in store.overdue():
        try:
            intent_id = gateway.charge(inv.stripe_customer, inv.amount_cents, inv.currency, f"inv-{inv.invoice_id}")  # quiet: the adapter translated stripe's errors, and every kind is handled below
        except PaymentDeclined as exc:  # quiet: an explicit outcome, recorded on the invoice
            store.mark_declined(inv.invoice_id, exc.code)
            continue
        except PaymentsError:  # quiet: a counted failure logged with the traceback; the invoice stays overdue for the next run
            log.warning("invoice %s not charged", inv.invoice_id, exc_info=True)
            failed += 1
            continue
        try:
            store.mark_paid(inv.invoice_id, intent_id)
        except psycopg2.DatabaseError:  # quiet: a counted failure logged with the traceback (the missing rollback is the commit line's defect)
            log.exception("invoice %s charged as %s but not marked paid", inv.invoice_id, intent_id)
            failed += 1
    return failed


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s dunning %(levelname)s %(message)s")
    store = InvoiceStore(os.environ["BILLING_DSN"])
    gateway = StripeGateway(os.environ["STRIPE_API_KEY"])
    failed = collect_overdue(store, gateway)
    log.info("dunning run finished, %d invoices not settled", failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())  # quiet: the __main__ block is not a second boundary: whatever main() lets escape is reported once, inside main()
