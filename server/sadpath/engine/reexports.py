"""What a name imported from another project module stands for, when that module only re-exports a library.

``from app.http import requests_or_advocate as requests`` makes ``requests.get`` resolve to
``app.http.requests_or_advocate.get``; ``app/http.py`` says ``import requests as requests_or_advocate`` (maybe
in a ``try``/``except ImportError`` beside a drop-in replacement). ``library_names(qualified, ctx)`` follows
such a name through the project's modules (without importing or running them) to the library names it can
stand for, and ``library_type(qualified, ctx)`` to the client type of a module-level instance
(``session = requests.Session()`` in ``app/http.py``). Each module is parsed once per version, and every file
read is recorded for the cache (``file_reads``).
"""

from __future__ import annotations

import ast
import logging
from collections import OrderedDict
from pathlib import Path

from sadpath.engine import file_reads
from sadpath.engine.bounded_cache import evict
from sadpath.engine.project_calls import project_base
from sadpath.engine.semantic import SemanticModel
from sadpath.files import read_text
from sadpath.source import SourceFile

log = logging.getLogger("sadpath.engine")

MAX_HOPS = 4
_CACHE: OrderedDict[tuple[str, float], tuple[SemanticModel, str] | None] = OrderedDict()
_CACHE_SIZE = 64
_CACHE_CHARS = 1_000_000  # and at most this much source text


def library_names(qualified: str | None, ctx) -> tuple[str, ...]:
    """The library names ``qualified`` can stand for when its head is a project module that re-exports a
    library name (empty when it is not the project's, or the module defines the name itself)."""
    if not qualified or "." not in qualified:
        return ()
    found: list[str] = []
    _follow(qualified, ctx, 0, found)
    return tuple(dict.fromkeys(n for n in found if n != qualified))


def library_type(qualified: str | None, ctx) -> str | None:
    """The type of a module-level instance of another project module (``app.http.session`` after
    ``session = requests.Session()`` there), as that module's own analysis says."""
    if not qualified or "." not in qualified:
        return None
    located = _locate(qualified, ctx)
    if located is None:
        return None
    model, name, rest = located
    if rest:
        return None
    return model.module_scope.types.get(name)


def defining_tree(qualified: str | None, ctx) -> ast.Module | None:
    """The tree of the project module that defines ``qualified`` (its settings may apply to the name)."""
    located = _locate(qualified, ctx) if qualified and "." in qualified else None
    return located[0].tree if located is not None else None


def _follow(qualified: str, ctx, hops: int, found: list[str]) -> None:
    if hops > MAX_HOPS:
        return
    located = _locate(qualified, ctx)
    if located is None:
        if hops:
            found.append(qualified)  # no longer a project module: a library name
        return
    model, name, rest = located
    scope = model.module_scope
    targets: list[str] = []
    if name in scope.imports:
        targets.append(scope.imports[name])
    for alias in _aliases(model.tree, name):
        resolved = model.qualified_name(alias, [model.tree])
        if resolved and resolved != f"{model.module_name}.{name}":
            targets.append(resolved)
    for target in dict.fromkeys(targets):
        _follow(".".join([target, *rest]), ctx, hops + 1, found)


def _locate(qualified: str, ctx) -> tuple[SemanticModel, str, list[str]] | None:
    """The project module a dotted name starts with, the name inside it and the attributes after it."""
    parts = qualified.split(".")
    base = project_base(parts[0], ctx)
    if base is None:
        return None
    for cut in range(len(parts) - 1, 0, -1):
        module = parts[:cut]
        for candidate in (base.joinpath(*module[:-1], f"{module[-1]}.py"), base.joinpath(*module, "__init__.py")):
            if candidate.is_file():
                model = _model(candidate)
                if model is None:
                    return None
                return model, parts[cut], parts[cut + 1 :]
    return None


def _aliases(tree: ast.Module, name: str) -> list[ast.expr]:
    """``name = requests`` or ``name = other.module`` at the module's top level (in ``try``/``if`` too)."""
    out: list[ast.expr] = []
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, (ast.Name, ast.Attribute)):
            if any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                out.append(stmt.value)
        elif isinstance(stmt, (ast.Try, ast.If)):
            stack.extend(stmt.body)
            stack.extend(stmt.orelse)
            if isinstance(stmt, ast.Try):
                for handler in stmt.handlers:
                    stack.extend(handler.body)
                stack.extend(stmt.finalbody)
    return out


def _model(path: Path) -> SemanticModel | None:
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
            tree = ast.parse(text)
            stem = path.parent.name if path.stem == "__init__" else path.stem
            cached = (SemanticModel(tree, stem if stem.isidentifier() else "", source=SourceFile(str(path), text)), text)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as exc:
            log.debug("cannot read %s for a re-exported name: %s", path, exc)
        _CACHE[key] = cached
        evict(_CACHE, _CACHE_SIZE, _CACHE_CHARS, lambda entry: len(entry[1]) if entry is not None else 0)
    if cached is None:
        return None
    file_reads.note(str(path), cached[1])
    return cached[0]
