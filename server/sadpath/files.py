"""Finding the files to check, and reading and writing them without harm.

Reading follows PEP 263 (the coding cookie, else UTF-8, with a BOM honoured). Only regular files are read
(a FIFO or a device named ``x.py``, or a link to one, is skipped: it would hang the run or read forever), and
only up to ``MAX_FILE_CHARS`` characters. A file that cannot be read or decoded, or that is binary or too
large, becomes a ``FileError``: the run reports it and carries on.

Writing never follows a link and never loses an edit: the new text goes to a temporary file created with
``O_CREAT | O_EXCL`` beside the target (``tempfile.mkstemp``), takes the target's mode (and owner, where the
process may set it) and replaces the target with ``os.replace``, but only after checking that the target is
still the file that was read: a file changed or deleted since is left alone, and so are links, read-only files
and anything that is not a regular file. Each refusal is a ``WriteRefused`` whose message says why.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import sys
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from sadpath.model import FileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_EXCLUDES = (".venv", "venv", "node_modules", "build", "dist", ".git", ".sadpath_cache", "__pycache__", ".tox", ".mypy_cache")
MAX_FILE_CHARS = 1_000_000  # the language server's maxFileSize default too
MAX_FILE_BYTES = 4 * MAX_FILE_CHARS  # UTF-8 needs at most four bytes a character

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


@dataclass(frozen=True)
class ReadFile:
    path: str
    text: str
    encoding: str
    digest: str = ""  # of the bytes read: a write checks that the file on disk still has them


class WriteRefused(OSError):
    """A file sadpath will not write; the message says why."""


def bytes_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_regular(path: str | os.PathLike, limit: int = MAX_FILE_BYTES, *, follow_links: bool = True) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. Raises OSError (with a readable ``strerror``)
    for anything else: a FIFO, a device, a socket, a directory, a file that is too large, and a link when
    ``follow_links`` is false. Opening never blocks: a FIFO is opened non-blocking, then refused."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
        if os.path.islink(path):
            raise OSError(0, "is a symbolic link", str(path))
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(0, f"is {_kind(info.st_mode)}, not a regular file", str(path))
        if info.st_size > limit:
            raise OSError(0, f"is larger than {limit:,} bytes", str(path))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while we read
            raise OSError(0, f"is larger than {limit:,} bytes", str(path))
        return b"".join(chunks)
    finally:
        os.close(fd)


def decode_source(path: str, data: bytes) -> ReadFile | FileError:
    """The text of a Python file's bytes, decoded as PEP 263 says."""
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
    if len(text) > MAX_FILE_CHARS:
        return FileError(path, f"has {len(text):,} characters, more than {MAX_FILE_CHARS:,}; not checked")
    return ReadFile(path, text, encoding, bytes_digest(data))


def read_source(path: str) -> ReadFile | FileError:
    try:
        data = read_regular(path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return FileError(path, f"not checked: {reason}" if exc.errno == 0 else f"cannot read: {reason}")
    return decode_source(path, data)


def read_text(path: str | os.PathLike, limit: int = MAX_FILE_BYTES) -> str:
    """A regular file's UTF-8 text, capped like every read. Raises OSError or UnicodeDecodeError."""
    return read_regular(path, limit).decode("utf-8")


def write_source(read: ReadFile, text: str) -> None:
    """Replace the file ``read`` came from with ``text``, in its encoding, keeping its mode and owner.

    Refuses (``WriteRefused``) a link, a read-only file, anything that is not a regular file, and a file that
    changed or was deleted since it was read. Other failures raise OSError; the file is then untouched."""
    path = read.path
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise WriteRefused(0, "was deleted after it was read; not recreated", path) from None
    if stat.S_ISLNK(info.st_mode):
        raise WriteRefused(0, "is a symbolic link; sadpath never writes through links", path)
    if not stat.S_ISREG(info.st_mode):
        raise WriteRefused(0, f"is {_kind(info.st_mode)}, not a regular file", path)
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise WriteRefused(0, "is read-only; not fixed", path)
    try:
        current = read_regular(path, follow_links=False)
    except FileNotFoundError:
        raise WriteRefused(0, "was deleted after it was read; not recreated", path) from None
    if read.digest and bytes_digest(current) != read.digest:
        raise WriteRefused(0, "changed on disk after it was read; left as it is (run again to fix it)", path)
    _replace(path, text.encode(read.encoding), info)


def write_new(path: str | os.PathLike, text: str, *, overwrite: bool = True, inside: str | os.PathLike | None = None) -> None:
    """Write a file sadpath generates (a test module, a configuration): through a fresh temporary file,
    never through a link planted where the file goes. With ``inside``, the file's folder must really lie in
    that folder (a planted link to a folder elsewhere is refused). An existing target keeps its mode; a new
    one gets the usual mode for new files (0666 less the umask)."""
    target = os.fspath(path)
    if inside is not None:
        base = os.path.realpath(inside)
        folder = os.path.realpath(os.path.dirname(os.path.abspath(target)))
        if folder != base and not folder.startswith(base.rstrip(os.sep) + os.sep):
            raise WriteRefused(0, f"lies outside {base} through a symbolic link; not written", target)
    try:
        info: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        info = None
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise WriteRefused(0, "is a symbolic link; sadpath never writes through links", target)
        if not stat.S_ISREG(info.st_mode):
            raise WriteRefused(0, f"is {_kind(info.st_mode)}, not a regular file", target)
        if not overwrite:
            raise WriteRefused(0, "exists already", target)
    _replace(target, text.encode("utf-8"), info)


def _replace(path: str, data: bytes, info: os.stat_result | None) -> None:
    folder, name = os.path.split(os.path.abspath(path))
    handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".sadpath-tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            if info is not None:
                os.chmod(temp, stat.S_IMODE(info.st_mode))
                if hasattr(os, "chown") and hasattr(os, "getuid") and (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
                    try:
                        os.chown(temp, info.st_uid, info.st_gid)
                    except OSError:  # only root may give a file away: the mode is kept, the owner is ours
                        pass
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def discover(
    paths: list[str], is_excluded: Callable[[str], bool]
) -> Iterator[tuple[str, FileError | None]]:
    """Python files under ``paths``: (path, None), or (path, FileError) for a path that cannot be walked.
    Links to folders are not followed (``os.walk``'s default); files are read (and refused) one by one."""
    seen: set[str] = set()
    for raw in paths:
        root = Path(raw)
        try:
            info = root.stat()
        except OSError as exc:
            missing = isinstance(exc, FileNotFoundError)
            yield raw, FileError(raw, "no such file or directory" if missing else f"cannot read: {exc.strerror or exc}")
            continue
        if not stat.S_ISDIR(info.st_mode):
            key = str(root)
            if key not in seen:
                seen.add(key)
                yield key, None  # a FIFO or a device is refused when it is read
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


__all__ = [
    "DEFAULT_EXCLUDES", "MAX_FILE_BYTES", "MAX_FILE_CHARS", "ReadFile", "WriteRefused", "bytes_digest", "decode_source",
    "discover", "read_regular", "read_source", "read_text", "tomllib", "write_new", "write_source",
]  # fmt: skip
