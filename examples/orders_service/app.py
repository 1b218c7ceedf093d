"""HTTP API: create, read and refund orders."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from orders_service import cache, db, settings
from orders_service.context import bind_correlation_id, current_correlation_id
from orders_service.errors import OrderNotFound, OrdersServiceError, PaymentDeclined, PaymentError
from orders_service.payments import PaymentGatewayClient
from orders_service.worker import send_receipt

logger = logging.getLogger(__name__)

app = Flask(__name__)
gateway = PaymentGatewayClient(settings.GATEWAY_URL, settings.GATEWAY_API_KEY, timeout=settings.GATEWAY_TIMEOUT)


@app.before_request
def bind_request_context():
    bind_correlation_id(request.headers.get("X-Correlation-ID"))


@app.after_request
def echo_correlation_id(response):
    response.headers["X-Correlation-ID"] = current_correlation_id()
    return response


@app.errorhandler(OrdersServiceError)
def handle_service_error(exc: OrdersServiceError):
    body = {"error": exc.code, "message": str(exc), "correlation_id": current_correlation_id()}
    return jsonify(body), exc.status_code


@app.errorhandler(Exception)
def handle_unexpected_error(exc: Exception):
    logger.error("unhandled error: %s", exc)
    return jsonify(error="internal_error", correlation_id=current_correlation_id()), 500


@app.post("/orders")
def create_order():
    body = request.get_json(silent=True) or {}
    try:
        customer_id = body["customer_id"]
        amount = int(body["amount_cents"])
        card_token = body["card_token"]
    except (KeyError, TypeError, ValueError):
        return jsonify(error="invalid_request", message="customer_id, amount_cents and card_token are required"), 400
    currency = body.get("currency", "EUR")

    order_id = str(uuid.uuid4())
    if not cache.claim_idempotency_key(request.headers.get("Idempotency-Key", order_id)):
        return jsonify(error="duplicate_request"), 409

    try:
        charge = gateway.charge(order_id, amount, currency, card_token)
    except PaymentDeclined as exc:
        return jsonify(error="payment_declined", decline_code=exc.decline_code), 402
    except PaymentError:
        logger.exception(
            "charge failed",
            extra={"correlation_id": current_correlation_id(), "order_id": order_id},
        )
        return jsonify(error="payment_unavailable", correlation_id=current_correlation_id()), 502

    order = db.Order(
        id=order_id,
        customer_id=customer_id,
        amount_cents=amount,
        currency=currency,
        status="paid",
        charge_id=charge["id"],
    )
    try:
        db.save_order(order)
    except SQLAlchemyError:
        logger.exception(
            "order not saved after a successful charge, voiding the charge",
            extra={"correlation_id": current_correlation_id(), "order_id": order_id, "charge_id": charge["id"]},
        )
        try:
            gateway.cancel(charge["id"])
        except Exception:
            pass
        return jsonify(error="order_not_saved", correlation_id=current_correlation_id()), 500

    send_receipt.delay(order_id, correlation_id=current_correlation_id())
    return jsonify(id=order_id, status=order.status), 201


@app.get("/orders/<order_id>")
def get_order(order_id: str):
    cached = cache.get_cached_order(order_id)
    if cached is not None:
        return jsonify(cached)
    order = db.load_order(order_id)
    payload = order.to_dict()
    payload["payment_status"] = gateway.get_status(order.charge_id)
    cache.cache_order(payload)
    return jsonify(payload)


@app.post("/orders/<order_id>/refund")
def refund_order(order_id: str):
    try:
        order = db.load_order(order_id)
    except OrderNotFound:
        return jsonify(error="order_not_found"), 404
    if order.status != "paid":
        return jsonify(error="not_refundable", status=order.status), 409

    amount = (request.get_json(silent=True) or {}).get("amount_cents")
    try:
        refund = gateway.refund(order.charge_id, amount)
    except PaymentError:
        logger.exception("refund failed", extra={"order_id": order_id, "charge_id": order.charge_id})
        return jsonify(error="refund_failed"), 502

    db.mark_refunded(order_id, refund["id"])
    cache.invalidate_order(order_id)
    return jsonify(id=order_id, status="refunded", refund_id=refund["id"])


@app.get("/healthz")
def healthz():
    healthy = cache.is_healthy() and db.is_healthy()
    return jsonify(status="ok" if healthy else "degraded"), 200 if healthy else 503
