"""Reading other files of the project one at a time, without importing or running them.

``parse_module(path)`` parses a file (cached per version, and recorded for the result cache through
``file_reads``); ``package_files(path)`` lists the modules of the package that holds ``path`` (its outermost
package folder, tests left out); ``modules_calling(name, path)`` gives the trees of those whose text calls
``name(``; ``project_modules_calling(name, path)`` does the same over the whole project the module is imported in
(the folder above its outermost package), through an index of the names each file calls. Shared by the analyses
that look past the module at hand: base classes and callers (``rollback_hooks``), model fields (``model_index``),
the boundaries that call a helper (``cross_module_callers``)."""

from __future__ import annotations

import ast
import logging
import re
import time
from collections import OrderedDict
from pathlib import Path
from typing import Iterator

from sadpath.engine import file_reads
from sadpath.engine.bounded_cache import evict
from sadpath.files import read_text

log = logging.getLogger("sadpath.engine")

MAX_FILES = 4000  # a package larger than this is not searched
_CACHE: OrderedDict[tuple[str, float], tuple[ast.Module, str] | None] = OrderedDict()
_CACHE_SIZE = 128
_CACHE_CHARS = 1_000_000  # and at most this much source text
_PACKAGES: dict[str, tuple[Path, ...]] = {}
# which names each file calls, as a 4096-bit filter with two bits per name (512 bytes a file, whatever its size):
# a file whose filter lacks a name does not call it; one that has it is read to make sure
_FILTER_BITS = 4096
_CALLED = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_FILTERS: dict[str, tuple[float, int | None]] = {}  # file -> (mtime, filter; None when unreadable)
# which words each file holds (any identifier), as an 8192-bit filter with two bits per word (1 KiB a file)
_WORD_BITS = 8192
_WORDS = re.compile(r"\b[A-Za-z_]\w*")
_WORD_FILTERS: dict[str, tuple[float, int | None]] = {}
_CHECKED: dict[str, float] = {}  # project root -> when its files' mtimes were last compared
REVALIDATE_SECONDS = 2.0


def parse_module(path: Path) -> ast.Module | None:
    """The module's tree, or None when it cannot be read or parsed."""
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        return None
    if key in _CACHE:
        _CACHE.move_to_end(key)
        cached = _CACHE[key]
    else:
        cached = None
        try:
            text = read_text(path)
            cached = (ast.parse(text), text)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as exc:
            log.debug("cannot read %s: %s", path, exc)
        _CACHE[key] = cached
        evict(_CACHE, _CACHE_SIZE, _CACHE_CHARS, lambda entry: len(entry[1]) if entry is not None else 0)
    if cached is None:
        return None
    file_reads.note(str(path), cached[1])
    return cached[0]


def package_files(path: Path) -> tuple[Path, ...]:
    """The modules of the outermost package around ``path`` (tests left out); for a module outside any package,
    the modules beside it and in the packages beside it. Empty for a project too large to search."""
    root = path.resolve().parent
    while in_package(root) and (root.parent / "__init__.py").is_file() and root.parent != root:
        root = root.parent
    return _files_under(root)


def import_root(path: Path) -> Path:
    """The folder ``path``'s module is imported from: the one above its outermost package (absolute)."""
    root = path.resolve().parent
    while in_package(root) and root.parent != root:
        root = root.parent
    return root


def in_package(folder: Path) -> bool:
    """The folder is imported as part of a package: it has an ``__init__.py``, or it is a namespace portion inside
    one, at any depth (``open_webui/utils/images/`` with no ``__init__.py`` under ``open_webui/``, imported as
    ``open_webui.utils.images``)."""
    for level in (folder, *folder.parents[:_NAMESPACE_DEPTH]):
        if (level / "__init__.py").is_file():
            return True
    return False


_NAMESPACE_DEPTH = 4  # folders without ``__init__.py`` between a module and the package that holds it


def dotted_name(path: Path, root: Path | None = None) -> str:
    """The module's dotted name as imported from ``root``, by default ``import_root(path)`` (``web_shop.clients``)."""
    parts = list(path.resolve().relative_to(root or import_root(path)).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files(path: Path) -> tuple[Path, ...]:
    """The modules of the project ``path`` is imported in: those beside its outermost package and in the packages
    there (tests left out). Empty for a project too large to search."""
    return _files_under(import_root(path))


def _files_under(root: Path) -> tuple[Path, ...]:
    try:
        root = root.resolve()  # absolute: the caches below outlive a change of directory
    except OSError:
        return ()
    key = str(root)
    if key not in _PACKAGES:
        try:
            _PACKAGES[key] = _list(root)
        except OSError as exc:  # a folder that is gone, or unreadable (a buffer for a file not on disk)
            log.debug("cannot list %s: %s", root, exc)
            _PACKAGES[key] = ()
    return _PACKAGES[key]


def _list(root: Path) -> tuple[Path, ...]:
    if (root / "__init__.py").is_file():
        found = sorted(root.rglob("*.py"))
    else:
        found = sorted(root.glob("*.py"))
        for sub in sorted(root.iterdir()):
            if sub.is_dir() and (sub / "__init__.py").is_file():
                found.extend(sorted(sub.rglob("*.py")))
            if len(found) > MAX_FILES:
                break
    files = [p for p in found if not any(part in ("tests", "test", "testing") for part in p.relative_to(root).parts[:-1])]
    return tuple(files) if len(files) <= MAX_FILES else ()


def modules_calling(name: str, path: str) -> Iterator[tuple[Path, ast.Module | None]]:
    """(file, tree) of each module of the package of ``path`` whose text calls ``name(``, in order. A module that
    cannot be read or parsed is yielded with a None tree and ends the search: the callers cannot all be seen, so
    whoever asked proves nothing about them."""
    files = package_files(Path(path))
    return _calling(name, files, str(files[0].parent) if files else "")


def project_modules_calling(name: str, path: str) -> Iterator[tuple[Path, ast.Module | None]]:
    """As ``modules_calling``, over ``project_files(path)``."""
    return _calling(name, project_files(Path(path)), str(import_root(Path(path))))


def _calling(name: str, files: tuple[Path, ...], root: str) -> Iterator[tuple[Path, ast.Module | None]]:
    """The files whose text calls ``name(``; those whose call filter lacks ``name`` are not read. The files'
    mtimes are compared again at most every ``REVALIDATE_SECONDS`` per ``root``."""
    now = time.monotonic()
    recheck = now - _CHECKED.get(root, float("-inf")) > REVALIDATE_SECONDS
    if recheck:
        _CHECKED[root] = now
    bits = _bits(name)
    pattern = re.compile(rf"\b{re.escape(name)}\s*\(")
    for candidate in files:
        found = _call_filter(candidate, recheck)
        if found is not None and found & bits != bits:
            continue
        try:
            text = read_text(candidate)
        except (OSError, UnicodeDecodeError) as exc:
            log.debug("cannot read %s for callers: %s", candidate, exc)
            yield candidate, None
            return
        if not pattern.search(text):
            continue
        tree = parse_module(candidate)
        yield candidate, tree
        if tree is None:
            return


def texts_mentioning(name: str, files: tuple[Path, ...], root: str) -> Iterator[tuple[Path, str | None]]:
    """(file, text) of each of ``files`` whose text holds the word ``name`` (a None text: the file could not be
    read, and whoever asked proves nothing about the rest). Files whose word filter lacks ``name`` are not read."""
    now = time.monotonic()
    recheck = now - _CHECKED.get("words:" + root, float("-inf")) > REVALIDATE_SECONDS
    if recheck:
        _CHECKED["words:" + root] = now
    bits = _bits(name, _WORD_BITS)
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    for candidate in files:
        found = _filter_of(candidate, recheck, _WORD_FILTERS, _WORDS, _WORD_BITS)
        if found is not None and found & bits != bits:
            continue
        try:
            text = read_text(candidate)
        except (OSError, UnicodeDecodeError) as exc:
            log.debug("cannot read %s for mentions: %s", candidate, exc)
            yield candidate, None
            return
        if pattern.search(text):
            yield candidate, text


def _bits(name: str, size: int = _FILTER_BITS) -> int:
    digest = hash(name)
    return (1 << (digest % size)) | (1 << ((digest >> 16) % size))


def _call_filter(path: Path, recheck: bool) -> int | None:
    """The call filter of a file (None when it cannot be read: the caller reads it and finds out)."""
    return _filter_of(path, recheck, _FILTERS, _CALLED, _FILTER_BITS)


def _filter_of(path: Path, recheck: bool, filters: dict, pattern: re.Pattern[str], size: int) -> int | None:
    key = str(path)
    cached = filters.get(key)
    if cached is not None and not recheck:
        return cached[1]
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    if cached is not None and cached[0] == stamp:
        return cached[1]
    found: int | None = 0
    try:
        for word in set(pattern.findall(read_text(path))):
            found |= _bits(word, size)
    except (OSError, UnicodeDecodeError) as exc:
        log.debug("cannot index %s: %s", path, exc)
        found = None
    filters[key] = (stamp, found)
    return found

