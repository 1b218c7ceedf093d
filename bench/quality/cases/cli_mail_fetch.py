"""ap-inbox: poll the accounts-payable mailbox and file supplier invoices (PDF attachments) in S3.

Long-running under systemd. Each PDF goes to s3://acme-ap-inbox/<message-id>/<filename> and is recorded in
ap_inbox; the message is then flagged \\Seen so the next poll skips it. S3 objects that have no ap_inbox row
are added by the nightly reconcile job, so a failed insert only delays the invoice by a day."""

import email
import imaplib
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from email.message import Message

import boto3
import psycopg2

log = logging.getLogger("ap-inbox")

IMAP_HOST = "imap.example.com"
BUCKET = "acme-ap-inbox"
POLL_SECONDS = 60

s3 = boto3.client("s3")
db = psycopg2.connect(os.environ["AP_DSN"], connect_timeout=10)


@dataclass
class Invoice:
    msg_num: bytes
    key: str
    sender: str
    pdf: bytes


def connect(user: str, password: str) -> imaplib.IMAP4_SSL:
    box = imaplib.IMAP4_SSL(IMAP_HOST)  # expect: missing-timeout -- imaplib's default is no timeout, for the connect and for every later command: a server that accepts TCP and never greets, or a connection gone half-open during SEARCH, blocks the poller forever and invoices silently stop being filed
    box.login(user, password)
    box.select("INBOX")
    return box


def reconnect(user: str, password: str) -> imaplib.IMAP4_SSL:
    while True:  # expect: naive-retry -- no attempt cap, a constant 30 s delay, and a rejected password (IMAP4.error AUTHENTICATIONFAILED) is retried forever: after a credential rotation the poller logs in wrongly every 30 s until the mail server locks the AP account
        try:
            return connect(user, password)
        except (imaplib.IMAP4.error, OSError):  # quiet: the handler of a retry loop that retries (the loop line carries the finding)
            log.warning("IMAP connect to %s failed, retrying in 30s", IMAP_HOST, exc_info=True)
            time.sleep(30)


def _pdf_parts(num: bytes, msg: Message) -> list[Invoice]:
    message_id = msg["Message-ID"].strip("<>")
    return [
        Invoice(num, f"{message_id}/{part.get_filename()}", msg["From"], part.get_payload(decode=True))
        for part in msg.walk()
        if part.get_content_type() == "application/pdf"
    ]


def fetch_unseen_invoices(box: imaplib.IMAP4_SSL) -> list[Invoice]:
    _typ, data = box.search(None, "UNSEEN")
    invoices = []
    for num in data[0].split():
        _typ, parts = box.fetch(num, "(BODY.PEEK[])")  # quiet: one IMAP fetch per message number, not a database query per row
        try:
            invoices.extend(_pdf_parts(num, email.message_from_bytes(parts[0][1])))
        except BaseException:  # expect: bare-except -- also catches KeyboardInterrupt: a Ctrl-C while a big mailbox is parsed is logged as "could not be parsed" and the poll carries on, so the poller cannot be stopped by hand; `except Exception` is all the fallback needs
            log.exception("message %s could not be parsed, leaving it unseen", num.decode())  # quiet: logged with the traceback; the message stays unseen and is tried again on the next poll
    return invoices


def record_invoice(inv: Invoice) -> None:
    with db.cursor() as cur:
        cur.execute("INSERT INTO ap_inbox (s3_key, sender, received_at) VALUES (%s, %s, now())", (inv.key, inv.sender))
    db.commit()  # expect: transaction-without-rollback -- db is module-level and lives as long as the service: one failed insert leaves it in an aborted transaction with no rollback, the loop logs it and goes on, and every later invoice fails to be recorded with "current transaction is aborted" until the service restarts


def run(user: str, password: str, stop: threading.Event) -> None:
    box = None
    while not stop.is_set():  # quiet: the poller's loop, driven by the stop event: a poll every minute, not a retry
        if box is None:
            box = reconnect(user, password)
        try:
            invoices = fetch_unseen_invoices(box)
        except (imaplib.IMAP4.abort, OSError):  # quiet: a poller that logs with the traceback, drops the connection and reconnects on the next pass
            log.warning("IMAP connection lost, reconnecting", exc_info=True)
            box = None
            continue
        for inv in invoices:
            s3.put_object(Bucket=BUCKET, Key=inv.key, Body=inv.pdf, ContentType="application/pdf")  # expect: unhandled-external-call -- the poller handles IMAP and database failures but not S3: a throttled or denied PutObject (ClientError) escapes the loop and kills the service; systemd restarts it, it fetches the same unseen message and dies on the same invoice again, a crash loop that stops all invoice filing
            try:
                record_invoice(inv)
            except psycopg2.Error:  # quiet: the documented fallback: the PDF is in S3 and the nightly reconcile records it; logged with the traceback
                log.exception("could not record %s in ap_inbox", inv.key)
            try:
                box.store(inv.msg_num, "+FLAGS", "\\Seen")  # quiet: its connection failures are handled just below
            except (imaplib.IMAP4.abort, OSError):  # quiet: reconnect on the next pass; the message stays unseen and is filed again under the same S3 key
                log.warning("could not flag message %s as seen", inv.msg_num.decode(), exc_info=True)
                box = None
                break
        stop.wait(POLL_SECONDS)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s ap-inbox %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run(os.environ["AP_IMAP_USER"], os.environ["AP_IMAP_PASSWORD"], stop)  # quiet: the one S3 path is unhandled everywhere, so its finding sits on the put_object line, not on this call
    except KeyboardInterrupt:  # quiet: Ctrl-C at the entry point: a clean stop
        log.info("interrupted, stopping")
    return 0


if __name__ == "__main__":
    sys.exit(main())  # quiet: the __main__ block is not a second boundary: whatever main() lets escape is reported once, inside main()
