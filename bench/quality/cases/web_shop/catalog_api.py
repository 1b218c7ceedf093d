"""Catalog API of the shop (FastAPI router): stock, reviews, price history and shipping
estimates for product pages rendered by the storefront."""
import asyncio
import logging
from typing import List

import requests
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from web_shop.clients import review_summary, shipping_quote, stock_level, warm_review_cache

logger = logging.getLogger(__name__)
PRICING_URL = "https://pricing.internal.example/v1"
CONTENT_URL = "https://content.internal.example/v1"
router = APIRouter(prefix="/catalog")
_pending: set = set()
_size_guides: dict = {}


class PricePoint(BaseModel):
    day: str
    unit_cents: int


class PriceHistory(BaseModel):
    sku: str
    points: List[PricePoint]


@router.get("/products/{sku}/stock")
def product_stock(sku: str):
    try:
        on_hand = stock_level(sku)  # quiet: stock_level's requests errors are answered 503 below
    except requests.RequestException as exc:
        raise HTTPException(status_code=503, detail="inventory unavailable") from exc  # quiet: chained with from exc
    return {"sku": sku, "on_hand": on_hand}


@router.get("/products/{sku}/reviews")
async def product_reviews(sku: str):
    summary = await review_summary(sku)  # quiet: awaited; review_summary falls back to an empty summary itself
    if summary["count"] == 0:
        warm_review_cache(sku)  # expect: fire-and-forget-task -- warm_review_cache is an async def in web_shop.clients: called without await it only builds a coroutine that never runs, so the summary is never precomputed
    return {"sku": sku, "reviews": summary}


@router.post("/products/{sku}/reviews/refresh", status_code=202)
async def refresh_reviews(sku: str):
    task = asyncio.create_task(warm_review_cache(sku))  # quiet: kept in _pending with a done-callback that discards it
    _pending.add(task)
    task.add_done_callback(_pending.discard)
    return {"sku": sku, "refresh": "scheduled"}


@router.get("/products/{sku}/price-history", response_model=PriceHistory)
def price_history(sku: str, days: int = 30):
    try:
        resp = requests.get(f"{PRICING_URL}/history/{sku}", params={"days": days})  # expect: missing-timeout -- no timeout: a pricing service that stalls holds this threadpool worker forever, and enough stalled requests exhaust FastAPI's threadpool for every sync route
        resp.raise_for_status()
    except requests.RequestException as exc:
        raise HTTPException(status_code=502, detail="price history unavailable") from exc
    return {"sku": sku, "points": resp.json()["points"]}  # quiet: raise_for_status ran before the read


@router.get("/products/{sku}/size-guide")
def size_guide(sku: str):
    if sku not in _size_guides:
        try:
            resp = requests.get(f"{CONTENT_URL}/size-guides/{sku}", timeout=3)  # quiet: timeout set; requests errors are answered 502 below
        except requests.RequestException as exc:
            raise HTTPException(status_code=502, detail="content service unavailable") from exc
        _size_guides[sku] = resp.text  # expect: unchecked-http-status -- the body is cached with no status check: a 404 or 503 error page is stored as the size guide and served for this SKU until the process restarts
    return {"sku": sku, "html": _size_guides[sku]}


@router.get("/shipping/estimate")
def shipping_estimate(postcode: str, weight_grams: int = 1000):
    return shipping_quote(postcode, weight_grams)  # quiet: the unhandled httpx call is reported once, inside shipping_quote
