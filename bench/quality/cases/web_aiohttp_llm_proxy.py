"""Chat-completion proxy in front of several OpenAI-compatible providers.

The proxy forwards a request to the provider, relays its answer (JSON, or the raw text when the provider answers
something else), writes a small info file beside each exported transcript, and speaks a one-frame hello with the
local tokenizer sidecar over a Unix socket.
"""
import json
import logging
import socket

import aiohttp
from aiohttp import web

logger = logging.getLogger(__name__)

HELLO_SIZE = 4
HELLO_PREFIX = b"TK"
PROTOCOL_VERSION = 2
FEATURES = 1
EXPORT_DIR = "/var/lib/llm-proxy/exports"


def _proxy_version() -> str:
    with open("/etc/llm-proxy/VERSION") as f:
        return f.read().strip()


async def relay_completion(request: web.Request) -> web.Response:
    payload = await request.json()
    provider_url = request.app["provider_url"]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        async with session.post(f"{provider_url}/chat/completions", json=payload) as r:
            try:
                body = await r.json()
            except Exception as e:
                logger.error(e)  # quiet: a decode fallback on one response, its raw text is read and relayed just below
                body = await r.text()
            return web.json_response({"status": r.status, "body": body}, status=r.status)


async def provider_models(request: web.Request) -> web.Response:
    provider_url = request.app["provider_url"]
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            async with session.get(f"{provider_url}/models") as r:
                r.raise_for_status()
                models = await r.json()
        names = [m["id"] for m in models["data"]]
    except Exception as e:
        logger.error(e)  # expect: lost-traceback-log -- a total timeout is an empty asyncio.TimeoutError and a KeyError is only "'data'": the record says neither which provider nor which step failed, and the model list silently lacks it
        return web.json_response({"models": []}, status=502)
    return web.json_response({"models": names})


def write_transcript_info(name: str, messages: list) -> str:
    try:
        proxy_version = _proxy_version()
    except Exception:
        proxy_version = "unknown"
        logger.error("proxy version not found for transcript %s", name)  # quiet: a placeholder in a metadata field of the info file; the transcript export goes on unchanged
    info = {"transcript": name, "messages": len(messages), "proxy_version": proxy_version}
    path = f"{EXPORT_DIR}/{name}-info.json"
    with open(path, "w") as f:
        json.dump(info, f)
    return path


def _encode_hello(version: int, features: int) -> bytes:
    if not 0 <= version <= 255 or not 0 <= features <= 255:
        raise ValueError("protocol version and features must fit in one byte")
    return HELLO_PREFIX + bytes((version, features))


def _decode_hello(frame: bytes) -> tuple[int, int]:
    if len(frame) != HELLO_SIZE or not frame.startswith(HELLO_PREFIX):
        raise ValueError("Malformed tokenizer hello frame")
    return frame[-2], frame[-1]


def tokenizer_features(sock: socket.socket) -> int:
    try:
        sock.sendall(_encode_hello(PROTOCOL_VERSION, FEATURES))
        sock.settimeout(2.0)
        version, features = _decode_hello(sock.recv(HELLO_SIZE))
    except ValueError:
        logger.warning("tokenizer hello frame was malformed, running without its features")  # quiet: only _decode_hello can raise ValueError here (the encoder gets constants), for the one condition this record states
        return 0
    except OSError:
        logger.warning("tokenizer sidecar unreachable, running without its features", exc_info=True)
        return 0
    return features if version == PROTOCOL_VERSION else 0
