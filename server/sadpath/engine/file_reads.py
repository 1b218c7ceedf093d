"""Which other project files an analysis read (for SAD201's cross-file calls).

A cached result is only valid while those files are unchanged, so the analysis of one file records the
files it followed calls into, with a digest of their text. One analysis runs at a time per process (the CLI
analyses files one after another in each worker; the server analyses on one thread), so a process-wide
recorder that ``recording()`` resets is enough.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from typing import Iterator

_current: dict[str, str] | None = None


def text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def note(path: str, text: str) -> None:
    """Called when an analysis reads another project file."""
    if _current is not None:
        _current[path] = text_digest(text)


@contextmanager
def recording() -> Iterator[dict[str, str]]:
    """Collect ``{path: digest}`` of the files read while the block runs."""
    global _current
    previous, _current = _current, {}
    try:
        yield _current
    finally:
        _current = previous
