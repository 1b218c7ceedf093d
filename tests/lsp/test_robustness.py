"""The server under bad input: line separators the client does not count, and broken message framing."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

import pytest
from lsprotocol import types as t

from conftest import SERVER
from helpers import apply_workspace_edit, change_document, open_document, wait_for_version
from sadpath.lsp.text import LineSafeTextDocument
from sadpath.lsp.transport import Framer

SEPARATORS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
IDS = [f"U+{ord(s):04X}" for s in SEPARATORS]
UNCHAINED = (
    "class GatewayError(Exception):\n    pass\n\n\n# page {sep} break\n"
    "def charge(api):\n    try:\n        api.charge()\n"
    "    except ValueError as exc:\n        raise GatewayError('charge failed')\n"
)


@pytest.mark.parametrize("separator", SEPARATORS, ids=IDS)
def test_text_document_lines_are_the_clients(separator):
    document = LineSafeTextDocument("file:///m.py", f"a = 1  # {separator}\nb = 2\n", version=1)
    assert len(document.lines) == 2
    document.apply_change(
        t.TextDocumentContentChangePartial(range=t.Range(t.Position(1, 0), t.Position(1, 1)), text="c")
    )
    assert document.source == f"a = 1  # {separator}\nc = 2\n"


@pytest.mark.parametrize("separator", ["\x0c", "\u2028", "\x85"], ids=["U+000C", "U+2028", "U+0085"])
async def test_edits_and_suppressions_land_on_the_right_line(client, tmp_path, separator):
    uri = (tmp_path / f"sep{ord(separator)}.py").as_uri()
    text = UNCHAINED.format(sep=separator)
    open_document(client, uri, text)
    diagnostics = await wait_for_version(client, uri, 1)
    (finding,) = [d for d in diagnostics if d.code == "SAD103"]
    assert finding.range.start.line == 9  # the raise, as the client counts lines
    # an incremental edit below the separator: rename the error on line 9 (0-based) only
    change_document(
        client, uri, 2,
        [t.TextDocumentContentChangePartial(range=t.Range(t.Position(9, 14), t.Position(9, 26)), text="PaymentError")],
    )
    text = text.replace("raise GatewayError('charge failed')", "raise PaymentError('charge failed')")
    diagnostics = await wait_for_version(client, uri, 2)
    (finding,) = [d for d in diagnostics if d.code == "SAD103"]
    assert "PaymentError" in finding.message and finding.range.start.line == 9
    actions = await client.text_document_code_action_async(
        t.CodeActionParams(
            text_document=t.TextDocumentIdentifier(uri=uri), range=finding.range, context=t.CodeActionContext(diagnostics=[finding])
        )
    )
    suppress = next(a for a in actions if a.title == "sadpath (SAD103): Disable SAD103 for this line")
    fixed = apply_workspace_edit(text, uri, suppress.edit)
    assert fixed.split("\n")[9].endswith("# sadpath: ignore[SAD103]")
    assert fixed.count("\n") == text.count("\n")


def test_framer_resynchronises():
    framer = Framer(limit=1000)
    good = b'{"jsonrpc": "2.0", "method": "a"}'
    framer.feed(b"Content-Length: %d\r\n\r\n%s" % (len(good), good))
    assert framer.bodies() == [good]
    framer.feed(b"Content-Length: 5\r\n\r\n" + good + b"Content-Length: %d\r\n\r\n%s" % (len(good), good))  # too short
    bodies = framer.bodies()
    assert bodies[-1] == good and len(bodies) == 2
    framer.feed(b"Content-Length: %d\r\n\r\n%s" % (len(good) + 40, good) + b"Content-Length: %d\r\n\r\n%s" % (len(good), good))  # too long
    assert framer.bodies() == [good, good]
    framer.feed(b"Content-Length: 1000000000000\r\n\r\n{}" + b"Content-Length: %d\r\n\r\n%s" % (len(good), good))  # over the limit
    assert framer.bodies() == [good]
    framer.feed(b"Content-Length: 500\r\n\r\n" + good)  # too long, and nothing follows
    assert framer.bodies() == [] and framer.stale() == good
    framer.feed(b"x" * 100_000)  # garbage is not kept
    assert framer.bodies() == [] and len(framer.buffer) < 1000


class RawServer:
    """``sadpath server`` over pipes, spoken to byte by byte."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pending = b""

    def send(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def request(self, msg_id: int, method: str, params, length: int | None = None) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode()
        self.send(b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length) + body)

    def response(self, msg_id: int, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\r\n\r\n" in self.pending:
                header, rest = self.pending.split(b"\r\n\r\n", 1)
                length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                if len(rest) < length:
                    break
                message, self.pending = json.loads(rest[:length]), rest[length:]
                if message.get("id") == msg_id:
                    return message
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                assert chunk, "the server closed its output"
                self.pending += chunk
        raise TimeoutError(f"no answer to request {msg_id}")

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)


@pytest.mark.skipif(sys.platform == "win32", reason="select() on pipes")
def test_the_server_answers_and_survives_bad_framing():
    server = RawServer()
    try:
        server.request(1, "initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        assert "capabilities" in server.response(1)["result"]
        server.request(2, "textDocument/hover", {"bogus": 1})  # parameters that do not deserialize
        assert server.response(2)["error"]["code"] == -32602
        server.send(b"Content-Length: 1000000000000\r\n\r\n{}")  # absurd: skipped, not allocated
        server.request(3, "textDocument/hover", {"textDocument": {"uri": "file:///none.py"}, "position": {"line": 0, "character": 0}})
        assert server.response(3)["result"] is None
        server.request(4, "textDocument/hover", {}, length=10)  # too short: the rest is garbage before the next
        server.request(5, "textDocument/hover", {"textDocument": {"uri": "file:///none.py"}, "position": {"line": 0, "character": 0}})
        assert server.response(5)["result"] is None
        server.request(6, "textDocument/hover", {"textDocument": {"uri": "file:///none.py"}, "position": {"line": 0, "character": 0}}, length=900)
        assert server.response(6)["result"] is None  # too long and nothing follows: taken once the client is quiet
        assert server.proc.poll() is None
    finally:
        server.close()
