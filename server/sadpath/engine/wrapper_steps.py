"""Project calls in a ``try`` that do none of the work that can fail: no step of their own for SAD104.

The doc of SAD104 says a project function that makes no I/O call is no step. Two shapes the module-local checks
(``try_steps.computes_only``) cannot see, because the callee lives in another file or only looks like work:

- applying a decorator (``wrapped = auth_hook(func)``): the callee defines a wrapper that calls the function it
  is handed and returns it; applying it runs none of the wrapped work, which fails later, when it is called;
- a value helper (``name, kind = _prefixed_id(base)``): a project function that computes a value from its
  arguments and an ambient read (``get_current_context()``, itself a ``getattr`` and a record built), with no
  ``await``, ``with``, ``raise`` or item lookup, and nothing set on an object.
"""

from __future__ import annotations

import ast
import builtins

from sadpath.engine import callee_traps, shapes
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.walker import body_nodes

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_FAILING = (ast.Await, ast.With, ast.AsyncWith, ast.Raise, ast.Yield, ast.YieldFrom, ast.Assert)


def no_work(call: ast.Call, ctx: ModuleContext) -> bool:
    """The call applies a project decorator or runs a project value helper: no step that can fail."""
    key = ("wrapper-steps", id(call))
    if key not in ctx.memo:
        ctx.memo[key] = external_call(call, ctx) is None and (applies_decorator(call, ctx) or value_helper(call, ctx))
    return ctx.memo[key]


def applies_decorator(call: ast.Call, ctx: ModuleContext) -> bool:
    """``auth_hook(func)``: a project function handed one function, which defines a wrapper calling that function
    (``return tool_func(*args, **kwargs)``) and returns it, and talks to no service while doing so."""
    if len(call.args) != 1 or call.keywords or not isinstance(call.args[0], (ast.Name, ast.Attribute)):
        return False
    func = callee_traps.project_callee(call, ctx)
    if not isinstance(func, ast.FunctionDef):
        return False
    params = [a.arg for a in [*func.args.posonlyargs, *func.args.args] if a.arg not in ("self", "cls")]
    if len(params) != 1:
        return False
    wrappers = [n for n in ast.walk(func) if isinstance(n, _FUNCTIONS) and n is not func]
    calls_it = any(
        isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == params[0] for w in wrappers for c in ast.walk(w)
    )  # fmt: skip
    returns = any(isinstance(n, ast.Return) and n.value is not None for n in body_nodes(func.body))
    if not (calls_it and returns):
        return False
    local = {params[0], *(w.name for w in wrappers)} | {
        t.id for n in body_nodes(func.body) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)
    }  # fmt: skip
    return all(_wrapping_call(n, local) for n in body_nodes(func.body) if isinstance(n, ast.Call)) and not any(
        isinstance(n, (ast.Await, ast.AsyncWith)) for n in body_nodes(func.body)
    )  # (a decorator that registers the function with a service when applied does work)


_WRAPPING_MODULES = frozenset({"functools", "inspect", "types", "typing", "contextlib", "builtins"})


def _wrapping_call(call: ast.Call, local: set[str]) -> bool:
    """A call a decorator makes to build its wrapper: ``functools.wraps(func)``, ``inspect.signature(func)``,
    ``types.FunctionType(...)``, a builtin, a method of a name it bound itself."""
    root = call.func
    while isinstance(root, (ast.Attribute, ast.Call)):
        root = root.func if isinstance(root, ast.Call) else root.value
    if not isinstance(root, ast.Name):
        return False
    if root.id in local or root.id in _WRAPPING_MODULES or root.id in ("wraps", "update_wrapper"):
        return True
    return isinstance(call.func, ast.Name) and hasattr(builtins, root.id) and root.id not in ("open", "exec", "eval", "__import__")


def value_helper(call: ast.Call, ctx: ModuleContext) -> bool:
    """A project function that only computes a value: its calls are value calls, records it builds, or (one level
    down) project functions that only compute a value themselves."""
    func = callee_traps.project_callee(call, ctx)
    return isinstance(func, ast.FunctionDef) and _computes(func, ctx, depth=1)


def _computes(func: ast.FunctionDef, ctx: ModuleContext, depth: int) -> bool:
    nodes = list(body_nodes(func.body))
    if not any(isinstance(n, ast.Return) and n.value is not None for n in nodes):
        return False
    for node in nodes:
        if isinstance(node, _FAILING) or (isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice)):
            return False
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, (ast.Attribute, ast.Subscript)) for t in targets):
                return False  # a procedure that sets state, not a computation
        if isinstance(node, ast.BinOp) and not isinstance(node.op, (ast.Add, ast.Mod)):
            return False  # (a division or a conversion can fail on its input)
        if isinstance(node, ast.Call) and not _value_call(node, ctx, depth):
            return False
    return True


def _value_call(call: ast.Call, ctx: ModuleContext, depth: int) -> bool:
    if callee_traps.total_call(call):
        return True
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if depth == 0:
        return name[:1].isupper() and isinstance(func, ast.Name) and not call.args[1:] and not call.keywords  # a record built
    if external_call(call, ctx) is not None or shapes.through_client(call) or not isinstance(func, ast.Name):
        return False
    inner = callee_traps.project_callee(call, ctx)
    return isinstance(inner, ast.FunctionDef) and inner is not call and _computes(inner, ctx, depth - 1)
