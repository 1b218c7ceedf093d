"""The server's message reader: LSP's base protocol (``Content-Length`` framing), bounded and self-healing.

pygls's own reader (``pygls.io_.run_async``) trusts every header: a wrong ``Content-Length`` leaves it reading
bodies at the wrong offsets forever (deaf to the client), ``Content-Length: 1000000000000`` makes it allocate
that much (MemoryError, and the server dies), and a request whose parameters fail to deserialize is dropped
without an answer, so the client waits for it forever. This reader:

* bounds a message's body (``MAX_BODY_BYTES``) and the bytes it keeps while looking for a header, dropping what
  is beyond either with one log line;
* resynchronises on the next ``Content-Length`` header after garbage, a short body or a long one (a long one
  that swallowed the next message's header is split there; one that waits for bytes that never come is
  taken as it is once the client has been quiet for a moment, if it is a whole JSON message);
* answers a request it cannot deserialize with a JSON-RPC error (``-32602`` invalid params), so the client is
  never left waiting.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from typing import Any, Awaitable, Callable

log = logging.getLogger("sadpath.lsp")

MAX_BODY_BYTES = 64 * 1024 * 1024  # a whole file in a didOpen is at most maxFileSize characters: plenty
MAX_HEADER_BYTES = 64 * 1024
QUIET_SECONDS = 0.5  # a body still short after this long with no new bytes: its Content-Length was too large
_HEADER_END = b"\r\n\r\n"
_LENGTH = re.compile(rb"Content-Length:[ \t]*(\d+)[ \t]*(?:\r\n|$)", re.IGNORECASE)
INVALID_PARAMS = -32602


class _QuietDeserializeErrors(logging.Filter):
    """pygls logs a whole traceback when a message does not deserialize; ``dispatch`` says it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unable to deserialize message")


logging.getLogger("pygls.protocol.json_rpc").addFilter(_QuietDeserializeErrors())


class Framer:
    """Cuts a byte stream into message bodies. ``feed`` bytes, then take ``bodies()``; ``stale()`` hands over
    a body whose declared length the stream never reached, when it is whole JSON on its own."""

    def __init__(self, limit: int = MAX_BODY_BYTES) -> None:
        self.limit = limit
        self.buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def bodies(self) -> list[bytes]:
        out: list[bytes] = []
        while True:
            end = self.buffer.find(_HEADER_END)
            if end < 0:
                if len(self.buffer) > MAX_HEADER_BYTES:  # garbage with no header end: keep only a tail
                    log.warning("dropped %d bytes that were not an LSP message", len(self.buffer) - 64)
                    del self.buffer[:-64]
                return out
            header = bytes(self.buffer[:end])
            matches = list(_LENGTH.finditer(header))
            if not matches:
                log.warning("dropped a message header without Content-Length: %r", header[-80:])
                del self.buffer[: end + len(_HEADER_END)]
                continue
            match = matches[-1]  # garbage before it is the tail of a body whose length was too short
            if header[: match.start()].strip():
                log.warning("dropped %d bytes before a message header (a wrong Content-Length?)", match.start())
            length = int(match.group(1))
            start = end + len(_HEADER_END)
            if length > self.limit:
                log.error("a message of %d bytes is over the limit of %d; it is skipped", length, self.limit)
                del self.buffer[:start]
                continue
            if len(self.buffer) < start + length:
                return out
            body = bytes(self.buffer[start : start + length])
            del self.buffer[: start + length]
            split = _next_header_inside(body)
            if split is not None:  # the length was too long: it swallowed the next message's header
                self.buffer[:0] = body[split:]
                body = body[:split]
            out.append(body)

    def stale(self) -> bytes | None:
        """The partial body after the last header, taken whole when it parses as JSON on its own."""
        end = self.buffer.find(_HEADER_END)
        if end < 0 or not _LENGTH.search(bytes(self.buffer[:end])):
            return None
        body = bytes(self.buffer[end + len(_HEADER_END) :])
        try:
            json.loads(body)
        except ValueError:
            return None
        log.warning("a message arrived shorter than its Content-Length; taken as it is")
        self.buffer.clear()
        return body


def _next_header_inside(body: bytes) -> int | None:
    """Where a ``Content-Length`` header starts inside a body that does not parse, if the part before it does."""
    index = body.find(b"Content-Length:")
    if index <= 0:
        return None
    try:
        json.loads(body)
        return None  # whole as it is (a string that mentions the header)
    except ValueError:
        pass
    try:
        json.loads(body[:index])
    except ValueError:
        return None
    return index


def error_response(msg_id: Any, code: int, message: str) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})
    return f"Content-Length: {len(body.encode())}\r\n\r\n{body}".encode()


def dispatch(body: bytes, protocol: Any, send: Callable[[bytes], Any]) -> None:
    """Hand one body to pygls's protocol; answer a request that cannot be read with an error of its own."""
    try:
        raw = json.loads(body)
    except ValueError as exc:
        log.error("a message is not JSON (%s); ignored", exc)
        return
    try:
        message = json.loads(body, object_hook=protocol.structure_message)
    except Exception as exc:  # cattrs' ClassValidationError, pygls's JsonRpcInvalidParams, ...
        method = raw.get("method") if isinstance(raw, dict) else None
        log.error("cannot read the parameters of %s: %s", method or "a message", exc)
        log.debug("the parameters' validation errors", exc_info=True)  # cattrs' nested report: long, and for debugging
        if isinstance(raw, dict) and "id" in raw and method:
            send(error_response(raw["id"], INVALID_PARAMS, f"invalid parameters for {method}"))
        return
    protocol.handle_message(message)


async def serve(read: Callable[[], Awaitable[bytes]], protocol: Any, stop: threading.Event) -> None:
    """Read messages with ``read()`` (b'' at the end of the stream) until the stream ends or ``stop`` is set."""
    framer = Framer()
    def send(data: bytes) -> None:  # stdout's writer and asyncio's StreamWriter both write synchronously
        protocol.writer.write(data)

    pending: asyncio.Future | None = None
    while not stop.is_set():
        if pending is None:
            pending = asyncio.ensure_future(read())
        done, _ = await asyncio.wait({pending}, timeout=QUIET_SECONDS if framer.buffer else None)
        if not done:
            body = framer.stale()
            if body is not None:
                _dispatch_safely(body, protocol, send)
            continue
        data = pending.result()
        pending = None
        if not data:
            break
        framer.feed(data)
        for body in framer.bodies():
            _dispatch_safely(body, protocol, send)


def _dispatch_safely(body: bytes, protocol: Any, send: Callable[[bytes], Any]) -> None:
    try:
        dispatch(body, protocol, send)
    except Exception:  # a handler bug must not stop the reader: the next message is read as usual
        log.exception("cannot handle a message")
