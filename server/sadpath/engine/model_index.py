"""Which attributes of the project's models are relations, across the project's model modules.

For SAD205 (n-plus-one-query): ``row.answer.data`` is a query only when ``answer`` is a foreign key or a
relationship. The module at hand often does not define its models, so ``field_kinds(path)`` reads the model
modules of the package around ``path`` (``models.py`` and the modules of a ``models/`` folder) and answers, for
each attribute name, the kinds the models give it: "relation", "eager", "column" (an ``I18nCharField``, a
``FileField``, a ``JSONField``: values, not rows) or "property" (a computed ``@property``); a ``related_name`` counts as a relation,
and "many" marks the related managers (``ManyToManyField``s, reverse foreign keys)."""

from __future__ import annotations

import ast
from pathlib import Path

from sadpath.engine.project_files import package_files, parse_module
from sadpath.engine.query_rows import model_fields

_INDEX: dict[tuple[str, ...], dict[str, frozenset[str]]] = {}


def _stamp(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _imported_files(tree: ast.Module, path: Path) -> list[Path]:
    """The project files of the modules ``tree`` imports from, found beside ``path`` (absolute imports from its
    folder, relative ones from its package)."""
    out = []
    for stmt in tree.body:
        if not isinstance(stmt, ast.ImportFrom) or not stmt.module:
            continue
        base = path.parent
        for _ in range(max(stmt.level - 1, 0)):
            base = base.parent
        parts = stmt.module.split(".")
        for candidate in (base.joinpath(*parts[:-1], f"{parts[-1]}.py"), base.joinpath(*parts, "__init__.py")):
            if candidate.is_file():
                out.append(candidate)
                for alias in stmt.names:  # `from app import models`
                    sub = candidate.parent / f"{alias.name}.py"
                    if sub.is_file():
                        out.append(sub)
                break
    return out


def _related_names(tree: ast.Module) -> set[str]:
    """``related_name="options"`` of the module's relation fields: the name of the reverse related manager."""
    return {
        keyword.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "related_name" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str)
    }


def _to_many(tree: ast.Module) -> set[str]:
    """Names that are related managers, not single rows: ``ManyToManyField`` attributes and the ``related_name``
    of a ``ForeignKey``/``ManyToManyField`` (the reverse side; a ``OneToOneField``'s reverse is one row)."""
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) else ""
        if callee == "OneToOneField":
            continue
        names |= {
            k.value.value for k in node.keywords
            if k.arg == "related_name" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
        }
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and len(node.targets) == 1:
            func = node.value.func
            if isinstance(node.targets[0], ast.Name) and (getattr(func, "attr", None) or getattr(func, "id", None)) == "ManyToManyField":
                names.add(node.targets[0].id)
    return names


def _properties(tree: ast.Module) -> set[str]:
    """``@property``/``@cached_property`` methods of the module's classes: computed values, not relations."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                    ast.unparse(d).endswith("property") for d in stmt.decorator_list
                ):
                    names.add(stmt.name)
    return names


def field_kinds(path: str, tree: ast.Module | None = None) -> dict[str, frozenset[str]]:
    """Attribute name -> the kinds the models declare it with: the models of the package around ``path``, and
    the model modules ``tree`` imports from beside it (``from app.models import Question``)."""
    candidates = [*package_files(Path(path)), *(_imported_files(tree, Path(path)) if tree is not None else ())]
    files = tuple(dict.fromkeys(p for p in candidates if p.stem == "models" or p.parent.name == "models"))
    key = tuple(f"{p}:{_stamp(p)}" for p in files)
    if key not in _INDEX:
        kinds: dict[str, set[str]] = {}
        for candidate in files:
            tree = parse_module(candidate)
            if tree is None:
                continue
            for fields in model_fields(tree).values():
                for name, kind in fields.items():
                    kinds.setdefault(name, set()).add(kind)
            for name in _properties(tree):
                kinds.setdefault(name, set()).add("property")
            for name in _related_names(tree):
                kinds.setdefault(name, set()).add("relation")  # the reverse manager on the other model
            for name in _to_many(tree):
                kinds.setdefault(name, set()).add("many")  # a related manager: prefetch_related, not select_related
        _INDEX[key] = {name: frozenset(found) for name, found in kinds.items()}
    else:
        for candidate in files:
            parse_module(candidate)  # recorded for the result cache
    return _INDEX[key]
