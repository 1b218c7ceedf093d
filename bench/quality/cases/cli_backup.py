"""Nightly PostgreSQL backup: dump, ship to the backup host and to S3, prune old local dumps.

cron:  30 2 * * *  backup --db orders --host backup1.internal
Exit status: 0 ok, 2 dump failed, 3 rsync failed, 4 S3 upload failed; every failure also mails ops."""

import argparse
import datetime as dt
import logging
import subprocess
import sys
from pathlib import Path

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError

from cli_ops.notify import NotifyError, send_report
from cli_ops.shell import git_fetch, rsync_command

log = logging.getLogger("backup")

DUMP_DIR = Path("/var/backups/pg")
CONFIG_REPO = Path("/etc/backup-config")
BUCKET = "acme-db-backups"
OPS = ["ops@example.com"]

s3 = boto3.client("s3")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Nightly PostgreSQL backup.")
    parser.add_argument("--db", required=True)
    parser.add_argument("--host", required=True, help="backup host, reachable over ssh")
    parser.add_argument("--timeout", type=float, default=300.0, help="rsync I/O timeout in seconds")
    parser.add_argument("--keep", type=int, default=7, help="local dumps to keep")
    return parser.parse_args(argv)


def dump_database(db: str, out: Path) -> None:
    subprocess.run(  # quiet: pg_dump talks to the local server over its unix socket with a lock-wait limit (nothing on the network to stall on), and main handles its CalledProcessError
        ["pg_dump", "--format=custom", "--lock-wait-timeout=60s", "--file", str(out), db],
        check=True,
        capture_output=True,
        text=True,
    )


def report_failure(db: str, what: str) -> None:
    """Mail ops about a failed backup; best effort, the exit status already tells cron."""
    try:
        send_report(f"[backup] {db}: {what}", f"The nightly backup of {db} failed: {what}.", OPS)  # quiet: send_report translates every SMTP failure into NotifyError, handled below
    except NotifyError:  # quiet: a best-effort notification logged with the traceback; the exit status still reports the failure
        log.exception("could not mail the failure report for %s", db)


def prune(db: str, keep: int) -> None:
    for old in sorted(DUMP_DIR.glob(f"{db}-*.dump"))[:-keep]:
        try:
            old.unlink()
        except FileNotFoundError:  # quiet: a narrow expected outcome: the dump is already gone, which is what pruning wants
            pass


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s backup %(levelname)s %(message)s")

    git_fetch(CONFIG_REPO)  # expect: unhandled-external-call -- deployctl release handles git fetch's CalledProcessError, this main does not: a config remote that refuses the fetch kills the backup with a traceback before the dump starts, and the failure mail every other step sends never goes out
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = DUMP_DIR / f"{args.db}-{stamp}.dump"

    try:
        dump_database(args.db, out)  # quiet: main handles pg_dump's CalledProcessError deliberately (a missing pg_dump binary is not this job's failure mode to handle)
    except subprocess.CalledProcessError as exc:  # quiet: an explicit outcome: exit status 2 and a failure mail
        log.error("pg_dump of %s failed: %s", args.db, exc)  # expect: lost-traceback-log -- CalledProcessError's text is only "returned non-zero exit status 1": pg_dump's stderr (the actual reason: authentication, lock timeout, disk full) was captured and is thrown away, so the cron mail never says why
        report_failure(args.db, "pg_dump failed")
        return 2

    cmd = rsync_command(DUMP_DIR, f"{args.host}:/backups/pg", io_timeout=args.timeout)
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=args.timeout * 4)  # quiet: bounded (rsync's I/O timeout plus an overall limit), and both failure kinds are handled below
    except subprocess.TimeoutExpired:  # quiet: exit status 3 and a failure mail
        log.error("rsync to %s did not finish within %.0fs", args.host, args.timeout * 4)  # quiet: a descriptive message around one call; a timeout carries nothing more to log
        report_failure(args.db, f"rsync to {args.host} timed out")
        return 3
    except subprocess.CalledProcessError as exc:  # quiet: exit status 3 and a failure mail
        log.error("rsync to %s failed (exit %s): %s", args.host, exc.returncode, exc.stderr.strip())  # quiet: one call, and the message carries rsync's exit status and stderr
        report_failure(args.db, f"rsync to {args.host} failed")
        return 3

    try:
        s3.upload_file(str(out), BUCKET, f"{args.db}/{out.name}")  # quiet: botocore's connect/read timeouts are bounded (60 s) and every boto3 error is handled below
    except (BotoCoreError, ClientError, S3UploadFailedError) as exc:  # quiet: exit status 4 and a failure mail
        log.error(exc)  # expect: lost-traceback-log -- the exception is the whole message: a NoCredentialsError logs just "Unable to locate credentials" with no database, bucket or step named and no traceback, so the cron mail doesn't even say it was the S3 upload
        report_failure(args.db, "S3 upload failed")
        return 4

    prune(args.db, args.keep)
    log.info("backup of %s done: %s", args.db, out.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())  # quiet: the __main__ block is not a second boundary: whatever main() lets escape is reported once, inside main()
