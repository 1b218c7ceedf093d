"""Checkout API of the payments edge (FastAPI, async SQLAlchemy).

Every error record written in a handler carries the request's correlation_id, so support
can follow one checkout across the gateway, this service and the PSP.
"""
import asyncio
import logging
import uuid
from typing import Optional

import httpx
from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import NoResultFound
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from checkout.models import Cart, Payment

logger = logging.getLogger(__name__)
engine = create_async_engine("postgresql+asyncpg://checkout@checkout-db/checkout", pool_pre_ping=True)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
psp = httpx.AsyncClient(base_url="https://psp.example.com/v2", timeout=httpx.Timeout(10.0, connect=3.0))
fraud = httpx.AsyncClient(base_url="https://fraud.internal.example", timeout=1.5)
app = FastAPI()


class PaymentServiceError(Exception):
    def __init__(self, message: str, correlation_id: str, status: int = 502):
        super().__init__(message)
        self.correlation_id = correlation_id
        self.status = status


async def payment_service_error(request: Request, exc: PaymentServiceError) -> JSONResponse:
    return JSONResponse({"error": str(exc), "correlation_id": exc.correlation_id}, status_code=exc.status)


app.add_exception_handler(PaymentServiceError, payment_service_error)


async def get_db():
    async with SessionLocal() as session:
        yield session


def correlation_id(x_correlation_id: str = Header(default="")) -> str:
    return x_correlation_id or uuid.uuid4().hex


async def _fraud_score(cart_id: int, amount_cents: int, cid: str) -> Optional[float]:
    """Fraud score in [0, 1], or None when the fraud service cannot answer (the caller answers 503)."""
    try:
        resp = await fraud.post("/score", json={"cart_id": cart_id, "amount_cents": amount_cents})
        resp.raise_for_status()
    except httpx.HTTPError:  # quiet: the documented None result, logged with the traceback; pay() turns it into a 503
        logger.warning("fraud score unavailable for cart %s", cart_id, exc_info=True, extra={"correlation_id": cid})  # quiet: the record carries correlation_id
        return None
    return resp.json()["score"]  # quiet: raise_for_status ran before the read


@app.post("/carts/{cart_id}/pay")
async def pay(cart_id: int, db: AsyncSession = Depends(get_db), cid: str = Depends(correlation_id)):
    cart = await db.get(Cart, cart_id)  # quiet: None is answered 404 before any attribute is read
    if cart is None:
        raise HTTPException(status_code=404, detail="unknown cart")
    score = await _fraud_score(cart.id, cart.total_cents, cid)
    if score is None:
        raise HTTPException(status_code=503, detail="fraud check unavailable, try again")
    if score > 0.9:
        logger.warning("cart %s refused with fraud score %.2f", cart.id, score)  # quiet: not in an except block; the required fields apply to logs in handlers
        raise HTTPException(status_code=422, detail="payment refused")
    try:
        resp = await psp.post(  # quiet: both transport and status errors are logged and translated into PaymentServiceError below
            "/payments",
            json={"amount_cents": cart.total_cents, "currency": cart.currency, "token": cart.payment_token},
            headers={"Idempotency-Key": f"cart-{cart.id}"},
        )
        resp.raise_for_status()
    except httpx.HTTPStatusError as exc:
        logger.error("PSP refused payment for cart %s: %s", cart.id, exc.response.text, extra={"cart_id": cart.id})  # expect: log-missing-context -- the record has the cart id and the PSP's answer but no correlation_id: support searching the shopper's correlation id never finds why the payment was refused
        raise PaymentServiceError("payment refused by the provider", cid, status=402 if exc.response.status_code == 402 else 502) from exc
    except httpx.TransportError as exc:
        logger.exception("PSP unreachable for cart %s", cart.id, extra={"correlation_id": cid, "cart_id": cart.id})  # quiet: the record carries correlation_id
        raise PaymentServiceError("payment provider unreachable", cid) from exc
    db.add(Payment(cart_id=cart.id, psp_reference=resp.json()["reference"], amount_cents=cart.total_cents))  # quiet: raise_for_status ran before the read
    cart.status = "paid"
    await db.commit()  # expect: transaction-without-rollback -- the AsyncSession comes from Depends(get_db) and outlives this function: a failed commit leaves it in a failed transaction with no rollback path, for everything after it in the request
    return {"cart_id": cart.id, "status": "paid"}


@app.post("/payments/{payment_id}/refund")
async def refund(payment_id: int, db: AsyncSession = Depends(get_db), cid: str = Depends(correlation_id)):
    try:
        payment = (await db.execute(select(Payment).where(Payment.id == payment_id))).scalar_one()  # quiet: NoResultFound is answered 404 below
    except NoResultFound:
        raise HTTPException(status_code=404, detail="unknown payment") from None  # quiet: from None on purpose: a missing row needs no cause
    try:
        resp = await asyncio.wait_for(
            psp.post(f"/payments/{payment.psp_reference}/refunds", json={"amount_cents": payment.amount_cents}),
            timeout=15,
        )
        resp.raise_for_status()
    except httpx.HTTPError as exc:
        logger.exception("refund of payment %s failed", payment.id, extra={"payment_id": payment.id, "service": "psp"})  # expect: log-missing-context -- payment id and service but no correlation_id: the refund failure cannot be tied to the support ticket's request
        raise PaymentServiceError("refund failed", cid) from exc
    except (asyncio.TimeoutError, asyncio.CancelledError) as exc:  # expect: bare-except -- also catches CancelledError: when the shopper disconnects or the server shuts down, the cancellation becomes a PaymentServiceError answered 502 instead of stopping the request
        logger.exception("refund of payment %s timed out", payment.id, extra={"correlation_id": cid})  # quiet: the record carries correlation_id
        raise PaymentServiceError("refund timed out", cid, status=504) from exc
    payment.refund_reference = resp.json()["refund_id"]  # quiet: raise_for_status ran before the read
    try:
        await db.commit()  # quiet: the handler rolls back and re-raises
    except Exception:  # quiet: rollback, log with correlation_id, bare raise
        await db.rollback()
        logger.exception("refund of payment %s not recorded", payment.id, extra={"correlation_id": cid})  # quiet: the record carries correlation_id
        raise
    return {"payment_id": payment.id, "refund": payment.refund_reference}


@app.get("/carts/{cart_id}/payment-status")
async def payment_status(cart_id: int, db: AsyncSession = Depends(get_db), cid: str = Depends(correlation_id)):
    log_ctx = {"correlation_id": cid, "cart_id": cart_id}
    payment = (await db.execute(select(Payment).where(Payment.cart_id == cart_id))).scalar_one_or_none()  # quiet: scalar_one_or_none has no not-found error; None is answered below
    if payment is None:
        return {"cart_id": cart_id, "status": "unpaid"}
    try:
        resp = await psp.get(f"/payments/{payment.psp_reference}")
        resp.raise_for_status()
    except httpx.HTTPError as exc:
        logger.warning("PSP status lookup failed", exc_info=True, extra=log_ctx)  # quiet: the extra dict built above carries correlation_id
        raise PaymentServiceError("payment status unavailable", cid, status=503) from exc
    return {"cart_id": cart_id, "status": resp.json()["status"]}  # quiet: raise_for_status ran before the read


@app.post("/psp/notifications")
async def psp_notification(request: Request, db: AsyncSession = Depends(get_db), cid: str = Depends(correlation_id)):
    """The PSP retries a notification until it gets a 2xx."""
    note = await request.json()
    try:
        payment = (await db.execute(select(Payment).where(Payment.psp_reference == note["reference"]))).scalar_one()  # quiet: NoResultFound is caught below and answered 500
        payment.psp_status = note["status"]
        await db.commit()  # quiet: the handler below rolls the session back
    except Exception:  # quiet: rolled back, logged with the traceback and answered 500, so the PSP retries the notification
        await db.rollback()
        logger.exception("PSP notification %s not applied", note.get("id"), extra={"reference": note.get("reference")})  # expect: log-missing-context -- the reference but no correlation_id: the failed notification cannot be followed through the gateway's logs for the same request
        return JSONResponse({"error": "not applied"}, status_code=500)
    return {"ok": True}
