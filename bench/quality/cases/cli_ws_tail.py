"""order-tail: journal the trading gateway's order events into a local sqlite file.

Runs under systemd (SIGTERM stops it) or by hand (Ctrl-C). On start it loads the open-orders snapshot, then
follows the websocket feed from the last journaled sequence number, acknowledging each event once it is
journaled; the gateway drops acknowledged events from its replay buffer."""

import argparse
import json
import logging
import os
import random
import signal
import sqlite3
import sys
import threading

import requests
from websocket import WebSocketBadStatusException, WebSocketException
from websocket import create_connection as ws_connect

log = logging.getLogger("order-tail")

FEED_URL = "wss://gateway.example.com/v1/order-events"
SNAPSHOT_URL = "https://gateway.example.com/v1/orders?state=open"
STOP = threading.Event()


class Journal:
    """The local event journal; this process is its only writer."""

    def __init__(self, path: str):
        self.conn = sqlite3.connect(path)
        with self.conn:
            self.conn.execute("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, kind TEXT, body TEXT)")
            self.conn.execute("CREATE TABLE IF NOT EXISTS open_orders (id TEXT PRIMARY KEY, body TEXT)")

    def append(self, event: dict) -> None:
        with self.conn:  # quiet: sqlite3's connection context manager commits the insert or rolls it back on error
            self.conn.execute(
                "INSERT OR IGNORE INTO events (seq, kind, body) VALUES (?, ?, ?)",
                (event["seq"], event["kind"], json.dumps(event)),
            )

    def replace_open_orders(self, orders: list[dict]) -> None:
        with self.conn:  # quiet: the delete and the inserts commit together or roll back together
            self.conn.execute("DELETE FROM open_orders")
            self.conn.executemany(
                "INSERT INTO open_orders (id, body) VALUES (?, ?)", [(o["id"], json.dumps(o)) for o in orders]
            )

    def last_seq(self) -> int:
        (seq,) = self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        return seq


def fetch_snapshot(token: str) -> list[dict]:
    resp = requests.get(SNAPSHOT_URL, headers={"Authorization": f"Bearer {token}"}, timeout=10)  # quiet: timeout set, and main handles every requests error of the snapshot
    return resp.json()["orders"]  # expect: unchecked-http-status -- no status check: an expired token gets a 401 {"error": "token expired"}, the KeyError on 'orders' is not a RequestException, so it escapes main's snapshot handler and the service crash-loops under systemd with a traceback instead of exiting with its "snapshot failed" status


def open_feed(token: str, since: int):
    return ws_connect(f"{FEED_URL}?since={since}", header=[f"Authorization: Bearer {token}"])  # expect: missing-timeout -- websocket-client's default is no timeout: a gateway that accepts TCP and stalls the handshake, or a half-open connection later, blocks connect/recv forever, so journaling stops without a reconnect and SIGTERM cannot stop it (STOP is checked between frames)


def _pump(ws, journal: Journal) -> None:
    while not STOP.is_set():
        frame = ws.recv()
        if not frame:
            return
        event = json.loads(frame)
        if event.get("kind") == "heartbeat":
            continue
        try:
            journal.append(event)
        except sqlite3.DatabaseError:  # expect: silent-except -- logs and then acknowledges anyway: when the disk is full (OperationalError) every event is acked and the gateway drops it from its replay buffer, so the events are lost for good while the journal looks merely noisy
            log.exception("could not journal event %s", event.get("seq"))  # quiet: the swallow is reported once, on the except line
        ws.send(json.dumps({"ack": event["seq"]}))


def tail(token: str, journal: Journal) -> None:
    """Follow the feed until STOP is set; reconnects with capped back-off, gives up on a 4xx refusal."""
    delay = 1.0
    while not STOP.is_set():  # quiet: a reconnect loop driven by the stop event, with capped exponential back-off and jitter, that re-raises 4xx refusals instead of retrying them
        try:
            ws = open_feed(token, journal.last_seq())
        except WebSocketBadStatusException as exc:  # quiet: re-raises the 4xx answers that can never succeed (main reports them), backs off on 429 and 5xx
            if 400 <= exc.status_code < 500 and exc.status_code != 429:
                raise
            log.warning("gateway refused the feed, retrying in %.0fs", delay, exc_info=True)
        except (WebSocketException, OSError):  # quiet: a reconnect with back-off, logged with the traceback
            log.warning("connecting to the feed failed, retrying in %.0fs", delay, exc_info=True)
        else:
            delay = 1.0
            try:
                _pump(ws, journal)
            except (WebSocketException, OSError):  # quiet: a consumer loop that logs with the traceback and reconnects; unacked events are replayed
                log.warning("feed connection lost, reconnecting", exc_info=True)
            finally:
                ws.close()
            continue
        STOP.wait(delay + random.uniform(0, delay / 2))
        delay = min(delay * 2, 60.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Journal the gateway's order events.")
    parser.add_argument("--journal", default="/var/lib/order-tail/journal.db")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s order-tail %(levelname)s %(message)s")
    token = os.environ["GATEWAY_TOKEN"]
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    journal = Journal(args.journal)

    try:
        orders = fetch_snapshot(token)
    except requests.RequestException:  # quiet: exit status 4, logged with the traceback
        log.exception("open-orders snapshot from %s failed", SNAPSHOT_URL)
        return 4
    journal.replace_open_orders(orders)

    try:
        tail(token, journal)
    except KeyboardInterrupt:  # quiet: Ctrl-C at the entry point sets the stop flag and exits cleanly
        STOP.set()
        log.info("interrupted, journal at seq %s", journal.last_seq())
    except WebSocketBadStatusException as exc:  # quiet: exit status 3 for a feed the gateway refuses (bad token, unknown sequence)
        print(f"order-tail: the gateway refused the feed (HTTP {exc.status_code}): {exc.resp_body!r}", file=sys.stderr)  # quiet: a CLI printing a user-facing error with the gateway's answer before exiting non-zero
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())  # quiet: the __main__ block is not a second boundary: whatever main() lets escape is reported once, inside main()
