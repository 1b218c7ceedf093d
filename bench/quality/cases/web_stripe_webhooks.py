"""Stripe integration (Flask blueprint): PaymentIntents for checkout, captures, refunds and the
webhook receivers of the platform account and of connected accounts.

Stripe redelivers an event for up to three days while the endpoint answers non-2xx, so a
receiver may answer 2xx only once the event has been applied.
"""
import logging
import os
import time

import stripe
from flask import Blueprint, jsonify, request
from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker

from payments.models import Merchant, Order, ProcessedEvent

logger = logging.getLogger(__name__)
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
CONNECT_WEBHOOK_SECRET = os.environ["STRIPE_CONNECT_WEBHOOK_SECRET"]
engine = create_engine(os.environ["PAYMENTS_DATABASE_URL"], pool_pre_ping=True)
SessionLocal = sessionmaker(engine)
bp = Blueprint("stripe", __name__)


class PaymentProviderError(Exception):
    status = 502


@bp.errorhandler(PaymentProviderError)
def payment_provider_error(exc):
    return jsonify(error=str(exc)), exc.status


def _mark_paid(session, intent: dict) -> None:
    order = session.scalars(select(Order).where(Order.payment_intent_id == intent["id"])).one()  # quiet: NoResultFound is caught by the webhook's except Exception (the swallow there is the finding)
    order.status = "paid"
    order.paid_cents = intent["amount_received"]


def _mark_refunded(session, charge: dict) -> None:
    refunds = stripe.Refund.list(charge=charge["id"], limit=100)  # quiet: StripeError is caught by the webhook's except Exception (the swallow there is the finding)
    order = session.scalars(select(Order).where(Order.payment_intent_id == charge["payment_intent"])).one()
    order.refunded_cents = sum(r["amount"] for r in refunds.auto_paging_iter() if r["status"] == "succeeded")


HANDLERS = {"payment_intent.succeeded": _mark_paid, "charge.refunded": _mark_refunded}


@bp.post("/webhooks/stripe")
def stripe_webhook():
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature", ""), WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):  # quiet: a forged or malformed payload is answered 400; there is nothing to apply or redeliver
        logger.warning("rejected a Stripe webhook with an invalid signature")
        return "", 400
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return "", 200
    try:
        with SessionLocal.begin() as session:
            if session.get(ProcessedEvent, event["id"]) is not None:  # quiet: a None check, no attribute read: a known id means this delivery was already applied
                return "", 200
            handler(session, event["data"]["object"])
            session.add(ProcessedEvent(id=event["id"], type=event["type"]))
    except Exception:  # expect: silent-except -- the event failed to apply but the receiver still answers 200: Stripe marks it delivered and never redelivers, so the paid order stays unpaid
        logger.exception("Stripe event %s (%s) could not be applied", event["id"], event["type"])  # quiet: the swallow is reported once, on the except line
    return "", 200


@bp.post("/webhooks/stripe/connect")
def stripe_connect_webhook():
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature", ""), CONNECT_WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):  # quiet: answered 400, the right answer to a payload that is not from Stripe
        return "", 400
    if event["type"] != "account.updated":
        return "", 200
    account = event["data"]["object"]
    try:
        with SessionLocal.begin() as session:
            merchant = session.scalars(select(Merchant).where(Merchant.stripe_account_id == account["id"])).one()  # quiet: NoResultFound is logged and answered 500 below, so Stripe redelivers
            merchant.payouts_enabled = account["payouts_enabled"]
    except Exception:  # quiet: logged with the traceback and answered 500, so Stripe redelivers the event
        logger.exception("Connect event %s could not be applied", event["id"])
        return "", 500
    return "", 200


@bp.post("/checkout/<int:order_id>/payment-intent")
def create_payment_intent(order_id):
    with SessionLocal() as session:
        order = session.get(Order, order_id)  # quiet: None is answered 404 before any attribute is read
        if order is None:
            return jsonify(error="order not found"), 404
        intent = stripe.PaymentIntent.create(  # expect: unhandled-external-call -- a Stripe outage, a rate limit or a revoked key raises StripeError and nothing in this blueprint handles it: the shopper gets a bare 500 instead of "payment provider unavailable"
            amount=order.total_cents,
            currency=order.currency,
            metadata={"order_id": order.id},
            idempotency_key=f"order-{order.id}-intent",
        )
        order.payment_intent_id = intent["id"]
        session.commit()  # quiet: the session is opened and closed by this function; closing it rolls back a failed commit
    return jsonify(client_secret=intent["client_secret"])


@bp.post("/orders/<int:order_id>/capture")
def capture_payment(order_id):
    with SessionLocal() as session:
        order = session.get(Order, order_id)  # quiet: None is answered 404 before any attribute is read
        if order is None:
            return jsonify(error="order not found"), 404
        try:
            intent = stripe.PaymentIntent.capture(order.payment_intent_id, idempotency_key=f"capture-{order.id}")
        except stripe.error.StripeError as exc:
            raise PaymentProviderError(f"capture of {order.payment_intent_id} failed: {exc.user_message or 'provider error'}")  # expect: unchained-translation -- raised without from: the StripeError (its type, HTTP status and request id) is not chained as the cause, so whatever reports this 502 cannot say what Stripe answered or find the request in the Stripe dashboard
        order.status = "captured"
        session.commit()  # quiet: the session is opened and closed by this function; closing it rolls back a failed commit
    return jsonify(status=intent["status"])


@bp.post("/orders/<int:order_id>/refund")
def refund_order(order_id):
    with SessionLocal() as session:
        order = session.get(Order, order_id)  # quiet: None is answered 404 before any attribute is read
        if order is None:
            return jsonify(error="order not found"), 404
        intent_id = order.payment_intent_id
    for attempt in range(4):  # expect: naive-retry -- retries every StripeError, including InvalidRequestError (already refunded) and AuthenticationError that can never succeed, with a constant 2 s pause that holds the request worker for 8 s
        try:
            refund = stripe.Refund.create(payment_intent=intent_id, idempotency_key=f"refund-{order_id}")  # quiet: every StripeError is caught by the loop and ends in a 502
            break
        except stripe.error.StripeError:  # quiet: the handler of a retry loop that retries; the loop is the finding
            logger.warning("refund attempt %d for order %s failed", attempt + 1, order_id, exc_info=True)
            time.sleep(2)
    else:
        return jsonify(error="refund failed"), 502
    return jsonify(refund_id=refund["id"], status=refund["status"])
