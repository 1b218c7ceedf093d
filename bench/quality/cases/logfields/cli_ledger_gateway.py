"""Ledger gateway for the billing CLIs, and `ledger-replay`, which re-posts journal entries from a JSONL file.

Every call carries the caller's correlation id (X-Correlation-ID), and so must every log line about it.

    ledger-replay failed-entries-2024-05-03.jsonl      (exit 1: some entries rejected, 75: Ledger went away)
"""

import json
import logging
import sys
import uuid

import click
import httpx

log = logging.getLogger("ledger")


class LedgerError(Exception):
    """The Ledger service did not take the request."""


class LedgerUnavailable(LedgerError):
    """Ledger timed out or could not be reached; the request can be replayed later."""


class LedgerRejected(LedgerError):
    """Ledger refused the request; ``detail`` is its answer."""

    def __init__(self, status: int, detail: str):
        super().__init__(f"ledger answered {status}: {detail[:200]}")
        self.status = status
        self.detail = detail


class LedgerGateway:
    """The one place that knows httpx: callers see LedgerError and its subclasses."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0):
        self._http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)

    def post_entry(self, entry: dict, correlation_id: str) -> str:
        """Post one journal entry; returns the ledger's entry id."""
        try:
            resp = self._http.post("/entries", json=entry, headers={"X-Correlation-ID": correlation_id})  # quiet: the client's timeout applies, and every httpx error is translated below
            resp.raise_for_status()
        except httpx.HTTPStatusError as exc:  # quiet: typed translation
            log.error(  # quiet: carries correlation_id, with the ledger's status and answer
                "ledger rejected entry %s: %s %s",
                entry["ref"],
                exc.response.status_code,
                exc.response.text[:300],
                extra={"correlation_id": correlation_id},
            )
            raise LedgerRejected(exc.response.status_code, exc.response.text) from exc  # quiet: chained
        except httpx.TransportError as exc:  # quiet: typed translation
            log.warning("ledger unreachable for entry %s: %r", entry["ref"], exc)  # expect: log-missing-context -- the caller's correlation_id is a parameter of this very method and left out: the warning cannot be joined to the billing request whose entry was not posted
            raise LedgerUnavailable(f"ledger unreachable: {exc!r}") from exc  # quiet: chained
        return resp.json()["id"]  # quiet: raise_for_status ran first

    def balance(self, account: str, correlation_id: str) -> int:
        """The account's balance in cents."""
        try:
            resp = self._http.get(f"/accounts/{account}/balance", headers={"X-Correlation-ID": correlation_id})  # quiet: the client's timeout applies, and every httpx error is translated below
            resp.raise_for_status()
        except httpx.HTTPStatusError as exc:  # quiet: typed translation
            raise LedgerRejected(exc.response.status_code, exc.response.text) from exc  # quiet: chained
        except httpx.TransportError as exc:  # quiet: typed translation (its raise is the defect)
            raise LedgerUnavailable(f"ledger unreachable reading {account}: {exc!r}")  # expect: unchained-translation -- raised without `from exc`: the httpx error (connect timeout, TLS failure, the URL) is not the cause of LedgerUnavailable, so a caller logging it with the traceback shows the translation as a second crash instead of what failed
        return resp.json()["balance_cents"]  # quiet: raise_for_status ran first

    def close(self) -> None:
        self._http.close()


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--ledger-url", envvar="LEDGER_URL", required=True)
@click.option("--token", envvar="LEDGER_TOKEN", required=True)
def replay(path: str, ledger_url: str, token: str) -> None:
    """Re-post the journal entries in PATH (one JSON object per line)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s ledger-replay %(levelname)s %(message)s")
    run_id = uuid.uuid4().hex
    gateway = LedgerGateway(ledger_url, token)
    rejected = 0
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            entry = json.loads(line)
            cid = entry.pop("correlation_id", None) or run_id
            try:
                gateway.post_entry(entry, cid)  # quiet: the gateway translated every httpx error, and both kinds are handled below
            except LedgerRejected:  # quiet: a counted failure, reported through the exit status
                log.warning("line %d (%s) rejected", lineno, entry["ref"], exc_info=True, extra={"correlation_id": cid})  # quiet: carries correlation_id and the traceback
                rejected += 1
            except LedgerUnavailable:  # quiet: exit status 75 so the replay can be resumed from this line
                log.exception("ledger went away at line %d; resume from there", lineno)  # expect: log-missing-context -- the entry's correlation_id (or the run's) is in scope and left out: the line where the replay stopped cannot be tied to the billing request it belongs to
                gateway.close()
                sys.exit(75)
    gateway.close()
    log.info("replayed %s: %d rejected", path, rejected)  # quiet: outside any handler: required-log-fields applies to log calls in handlers only
    if rejected:
        sys.exit(1)


if __name__ == "__main__":
    replay()
