"""Whether a module's top-level function is used anywhere in its project: called, passed on, re-exported.

``unreferenced(func, ctx)`` is True only when it can be shown: the files of the module's outermost package (tests
included) could all be listed and read,
no other file mentions the name at all (a call, an import, a callback reference), and the module itself mentions
it only in its ``def``. Anything unsure answers False (the function may be used).
"""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

from sadpath.engine.context import ModuleContext
from sadpath.engine.project_files import texts_mentioning


def unreferenced(func: ast.AST, ctx: ModuleContext) -> bool:
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or func not in ctx.tree.body:
        return False
    if func.decorator_list or func.name.startswith("__"):
        return False  # registered by a decorator (a route, a task), or a dunder the language calls
    return ctx.fact(f"unreferenced:{func.name}", lambda: _unreferenced(func.name, ctx))


def _unreferenced(name: str, ctx: ModuleContext) -> bool:
    if not ctx.source.path or not ctx.source.path.endswith(".py"):
        return False
    mentions = sum(
        1
        for node in ast.walk(ctx.tree)
        if (isinstance(node, ast.Name) and node.id == name)
        or (isinstance(node, ast.Attribute) and node.attr == name)
        or (isinstance(node, ast.Constant) and node.value == name)  # ``__all__``, ``getattr(module, "name")``
    )
    if mentions:
        return False  # called, passed on or listed in ``__all__`` in its own module
    try:
        here = Path(ctx.source.path).resolve()
    except OSError:
        return False
    files = _package_files(here)
    if here not in files:
        return False  # not in a package, or too large to search
    word = re.compile(rf"\b{re.escape(name)}\b")
    for path, text in texts_mentioning(name, files, str(files[0].parent)):
        if text is None:
            return False  # a file that cannot be read may use it
        if path != here and _in_code(word, text):
            return False
    return True


def _in_code(word: re.Pattern[str], text: str) -> bool:
    """A mention outside a one-line string (a log message naming the function is no use of it)."""
    for match in word.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        before = text[start:match.start()]
        if before.count("'") % 2 == 0 and before.count('"') % 2 == 0 and "#" not in before:
            return True
    return False


MAX_FILES = 6000
RELIST_SECONDS = 2.0  # a package's files are listed again at most this often (a file added in the editor)
_LISTED: dict[str, tuple[float, tuple[Path, ...]]] = {}


def _package_files(here: Path) -> tuple[Path, ...]:
    """Every module under the outermost package folder above ``here`` (the highest folder with an
    ``__init__.py``: namespace folders below it included). Empty when there is none, or too many to read."""
    top = None
    for folder in here.parents:
        if (folder / "__init__.py").is_file():
            top = folder
    if top is None:
        return ()
    key = str(top)
    listed = _LISTED.get(key)
    if listed is not None and time.monotonic() - listed[0] < RELIST_SECONDS:
        return listed[1]
    files: list[Path] = []
    for path in top.rglob("*.py"):
        files.append(path.resolve())
        if len(files) > MAX_FILES:
            files = []
            break
    found = tuple(sorted(files))
    if len(_LISTED) > 16:
        _LISTED.clear()
    _LISTED[key] = (time.monotonic(), found)
    return found
