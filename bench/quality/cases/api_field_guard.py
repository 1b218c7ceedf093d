"""A tool server's response guards: field permissions, redaction and its start-up secret, and the server run."""
from __future__ import annotations

import binascii
import logging
import os
import re
import sys

import uvicorn

logger = logging.getLogger(__name__)
HEX_SECRET = re.compile(r"^([a-f0-9]{2})+$")


class FieldPermissionsMiddleware:
    """Strips the fields the current user may not see from every tool response."""

    def __init__(self, permissions) -> None:
        self.permissions = permissions

    async def on_call_tool(self, context, call_next):
        response = await call_next(context)
        user = context.user
        try:
            filtered = self._filter_response(response, user)
            logger.debug("filtered %s for %s", context.tool, getattr(user, "username", "anonymous"))
            return filtered
        except Exception as e:  # expect: silent-except -- the permission filter fails open: when it raises, the caller gets the unfiltered response with the very fields it exists to hide
            logger.error("Error applying field permissions to %s: %s", context.tool, e)
            # return the original response if filtering fails
            return response

    def _filter_response(self, response, user):
        allowed = self.permissions.allowed_fields(user)
        return {key: value for key, value in response.items() if key in allowed}


def redact_payload(payload: dict, redactor) -> dict:
    """The payload with secrets masked, for the audit trail."""
    try:
        return redactor.redact(payload)
    except Exception:  # expect: silent-except -- a failing redactor writes the unredacted payload, secrets included, into the audit trail
        logger.exception("redaction failed")
        return payload


def pretty_payload(payload: dict, formatter) -> dict:
    try:
        return formatter.format(payload)
    except Exception as e:  # quiet: a formatting step falls back to the raw payload, which is the same data; the record says the formatter failed and why
        logger.warning("could not format the payload: %s", e)
        return payload


def load_cookie_secret(secret_file: str) -> bytes:
    """The cookie secret from its file: hex, or the old base64 form."""
    try:
        if os.stat(secret_file).st_mode & 0o07:
            raise ValueError("the cookie secret file can be read or written by anybody")
        with open(secret_file) as f:
            text = f.read().strip()
        secret = binascii.a2b_hex(text) if HEX_SECRET.match(text) else binascii.a2b_base64(text)
    except Exception as e:
        logger.error("Refusing to start with an invalid cookie secret file %s: %s", secret_file, e)  # quiet: every step reads or decodes the one named file, and each error (the OSError with its path, the decode error, the own refusal) says what is wrong
        sys.exit(1)
    return secret


def run_server(app, host: str, port: int) -> None:
    marker = f"TOOLS_RUNNING_{port}"
    if os.environ.get(marker):
        logger.info("the tool server already runs on %s:%s", host, port)
        return
    os.environ[marker] = "1"
    try:
        uvicorn.run(app, host=host, port=port)
    except Exception as e:  # expect: silent-except -- a crashed server run is logged without its traceback and the function returns, so the command exits 0 as if the server had stopped cleanly; popping the run marker is tidying up, not handling
        logger.error("the tool server failed: %s", e)
        os.environ.pop(marker, None)
