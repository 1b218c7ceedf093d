"""`sadpath report`: the resilience inventory's numbers and order, its text, JSON and HTML forms, and the page
as a browser draws it (headless chromium)."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import textwrap
import zlib
from pathlib import Path

import pytest

from sadpath.cli import main
from sadpath.commands.report import build
from sadpath.inventory import render

HTTP_CALLS = textwrap.dedent(
    """\
    import requests

    session = requests.Session()


    def fetch(url):
        return requests.get(url, timeout=5)


    def fetch_safe(url):
        try:
            return requests.get(url, timeout=5)
        except requests.Timeout:
            return None


    def post_all(url):
        try:
            return session.post(url, timeout=5)
        except requests.RequestException:
            raise
    """
)
APP = textwrap.dedent(
    """\
    import flask
    import requests

    app = flask.Flask(__name__)


    @app.errorhandler(requests.RequestException)
    def upstream_failed(exc):
        return "bad gateway", 502


    @app.get("/rates")
    def rates():
        return requests.post("https://fx.example/rates", timeout=1).text
    """
)
CACHE = textwrap.dedent(
    """\
    import redis

    client = redis.Redis()


    def get(key):
        try:
            return client.get(key)
        except redis.ConnectionError:
            return None


    class Store:
        def ping(self):
            return client.ping()
    """
)
REQUESTS_MODES = ["timeout", "connection", "server-error", "auth", "not-found", "rate-limit", "serialization"]


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.sadpath]\n", encoding="utf-8")
    write(tmp_path, "svc/http_calls.py", HTTP_CALLS)
    write(tmp_path, "svc/app.py", APP)
    write(tmp_path, "svc/cache.py", CACHE)
    write(tmp_path, "svc/plain.py", "def add(a, b):\n    return a + b\n")
    return tmp_path


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------------------- the inventory
def test_inventory_shares_and_order(project):
    inventory = build(["svc"])
    assert inventory.files_analysed == 4
    assert inventory.errors == []
    # redis: get() catches connection and auth (AuthenticationError is a ConnectionError) and returns None: it
    # swallows them (SAD101 reports the handler), so they are not handled; timeout propagates; ping() nothing
    # requests: fetch 0/7, fetch_safe 1/7 (timeout), post_all 7/7 (RequestException), rates 7/7 (registered handler)
    assert [(u.name, u.handled, u.swallowed, u.total, len(u.sites)) for u in inventory.interfaces] == [
        ("redis", 0, 2, 6, 2),
        ("requests", 15, 0, 28, 4),
    ]
    assert [u.share for u in inventory.interfaces] == [0.0, 15 / 28]
    assert (inventory.handled, inventory.swallowed, inventory.unhandled, inventory.total) == (15, 2, 17, 34)

    redis_usage, requests_usage = inventory.interfaces
    assert [(s.location, s.call, s.function, s.unhandled) for s in redis_usage.sites] == [
        ("svc/cache.py:15:16", "Redis.ping()", "Store.ping", 3),
        ("svc/cache.py:8:16", "Redis.get()", "get", 1),
    ]
    assert [(s.location, s.call, s.function, s.handled) for s in requests_usage.sites] == [
        ("svc/http_calls.py:7:12", "requests.get()", "fetch", 0),
        ("svc/http_calls.py:12:16", "requests.get()", "fetch_safe", 1),
        ("svc/app.py:14:12", "requests.post()", "rates", 7),
        ("svc/http_calls.py:19:16", "Session.post()", "post_all", 7),
    ]
    assert requests_usage.modes == tuple(REQUESTS_MODES)

    fetch_safe = requests_usage.sites[1]
    timeout = fetch_safe.modes[0]
    assert (timeout.mode, timeout.handler_kind, timeout.handler_line, timeout.handler_label) == (
        "timeout",
        "except",
        13,
        "except requests.Timeout",
    )
    assert fetch_safe.unhandled_modes == tuple(REQUESTS_MODES[1:])
    registered = requests_usage.sites[2].modes[0]
    assert (registered.handler_kind, registered.handler_line) == ("registered", 7)
    assert registered.handler_label == "@app.errorhandler(requests.RequestException)"
    get_modes = {m.mode: m.handler_label for m in redis_usage.sites[1].modes}
    assert get_modes == {"connection": "except redis.ConnectionError", "timeout": None, "auth": "except redis.ConnectionError"}
    assert [m.status for m in redis_usage.sites[1].modes] == ["swallowed", "unhandled", "swallowed"]
    assert redis_usage.sites[1].swallowed_modes == ("connection", "auth")
    assert "callers of `get()` get `None`" in redis_usage.sites[1].modes[0].how

    worst = [(u.name, s.function, s.unhandled) for u, s in inventory.worst_sites()]
    assert worst == [("requests", "fetch", 7), ("requests", "fetch_safe", 6), ("redis", "Store.ping", 3), ("redis", "get", 1)]


def test_unreadable_and_unparsable_files_are_listed_and_the_run_goes_on(project, capsys):
    write(project, "svc/broken.py", "def broken(:\n    pass\n")
    write(project, "svc/binary.py", b"\x00\x01\x02")
    code, out, err = run_cli(["report", "svc", "--format", "json"], capsys)
    assert code == 0
    document = json.loads(out)
    assert document["files_analysed"] == 4
    errors = {e["path"]: e["message"] for e in document["errors"]}
    assert set(errors) == {"svc/broken.py", "svc/binary.py"}
    assert "binary file" in errors["svc/binary.py"]
    assert errors["svc/broken.py"].startswith("syntax error") and "line 1" in errors["svc/broken.py"]
    assert "sadpath: svc/binary.py: binary file" in err
    assert document["summary"]["call_sites"] == 6


# ------------------------------------------------------------------------------------------- the JSON contract
def test_json_contract(project, capsys):
    code, out, _ = run_cli(["report", "svc", "--format", "json"], capsys)
    assert code == 0
    document = json.loads(out)
    assert list(document) == ["version", "files_analysed", "paths", "summary", "interfaces", "worst_sites", "errors"]
    assert document["version"] == 1
    assert document["paths"] == ["svc"]
    assert document["summary"] == {
        "interfaces": 2,
        "call_sites": 6,
        "handled": 15,
        "swallowed": 2,
        "unhandled": 17,
        "total": 34,
        "percent": 44.1,
    }
    redis_doc, requests_doc = document["interfaces"]
    assert {k: v for k, v in requests_doc.items() if k != "sites"} == {
        "name": "requests",
        "label": "requests",
        "kind": "http",
        "call_sites": 4,
        "handled": 15,
        "swallowed": 0,
        "unhandled": 13,
        "total": 28,
        "percent": 53.6,
        "modes": REQUESTS_MODES,
    }
    assert redis_doc["percent"] == 0.0 and redis_doc["swallowed"] == 2
    swallowed = redis_doc["sites"][1]["modes"][0]
    assert (swallowed["mode"], swallowed["state"], swallowed["handled"]) == ("connection", "swallowed", False)
    assert swallowed["handler"] == {"kind": "except", "line": 9, "label": "except redis.ConnectionError"}
    site = requests_doc["sites"][1]
    assert list(site) == [
        "path", "line", "column", "end_line", "end_column", "call", "function", "handled", "swallowed", "unhandled", "total",
        "modes",
    ]
    assert (site["path"], site["line"], site["column"], site["end_line"], site["end_column"]) == ("svc/http_calls.py", 12, 16, 12, 28)
    assert (site["call"], site["function"], site["handled"], site["unhandled"], site["total"]) == ("requests.get()", "fetch_safe", 1, 6, 7)
    assert site["modes"][0] == {
        "mode": "timeout",
        "exceptions": ["requests.exceptions.Timeout"],
        "state": "handled",
        "how": site["modes"][0]["how"],
        "handled": True,
        "handler": {"kind": "except", "line": 13, "label": "except requests.Timeout"},
    }
    assert site["modes"][1] == {
        "mode": "connection",
        "exceptions": ["requests.exceptions.ConnectionError"],
        "state": "unhandled",
        "how": "",
        "handled": False,
        "handler": None,
    }
    assert document["worst_sites"][0] == {
        "interface": "requests",
        "path": "svc/http_calls.py",
        "line": 7,
        "column": 12,
        "call": "requests.get()",
        "function": "fetch",
        "handled": 0,
        "swallowed": 0,
        "unhandled": 7,
        "total": 7,
        "unhandled_modes": REQUESTS_MODES,
        "swallowed_modes": [],
    }
    assert document["errors"] == []


def test_json_without_any_external_call(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "plain.py", "x = 1\n")
    code, out, _ = run_cli(["report", "plain.py", "--format", "json"], capsys)
    assert code == 0
    document = json.loads(out)
    assert document["interfaces"] == [] and document["worst_sites"] == []
    assert document["summary"] == {"interfaces": 0, "call_sites": 0, "handled": 0, "swallowed": 0, "unhandled": 0, "total": 0, "percent": None}


# ------------------------------------------------------------------------------------------- text
def test_text_output(project, capsys):
    code, out, err = run_cli(["report", "svc"], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[:4] == [
        "Handled failure modes by interface (worst first)",
        "  INTERFACE  KIND   SITES  HANDLED  SWALLOWED  SHARE",
        "  redis      cache      2      0/6          2   0.0%  ~~~~~~~.............",  # ~ swallowed, . unhandled
        "  requests   http       4    15/28          0  53.6%  ###########.........",
    ]
    assert "Worst call sites (most failure modes not handled: swallowed or unhandled)" in lines
    worst = [line.split() for line in lines if line.startswith(("  1  ", "  4  "))]
    assert worst[0] == ["1", "svc/http_calls.py:7:12", "requests", "requests.get()", "fetch", "7/7", "all", "-"]
    assert worst[1] == ["4", "svc/cache.py:8:16", "redis", "Redis.get()", "get", "3/3", "timeout", "connection,", "auth",
                        "(except", "redis.ConnectionError,", "line", "9)"]  # fmt: skip
    assert "redis (cache): 0 of 6 failure modes handled (0.0%), 2 swallowed at 2 call sites" in lines
    start = lines.index("requests (http): 15 of 28 failure modes handled (53.6%) at 4 call sites")
    assert lines[start + 1] == "  failure modes: " + ", ".join(REQUESTS_MODES)
    table = lines[start + 2 : start + 7]
    assert table[0].split() == ["LOCATION", "CALL", "FUNCTION", "HANDLED", "UNHANDLED", "SWALLOWED", "HANDLED", "BY"]
    assert table[1].split() == ["svc/http_calls.py:7:12", "requests.get()", "fetch", "0/7", "all", "-", "-"]
    assert table[2].startswith("  svc/http_calls.py:12:16  requests.get()   fetch_safe      1/7  connection, server-error,")
    assert table[2].endswith("except requests.Timeout (line 13)")
    assert table[3].endswith("@app.errorhandler(requests.RequestException) (line 7): answered by the framework")
    assert table[4].endswith("except requests.RequestException (line 20): re-raised")
    # the table is aligned: every row has its CALL column at the same offset
    offsets = {row.index(call) for row, call in zip(table[1:], ["requests.get()", "requests.get()", "requests.post()", "Session.post()"])}
    assert len(offsets) == 1
    assert lines[-1] == "15 of 34 failure modes handled (44.1%) (2 more caught but swallowed) at 6 call sites of 2 interfaces in 4 files."


def test_output_file_and_exit_status(project, capsys):
    code, out, _ = run_cli(["report", "svc", "--format", "html", "--output-file", "report.html"], capsys)
    assert code == 0 and out == ""
    assert (project / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    code, _, err = run_cli(["report", "svc", "--output-file", str(project / "missing" / "r.txt")], capsys)
    assert code == 2 and "cannot write" in err


def test_config_errors_exit_2(project, capsys):
    code, _, err = run_cli(["report", "svc", "--config", "nope.toml"], capsys)
    assert code == 2 and "configuration error" in err
    write(project, "bad.toml", "[tool.sadpath]\nselect = 3\n")
    code, _, err = run_cli(["report", "svc", "--config", "bad.toml"], capsys)
    assert code == 2 and "configuration error" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--format", "xml"])
    assert exit_info.value.code == 2


def test_user_interfaces_from_the_config(project, capsys):
    write(
        project,
        "custom.toml",
        textwrap.dedent(
            """\
            [tool.sadpath.interfaces.billing]
            kind = "http"
            label = "billing API"
            functions = ["billing.client.charge"]
            [tool.sadpath.interfaces.billing.modes]
            timeout = ["TimeoutError"]
            """
        ),
    )
    write(project, "svc/billing_use.py", "from billing.client import charge\n\n\ndef pay():\n    return charge(1)\n")
    code, out, _ = run_cli(["report", "svc/billing_use.py", "--config", "custom.toml", "--format", "json"], capsys)
    assert code == 0
    (usage,) = json.loads(out)["interfaces"]
    assert (usage["name"], usage["label"], usage["handled"], usage["total"]) == ("billing", "billing API", 0, 1)
    assert usage["sites"][0]["call"] == "billing.client.charge()" and usage["sites"][0]["function"] == "pay"


# ------------------------------------------------------------------------------------------- HTML
def test_html_escapes_everything_from_the_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil_label = "<script>alert('label')</script>"
    write(
        tmp_path,
        "pyproject.toml",
        textwrap.dedent(
            f"""\
            [tool.sadpath.interfaces.evil]
            kind = "http"
            label = "{evil_label}"
            functions = ["evil.call"]
            [tool.sadpath.interfaces.evil.modes]
            timeout = ["TimeoutError"]
            """
        ),
    )
    write(tmp_path, "<script>alert(1)&x/mod.py", "import evil\n\n\ndef go():\n    return evil.call()\n")
    inventory = build(["."])
    assert [u.label for u in inventory.interfaces] == [evil_label]
    page = render(inventory, "html")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&amp;x/<wbr>mod.py:5:12" in page
    assert "&lt;script&gt;alert(&#x27;label&#x27;)&lt;/script&gt;" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing loaded from outside
    assert "https://" not in page and "<link" not in page and " src=" not in page


def test_html_structure(project):
    page = render(build(["svc"]), "html")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<svg") == 1 and page.count("<style>") == 1
    assert page.count('<section class="panel" id="iface-') == 2
    assert page.index('id="iface-0-redis"') < page.index('id="iface-1-requests"')
    # per mode: ✔ handled, ⚠ swallowed, ✘ unhandled; fetch_safe handles only the timeout; redis get() swallows two
    assert 'title="timeout: handled by except requests.Timeout (line 13)">✔</td>' in page
    assert 'title="connection: swallowed by except redis.ConnectionError (line 9), which SAD101 reports">⚠</td>' in page
    assert page.count('class="mode ok"') == 15 and page.count('class="mode warn"') == 2 and page.count('class="mode bad"') == 17
    assert "53.6%" in page and "0.0%" in page
    # the chart shows the three states: an amber segment for redis's swallowed share, and a legend for each
    chart = page[page.index("<svg") : page.index("</svg>")]
    assert chart.count('class="swallowed"') == 1 and "2 swallowed" in chart
    assert "</i>handled at the call site</span>" in page and "</i>swallowed</span>" in page and "</i>unhandled</span>" in page


# ------------------------------------------------------------------------------------------- in a browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRE = os.environ.get("SADPATH_REQUIRE_EDITORS") == "1"


def read_png(path: Path) -> tuple[int, int, list[bytes], int]:
    """(width, height, unfiltered pixel rows, bytes per pixel) of an 8-bit RGB or RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, compressed = 8, b""
    width = height = bpp = 0
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), (depth, color)
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            compressed += body
    raw = zlib.decompress(compressed)
    stride = width * bpp
    rows, previous, offset = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1 : offset + 1 + stride])
        offset += 1 + stride
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            up = previous[x]
            corner = previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows, bpp


@pytest.mark.skipif(CHROMIUM is None and not REQUIRE, reason="chromium is not installed (CI installs it)")
def test_html_page_in_headless_chromium(project, tmp_path):
    assert CHROMIUM is not None, "chromium is required (SADPATH_REQUIRE_EDITORS=1) but not installed"
    page = project / "report.html"
    assert main(["report", "svc", "--format", "html", "--output-file", str(page)]) == 0
    shot = tmp_path / "shot.png"
    completed = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--screenshot={shot}", "--window-size=1200,1000", page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert shot.is_file()
    width, height, rows, bpp = read_png(shot)
    assert (width, height) == (1200, 1000)
    # not blank: many different pixel rows (text, cards, the chart, tables), and the chart's two colours are drawn
    assert len(set(rows)) > 200
    pixels = {row[x : x + 3] for row in rows[:700] for x in range(0, len(row), bpp * 2)}
    assert len(pixels) > 50

    def drawn(colour: tuple[int, int, int]) -> bool:  # a little slack for colour management
        return any(all(abs(p - c) <= 8 for p, c in zip(pixel, colour)) for pixel in pixels)

    assert drawn((0x2D, 0xA4, 0x4E)), "no handled (green) bar drawn"
    assert drawn((0xFF, 0x81, 0x82)), "no unhandled (red) bar drawn"
