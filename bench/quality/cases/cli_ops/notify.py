"""Notifications the batch jobs send: the ops mail report, the chat webhook, and the on-call lookup."""

import json
import logging
import smtplib
import urllib.request
from email.message import EmailMessage

import requests

logger = logging.getLogger(__name__)

SMTP_HOST = "smtp.internal.example.com"
SMTP_PORT = 587
CHAT_TIMEOUT = 5.0


class NotifyError(Exception):
    """A notification could not be delivered."""


def format_summary(job: str, ok: int, failed: list[str], *, limit: int = 20) -> str:
    """The body of a job's summary mail: counts first, then the first ``limit`` failed items."""
    lines = [f"{job}: {ok} ok, {len(failed)} failed"]
    lines += [f"  - {item}" for item in failed[:limit]]
    if len(failed) > limit:
        lines.append(f"  ... and {len(failed) - limit} more")
    return "\n".join(lines)


def send_report(subject: str, body: str, to: list[str], *, sender: str = "ops-bot@example.com") -> None:
    """Mail a plain-text report; raises NotifyError when the relay refuses it or cannot be reached."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg.set_content(body)
    try:
        with smtplib.SMTP(SMTP_HOST, SMTP_PORT) as smtp:  # expect: missing-timeout -- no timeout on the relay connection (the socket default is none): a relay that accepts TCP and never sends its banner blocks the nightly job in this constructor forever
            smtp.starttls()  # quiet: every SMTP and socket error of the session becomes NotifyError below
            smtp.send_message(msg)  # quiet: the same translation covers the send
    except (smtplib.SMTPException, OSError) as exc:  # quiet: typed translation for every caller
        raise NotifyError(f"mail to {', '.join(to)} failed: {exc}")  # expect: unchained-translation -- raised without `from exc`: the SMTPException (the relay's reply code) is no longer the cause, so the job's traceback shows the translation as a second crash and the relay's own error type is lost to whoever handles NotifyError
    logger.info("report %r mailed to %d recipients", subject, len(to))


def post_chat(webhook_url: str, text: str) -> None:
    """Post ``text`` to a chat webhook; raises urllib.error.URLError (an OSError) on failure."""
    req = urllib.request.Request(
        webhook_url,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=CHAT_TIMEOUT) as resp:  # quiet: timeout set; its callers own the handling (deployctl handles it, pricesync's call line carries that finding)
        resp.read()  # quiet: urlopen has raised HTTPError already for any status >= 400


def oncall_contacts(api_url: str, team: str, **http_kwargs) -> list[str]:
    """E-mail addresses of whoever is on call for ``team`` right now."""
    http_kwargs.setdefault("headers", {"Accept": "application/json"})
    http_kwargs.setdefault("params", {"include": "email"})
    resp = requests.get(f"{api_url}/teams/{team}/oncall", **http_kwargs)  # expect: missing-timeout -- the kwargs only ever get headers and params (its one caller passes nothing), so the lookup has no timeout: a hung on-call service stalls the weekly export after the CSV is written, forever
    return [person["email"] for person in resp.json()["people"]]  # expect: unchecked-http-status -- no status check: a 503 from the on-call service with a JSON error body is read as a roster, and the KeyError on 'people' is not a RequestException, so the report's fallback recipients never kick in and the export dies with a traceback
