"""The exemption for a function whose callers in the project all test its answer: ``None`` is part
of its contract, and every caller branches on it before using the result."""

from __future__ import annotations

import ast

from sadpath.engine import logcalls
from sadpath.engine.call_index import direct_calls
from sadpath.engine.handler_site import Site
from sadpath.engine.namespace_callers import MAX_CALLERS, project_callers
from sadpath.engine.walker import NESTED_SCOPES


def callers_check_the_answer(site: Site) -> bool | None:
    """Every call of the function in the project tests what it answers (``if sha:``, ``if models is None:
    raise``, ``x or default``, ``stream, kind, meta = f()`` then ``if stream is None:``), or hands it on
    unchanged (``return f()``) beside a caller that tests it: the caller decides what the failure means, and
    nothing uses the placeholder. The module's own callers decide when there are any; otherwise the callers in
    other modules, found through their imports (a function) or by the method's name (a method); none found, or a
    module that cannot be read, proves nothing."""
    func = site.func
    if func is None or site.path.end != "return" or (slots := _none_slots(site.path.value)) is None:
        return None
    if -1 in slots and _normal_path_answers_none(func, site):
        return None  # ``return session.get(...)`` answers None for "not there": a test cannot tell it from a failure
    calls = direct_calls(site.ctx, func.name)
    if calls:
        return all(_tested(call, parents, slots) for call, parents in calls)  # the module's own callers decide
    calls = _callers_elsewhere(func, site)
    if not calls or len(calls) > MAX_CALLERS:
        return None  # called from nowhere we can read
    verdicts = [_tested(call, parents, slots) for call, parents in calls]
    if all(verdicts):
        return True
    handed_on = [not tested and _handed_on(call, parents) for (call, parents), tested in zip(calls, verdicts)]
    return all(t or h for t, h in zip(verdicts, handed_on)) and any(verdicts)


def disabled_answer_checked(site: Site) -> bool | None:
    """The function answers None on purpose when its component is switched off (``if USE_SLIM: return None``
    before the ``try``), the handler logs the failure at warning level or above and leaves the same None as the
    answer, and every call of it in the module tests that answer: a failed load reads as "switched off", the
    degraded mode its callers already handle (the log line is SAD104's to judge)."""
    func, try_node = site.func, site.try_node
    if func is None or try_node is None or site.path.end != "fall" or site.after is not None:
        return None
    top = next((stmt for stmt in func.body if try_node in ast.walk(stmt)), None)
    if top is None or not any(_switched_off(stmt) for stmt in func.body[: func.body.index(top)]):
        return None
    last = func.body[-1]
    assigned = {n.id for stmt in try_node.body for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if not (isinstance(last, ast.Return) and isinstance(last.value, ast.Name) and last.value.id in assigned):
        return None  # the failure's answer is not the value the ``try`` would have set
    if not any(log.kind == "logger" and log.level in logcalls.ERROR_LEVELS for log in site.path.logs):
        return False  # no line says it failed: a silent "switched off"
    calls = direct_calls(site.ctx, func.name)
    return bool(calls) and all(_tested(call, parents) for call, parents in calls)


def _switched_off(stmt: ast.stmt) -> bool:
    """``if USE_SLIM: return None``: a test of names and attributes only, answering None."""
    if not isinstance(stmt, ast.If) or stmt.orelse or len(stmt.body) != 1 or not isinstance(stmt.body[0], ast.Return):
        return False
    value = stmt.body[0].value
    if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
        return False
    return not any(isinstance(n, ast.Call) for n in ast.walk(stmt.test))


# calls whose answer is None when the row or the key is not there
_OPTIONAL_ANSWERS = frozenset({"get", "first", "one_or_none", "scalar_one_or_none", "scalar", "find_one", "fetchone", "get_or_none"})


def _normal_path_answers_none(func: ast.AST, site: Site) -> bool:
    """Outside the handlers, the function can answer ``None`` too: ``return None``, or it returns a lookup whose
    answer is None when nothing is there (``session.get(...)``, ``.first()``, ``find_one()``). Its callers' ``is
    None`` test then reads a failure as "not found"."""
    handlers = {id(n) for h in getattr(site.try_node, "handlers", []) for n in ast.walk(h)}
    for node in ast.walk(func):
        if not isinstance(node, ast.Return) or id(node) in handlers:
            continue
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            return True
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in _OPTIONAL_ANSWERS:
            return True
    return False


def _none_slots(value: ast.expr | None) -> set[int] | None:
    """``return`` / ``return None`` ({-1}: the whole answer), or the positions of ``None`` in a returned tuple
    (``return None, None, {}``); None for any other value. A ``False`` from a predicate is its normal answer,
    which ``if f():`` uses."""
    if value is None or (isinstance(value, ast.Constant) and value.value is None):
        return {-1}
    if isinstance(value, ast.Tuple):
        slots = {i for i, elt in enumerate(value.elts) if isinstance(elt, ast.Constant) and elt.value is None}
        return slots or None
    return None


def _callers_elsewhere(func: ast.AST, site: Site) -> list[tuple[ast.Call, list[ast.AST]]] | None:
    """Calls of the function from the project's other modules (``engine.namespace_callers``)."""
    return project_callers(func.name, site.ctx, method=site.ctx.enclosing_class() is not None)


def _handed_on(call: ast.Call, parents: list[ast.AST]) -> bool:
    """``return await f(...)``: the caller answers what the function answers, contract and all."""
    node: ast.AST = call
    for parent in reversed(parents):
        if isinstance(parent, ast.Await):
            node = parent
            continue
        return isinstance(parent, ast.Return) and parent.value is node
    return False


def _tested(call: ast.Call, parents: list[ast.AST], slots: set[int] = frozenset({-1})) -> bool:
    """The call's answer is tested before it is used: directly, or through the name it is bound to (for a
    tuple, through a name unpacked from one of its ``None`` slots)."""
    node: ast.AST = call
    if -1 not in slots:
        return _slot_tested(call, parents, slots)
    for parent in reversed(parents):
        if isinstance(parent, ast.Await):
            node = parent
            continue
        if isinstance(parent, (ast.If, ast.While, ast.IfExp)) and parent.test is node:
            return True
        if isinstance(parent, ast.BoolOp) or (isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not)):
            return True
        if isinstance(parent, ast.Compare) and any(isinstance(c, ast.Constant) and c.value is None for c in [parent.left, *parent.comparators]):
            return True
        if isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is node:
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                scope = next((p for p in reversed(parents) if isinstance(p, NESTED_SCOPES)), None)
                return scope is not None and _name_tested(targets[0].id, scope, parent)
        return False
    return False


def _slot_tested(call: ast.Call, parents: list[ast.AST], slots: set[int]) -> bool:
    """``stream, kind, meta = f()`` then ``if stream is None:``: a name unpacked from a ``None`` slot is tested."""
    node: ast.AST = call
    for parent in reversed(parents):
        if isinstance(parent, ast.Await):
            node = parent
            continue
        if not (isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1):
            return False
        target = parent.targets[0]
        if not isinstance(target, ast.Tuple):
            return False
        scope = next((p for p in reversed(parents) if isinstance(p, NESTED_SCOPES)), None)
        names = [elt.id for i, elt in enumerate(target.elts) if i in slots and isinstance(elt, ast.Name)]
        return scope is not None and any(_name_tested(name, scope, parent) for name in names)
    return False


def _name_tested(name: str, scope: ast.AST, assignment: ast.stmt) -> bool:
    """After ``x = f()``, the first statement that reads ``x`` tests it (``if not x: return``, ``if x is None``)."""
    body = [s for s in ast.walk(scope) if isinstance(s, ast.stmt) and s.lineno > (assignment.end_lineno or assignment.lineno)]
    body.sort(key=lambda s: (s.lineno, s.col_offset))
    for stmt in body:
        reads = [n for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
        if not reads:
            continue
        test = stmt.test if isinstance(stmt, (ast.If, ast.While)) else None
        if test is not None and any(n is r for r in reads for n in ast.walk(test)):
            return True
        return isinstance(stmt, ast.Return) and stmt.value is not None and isinstance(stmt.value, ast.BoolOp)
    return False
