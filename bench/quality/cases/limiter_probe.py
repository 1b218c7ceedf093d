"""Rate limiter and outbound link checks of an API gateway: the Redis-backed limiter is probed at start-up and
falls back to memory; outbound webhook URLs are checked for a valid TLS certificate before they are saved."""

import logging
import socket
import ssl

import redis

log = logging.getLogger("gateway.limits")

cache = redis.Redis(host="cache.internal", socket_timeout=2, socket_connect_timeout=2)


class RedisLimiter:
    def __init__(self):
        self._cache = cache
        self._prefix = "ratelimit:"


class MemoryLimiter:
    def __init__(self):
        self._hits = {}


def create_limiter():
    try:
        cache.set("ratelimit:probe", 1, ex=1)
        if cache.get("ratelimit:probe"):
            cache.delete("ratelimit:probe")
            return RedisLimiter()
    except Exception as e:
        log.warning("Redis not available for rate limiting: %s, falling back to memory", e)  # quiet: three commands on one Redis client, whose error names the host; the fallback is logged with it
    return MemoryLimiter()


def certificate_ok(url: str) -> bool:
    if not url.startswith("https://"):
        return True
    try:
        hostname = url.split("://")[-1].split("/")[0]
        context = ssl.create_default_context()
        with context.wrap_socket(socket.socket(), server_hostname=hostname) as s:
            s.settimeout(5)
            s.connect((hostname, 443))
        return True
    except ssl.SSLError:
        return False
    except Exception as e:
        log.warning(f"TLS check failed for {url}: {e}")  # quiet: one TLS connection set up and made; gaierror or the refusal names the cause, the URL is in the record
        return False
