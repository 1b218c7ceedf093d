"""Nightly export of store locations to the mapping vendor.

Downloads the active stores from the stores service, converts them to the vendor's CSV layout and uploads the
file to the vendor's FTPS drop. Run from cron with MAILTO set: there is no error handling on purpose, a failure
is a traceback in the cron mail and a non-zero exit, and the next night's run replaces the file anyway.

    geo-export --host ftp.mapvendor.example.net --user acme
"""

import argparse
import csv
import io
import json
import os
import sys
import urllib.request
from datetime import date
from ftplib import FTP_TLS

STORES_URL = "https://stores.internal.example.com/api/stores?active=1"
VENDOR_FIELDS = ["poi_id", "name", "street", "postcode", "city", "country", "lat", "lon", "opening_hours"]


def fetch_stores(url: str) -> list[dict]:
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:  # quiet: timeout set, and main handles none of its failures, so the traceback and exit status are the report
        return json.load(resp)["stores"]  # quiet: urlopen has raised HTTPError already for any status >= 400


def _hours(store: dict) -> str:
    return "; ".join(f"{day} {span['open']}-{span['close']}" for day, span in sorted(store.get("hours", {}).items()))


def to_vendor_csv(stores: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=VENDOR_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for store in stores:
        addr = store["address"]
        writer.writerow(
            {
                "poi_id": f"ACME-{store['id']}",
                "name": store["display_name"],
                "street": addr["street"],
                "postcode": addr["postcode"],
                "city": addr["city"],
                "country": addr["country"],
                "lat": f"{store['geo']['lat']:.6f}",
                "lon": f"{store['geo']['lon']:.6f}",
                "opening_hours": _hours(store),
            }
        )
    return out.getvalue().encode("utf-8")


def upload(data: bytes, host: str, user: str, password: str, name: str) -> None:
    ftps = FTP_TLS(host)  # expect: missing-timeout -- no timeout on the vendor's FTPS drop: a vendor server that accepts the connection and stalls hangs the nightly job forever, and no cron mail is ever sent because the job never ends
    ftps.login(user, password)  # quiet: main handles none of its failures: the cron mail's traceback and exit status are the report
    ftps.prot_p()
    ftps.storbinary(f"STOR {name}", io.BytesIO(data))  # quiet: same: an unhandled failure is this script's report
    ftps.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export store locations to the mapping vendor.")
    parser.add_argument("--url", default=STORES_URL)
    parser.add_argument("--host", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--dry-run", action="store_true", help="write the CSV to stdout instead of uploading it")
    args = parser.parse_args(argv)

    stores = fetch_stores(args.url)  # quiet: a main that handles none of its failures: its traceback and exit status are the report
    data = to_vendor_csv(stores)
    if args.dry_run:
        sys.stdout.buffer.write(data)
        return 0
    upload(data, args.host, args.user, os.environ["GEO_FTP_PASSWORD"], f"stores-{date.today():%Y%m%d}.csv")  # quiet: same, nothing in this script turns failures into exit statuses
    print(f"uploaded {len(stores)} stores to {args.host}")
    return 0


if __name__ == "__main__":
    sys.exit(main())  # quiet: the __main__ block is not a second boundary: whatever main() lets escape is reported once, inside main()
