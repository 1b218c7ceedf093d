"""Feature flags, the product cache and FX rates for the storefront's Flask frontend.

Flags live in the platform team's flags Redis; product documents are cached in the
storefront's own Redis in front of the catalog service.
"""
import json
import logging
import os
from typing import Optional

import backoff
import redis
import requests
from flask import Flask, abort, jsonify, request

app = Flask(__name__)
logger = logging.getLogger(__name__)
CATALOG_URL = "https://catalog.internal.example/v3"
FX_URL = "https://fx.internal.example/rates/latest"
_fx = {"etag": None, "rates": {}}

flags = redis.Redis(host="flags.internal.example", port=6379, decode_responses=True)  # expect: missing-timeout -- no socket_timeout or socket_connect_timeout: when the flags Redis stalls, every flag check, and with it every page that checks a flag, hangs its worker forever
cache = redis.Redis.from_url(os.environ["CACHE_URL"], socket_timeout=0.25, socket_connect_timeout=0.25, decode_responses=True)  # quiet: socket and connect timeouts are set on the client


@app.errorhandler(requests.RequestException)
def upstream_failed(exc):
    logger.error("upstream request failed on %s", request.path, exc_info=exc)
    return jsonify(error="an upstream service failed"), 502


def flag_enabled(name: str, client: redis.Redis = flags) -> bool:
    try:
        return client.get(f"flag:{name}") == "on"
    except redis.RedisError:  # expect: silent-except -- every flags-Redis error silently reads as "off" with no log line: in an outage all flags flip off at once and nothing says why
        return False


def cached_product(product_id: int) -> Optional[dict]:
    """The cached product document, or None on a miss or when the cache is unavailable."""
    try:
        raw = cache.get(f"product:{product_id}")
    except redis.RedisError:  # quiet: the documented None result, logged with the traceback; the caller falls back to the catalog service
        logger.warning("product cache read failed for %s", product_id, exc_info=True)
        return None
    return json.loads(raw) if raw else None


@backoff.on_exception(backoff.expo, (requests.ConnectionError, requests.Timeout), max_tries=3, jitter=backoff.full_jitter)  # quiet: capped at 3 tries, exponential back-off with jitter, transport errors only
def fetch_product(product_id: int) -> dict:
    resp = requests.get(f"{CATALOG_URL}/products/{product_id}", timeout=3)  # quiet: timeout set; requests errors are answered 502 by the app's registered errorhandler
    if resp.status_code == 404:
        abort(404)
    resp.raise_for_status()
    return resp.json()  # quiet: 404 answered and every other error status raised before the read


@backoff.on_exception(backoff.constant, redis.ConnectionError, interval=1)  # expect: naive-retry -- no max_tries or max_time and a constant 1 s interval: while the flags Redis is down every request to this route spins forever, one reconnect a second, until gunicorn kills the worker
def _rollout_percent(name: str) -> int:
    return int(flags.hget("rollouts", name) or 0)  # quiet: every RedisError reaching the route is answered 503 there; the retry decorator above is the finding


def _badges(doc: dict) -> list:
    badges = []
    if doc.get("stock", 0) < 5:
        badges.append("low-stock")
    if doc.get("discount_pct", 0) >= 20:
        badges.append("deal")
    return badges


@app.get("/products/<int:product_id>")
def product(product_id):
    doc = cached_product(product_id)
    if doc is None:
        doc = fetch_product(product_id)
        try:
            cache.setex(f"product:{product_id}", 300, json.dumps(doc))
        except redis.RedisError:  # quiet: a best-effort cache fill, logged with the traceback; the response does not depend on it
            logger.warning("product cache write failed for %s", product_id, exc_info=True)
    if flag_enabled("product_badges"):
        doc["badges"] = _badges(doc)
    return jsonify(doc)


@app.get("/beta/checkout")
def beta_checkout():
    user_id = request.cookies.get("uid", "")
    if not flags.sismember("beta:checkout-v2", user_id):  # expect: unhandled-external-call -- a flags-Redis connection error raises redis.ConnectionError straight out of the route: nothing here or in the app handles RedisError, so the visitor gets a 500
        abort(404)
    return jsonify(checkout="v2")


@app.get("/admin/flags/<name>/rollout")
def flag_rollout(name):
    try:
        percent = _rollout_percent(name)
    except redis.RedisError:  # quiet: logged with the traceback and answered 503
        logger.exception("rollout lookup failed for flag %s", name)
        return jsonify(error="flags unavailable"), 503
    return jsonify(name=name, percent=percent)


@app.get("/fx")
def fx_rates():
    headers = {"If-None-Match": _fx["etag"]} if _fx["etag"] else {}
    resp = requests.get(FX_URL, headers=headers, timeout=2)  # quiet: timeout set; requests errors are answered 502 by the app's registered errorhandler
    if resp.status_code == 304:
        return jsonify(_fx["rates"])
    _fx["rates"] = resp.json()["rates"]  # expect: unchecked-http-status -- only 304 is checked: a 401 or 503 answer is parsed as if it were the rates, and the route fails with a KeyError 500 instead of saying the fx service failed
    _fx["etag"] = resp.headers.get("ETag")
    return jsonify(_fx["rates"])


@app.post("/admin/products/<int:product_id>/purge")
def purge_product(product_id):
    resp = requests.post(f"{CATALOG_URL}/products/{product_id}/purge", timeout=5)  # quiet: timeout set; requests errors, raise_for_status included, are answered 502 by the registered errorhandler
    resp.raise_for_status()
    try:
        cache.delete(f"product:{product_id}")
    except redis.RedisError:  # quiet: best-effort cache invalidation, logged with the traceback; the entry expires within 5 minutes anyway
        logger.exception("could not drop cached product %s", product_id)
    return "", 204
