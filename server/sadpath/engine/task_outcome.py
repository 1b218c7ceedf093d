"""What a background task's coroutine does with its own failures, and whether anything keeps the task alive.

Used by SAD207 to tell a task whose failure nobody sees from one whose coroutine logs or records its own failures
(then only the weak reference the loop keeps is left to report), and from one that cannot be collected because
it waits on a future held by an object.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

from sadpath.engine.context import ModuleContext
from sadpath.engine.logcalls import as_log_call, keeps_traceback
from sadpath.engine.project_calls import module_context
from sadpath.engine.walker import NESTED_SCOPES, body_nodes

BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
# asyncio's own waits: they do not raise the failure of what they wait for
HARMLESS_WAITS = frozenset({"asyncio.sleep", "asyncio.wait", "asyncio.tasks.sleep", "asyncio.tasks.wait"})
WAIT_WRAPPERS = frozenset({"asyncio.wait", "asyncio.wait_for", "asyncio.shield", "asyncio.gather"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def local_coroutine(name: str, ctx: ModuleContext, before: int) -> ast.AsyncFunctionDef | None:
    """``async def name`` nested in the functions around the node being visited, the last one above line ``before``."""
    found = None
    for scope in ctx.scopes:
        if not isinstance(scope, _FUNCTIONS):
            continue
        for node in body_nodes(scope.body, scopes=True):
            if isinstance(node, ast.AsyncFunctionDef) and node.name == name and node.lineno < before:
                found = node
    return found


def package_coroutine(qualified: str, ctx: ModuleContext) -> tuple[ModuleContext, ast.AsyncFunctionDef] | None:
    """``pkg.mod.name`` defined at the top level of ``pkg/mod.py``, where ``pkg`` is a folder the checked file
    itself sits in (namespace packages without ``__init__.py`` included)."""
    parts = qualified.split(".")
    if len(parts) < 3:
        return None
    here = Path(ctx.source.path).resolve()
    base = next((folder.parent for folder in here.parents if folder.name == parts[0]), None)
    if base is None:
        return None
    module, name = parts[:-1], parts[-1]
    for candidate in (base.joinpath(*module[:-1], f"{module[-1]}.py"), base.joinpath(*module, "__init__.py")):
        if candidate.is_file():
            target = module_context(candidate, ctx)
            if target is None:
                return None
            for stmt in target.tree.body:
                if isinstance(stmt, ast.AsyncFunctionDef) and stmt.name == name:
                    return target, stmt
            return None
    return None


def awaits_anything(func: ast.AsyncFunctionDef) -> bool:
    """A coroutine with no ``await`` runs to its end in one step: nothing can collect it mid-flight."""
    return any(isinstance(n, (ast.Await, ast.AsyncFor, ast.AsyncWith)) for n in body_nodes(func.body, scopes=True))


def guards_itself(func: ast.AsyncFunctionDef, ctx: ModuleContext) -> bool:
    """Every await of the coroutine that can fail sits in a ``try`` whose handler deals with the failure (logs it,
    records it, or ends the coroutine), apart from the reads that decide what to do (an ``if`` test, a ``for``'s
    iterable: a dispatcher's leading config read); and at least one such ``try`` covers real work."""
    state = {"guarded_work": False, "unguarded": False}
    _scan(func.body, False, False, state, ctx)
    return state["guarded_work"] and not state["unguarded"]


def _scan(body: list[ast.stmt], guarded: bool, in_test: bool, state: dict[str, bool], ctx: ModuleContext) -> None:
    for stmt in body:
        if state["unguarded"]:
            return
        if isinstance(stmt, NESTED_SCOPES):
            continue
        if isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            handles = any(_handles(h, ctx) for h in stmt.handlers)
            if handles and _risky_awaits(stmt.body, ctx):
                state["guarded_work"] = True
            _scan(stmt.body, guarded or handles, False, state, ctx)
            _scan(stmt.orelse, guarded, False, state, ctx)
            _scan(stmt.finalbody, guarded, False, state, ctx)
            continue  # the handlers run after the failure was dealt with
        if isinstance(stmt, (ast.If, ast.While)):
            _scan(stmt.body, guarded, False, state, ctx)
            _scan(stmt.orelse, guarded, False, state, ctx)
            continue  # the test is a read that decides what to do
        if isinstance(stmt, (ast.For, ast.AsyncFor)):  # the iterable is a read that decides what to do
            _scan(stmt.body, guarded, False, state, ctx)
            _scan(stmt.orelse, guarded, False, state, ctx)
            continue
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            if not guarded and (isinstance(stmt, ast.AsyncWith) or _risky_awaits([ast.Expr(i.context_expr) for i in stmt.items], ctx)):
                state["unguarded"] = True
                return
            _scan(stmt.body, guarded, False, state, ctx)
            continue
        if isinstance(stmt, ast.Match):
            for case in stmt.cases:
                _scan(case.body, guarded, False, state, ctx)
            continue
        if not guarded and _risky_awaits([stmt], ctx):
            state["unguarded"] = True
            return


def _risky_awaits(body: list[ast.stmt], ctx: ModuleContext) -> bool:
    """An ``await`` whose failure is the coroutine's own (asyncio's sleeps and waits, and a future held elsewhere,
    excepted)."""
    for node in body_nodes(body, scopes=True):
        if isinstance(node, (ast.AsyncFor, ast.AsyncWith)):
            return True
        if isinstance(node, ast.Await):
            value = node.value
            if isinstance(value, ast.Name) or _attribute_chain(value):
                continue  # a future someone else runs: its failure is its owner's to report
            if isinstance(value, ast.Call):
                if ctx.qualified_name(value.func) in HARMLESS_WAITS:
                    continue
                if isinstance(value.func, ast.Attribute) and value.func.attr == "wait" and not value.args:
                    continue  # ``event.wait()``
            return True
    return False


def _handles(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The handler deals with the failure: logs it (with the traceback, or at error level naming the error), records
    it (hands the caught error to a call), or, for a handler that names the errors it expects, ends the coroutine."""
    for node in body_nodes(handler.body, scopes=True):
        log = as_log_call(node, ctx)
        if log is not None and (keeps_traceback(log, ctx) or log.level in ("error", "critical", "exception", "fatal")):
            return True
        if handler.name and isinstance(node, ast.Call) and any(
            isinstance(n, ast.Name) and n.id == handler.name for arg in [*node.args, *(k.value for k in node.keywords)] for n in ast.walk(arg)
        ):
            return True
    if handler.type is not None and not _broad(handler.type, ctx):
        return any(isinstance(n, ast.Return) for n in body_nodes(handler.body, scopes=True))
    return False


def _broad(expr: ast.expr, ctx: ModuleContext) -> bool:
    names = expr.elts if isinstance(expr, ast.Tuple) else [expr]
    return any((ctx.qualified_name(n) or ast.unparse(n)) in BROAD for n in names)


def waits_on_held_future(func: ast.AsyncFunctionDef, call: ast.Call) -> bool:
    """The coroutine awaits a future an object holds (``await self._finish_future``, ``await f`` with
    ``spawner._stop_future`` passed for ``f``): whatever holds that future holds the task waiting on it."""
    held_params = _params_bound_to_attributes(func, call)
    for node in body_nodes(func.body, scopes=True):
        if not isinstance(node, ast.Await):
            continue
        value = node.value
        operands = [value]
        if isinstance(value, ast.Call):
            func_name = value.func.attr if isinstance(value.func, ast.Attribute) else value.func.id if isinstance(value.func, ast.Name) else ""
            if func_name in {name.rsplit(".", 1)[1] for name in WAIT_WRAPPERS}:
                operands = [e for a in value.args for e in (a.elts if isinstance(a, (ast.List, ast.Tuple, ast.Set)) else [a])]
            elif isinstance(value.func, ast.Attribute) and value.func.attr == "wait" and _attribute_chain(value.func.value):
                return True  # ``await self._stopped.wait()``: the event's waiters hold the task
        for operand in operands:
            if _attribute_chain(operand) or (isinstance(operand, ast.Name) and operand.id in held_params):
                return True
    return False


def _attribute_chain(expr: ast.expr) -> bool:
    """``self._future``, ``spawner._stop_future``: an attribute read, no call on the way."""
    if not isinstance(expr, ast.Attribute):
        return False
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


def _params_bound_to_attributes(func: ast.AsyncFunctionDef, call: ast.Call) -> set[str]:
    params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
    if params and params[0] in ("self", "cls") and isinstance(call.func, ast.Attribute):
        params = params[1:]
    bound = set()
    for name, arg in zip(params, call.args):
        if _attribute_chain(arg):
            bound.add(name)
    for kw in call.keywords:
        if kw.arg and _attribute_chain(kw.value):
            bound.add(kw.arg)
    return bound


_FACTS: dict[tuple[str, str], str] = {}  # (the module's imports, an async def's text) -> its facts


def outcome_key(ctx: ModuleContext) -> str:
    """What the module's coroutines do with their failures and what they await, for incremental analysis: a task
    fired in one function is judged by the body of a coroutine defined in another, so an edit there must reach
    it. One digest per top-level or method ``async def``, memoised on its text and the module's imports (cheap on an
    edit: only the changed coroutine is scanned). Empty in a module that fires no task."""
    text = ctx.source.text
    if "create_task" not in text and "ensure_future" not in text:
        return ""
    tree = ctx.tree
    imports = "\n".join(
        ctx.source.lines_text(s.lineno, s.end_lineno or s.lineno) for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))
    )
    parts = []
    for owner, node in _coroutines(tree):
        key = (imports, ctx.source.lines_text(node.lineno, node.end_lineno or node.lineno))
        fact = _FACTS.get(key)
        if fact is None:
            if len(_FACTS) > 4096:
                _FACTS.clear()
            awaited = "".join(ast.dump(n.value) for n in body_nodes(node.body, scopes=True) if isinstance(n, ast.Await))
            fact = _FACTS[key] = f"{awaits_anything(node)}{guards_itself(node, ctx)}{awaited}"
        parts.append(f"{owner}.{node.name}:{fact}")
    return hashlib.blake2b("|".join(parts).encode(), digest_size=8).hexdigest()


def _coroutines(tree: ast.Module):
    for stmt in tree.body:
        if isinstance(stmt, ast.AsyncFunctionDef):
            yield "", stmt
        elif isinstance(stmt, ast.ClassDef):
            yield from ((stmt.name, item) for item in stmt.body if isinstance(item, ast.AsyncFunctionDef))
