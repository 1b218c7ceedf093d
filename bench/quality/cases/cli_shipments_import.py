"""Load carrier shipment files into the reporting database.

The carriers' SFTP bridge drops one CSV per carrier and hour into /srv/drop/carriers; this job (cron, every
15 minutes) loads each file not loaded before and moves it to done/. Exit status 1 when any file failed; the
failed files stay in the drop and are tried again on the next run."""

import argparse
import csv
import logging
import shutil
import sys
from datetime import datetime
from pathlib import Path

import psycopg

from cli_ops.pgstore import already_imported, connect, upsert_shipments

log = logging.getLogger("shipments-import")

COLUMNS = ("tracking_no", "carrier", "status", "event_at", "weight_g")


def parse_file(path: Path) -> list[dict]:
    """The file's rows as dicts; raises ValueError for a malformed file."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = set(COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"missing columns: {', '.join(sorted(missing))}")
        rows = []
        for lineno, raw in enumerate(reader, start=2):
            try:
                rows.append(
                    {
                        "tracking_no": raw["tracking_no"].strip(),
                        "carrier": raw["carrier"].strip().upper(),
                        "status": raw["status"].strip().lower(),
                        "event_at": datetime.fromisoformat(raw["event_at"]),
                        "weight_g": int(raw["weight_g"] or 0),
                    }
                )
            except ValueError as exc:  # quiet: translated into a ValueError that names the line
                raise ValueError(f"line {lineno}: {exc}") from exc  # quiet: chained
        return rows


def mark_file_done(conn: psycopg.Connection, path: Path, rows: int) -> None:
    conn.execute("INSERT INTO imported_files (name, rows, imported_at) VALUES (%s, %s, now())", (path.name, rows))
    conn.commit()  # expect: transaction-without-rollback -- conn is main's connection for the whole run: when this insert fails (a file name a concurrent run already recorded) the transaction is left aborted, main logs it and goes on, and every later file of the drop fails with "current transaction is aborted"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load carrier shipment files.")
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--drop", type=Path, default=Path("/srv/drop/carriers"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s shipments-import %(levelname)s %(message)s")

    conn = connect(args.dsn)  # quiet: database connection failures are infrastructure errors: the traceback and exit status report them
    files = sorted(args.drop.glob("*.csv"))
    seen = already_imported(conn, [p.name for p in files])  # quiet: a database read (no single-object lookup), its failures are infrastructure errors
    failed = []
    for path in files:
        if path.name in seen:
            continue
        try:
            rows = parse_file(path)
        except ValueError:  # quiet: a counted failure logged with the traceback; the file stays in the drop
            log.exception("%s is not a valid carrier file", path.name)
            failed.append(path.name)
            continue
        try:
            written = upsert_shipments(conn, rows)
            mark_file_done(conn, path, written)
        except psycopg.Error:  # quiet: a counted failure logged with the traceback (the missing rollback is the defect of the commit lines)
            log.exception("loading %s failed", path.name)
            failed.append(path.name)
            continue
        shutil.move(str(path), str(args.drop / "done" / path.name))
        log.info("%s: %d shipments", path.name, written)
    conn.close()
    if failed:
        print(f"{len(failed)} files failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())  # quiet: the __main__ block is not a second boundary: whatever main() lets escape is reported once, inside main()
