"""Export worker pushing report rows to a spreadsheet API through a session that the sheets library builds for it
(its own Session subclass, with its own default timeout), beside a plain requests.Session it builds itself."""

import logging

import requests
from requests import Session
from sheets_sdk.backends import adapter_for_sheet

log = logging.getLogger(__name__)


def _post_json(session: Session, url: str, body: dict) -> dict:
    log.info("POST %s", url)
    response = session.post(url, json=body)  # quiet: the session comes from the sheets library's factory, whose class sets its own default timeout; the annotation does not say which class runs
    response.raise_for_status()
    return response.json()


def export_rows(sheet_url: str, rows: list[list[str]]) -> dict:
    adapter = adapter_for_sheet(sheet_url)
    session = adapter.authorized_session()
    return _post_json(session, f"{sheet_url}:append", {"values": rows})


def _get_json(session: Session, url: str) -> dict:
    response = session.get(url)  # expect: missing-timeout -- a plain requests.Session built below has no default: a stalled status API holds the export worker forever
    response.raise_for_status()
    return response.json()


def export_status(status_url: str) -> dict:
    session = requests.Session()
    return _get_json(session, status_url)
