"""dlq-relay: re-deliver partner webhooks that failed, from the dead_letters table (cron, every minute).

Every dead letter carries the correlation id of the request that produced it, and every log line about a
letter must carry it too; run-level log lines carry the run's own id as their correlation_id."""

import argparse
import hashlib
import hmac
import json
import logging
import smtplib
import sqlite3
import sys
import uuid
from email.message import EmailMessage

import requests

log = logging.getLogger("dlq-relay")

MAX_ATTEMPTS = 8
SMTP_HOST = "smtp.internal.example.com"
PARTNER_OPS = ["partner-ops@example.com"]


def pending(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT id, correlation_id, partner_id, url, body, attempts FROM dead_letters "
        "WHERE delivered_at IS NULL AND parked_at IS NULL AND attempts < ? ORDER BY id LIMIT 500",
        (MAX_ATTEMPTS,),
    ).fetchall()


def sign(body: str, secret: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


def deliver(session: requests.Session, letter: sqlite3.Row, secret: str) -> bool:
    """POST one dead letter; True when the partner accepted it, False when it stays in the queue."""
    cid = letter["correlation_id"]
    headers = {"Content-Type": "application/json", "X-Correlation-ID": cid, "X-Signature": sign(letter["body"], secret)}
    try:
        resp = session.post(letter["url"], data=letter["body"], headers=headers, timeout=15)  # quiet: timeout set, and every requests error becomes the documented False answer below
    except requests.RequestException as exc:  # quiet: the documented False answer; the caller counts the attempt
        log.warning("redelivery of letter %s failed: %s", letter["id"], exc, extra={"correlation_id": cid})  # quiet: carries correlation_id, and it is one call whose error text carries the cause
        return False
    if resp.status_code >= 300:
        log.warning("partner answered %s for letter %s: %s", resp.status_code, letter["id"], resp.text[:200], extra={"correlation_id": cid})  # quiet: outside any handler, and the status was checked before the body is read
        return False
    return True


def mail_exhausted(letters: list[sqlite3.Row], run_id: str) -> None:
    msg = EmailMessage()
    msg["Subject"] = f"[dlq-relay] {len(letters)} webhooks gave up after {MAX_ATTEMPTS} attempts"
    msg["From"] = "dlq-relay@example.com"
    msg["To"] = ", ".join(PARTNER_OPS)
    msg.set_content("\n".join(f"{l['id']}  {l['correlation_id']}  {l['url']}" for l in letters) + f"\n\nrun {run_id}")
    with smtplib.SMTP(SMTP_HOST, 587, timeout=20) as smtp:  # quiet: timeout set; main handles the failure as a best-effort report
        smtp.starttls()
        smtp.send_message(msg)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Re-deliver dead-lettered partner webhooks.")
    parser.add_argument("--db", default="/var/lib/webhooks/dead_letters.db")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s dlq-relay %(levelname)s %(message)s")
    run_id = uuid.uuid4().hex

    conn = sqlite3.connect(args.db, timeout=5)  # quiet: a database connection with a lock timeout: its failures are infrastructure errors
    conn.row_factory = sqlite3.Row
    try:
        letters = pending(conn)  # quiet: its OperationalError is handled just below, and a read raises no integrity violation
    except sqlite3.OperationalError:  # quiet: exit status 75 (EX_TEMPFAIL): cron runs the relay again in a minute
        log.exception("dead_letters is locked or unreadable, skipping this run")  # expect: log-missing-context -- the run's id is in scope and left out: the skipped run cannot be found by correlation_id next to the runs before and after it, which is how on-call reads the relay's history
        return 75

    session = requests.Session()
    delivered, exhausted = 0, []
    for letter in letters:
        cid = letter["correlation_id"]
        partner = conn.execute(  # expect: n-plus-one-query -- one partners query per dead letter: with 500 letters a minute that is 500 lookups for a handful of partners, holding the sqlite file busy while the webhook receiver tries to write new dead letters
            "SELECT signing_secret, active FROM partners WHERE id = ?", (letter["partner_id"],)
        ).fetchone()
        if partner is None or not partner["active"]:
            continue
        try:
            json.loads(letter["body"])
        except ValueError as exc:  # quiet: an explicit outcome: the letter is parked for a human, not retried
            log.error("letter %s has a corrupt body (%s), parking it", letter["id"], exc)  # expect: log-missing-context -- the letter's correlation_id is right there and left out: the parked letter cannot be traced back to the partner request that produced it
            with conn:  # quiet: commits the update or rolls it back
                conn.execute("UPDATE dead_letters SET parked_at = datetime('now') WHERE id = ?", (letter["id"],))  # quiet: a write per row, not a read
            continue
        ok = deliver(session, letter, partner["signing_secret"])
        with conn:  # quiet: commits the update or rolls it back
            if ok:
                conn.execute("UPDATE dead_letters SET delivered_at = datetime('now') WHERE id = ?", (letter["id"],))  # quiet: a write per row, not a read
                delivered += 1
                log.info("letter %s delivered", letter["id"], extra={"correlation_id": cid})
            else:
                conn.execute("UPDATE dead_letters SET attempts = attempts + 1 WHERE id = ?", (letter["id"],))  # quiet: a write per row, not a read
                if letter["attempts"] + 1 >= MAX_ATTEMPTS:
                    exhausted.append(letter)
    log.info("run %s: %d delivered, %d exhausted", run_id, delivered, len(exhausted))  # quiet: outside any handler: required-log-fields applies to log calls in handlers only

    if exhausted:
        try:
            mail_exhausted(exhausted, run_id)
        except (smtplib.SMTPException, OSError):  # quiet: a best-effort report logged with the traceback; the letters themselves are already recorded
            log.exception("could not mail the report of %d exhausted letters", len(exhausted))  # expect: log-missing-context -- no correlation_id although the run's id is in scope: the failed report cannot be tied to the run whose exhausted letters it was about
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())  # quiet: the __main__ block is not a second boundary: whatever main() lets escape is reported once, inside main()
