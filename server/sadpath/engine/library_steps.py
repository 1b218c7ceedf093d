"""Steps of a ``try`` that all go through one third-party library: one module, or one module-level object that
one library's constructor built.

``humanize.i18n.activate(locale)``, ``humanize.naturaltime(delta)``, ``humanize.i18n.deactivate()``, or
``sio.rooms(sid)`` then ``sio.emit(...)`` on a module's ``sio = socketio.AsyncServer(...)``: with the error in the
record, the library's error type and text say which call failed (gettext's "No translation file found for
domain: 'humanize'", the transport's error of ``emit``), so the record needs no traceback to place it. The
project's own modules and objects (a package of the project, found by ``project_calls.project_base``) never count:
their functions are steps of their own, whose errors name nothing.
"""

from __future__ import annotations

import ast
import sys

from sadpath.engine.context import ModuleContext
from sadpath.engine.project_calls import project_base

Steps = list[tuple[str, ast.Call]]


def one_third_party(steps: Steps, ctx: ModuleContext, func: ast.AST | None) -> bool:
    """Every step is a call into one and the same third-party module (``humanize.naturaltime()``), or on one and
    the same module-level object built by a third-party constructor (``sio.emit()`` of ``sio = socketio.AsyncServer()``)."""
    if len(steps) < 2:
        return False
    sources = {_source(call, ctx, func) for _, call in steps}
    return len(sources) == 1 and None not in sources


def _source(call: ast.Call, ctx: ModuleContext, func: ast.AST | None) -> tuple[str, str] | None:
    """("module", "humanize") or ("object", "sio"): where the call goes; None for anything else."""
    chain = call.func
    if isinstance(chain, ast.Name):
        top = _third_party_top(ctx.qualified_name(chain) or "", ctx)  # ``naturaltime(d)`` of ``from humanize import``
        return ("module", top) if top and _imported(chain.id, ctx) else None
    while isinstance(chain, ast.Attribute):
        chain = chain.value
    if not isinstance(chain, ast.Name) or chain.id in ("self", "cls") or _bound_in(chain.id, func):
        return None
    if _imported(chain.id, ctx):
        top = _third_party_top(ctx.qualified_name(call.func) or "", ctx)  # (``humanize.i18n.activate``)
        return ("module", top) if top and _is_module(chain.id, ctx) else None
    constructor = _module_level_constructor(chain.id, ctx)
    if constructor is None or not _imported(_root_name(constructor.func), ctx):
        return None
    top = _third_party_top(ctx.qualified_name(constructor.func) or "", ctx)
    return ("object", chain.id) if top else None


def _third_party_top(qualified: str, ctx: ModuleContext) -> str | None:
    """The top package of a dotted name when it is neither the standard library nor a package of the project."""
    top = qualified.split(".")[0]
    if not top or "." not in qualified or top in sys.stdlib_module_names or project_base(top, ctx) is not None:
        return None
    return top


def _root_name(expr: ast.AST) -> str:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else ""


def _imports(ctx: ModuleContext) -> dict[str, ast.AST]:
    """Names the module binds by an absolute import, with the import statement (relative imports are the project's)."""
    key = ("library-steps-imports",)
    if key not in ctx.memo:
        names: dict[str, ast.AST] = {}
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    names[alias.asname or alias.name.split(".")[0]] = node
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    names[alias.asname or alias.name] = node
        ctx.memo[key] = names
    return ctx.memo[key]


def _imported(name: str, ctx: ModuleContext) -> bool:
    return name in _imports(ctx)


def _is_module(name: str, ctx: ModuleContext) -> bool:
    """``import humanize`` (a module), not ``from socketio import AsyncServer`` (a class whose calls build objects)."""
    return isinstance(_imports(ctx).get(name), ast.Import)


def _module_level_constructor(name: str, ctx: ModuleContext) -> ast.Call | None:
    """``sio = socketio.AsyncServer(...)`` at module level: every binding of ``name`` outside functions and classes
    (each branch of an ``if REDIS:``/``else:`` may build it with other arguments) calls one and the same constructor."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(ctx.tree.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and any(isinstance(t, ast.Name) and t.id == name for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])):
            found.append(stmt.value)
        stack.extend(child for child in ast.iter_child_nodes(stmt) if isinstance(child, ast.stmt) or isinstance(child, ast.excepthandler))
    calls = [v for v in found if isinstance(v, ast.Call) and isinstance(v.func, (ast.Name, ast.Attribute))]
    if not calls or len(calls) != len(found) or len({ast.unparse(c.func) for c in calls}) != 1:
        return None
    return calls[0]


def _bound_in(name: str, func: ast.AST | None) -> bool:
    """The function binds ``name`` itself (a parameter, an assignment): not the module's object."""
    if func is None:
        return False
    args = getattr(func, "args", None)
    if args is not None and any(a.arg == name for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a is not None):
        return True
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in ast.walk(func))
