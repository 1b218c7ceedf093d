"""The words of a name, a path or a string, for rules that judge a call or a relation by what it is called."""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def words(text: str) -> list[str]:
    """``uploadFile`` -> upload, file; ``process_pdf`` -> process, pdf; ``OutgoingMail`` -> outgoing, mail;
    ``/v1/ocr`` -> v1, ocr."""
    return [w.lower() for w in _WORD.findall(text)]


def last_word(name: str) -> str:
    """The head word of a compound name (``mail`` of ``outgoing_mail``); ``""`` for a name with no word."""
    found = words(name)
    return found[-1] if found else ""
