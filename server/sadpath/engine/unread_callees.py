"""Callees outside the analysed tree: a function imported from the project's own package (``from mlflow.utils.
_spark_utils import _get_active_spark_session``) whose module file is not in the tree the analysis reads (a partial
checkout, a vendored subset). Whether it can raise at all is unknown: a helper like that often catches its own
errors (a project callee that does is exempt, ``nothing_can_reach_it``), so a silent guard around it may be dead,
and a finding that claims a swallowed failure there claims what the analysis cannot see.

The exemption is narrow: the ``try`` is one statement whose only calls that can fail are such functions, called
by their imported name (a client's method, ``Client().fetch()``, is remote work whatever its module), and the
handler only passes. It answers like the exemptions of ``engine.exemptions``: None when it is not about this
handler, False when considered and not applying, True when it applies."""

from __future__ import annotations

import ast
from pathlib import Path

from sadpath.engine import shapes
from sadpath.engine.context import ModuleContext
from sadpath.engine.handler_site import Site
from sadpath.engine.project_calls import project_base
from sadpath.engine.walker import body_nodes


def unread_project_function(call: ast.Call, ctx: ModuleContext) -> bool:
    """``helper()`` where ``helper`` is imported by name from a module of the project's own top-level package, and
    neither ``pkg/mod.py`` nor ``pkg/mod/__init__.py`` is in the tree: its body cannot be read."""
    if not isinstance(call.func, ast.Name):
        return False
    module = _imported_from(call.func.id, ctx)
    if module is None:
        return False
    parts = module.split(".")
    base = _own_package_base(parts[0], ctx) or project_base(parts[0], ctx)
    if base is None or not (base / parts[0]).is_dir():
        return False  # a library, or a single-file module of the project
    return not _module_file(base, parts)


def _own_package_base(top: str, ctx: ModuleContext) -> Path | None:
    """The folder above the nearest folder of the module's own path named ``top``: the module is part of that
    package (also when the tree holds only some of its subpackages, without the package's ``__init__.py``)."""
    for folder in Path(ctx.source.path).resolve().parents:
        if folder.name == top:
            return folder.parent
    return None


def _imported_from(name: str, ctx: ModuleContext) -> str | None:
    """The absolute module ``name`` is imported from at the module's top level (``from pkg.mod import name``)."""
    for stmt in ctx.tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module and "." in stmt.module:
            if any((alias.asname or alias.name) == name for alias in stmt.names):
                return stmt.module
    return None


def _module_file(base: Path, parts: list[str]) -> bool:
    return base.joinpath(*parts[:-1], f"{parts[-1]}.py").is_file() or base.joinpath(*parts, "__init__.py").is_file()


def only_unread_callees(site: Site) -> bool | None:
    """The ``try`` is one statement whose only calls that can fail are project functions outside the analysed tree
    (their module is not there to read), and the handler only passes: whether any error can reach it is unknown,
    so the guard is not claimed to swallow one."""
    try_node = site.try_node
    if try_node is None or site.verdict != "pass" or len(try_node.body) != 1 or not isinstance(try_node.body[0], (ast.Assign, ast.Expr)):
        return None
    calls = [n for n in body_nodes(try_node.body) if isinstance(n, ast.Call) and shapes.can_fail(n, site.ctx)]
    if not calls:
        return None
    return all(unread_project_function(c, site.ctx) for c in calls) or None


__all__ = ["only_unread_callees", "unread_project_function"]
