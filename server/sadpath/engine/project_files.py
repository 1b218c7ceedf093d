"""Reading other files of the project one at a time, without importing or running them.

``parse_module(path)`` parses a file (cached per version, and recorded for the result cache through
``file_reads``); ``package_files(path)`` lists the modules of the package that holds ``path`` (its outermost
package folder, tests left out); ``modules_calling(name, path)`` gives the trees of those whose text calls
``name(``. Shared by the analyses that look past the module at hand: base classes and
callers (``rollback_hooks``), model fields (``model_index``)."""

from __future__ import annotations

import ast
import logging
import re
from collections import OrderedDict
from pathlib import Path
from typing import Iterator

from sadpath.engine import file_reads
from sadpath.files import read_text

log = logging.getLogger("sadpath.engine")

MAX_FILES = 4000  # a package larger than this is not searched
_CACHE: OrderedDict[tuple[str, float], tuple[ast.Module, str] | None] = OrderedDict()
_CACHE_SIZE = 128
_PACKAGES: dict[str, tuple[Path, ...]] = {}


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
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    if cached is None:
        return None
    file_reads.note(str(path), cached[1])
    return cached[0]


def package_files(path: Path) -> tuple[Path, ...]:
    """The modules of the outermost package around ``path`` (tests left out); for a module outside any package,
    the modules beside it and in the packages beside it. Empty for a project too large to search."""
    root = path.parent
    while (root / "__init__.py").is_file() and (root.parent / "__init__.py").is_file() and root.parent != root:
        root = root.parent
    key = str(root)
    if key not in _PACKAGES:
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
        _PACKAGES[key] = tuple(files) if len(files) <= MAX_FILES else ()
    return _PACKAGES[key]


def modules_calling(name: str, path: str) -> Iterator[tuple[Path, ast.Module | None]]:
    """(file, tree) of each module of the package of ``path`` whose text calls ``name(``, in order. A module that
    cannot be read or parsed is yielded with a None tree and ends the search: the callers cannot all be seen, so
    whoever asked proves nothing about them."""
    pattern = re.compile(rf"\b{re.escape(name)}\s*\(")
    for candidate in package_files(Path(path)):
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
