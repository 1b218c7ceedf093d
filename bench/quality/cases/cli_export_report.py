"""reports: finance exports from the reporting database.

    reports export 2024-W18        the week's revenue CSV to the finance share, summary mail to on-call finance
    reports fx-rates 2024-05-03    load the day's reference FX rates
"""

import csv
import logging
import sys
import time
from pathlib import Path

import psycopg
import requests
import typer

from cli_ops.notify import NotifyError, oncall_contacts, send_report
from cli_ops.pgstore import connect, mark_exported, record_run

app = typer.Typer(help="Finance exports from the reporting database.")
log = logging.getLogger("reports")

DSN = "postgresql://reports@db.internal.example.com/reporting"
ONCALL_API = "https://oncall.internal.example.com/api"
TAX_API = "https://tax.internal.example.com/v1"
FX_API = "https://fx.internal.example.com/v2"
EXPORT_DIR = Path("/mnt/finance/exports")
FALLBACK_RECIPIENTS = ["finance-ops@example.com"]
CSV_FIELDS = ["invoice", "customer", "vat_id", "country", "net_cents", "vat_rate", "currency"]


def vat_rate(country: str) -> float:
    try:
        resp = requests.get(f"{TAX_API}/vat/{country}", timeout=5)  # quiet: timeout set; the handler below covers its errors (that handler is the defect)
        return resp.json()["standard_rate"]  # expect: unchecked-http-status -- no status check: a 429 from the tax service with {"error": "rate limited"} is read as a rate table, and the KeyError (not a RequestException) kills the export halfway through the week
    except requests.RequestException:  # expect: silent-except -- a tax-service outage becomes a 0 % VAT rate with no log at all: the finance CSV silently under-reports VAT for every invoice of that country
        return 0.0


def _recipients(team: str) -> list[str]:
    """The on-call contacts of ``team``; the static finance list when the on-call service is down."""
    try:
        return oncall_contacts(ONCALL_API, team)  # quiet: every requests error of the lookup is handled below
    except requests.RequestException:  # quiet: the documented fallback, logged with the traceback
        log.warning("on-call lookup for %s failed, mailing %s", team, FALLBACK_RECIPIENTS, exc_info=True)  # quiet: traceback kept
        return FALLBACK_RECIPIENTS


def _revenue_rows(conn: psycopg.Connection, week: str) -> list[dict]:
    invoices = conn.execute(
        "SELECT id, customer_id, total_cents, currency FROM invoices WHERE iso_week = %s AND exported_batch IS NULL",
        (week,),
    ).fetchall()
    rates: dict[str, float] = {}
    rows = []
    for inv in invoices:
        customer = conn.execute(  # expect: n-plus-one-query -- one customer query per invoice: a busy week is ~40k round trips, the export runs for most of an hour and holds its snapshot open on the primary; a JOIN in the invoice query does it in one
            "SELECT name, country, vat_id FROM customers WHERE id = %s", (inv["customer_id"],)
        ).fetchone()
        country = customer["country"]
        if country not in rates:
            rates[country] = vat_rate(country)
        rows.append(
            {
                "invoice": inv["id"],
                "customer": customer["name"],
                "vat_id": customer["vat_id"],
                "country": country,
                "net_cents": inv["total_cents"],
                "vat_rate": rates[country],
                "currency": inv["currency"],
            }
        )
    return rows


def _write_csv(path: Path, rows: list[dict]) -> None:
    tmp = path.with_suffix(".csv.part")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


@app.command()
def export(week: str = typer.Argument(..., help="ISO week, e.g. 2024-W18")) -> None:
    """Write the week's revenue CSV, flag the invoices as exported and mail a summary."""
    path = EXPORT_DIR / f"revenue-{week}.csv"
    try:
        with connect(DSN) as conn:
            rows = _revenue_rows(conn, week)
            _write_csv(path, rows)
            mark_exported(conn, [r["invoice"] for r in rows], batch=week)
            record_run(conn, "revenue-export", ok=len(rows), failed=0)
    except (psycopg.Error, OSError) as exc:  # quiet: the export fails with exit status 1 (the log call is what loses the diagnosis)
        log.error("revenue export for %s failed: %s", week, exc)  # expect: lost-traceback-log -- the try spans the invoice query, the per-invoice lookups, the CSV write to the finance share, the export flag and the run record: "permission denied" or "connection reset" with no traceback doesn't say which step failed, or whether the invoices were already flagged
        sys.exit(1)

    try:
        send_report(f"Revenue export {week}", f"{len(rows)} invoices written to {path}.", _recipients("finance"))  # quiet: send_report translates every SMTP failure into NotifyError, handled below
    except NotifyError as exc:  # quiet: a user-facing error, then exit status 1
        typer.secho(f"export written to {path}, but the summary mail failed: {exc}", err=True, fg=typer.colors.RED)  # quiet: a CLI printing a user-facing error with its cause before exiting non-zero
        sys.exit(1)
    typer.echo(f"{len(rows)} invoices exported to {path}")


def _fetch_rates(day: str) -> dict[str, float]:
    last_error: Exception | None = None
    for attempt in range(5):  # expect: naive-retry -- a constant 3 s sleep and every HTTPError retried: a date the FX service has no rates for (a weekend or holiday, 404) is asked for five times before failing, and during an outage every job's attempts hit the service in lockstep
        try:
            resp = requests.get(f"{FX_API}/reference-rates", params={"date": day}, timeout=10)  # quiet: timeout set, and the loop catches every requests error
            resp.raise_for_status()
            return resp.json()["rates"]  # quiet: raise_for_status ran first
        except requests.RequestException as exc:  # quiet: the handler of a retry loop that retries (the loop line carries the finding)
            last_error = exc
            log.debug("FX rates for %s: attempt %d failed", day, attempt + 1)  # quiet: a retry attempt, not the final handling: the last error is chained into the RuntimeError below
            time.sleep(3)
    raise RuntimeError(f"no FX rates for {day} after 5 attempts: {last_error}") from last_error  # quiet: outside any except block, and chained to the last error anyway


@app.command("fx-rates")
def fx_rates(day: str = typer.Argument(..., help="YYYY-MM-DD")) -> None:
    """Load the day's reference rates into fx_rates."""
    try:
        rates = _fetch_rates(day)
    except RuntimeError as exc:  # quiet: a user-facing error, then exit status 2
        typer.secho(f"could not load FX rates for {day}: {exc}", err=True, fg=typer.colors.RED)  # quiet: a CLI printing a user-facing error (it carries the last HTTP error) before exiting non-zero
        sys.exit(2)
    with connect(DSN) as conn:
        with conn.transaction():
            for currency, rate in rates.items():
                conn.execute(  # quiet: a write per rate inside one transaction; the loop runs over the API's answer, not over query rows
                    "INSERT INTO fx_rates (day, currency, rate) VALUES (%s, %s, %s) "
                    "ON CONFLICT (day, currency) DO UPDATE SET rate = EXCLUDED.rate",
                    (day, currency, rate),
                )
    typer.echo(f"{len(rates)} rates loaded for {day}")


if __name__ == "__main__":
    app()
