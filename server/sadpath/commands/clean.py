"""``sadpath clean``: remove the result cache (only what sadpath wrote there)."""

from __future__ import annotations

import sys
from pathlib import Path

from sadpath.cache import CacheRefused, clean
from sadpath.commands import EXIT_CLEAN, EXIT_ERROR


def main(directory: Path) -> int:
    try:
        left = clean(directory)
    except CacheRefused as exc:
        print(f"sadpath: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"sadpath: cannot remove {directory}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    if left:
        print(f"sadpath: removed the cache in {directory}, but left {len(left)} entries sadpath did not create there", file=sys.stderr)
    return EXIT_CLEAN


