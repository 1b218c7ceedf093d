"""Does a call answer its own failures? A project function whose body is one ``try`` with a broad handler that
does not raise (``except Exception: return False``) cannot raise into its caller: a handler around the call is
dead, and a message must not name the call as the one that failed.

The callee is found in the module (a function, a ``self`` method, a method of a module-level instance such as
``Channels = ChannelTable()``) or, for an imported project name, through ``engine.project_calls``, which reads
the other file without importing it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sadpath.engine import file_reads
from sadpath.engine.context import ModuleContext
from sadpath.engine.project_calls import project_base
from sadpath.files import read_text
from sadpath.engine.trapping import BROAD_NAMES, traps_its_failures

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def answers_its_own_failures(call: ast.Call, ctx: ModuleContext) -> bool:
    """The call's project callee catches every error itself and does not raise (remembered per call)."""
    key = ("callee-traps", id(call))
    if key not in ctx.memo:
        ctx.memo[key] = _answers(call, ctx)
    return ctx.memo[key]


def _answers(call: ast.Call, ctx: ModuleContext) -> bool:
    if traps_its_failures(call, ctx):
        return True
    func = _instance_method(call, ctx)
    if func is None:
        func = _resolved(call, ctx) or _imported_instance_method(call, ctx)
    return func is not None and traps_everything(func)


def traps_everything(func: ast.AST) -> bool:
    """``func``'s body (after its docstring and imports) is one ``try`` whose handlers include a broad one and never
    raise, with no ``finally``: every failure becomes an answer."""
    body = [
        s for s in getattr(func, "body", [])
        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) and not isinstance(s, (ast.Import, ast.ImportFrom))
    ]
    if len(body) != 1 or not isinstance(body[0], ast.Try) or body[0].finalbody:
        return False
    handlers = body[0].handlers
    broad = any(h.type is None or (isinstance(h.type, ast.Name) and h.type.id in BROAD_NAMES) for h in handlers)
    return broad and not any(isinstance(n, ast.Raise) for h in handlers for n in ast.walk(h))


def _instance_method(call: ast.Call, ctx: ModuleContext) -> ast.AST | None:
    """``Channels.method(...)`` where the module says ``Channels = ChannelTable()`` and defines ``ChannelTable``."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return None
    return _method_of_instance(ctx.tree, func.value.id, func.attr)


def _method_of_instance(tree: ast.Module, instance: str, method: str) -> ast.AST | None:
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name)):
            continue
        if not any(isinstance(t, ast.Name) and t.id == instance for t in stmt.targets):
            continue
        cls = next((c for c in tree.body if isinstance(c, ast.ClassDef) and c.name == stmt.value.func.id), None)
        if cls is not None:
            return next((m for m in cls.body if isinstance(m, _FUNCTIONS) and m.name == method), None)
    return None


_TREES: dict[tuple[str, float], tuple[str, ast.Module]] = {}


def _package_root(top: str, ctx: ModuleContext) -> Path | None:
    """The folder above the analysed file's own ``top`` package (``.../open_webui/routers/x.py`` for
    ``open_webui``), for namespace packages without ``__init__.py`` files."""
    for folder in Path(ctx.source.path).resolve().parents:
        if folder.name == top:
            return folder.parent
    return None


def _imported_instance_method(call: ast.Call, ctx: ModuleContext) -> ast.AST | None:
    """``from pkg.models.channels import Channels`` then ``Channels.method(...)``: the instance and its class are
    module-level names of ``pkg/models/channels.py``, read (never imported) and parsed on its own."""
    qualified = ctx.qualified_name(call.func) or ""
    parts = qualified.split(".")
    if len(parts) < 3 or not isinstance(call.func, ast.Attribute):
        return None
    base = project_base(parts[0], ctx) or _package_root(parts[0], ctx)
    if base is None:
        return None
    path = base.joinpath(*parts[:-3], f"{parts[-3]}.py")
    if not path.is_file():
        path = base.joinpath(*parts[:-2], "__init__.py")
    try:
        key = (str(path), path.stat().st_mtime)
        cached = _TREES.get(key)
        if cached is None:
            text = read_text(path)
            cached = (text, ast.parse(text))
            if len(_TREES) > 64:
                _TREES.clear()
            _TREES[key] = cached
        text, tree = cached
        file_reads.note(str(path), text)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None  # the other file cannot be read or parsed: the call stays unresolved
    return _method_of_instance(tree, parts[-2], parts[-1])


def _resolved(call: ast.Call, ctx: ModuleContext) -> ast.AST | None:
    """An imported project function or method, read from its own file."""
    if ctx.qualified_name(call.func) is None:
        return None
    from sadpath.engine.project_calls import ProjectCalls  # noqa: PLC0415 - built only when a call needs it

    resolver = ctx.memo.get(("callee-traps-resolver",))
    if resolver is None:
        resolver = ctx.memo[("callee-traps-resolver",)] = ProjectCalls(ctx)
    try:
        found = resolver.resolve(call, ctx)
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None  # the other file cannot be read or parsed: the call stays unresolved
    return found[1] if found is not None else None
