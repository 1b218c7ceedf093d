"""pricesync: push changed catalogue prices to the marketplace, hourly from cron.

    15 * * * *  /opt/pricesync/bin/python -m cli_cron_sync --db /var/lib/pricesync/catalog.db

Exit status 0 when every changed price was pushed, 1 when some were not; the checkpoint only moves on a clean
run, so the failed ones are pushed again next hour. Ops can stop the sync with the `pricesync` kill switch."""

import argparse
import logging
import os
import sqlite3
import sys
from datetime import datetime, timezone

import requests

from cli_ops.notify import post_chat

log = logging.getLogger("pricesync")

API = "https://api.marketplace.example.com/v3"
FLAGS_URL = "https://flags.internal.example.com/api/flags/pricesync"
CHAT_HOOK = "https://chat.example.com/hooks/pricing"

http = requests.Session()
http.headers["Authorization"] = f"Bearer {os.environ.get('MARKETPLACE_TOKEN', '')}"


def _api_get(path: str, **kwargs) -> requests.Response:
    return http.get(f"{API}{path}", **kwargs)  # quiet: every caller passes timeout= through kwargs


def _api_put(path: str, payload: dict, **kwargs) -> requests.Response:
    kwargs.setdefault("headers", {"Content-Type": "application/json"})
    return http.put(f"{API}{path}", json=payload, **kwargs)  # expect: missing-timeout -- the kwargs only ever get headers (the one caller passes none): a marketplace that stops answering mid-push stalls the hourly job forever, and cron stacks a new copy every hour on the same sqlite file


def sync_enabled() -> bool:
    """The kill switch: ops can stop the sync from the flag service."""
    try:
        resp = http.get(FLAGS_URL, timeout=2)  # quiet: timeout set; the handler below covers it (that handler is the defect)
        resp.raise_for_status()
        return bool(resp.json()["enabled"])  # quiet: raise_for_status ran first
    except Exception:  # expect: silent-except -- every error of the kill-switch lookup (outage, 401, a renamed field) becomes "enabled" with no log at all: the night ops flip the switch to stop a bad price feed while the flag service is flaky, the sync keeps pushing and nothing says the switch was never read
        return True


def remote_price(listing_id: str) -> int | None:
    """The marketplace's current price in cents, or None when the listing does not exist (yet)."""
    resp = _api_get(f"/listings/{listing_id}/price", timeout=10)
    if resp.status_code == 404:
        return None
    resp.raise_for_status()
    return resp.json()["amount"]  # quiet: raise_for_status ran for every status but the documented 404


def refresh_category_cache(path: str) -> None:
    resp = _api_get("/categories", timeout=30)
    with open(path, "wb") as fh:
        fh.write(resp.content)  # expect: unchecked-http-status -- no status check: a 503 maintenance page is written over the category cache, and every later run maps prices against an HTML page until someone deletes the file


def push_prices(conn: sqlite3.Connection, since: str) -> list[str]:
    """Push every price changed since ``since``; returns the SKUs that could not be pushed."""
    failed = []
    changed = conn.execute("SELECT sku, price_cents, currency FROM products WHERE updated_at > ?", (since,)).fetchall()
    for sku, price, currency in changed:
        row = conn.execute("SELECT listing_id FROM listings WHERE sku = ?", (sku,)).fetchone()  # expect: n-plus-one-query -- one listing lookup per changed product: after a full re-price (200k rows) that is 200k queries before the first push; a JOIN in the outer query does it in one
        if row is None:
            continue
        listing_id = row[0]
        try:
            if remote_price(listing_id) == price:
                continue
        except requests.RequestException as exc:  # quiet: a counted failure: the SKU is pushed again next hour and main exits 1
            log.warning("price check for %s failed: %s", sku, exc)  # expect: lost-traceback-log -- the try calls into remote_price (request, status check, parsing) and HTTPError's text has no response body: "429 Client Error ... for url" with no traceback and no marketplace error message, so nobody can tell a rate limit from a revoked token
            failed.append(sku)
            continue
        for attempt in range(3):  # expect: naive-retry -- three attempts back to back with no pause, and 4xx retried too: a 422 for a price under the marketplace's floor is sent three times, and during a marketplace 503 all three attempts land within milliseconds
            try:
                resp = _api_put(f"/listings/{listing_id}/price", {"amount": price, "currency": currency})
                resp.raise_for_status()
                break
            except requests.RequestException:  # quiet: the handler of a retry loop that retries (the loop line carries the finding); the last attempt is a counted failure with the traceback
                if attempt == 2:
                    log.exception("giving up on the price of %s after 3 attempts", sku)
                    failed.append(sku)
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Push changed prices to the marketplace.")
    parser.add_argument("--db", required=True)
    parser.add_argument("--categories", default="/var/cache/pricesync/categories.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s pricesync %(levelname)s %(message)s")

    if not sync_enabled():
        log.info("price sync disabled by the kill switch")
        return 0
    try:
        refresh_category_cache(args.categories)
    except requests.RequestException:  # quiet: a best-effort refresh logged with the traceback; the previous cache file stays in use
        log.warning("category cache refresh failed, keeping %s", args.categories, exc_info=True)

    started = datetime.now(timezone.utc).isoformat()
    conn = sqlite3.connect(args.db)  # quiet: a database call: connection and lock failures are infrastructure errors, the traceback and exit status report them
    (since,) = conn.execute("SELECT value FROM sync_state WHERE key = 'last_push'").fetchone()  # quiet: a database read, not a single-object lookup whose not-found the catalog reports
    failed = push_prices(conn, since)  # quiet: push_prices handles every HTTP failure itself; what else can escape are sqlite infrastructure errors
    if not failed:
        conn.execute("UPDATE sync_state SET value = ? WHERE key = 'last_push'", (started,))  # quiet: a database write: its lock failures are infrastructure errors that end the one-shot run
        conn.commit()  # quiet: a one-shot command committing the connection it opened itself: if the write fails the process ends and sqlite discards the open transaction
    conn.close()

    summary = f"pricesync: {len(failed)} prices not pushed" if failed else "pricesync: all prices pushed"
    post_chat(CHAT_HOOK, summary)  # expect: unhandled-external-call -- deployctl treats a failed chat post as best-effort, this main doesn't: a chat-webhook outage (URLError) ends the run with a traceback and exit 1 after every price was pushed, so cron reports a failed sync that actually succeeded
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())  # quiet: the __main__ block is not a second boundary: whatever main() lets escape is reported once, inside main()
