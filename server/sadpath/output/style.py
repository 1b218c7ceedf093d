"""Colour for the terminal formats: ANSI escapes when asked for, plain text otherwise.

``--color auto`` (the default) colours only a terminal, and never when ``NO_COLOR`` is set (https://no-color.org);
``FORCE_COLOR`` colours a pipe too. ``--color always`` and ``--color never`` win over both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

_CODES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "cyan": "36",
    "bold_red": "1;31",
    "bold_blue": "1;34",
    "bold_cyan": "1;36",
}


def use_color(choice: str, stream_is_tty: bool, environ=os.environ) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return stream_is_tty and environ.get("TERM") != "dumb"


@dataclass(frozen=True)
class Style:
    color: bool = False

    def __call__(self, text: str, name: str) -> str:
        if not self.color or not text:
            return text
        return f"\x1b[{_CODES[name]}m{text}\x1b[0m"


PLAIN = Style(False)

__all__ = ["PLAIN", "Style", "use_color"]
