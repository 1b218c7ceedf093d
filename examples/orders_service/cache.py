"""Redis helpers: order read-through cache and idempotency keys."""

from __future__ import annotations

import json
import logging

import redis

from orders_service.context import current_correlation_id
from orders_service.settings import REDIS_URL

try:
    import ujson as fastjson
except ImportError:
    fastjson = json

logger = logging.getLogger(__name__)

ORDER_TTL_SECONDS = 300
IDEMPOTENCY_TTL_SECONDS = 24 * 3600

client = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def get_cached_order(order_id: str) -> dict | None:
    try:
        raw = client.get(f"order:{order_id}")
    except redis.RedisError:
        logger.warning(
            "order cache unavailable, falling back to the database",
            exc_info=True,
            extra={"correlation_id": current_correlation_id(), "order_id": order_id},
        )
        return None
    if raw is None:
        return None
    try:
        return fastjson.loads(raw)
    except ValueError:
        return None


def cache_order(order: dict) -> None:
    try:
        client.set(f"order:{order['id']}", fastjson.dumps(order), ex=ORDER_TTL_SECONDS)
    except redis.RedisError:
        logger.warning(
            "could not cache order",
            exc_info=True,
            extra={"correlation_id": current_correlation_id(), "order_id": order["id"]},
        )


def invalidate_order(order_id: str) -> None:
    try:
        client.delete(f"order:{order_id}")
    except redis.RedisError:
        logger.warning("could not invalidate cached order %s", order_id)


def claim_idempotency_key(key: str) -> bool:
    """True when this is the first request with this idempotency key."""
    try:
        return bool(client.set(f"idem:{key}", "1", nx=True, ex=IDEMPOTENCY_TTL_SECONDS))
    except Exception:
        return True


def is_healthy() -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def close() -> None:
    try:
        client.close()
    except Exception:
        pass
