"""Nightly Celery tasks that build seller reports from MongoDB and index them into Elasticsearch."""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta, timezone

import requests
from celery import shared_task
from elasticsearch import ConnectionError as SearchConnectionError, ConnectionTimeout, Elasticsearch, helpers
from pymongo import MongoClient
from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)

FX_URL = "https://fx.internal/v1/rates"
REPORT_INDEX = "seller-reports"

mongo = MongoClient(os.environ["MONGO_URL"], serverSelectionTimeoutMS=5000, socketTimeoutMS=20000)
db = mongo.marketplace
es = Elasticsearch(os.environ["SEARCH_URL"], request_timeout=30)


def seller_currency(seller_id: str) -> str:
    try:
        doc = db.sellers.find_one({"_id": seller_id}, {"currency": 1})
    except PyMongoError:  # expect: silent-except -- a Mongo outage silently turns every seller into a EUR seller: no log line, and a GBP seller's nightly report shows its revenue converted to euros as if nothing had happened
        return "EUR"
    return doc["currency"] if doc else "EUR"


def fx_rates(base: str) -> dict[str, float]:
    """Conversion rates from ``base`` to every other currency."""
    resp = requests.get(FX_URL, params={"base": base}, timeout=5)  # quiet: a timeout is set and the task retries every requests error
    return resp.json()["rates"]  # expect: unchecked-http-status -- no status check: the FX service's 503 body has no "rates", so the report dies with a KeyError that the task's RequestException retry does not cover


@shared_task(bind=True, max_retries=3)
def build_seller_report(self, seller_id: str) -> int:
    since = datetime.now(timezone.utc) - timedelta(days=1)
    orders = list(db.orders.find({"seller_id": seller_id, "delivered_at": {"$gte": since}}))
    product_ids = list({order["product_id"] for order in orders})
    products = {p["_id"]: p for p in db.products.find({"_id": {"$in": product_ids}}, {"title": 1})}
    currency = seller_currency(seller_id)
    try:
        rates = fx_rates("EUR")  # quiet: every requests error is retried below
    except requests.RequestException as exc:  # quiet: not swallowed: the task is retried with back-off
        raise self.retry(exc=exc, countdown=300 * 2 ** self.request.retries)  # quiet: Celery's retry idiom, exponential countdown capped by max_retries=3
    docs = []
    for order in orders:
        product = products.get(order["product_id"], {})  # quiet: .get() on the dict built from one $in query, not a query per order
        buyer = db.users.find_one({"_id": order["buyer_id"]}, {"country": 1})  # expect: n-plus-one-query -- one users lookup per order: a large seller's 40,000 daily orders make 40,000 Mongo round trips and the nightly run overshoots its window
        reviews = db.reviews.count_documents({"order_id": order["_id"]})  # expect: n-plus-one-query -- a COUNT per order on top of the buyer lookup, again one round trip per row of the orders query
        docs.append(
            {
                "_index": REPORT_INDEX,
                "_id": f"{seller_id}:{order['_id']}",
                "_source": {
                    "seller": seller_id,
                    "title": product.get("title", ""),
                    "country": (buyer or {}).get("country"),
                    "reviews": reviews,
                    "currency": currency,
                    "revenue": round(order["total_eur"] * rates[currency], 2),
                },
            }
        )
    try:
        indexed, _ = helpers.bulk(es, docs)  # quiet: connection errors and timeouts of the search cluster are retried below; a BulkIndexError fails the task on purpose
    except (SearchConnectionError, ConnectionTimeout) as exc:  # quiet: not swallowed: the task is retried with back-off
        raise self.retry(exc=exc, countdown=300 * 2 ** self.request.retries)  # quiet: Celery's retry idiom, exponential countdown capped by max_retries=3
    return indexed


@shared_task
def reindex_seller_summaries() -> int:
    summaries = db.seller_summaries.find({"dirty": True})
    actions = [
        {"_index": "seller-summaries", "_id": str(s["_id"]), "_source": {"name": s["name"], "score": s.get("score", 0)}}  # quiet: .get() on a Mongo document, not a query
        for s in summaries
    ]
    indexed, _ = helpers.bulk(es, actions)  # expect: unhandled-external-call -- a search-cluster blip or a mapping error raises out of the task with no retry and no log line of its own, and the summaries stay dirty until someone notices tomorrow's run failed too
    db.seller_summaries.update_many({"dirty": True}, {"$set": {"dirty": False}})
    return indexed
