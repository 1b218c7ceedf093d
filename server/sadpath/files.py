"""Finding the files to check and reading them safely.

Reading follows PEP 263 (the coding cookie, else UTF-8, with a BOM honoured). A
file that cannot be read or decoded, or that is binary, becomes a ``FileError``:
the run reports it and carries on.
"""

from __future__ import annotations

import io
import os
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from sadpath.config import DEFAULT_EXCLUDES
from sadpath.model import FileError


@dataclass(frozen=True)
class ReadFile:
    path: str
    text: str
    encoding: str


def read_source(path: str) -> ReadFile | FileError:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FileError(path, f"cannot read: {exc.strerror or exc}")
    if b"\x00" in data:
        return FileError(path, "binary file (contains NUL bytes); not checked")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        # no (or a bad) coding cookie and bytes that are not UTF-8: say which bytes
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as decode_error:
            return FileError(path, f"cannot decode as utf-8 (and no coding declaration): {decode_error}")
        return FileError(path, f"invalid encoding declaration: {exc.msg}")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        return FileError(path, f"cannot decode as {encoding}: {exc}")
    if text.startswith("\ufeff"):
        text = text[1:]
    return ReadFile(path, text, encoding)


def write_source(path: str, text: str, encoding: str) -> None:
    """Write atomically: a temporary file beside the target, then a rename."""
    target = Path(path)
    temp = target.with_name(f".{target.name}.sadpath-tmp")
    try:
        with open(temp, "w", encoding=encoding, newline="") as handle:
            handle.write(text)
        os.replace(temp, target)
    except OSError:
        temp.unlink(missing_ok=True)
        raise


def discover(
    paths: list[str], is_excluded: Callable[[str], bool]
) -> Iterator[tuple[str, FileError | None]]:
    """Python files under ``paths``: (path, None), or (path, FileError) for a path that cannot be walked."""
    seen: set[str] = set()
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            yield raw, FileError(raw, "no such file or directory")
            continue
        if root.is_file():
            key = str(root)
            if key not in seen:
                seen.add(key)
                yield key, None
            continue
        walk_errors: list[OSError] = []
        for dirpath, dirnames, filenames in os.walk(root, onerror=walk_errors.append):
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in DEFAULT_EXCLUDES and not d.endswith(".egg-info") and not is_excluded(os.path.join(dirpath, d))
            )
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                key = os.path.join(dirpath, name)
                if is_excluded(key):
                    continue
                if key not in seen:
                    seen.add(key)
                    yield key, None
        for error in walk_errors:
            where = getattr(error, "filename", None) or raw
            yield str(where), FileError(str(where), f"cannot list directory: {error.strerror or error}")
