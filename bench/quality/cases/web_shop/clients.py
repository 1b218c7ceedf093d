"""Clients of the services behind the shop: payments, inventory, shipping and reviews.

Each function documents what it raises; the routes that call it decide what to answer.
"""
import logging
import os

import httpx
import requests
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter, wait_fixed

logger = logging.getLogger(__name__)
PAYMENTS_URL = "https://payments.internal.example/v1"
INVENTORY_URL = "https://inventory.internal.example/v2"
SHIPPING_URL = "https://shipping.internal.example/v1"
REVIEWS_URL = "https://reviews.internal.example/v1"

_payments = requests.Session()
_payments.headers.update({"Authorization": f"Bearer {os.environ.get('PAYMENTS_TOKEN', '')}"})


class PaymentError(Exception):
    """Base class of payment failures; `status` is what the shopper is answered."""

    status = 502


class PaymentDeclined(PaymentError):
    status = 402


def charge(order_id: str, amount_cents: int, card_token: str) -> str:
    """Charge the card and return the charge id. Raises PaymentDeclined or PaymentError."""
    try:
        resp = _payments.post(  # quiet: timeout set, and every requests error becomes PaymentError, which the checkout blueprint's handler answers
            f"{PAYMENTS_URL}/charges",
            json={"order_id": order_id, "amount_cents": amount_cents, "source": card_token},
            headers={"Idempotency-Key": f"charge-{order_id}"},
            timeout=(3, 20),
        )
    except requests.RequestException as exc:
        raise PaymentError(f"charge for order {order_id} failed") from exc  # quiet: chained with from exc
    if resp.status_code == 402:
        raise PaymentDeclined(resp.json().get("decline_code", "declined"))  # quiet: the body is read to build the error after the status said the card was declined
    if not resp.ok:
        raise PaymentError(f"payments answered {resp.status_code}")
    return resp.json()["charge_id"]  # quiet: 402 and every other error status are raised before the read


def stock_level(sku: str) -> int:
    """Units on hand. Raises requests.RequestException; the callers decide what to answer."""
    resp = requests.get(f"{INVENTORY_URL}/stock/{sku}", timeout=5)  # quiet: the callers own the handling; the one route that leaves it unhandled is reported at its call
    resp.raise_for_status()
    return int(resp.json()["on_hand"])  # quiet: raise_for_status ran before the read


@retry(  # quiet: capped attempts, exponential back-off with jitter, transport errors only; the Idempotency-Key makes the retried POST safe
    stop=stop_after_attempt(3),
    wait=wait_exponential_jitter(initial=0.2, max=2),
    retry=retry_if_exception_type((requests.ConnectionError, requests.Timeout)),
    reraise=True,
)
def reserve_stock(cart_id: str, sku: str, quantity: int) -> dict:
    """Reserve units for a cart at a locked unit price. Raises requests.RequestException."""
    resp = requests.post(
        f"{INVENTORY_URL}/reservations",
        json={"cart_id": cart_id, "sku": sku, "quantity": quantity},
        headers={"Idempotency-Key": f"{cart_id}:{sku}"},
        timeout=5,
    )
    resp.raise_for_status()
    body = resp.json()  # quiet: raise_for_status ran before the read
    return {"id": body["reservation_id"], "unit_cents": body["unit_cents"]}


@retry(wait=wait_fixed(2), stop=stop_after_attempt(5), reraise=True)  # expect: naive-retry -- a constant 2 s wait and no retry filter: a 404 for an already-released reservation (the HTTPError of raise_for_status) is retried five times, holding the shopper's request 8 s for an answer that never changes
def release_stock(reservation_id: str) -> None:
    """Release a reservation. Raises requests.RequestException."""
    resp = requests.delete(f"{INVENTORY_URL}/reservations/{reservation_id}", timeout=5)
    resp.raise_for_status()


def shipping_quote(postcode: str, weight_grams: int) -> dict:
    """The cheapest carrier quote for one parcel."""
    resp = httpx.post(f"{SHIPPING_URL}/quotes", json={"postcode": postcode, "weight_grams": weight_grams})  # expect: unhandled-external-call -- a shipping timeout, refused connection or error status (raise_for_status) reaches every route that calls shipping_quote (cart shipping, checkout, the catalog estimate) with nothing handling it: the shopper gets a bare 500 at checkout
    resp.raise_for_status()
    return resp.json()  # quiet: raise_for_status ran before the read


async def review_summary(sku: str) -> dict:
    """Average rating and count for a SKU; an empty summary when the reviews service fails."""
    async with httpx.AsyncClient(timeout=2) as client:
        try:
            resp = await client.get(f"{REVIEWS_URL}/summaries/{sku}")
            resp.raise_for_status()
        except httpx.HTTPError:  # quiet: optional enrichment, logged with the traceback, with the documented empty fallback
            logger.warning("review summary unavailable for %s", sku, exc_info=True)
            return {"rating": None, "count": 0}
    return resp.json()  # quiet: raise_for_status ran before the read


async def warm_review_cache(sku: str) -> None:
    """Ask the reviews service to precompute the summary of a SKU. Best effort."""
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            resp = await client.post(f"{REVIEWS_URL}/summaries/{sku}:refresh")
            resp.raise_for_status()
    except httpx.HTTPError:  # quiet: a best-effort warm-up, logged with the traceback
        logger.warning("review cache warm-up failed for %s", sku, exc_info=True)
