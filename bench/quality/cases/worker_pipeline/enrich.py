"""Customer enrichment for export rows: the CRM service (httpx) and the geo service (requests)."""
from __future__ import annotations

import logging
from typing import Optional

import httpx
import requests as rq

logger = logging.getLogger(__name__)

CRM_URL = "https://crm.internal/api"
GEO_URL = "https://geo.internal/v1/lookup"
PARTNER_FEED_URL = "https://partners.internal/feed"
LOGO_CDN_URL = "https://cdn.partners.internal/logos"

_crm = httpx.Client(base_url=CRM_URL, timeout=5.0, headers={"Accept": "application/json"})


def fetch_customer_profile(customer_id: str) -> dict:
    """Return the CRM profile of one customer."""
    resp = _crm.get(f"/customers/{customer_id}")  # expect: unhandled-external-call -- both export tasks call this with nothing handling a CRM timeout or 5xx, so one slow CRM response fails the whole export task with no retry and no status on the export
    resp.raise_for_status()
    return resp.json()  # quiet: raise_for_status() runs before the body is read


def lookup_region(ip: str) -> Optional[str]:
    """Best-effort geo enrichment: returns None when the geo service cannot answer."""
    try:
        resp = rq.get(GEO_URL, params={"ip": ip})  # expect: missing-timeout -- no timeout: a geo service that accepts the connection and never answers blocks the export worker forever, and the except below never runs
        resp.raise_for_status()
    except rq.RequestException:  # quiet: documented optional enrichment (Optional return), logged with the traceback
        logger.warning("geo lookup failed for %s", ip, exc_info=True)
        return None
    return resp.json().get("region")  # quiet: raise_for_status() ran before the body is read


def fetch_partner_rows(partner: str, since: str) -> list[dict]:
    """Rows a partner added since ``since`` (ISO date).

    Raises requests errors to the caller: the import task retries connection errors and timeouts.
    """
    kwargs = {"params": {"partner": partner, "since": since}, "headers": {"Accept": "application/json"}}
    resp = rq.get(PARTNER_FEED_URL, **kwargs)  # expect: missing-timeout -- the kwargs built two lines up never carry a timeout, so a stalled partner feed hangs the task forever, or until a hard time limit kills the whole worker process
    resp.raise_for_status()
    return resp.json()["rows"]  # quiet: raise_for_status() runs before the body is read


def post_webhook(url: str, payload: dict, *, timeout: float) -> int:
    """Notify a customer webhook; the caller picks the timeout and decides what to retry."""
    resp = rq.post(url, json=payload, timeout=timeout)  # quiet: the timeout is passed through from the caller, and the only caller (notify_export_ready) retries connection errors and timeouts
    if resp.status_code >= 400:
        raise rq.HTTPError(f"webhook answered {resp.status_code}: {resp.text[:200]}", response=resp)  # quiet: not inside an except block; the body is read only to build the error after the status check failed
    return resp.status_code


def download_partner_logo(partner: str, dest: str) -> str:
    """Save a partner's logo next to the export; requests errors go to the caller."""
    resp = rq.get(f"{LOGO_CDN_URL}/{partner}.png", timeout=10)  # quiet: a timeout is set and the only caller handles every requests error
    with open(dest, "wb") as fh:
        fh.write(resp.content)  # expect: unchecked-http-status -- a 404 or 503 error page from the CDN is saved as the partner's logo and embedded in the customer's export
    return dest
