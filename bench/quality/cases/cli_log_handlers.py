"""Logging handlers shared by the batch jobs.

- PostgresAuditHandler: WARNING and above into audit_log, for the compliance report
- MailAlertHandler: each ERROR record mailed to ops
- DigestMailHandler: buffers records and mails them as one digest (at capacity, and when the job ends)
- ChatHandler: CRITICAL records posted to the ops chat
- CollectorHandler: ships every record to the log collector from inside an asyncio job
"""

import asyncio
import json
import logging
import logging.handlers
import smtplib
import ssl
import sys
import traceback
import urllib.request
from email.message import EmailMessage

import httpx
import psycopg2


class PostgresAuditHandler(logging.Handler):
    def __init__(self, dsn: str, job: str, level: int = logging.WARNING):
        super().__init__(level)
        self.job = job
        self.conn = psycopg2.connect(dsn, connect_timeout=5)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            with self.conn.cursor() as cur:
                cur.execute(
                    "INSERT INTO audit_log (job, logged_at, level, logger, message) "
                    "VALUES (%s, to_timestamp(%s), %s, %s, %s)",
                    (self.job, record.created, record.levelname, record.name, self.format(record)),
                )
            self.conn.commit()  # expect: transaction-without-rollback -- the handler keeps one connection for the life of the job: a single failed insert (a message with a NUL byte) leaves it in an aborted transaction and nothing rolls back, so every later audit record fails with InFailedSqlTransaction and the run's compliance trail stops there
        except Exception:  # quiet: logging's own contract: a handler never raises into the code that logged; handleError prints the traceback to stderr
            self.handleError(record)


class MailAlertHandler(logging.Handler):
    def __init__(self, host: str, sender: str, to: list[str], *, timeout: float = 10.0):
        super().__init__(logging.ERROR)
        self.host, self.sender, self.to, self.timeout = host, sender, to, timeout

    def emit(self, record: logging.LogRecord) -> None:
        msg = EmailMessage()
        msg["Subject"] = f"[{record.levelname}] {record.name}: {record.getMessage()[:80]}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg.set_content(self.format(record))
        try:
            with smtplib.SMTP_SSL(self.host, 465, timeout=self.timeout, context=ssl.create_default_context()) as smtp:  # quiet: timeout set, and the failure is reported below
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as exc:  # quiet: a Handler.emit must not raise; it reports its own failure on stderr, as logging itself does
            print(f"MailAlertHandler: could not mail {record.levelname} from {record.name} via {self.host}: {exc!r}", file=sys.stderr)  # quiet: a logging handler printing its own failure to stderr


class DigestMailHandler(logging.handlers.BufferingHandler):
    def __init__(self, host: str, sender: str, to: list[str], capacity: int = 500):
        super().__init__(capacity)
        self.host, self.sender, self.to = host, sender, to

    def flush(self) -> None:
        self.acquire()
        try:
            if not self.buffer:
                return
            msg = EmailMessage()
            msg["Subject"] = f"job log digest: {len(self.buffer)} records"
            msg["From"] = self.sender
            msg["To"] = ", ".join(self.to)
            msg.set_content("\n".join(self.format(r) for r in self.buffer))
            try:
                with smtplib.SMTP(self.host, 587) as smtp:  # expect: missing-timeout -- flush() also runs from logging.shutdown at interpreter exit: with no timeout, a relay that accepts the connection and stalls keeps the finished job's process alive forever, and cron's next run piles on top of it
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.send_message(msg)
            except (smtplib.SMTPException, OSError):  # quiet: a logging handler reporting its own failure on stderr, with the traceback
                traceback.print_exc(file=sys.stderr)
            self.buffer.clear()
        finally:
            self.release()


class ChatHandler(logging.Handler):
    def __init__(self, webhook_url: str, timeout: float = 5.0):
        super().__init__(logging.CRITICAL)
        self.webhook_url, self.timeout = webhook_url, timeout

    def emit(self, record: logging.LogRecord) -> None:
        req = urllib.request.Request(
            self.webhook_url,
            data=json.dumps({"text": self.format(record)}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(req, timeout=self.timeout).close()  # quiet: timeout set; urlopen raises for >= 400 and the failure goes to handleError
        except:  # expect: bare-except -- also catches KeyboardInterrupt and SystemExit: a Ctrl-C (or a signal handler's sys.exit) that lands during the up-to-5 s webhook post is swallowed into handleError's stderr dump and the job keeps running
            self.handleError(record)


class CollectorHandler(logging.Handler):
    """For asyncio jobs: ships each record to the log collector without blocking the event loop."""

    def __init__(self, base_url: str, token: str):
        super().__init__()
        self.client = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=5.0)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # quiet: a record logged outside the event loop cannot be shipped; handleError reports it on stderr, as logging does
            self.handleError(record)
            return
        loop.create_task(self._ship(self.format(record), record.levelname))  # expect: fire-and-forget-task -- the task is dropped: the loop keeps only a weak reference, so a pending shipment can be garbage-collected mid-flight, and the last records of a job are cancelled when asyncio.run exits, exactly the ones that explain a crash

    async def _ship(self, line: str, level: str) -> None:
        try:
            resp = await self.client.post("/ingest", json={"line": line, "level": level})  # quiet: the client's 5 s timeout applies (the handler below is the defect)
            resp.raise_for_status()
        except httpx.HTTPError:  # expect: silent-except -- every collector failure is dropped without a trace, not even logging's stderr report: when the collector's token expires, every job's logs vanish for weeks and nobody notices
            pass
