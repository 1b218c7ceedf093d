"""The drivers of the subcommands: ``cli.py`` parses the arguments and calls ``<command>.main(args)``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sadpath.settings import path_below

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def emit(output: str, output_file: Path | None) -> bool:
    """Write a report to stdout or to ``output_file``; False (said on stderr) when the file cannot be written."""
    if output_file is None:
        sys.stdout.write(output)
        return True
    try:
        output_file.write_text(output, encoding="utf-8")
    except OSError as exc:
        print(f"sadpath: cannot write {output_file}: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def display_path(path: str) -> str:
    """``path`` relative to the current folder when it is below it, else as given."""
    try:
        below = path_below(path, os.getcwd())
    except OSError as exc:
        print(f"sadpath: cannot resolve {path}: {exc.strerror or exc}", file=sys.stderr)
        below = None
    return below if below is not None else Path(path).as_posix()
