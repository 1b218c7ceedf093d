"""Fulfilment clients with their retry policies, and the Celery tasks that drive them."""
from __future__ import annotations

import logging
import random
import secrets
import time

import backoff
import requests
from celery import shared_task
from elasticsearch import ConnectionError as SearchConnectionError, ConnectionTimeout, Elasticsearch, helpers
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_fixed

logger = logging.getLogger(__name__)

WAREHOUSE_URL = "https://warehouse.internal/api"
LABELS_URL = "https://labels.carrier.example/v2"
RATES_URL = "https://rates.carrier.example/v1"
PAYMENTS_URL = "https://payments.internal/v1"
TRACKING_URL = "https://tracking.internal/api"
RETRYABLE = (requests.ConnectionError, requests.Timeout)

es = Elasticsearch("http://search:9200", request_timeout=10)


class CarrierCancelFailed(Exception):
    def __init__(self, shipment_id: str, status: int) -> None:
        super().__init__(f"carrier refused to cancel shipment {shipment_id}: HTTP {status}")


class SlugExhausted(Exception):
    pass


@retry(  # quiet: stop after 5 attempts, exponential wait capped at 30 s, only connection errors and timeouts retried; the idempotency key makes the retried POST safe
    stop=stop_after_attempt(5),
    wait=wait_exponential(multiplier=0.5, max=30),
    retry=retry_if_exception_type(RETRYABLE),
    reraise=True,
)
def reserve_stock(order_id: str, sku: str, qty: int) -> dict:
    resp = requests.post(  # quiet: a timeout is set and connection errors and timeouts are retried by the decorator
        f"{WAREHOUSE_URL}/reservations",
        json={"sku": sku, "qty": qty},
        headers={"Idempotency-Key": f"reserve-{order_id}-{sku}"},
        timeout=5,
    )
    resp.raise_for_status()
    return resp.json()  # quiet: raise_for_status() runs before the body is read


@retry(stop=stop_after_attempt(6), wait=wait_fixed(2), retry=retry_if_exception_type(RETRYABLE), reraise=True)  # expect: naive-retry -- a fixed 2 s wait: when the label API is overloaded every worker retries in lock-step every 2 s, adding load exactly when it needs less
def print_label(shipment_id: str) -> bytes:
    resp = requests.get(f"{LABELS_URL}/labels/{shipment_id}.pdf", timeout=10)  # quiet: a timeout is set and the decorator retries connection errors and timeouts
    resp.raise_for_status()
    return resp.content  # quiet: raise_for_status() runs before the body is read


@retry(wait=wait_exponential(multiplier=1, max=60), retry=retry_if_exception_type(RETRYABLE))  # expect: naive-retry -- no stop: while the rates API is unreachable the caller blocks forever, retrying once a minute, and never gets an error it could fall back on
def fetch_rates(postcode: str, weight_g: int) -> list[dict]:
    resp = requests.get(RATES_URL, params={"to": postcode, "weight": weight_g}, timeout=5)  # quiet: a timeout is set and the decorator retries connection errors and timeouts
    if not resp.ok:
        raise requests.HTTPError(f"rates API answered {resp.status_code}", response=resp)
    return resp.json()["rates"]  # quiet: resp.ok is checked before the body is read


@backoff.on_exception(backoff.expo, requests.RequestException)  # expect: naive-retry -- no max_tries or max_time around a non-idempotent capture, and HTTPError is a RequestException, so a 402 "card declined" is retried forever and a capture that timed out after succeeding is charged again
def capture_payment(payment_id: str, amount_cents: int) -> dict:
    resp = requests.post(f"{PAYMENTS_URL}/payments/{payment_id}/capture", json={"amount": amount_cents}, timeout=10)  # quiet: a timeout is set and the decorator handles the errors (its policy is reported on the decorator line)
    resp.raise_for_status()
    return resp.json()  # quiet: raise_for_status() runs before the body is read


@backoff.on_exception(backoff.expo, (SearchConnectionError, ConnectionTimeout), max_tries=4, jitter=backoff.full_jitter)  # quiet: exponential back-off with full jitter, at most 4 tries, only connection errors and timeouts
def index_shipments(docs: list[dict]) -> int:
    ok, _ = helpers.bulk(es, ({"_index": "shipments", "_id": d["id"], "_source": d} for d in docs))  # quiet: connection errors and timeouts are retried by the decorator, indexing errors raise BulkIndexError to the task
    return ok


def cancel_shipment(shipment_id: str) -> None:
    for attempt in range(4):  # expect: naive-retry -- retries any non-200 answer, so a 404 (already cancelled) or 401 (expired token) is sent four times with growing sleeps (15 s in all) before the same failure is raised
        resp = requests.delete(f"{LABELS_URL}/shipments/{shipment_id}", timeout=5)  # quiet: a timeout is set; the status outcomes are handled deliberately
        if resp.status_code == 200:
            return
        time.sleep(2 ** attempt)
    raise CarrierCancelFailed(shipment_id, resp.status_code)


def allocate_tracking_slug(order_id: str) -> str:
    for attempt in range(5):  # quiet: not a retry of the same request: each attempt proposes a new random slug
        slug = f"{order_id[-6:]}-{secrets.token_hex(3)}"
        resp = requests.post(f"{TRACKING_URL}/slugs", json={"slug": slug, "order": order_id}, timeout=5)  # quiet: a timeout is set; 409 is handled deliberately
        if resp.status_code == 409:
            continue
        resp.raise_for_status()
        return slug
    raise SlugExhausted(order_id)


def fetch_carrier_manifest(carrier: str) -> dict:
    for attempt in range(1, 5):  # quiet: 4 attempts, exponential back-off capped at 30 s with jitter, only connection errors, timeouts, 429 and 5xx retried
        try:
            resp = requests.get(f"{LABELS_URL}/manifests/{carrier}", timeout=10)  # quiet: a timeout is set and connection errors and timeouts are retried here
        except RETRYABLE:  # quiet: the handler of a bounded back-off retry; the last error is re-raised
            if attempt == 4:
                raise
            time.sleep(min(30, 2 ** attempt) + random.uniform(0, 1))
            continue
        if resp.status_code in (429, 502, 503, 504) and attempt < 4:
            time.sleep(min(30, 2 ** attempt) + random.uniform(0, 1))
            continue
        resp.raise_for_status()
        return resp.json()  # quiet: raise_for_status() runs before the body is read
    raise AssertionError("unreachable")


@shared_task
def fulfil_order(order_id: str, lines: list[dict], payment_id: str, amount_cents: int) -> str:
    for line in lines:
        reserve_stock(order_id, line["sku"], line["qty"])  # quiet: connection errors and timeouts are retried by reserve_stock's tenacity policy; handling some failure modes deliberately is enough here
    capture_payment(payment_id, amount_cents)  # quiet: the backoff decorator handles the errors (its policy is reported on the decorator line)
    slug = allocate_tracking_slug(order_id)  # quiet: allocate_tracking_slug handles the 409 outcome deliberately; the other modes are a contract's business, not this rule's
    index_shipments([{"id": order_id, "slug": slug, "status": "reserved"}])  # quiet: connection errors and timeouts are retried by index_shipments' bounded backoff policy
    return slug


@shared_task
def cancel_order(order_id: str, shipment_id: str) -> None:
    cancel_shipment(shipment_id)  # quiet: cancel_shipment handles the status outcomes deliberately (its retry policy is reported on its loop line)
    index_shipments([{"id": order_id, "status": "cancelled"}])  # quiet: connection errors and timeouts are retried by index_shipments' bounded backoff policy
