"""Who calls a module's function or method from the project's other modules, also when the module sits in a
namespace package (a folder without ``__init__.py`` inside a package: ``open_webui/utils/anthropic.py``).

``project_callers(name, ctx, method=...)`` answers ``[(call, parents)]`` for the calls elsewhere in the project,
or None when some module cannot be read (nothing can then be proven about all the callers). A module function's
calls are kept when the caller's imports resolve them to this module; a method's calls are every ``x.name(...)``
(not ``super().name()``, which reaches a base). The project is the folder above the outermost folder that is, or
sits in, a package; the modules are read through ``project_files``' call filter, never imported."""

from __future__ import annotations

import ast
from pathlib import Path

from sadpath.engine.call_index import calls_named, method_calls
from sadpath.engine.context import ModuleContext
from sadpath.engine.cross_module_callers import callers_elsewhere, refers_to
from sadpath.engine.project_calls import module_context
from sadpath.engine.project_files import dotted_name, import_root, in_package, project_modules_calling

Calls = list[tuple[ast.Call, list[ast.AST]]]
MAX_CALLERS = 20


def project_callers(name: str, ctx: ModuleContext, *, method: bool) -> Calls | None:
    key = ("project-callers", name, method)
    if key not in ctx.memo:
        ctx.memo[key] = _find(name, ctx, method)
    return ctx.memo[key]


def project_probe(path: str) -> str:
    """A module path at the project's root (it need not exist): ``project_modules_calling(name, probe)`` then reads
    every module of the project, namespace packages included."""
    return _probe(_root(Path(path).resolve()))


def _probe(root: Path) -> str:
    return str(root / "__sadpath_project__.py")  # a module at the root: its project is every module under it


def _root(here: Path) -> Path:
    """The folder above the outermost folder that is a package or sits directly in one."""
    root = here.parent
    while root.parent != root and in_package(root):
        root = root.parent
    return root


def _find(name: str, ctx: ModuleContext, method: bool) -> Calls | None:
    path = ctx.source.path
    if not path or not path.endswith(".py"):
        return []
    try:
        here = Path(path).resolve()
        root = _root(here)
        plain = import_root(here) == root
    except (OSError, ValueError):
        return []
    if plain and not method:
        found = callers_elsewhere(name, ctx)
        return None if found is None else [(call, parents) for _, call, parents in found]
    target = ".".join(filter(None, [dotted_name(here, root), name]))
    calls: Calls = []
    for candidate, tree in project_modules_calling(name, _probe(root)):
        if tree is None:
            return None
        try:
            if candidate.resolve() == here:
                continue
        except OSError:
            return None
        if method:
            calls.extend(method_calls(tree, name))
        else:
            other = module_context(candidate, ctx)
            if other is None:
                return None
            calls.extend((call, parents) for call, parents in calls_named(other, name) if refers_to(call, other, target))
        if len(calls) > MAX_CALLERS:
            break
    return calls
