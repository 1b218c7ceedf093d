"""Sealing of the OAuth client records the tool gateway stores in its config table."""

import json
import logging
import os

from cryptography.fernet import Fernet

log = logging.getLogger(__name__)
FERNET = Fernet(os.environ["TOOL_GATEWAY_KEY"])


def seal(record: dict) -> str:
    """Serialize and encrypt a record for the config table."""
    try:
        text = json.dumps(record)
        return FERNET.encrypt(text.encode()).decode()
    except Exception as e:
        log.error(f"Error sealing the client record: {e}")
        raise
