"""A prepared default: the ``try`` fills a name that was given a value before it, and the handler keeps that value.

The preset decides what the code does when the work fails, so the handler is the designed outcome, not a swallow.
"""

from __future__ import annotations

import ast

from sadpath.engine import logcalls
from sadpath.engine.context import ModuleContext
from sadpath.engine.shapes import cache_lookup, statements_after
from sadpath.engine.walker import body_nodes


def preset_fallback(try_node: ast.Try, verdict: str, ctx: ModuleContext) -> bool:
    """Every value the ``try`` computes for later code has a default prepared before it (``error_detail =
    f"HTTP {status}"`` then ``try: error_detail = (await r.json())["error"]``; ``initial[k] =
    parse(initial[k])``; ``a, b = random_pair()`` then ``a, b = unsign(challenge)``), and the ``try`` does nothing
    else: falling through leaves that default. A ``None`` or empty default counts only when later code tests it
    (``if not queries: queries = [last_message]``): otherwise it is the placeholder the caller gets."""
    if verdict != "pass" and not verdict.startswith("log:"):
        return False
    assigned: list[tuple[ast.expr, ast.expr]] = []
    if not _computes_only(try_node.body, assigned, ctx) or not assigned:
        return False
    func = ctx.enclosing_function()
    read, tested = _read_after(try_node, func, ctx)
    computed = {t.id for t, _v in assigned if isinstance(t, ast.Name)}
    for target, value in assigned:
        if isinstance(target, (ast.Subscript, ast.Attribute)):
            shown = ast.unparse(target)  # ``initial[k] = field.to_python(initial[k])``: the raw value stands
            if any(isinstance(n, type(target)) and ast.unparse(n) == shown for n in ast.walk(value)):
                continue
            if verdict != "pass" and isinstance(value, ast.Name) and value.id in computed:
                continue  # ``app.state.servers = servers`` keeps what was computed; on failure the old state stands, logged
            return False
        if not isinstance(target, ast.Name) or target.id not in read:
            continue  # scratch: only the ``try`` itself uses it
        if not _prepared(target.id, try_node, func, tested, ctx, logged=verdict != "pass" or not cache_lookup(try_node, ctx)):
            return False
    return True


def _computes_only(body: list[ast.stmt], assigned: list[tuple[ast.expr, ast.expr]], ctx: ModuleContext) -> bool:
    """The statements only assign values (through ``if``s and nested ``try``s), log, or raise into the handler."""
    for stmt in body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                continue
            for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                for node in ast.walk(target):
                    if isinstance(node, (ast.Name, ast.Subscript, ast.Attribute)) and isinstance(node.ctx, ast.Store):
                        assigned.append((node, stmt.value))
        elif isinstance(stmt, ast.If):
            if not _computes_only(stmt.body, assigned, ctx) or not _computes_only(stmt.orelse, assigned, ctx):
                return False
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            blocks = [stmt.body, stmt.orelse, stmt.finalbody, *(h.body for h in stmt.handlers)]
            if not all(_computes_only(block, assigned, ctx) for block in blocks):
                return False
        elif isinstance(stmt, (ast.Raise, ast.Pass, ast.Import, ast.ImportFrom)):
            continue
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and logcalls.as_log_call(stmt.value, ctx) is not None:
            continue
        elif (
            isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Attribute)
            and stmt.value.func.attr in _REFINES and isinstance(stmt.value.func.value, ast.Name)
        ):
            assigned.append((stmt.value.func.value, stmt.value))  # ``hostnames.extend(addresses)`` refines a prepared list
        else:
            return False
    return True


_REFINES = frozenset({"append", "extend", "update", "add", "insert", "setdefault"})


def _read_after(try_node: ast.Try, func, ctx: ModuleContext) -> tuple[set[str], set[str]]:
    """The names read after the ``try`` (in the rest of the function, or the next round of a loop around it),
    and those of them that a test in the statements that follow it reads."""
    following = statements_after(try_node, ctx)
    after = list(body_nodes(following))  # what runs next on this path (not the other branches of an ``if``)
    loop = ctx.enclosing(ast.For, ast.AsyncFor, ast.While)
    if loop is not None:  # the next round (what comes before the ``try`` in the loop's body), and after the loop
        after.extend(n for n in body_nodes(loop.body) if getattr(n, "lineno", try_node.lineno) < try_node.lineno)
        scope = func.body if func is not None else ctx.tree.body
        after.extend(n for n in body_nodes(scope) if getattr(n, "lineno", 0) > (loop.end_lineno or loop.lineno))
    read = {n.id for n in after if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    tested = {n.id for stmt in body_nodes(following) if isinstance(stmt, (ast.If, ast.IfExp, ast.While)) for n in ast.walk(stmt.test) if isinstance(n, ast.Name)}
    return read, tested


def _only_displayed(name: str, try_node: ast.Try, func) -> bool:
    """Every later use of ``name`` is an element of a row, a dict, or a piece of text (``[..., matching_id]``,
    ``{"groups": groups}``, ``f"{label}"``): shown, not handed on as data (``store.apply(settings)``)."""
    if func is None:
        return False
    end = try_node.end_lineno or try_node.lineno
    shown: set[int] = set()
    uses = []
    for node in ast.walk(func):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            shown |= {id(e) for e in node.elts}
        elif isinstance(node, ast.Dict):
            shown |= {id(v) for v in node.values}
        elif isinstance(node, ast.FormattedValue):
            shown.add(id(node.value))
        elif isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load) and node.lineno > end:
            uses.append(node)
    return bool(uses) and all(id(u) in shown for u in uses)


def _prepared(name: str, try_node: ast.Try, func, tested: set[str], ctx: ModuleContext, *, logged: bool = True) -> bool:
    """``name`` holds a value before the ``try``: assigned earlier (a real default, or a ``None``/empty one that
    later code tests), a loop variable, or a parameter. A cache read whose every error silently leaves the
    ``None`` reads as a miss and hides the outage: that ``None`` counts only when the handler logs (``logged``)."""
    scope = func.body if func is not None else ctx.tree.body
    earlier = [
        stmt
        for stmt in body_nodes(scope)
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.lineno < try_node.lineno and stmt.value is not None
        and any(isinstance(n, ast.Name) and n.id == name for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]) for n in ast.walk(t))
    ]
    if earlier:
        value = earlier[-1].value
        placeholder = (isinstance(value, ast.Constant) and value.value in (None, "", 0, False)) or (
            isinstance(value, (ast.List, ast.Tuple, ast.Dict, ast.Set)) and not getattr(value, "elts", getattr(value, "keys", None))
        )
        if not placeholder:
            return True
        if name in tested:
            return logged
        # an empty text or collection that only goes into a row or a message (``matching_id = ""``) is a default;
        # returned as it is, or a None handed on, it is the placeholder the caller gets
        return not (isinstance(value, ast.Constant) and value.value is None) and _only_displayed(name, try_node, func) and logged
    for parent in ctx.parents:
        # for key, value in pairs: try: value = convert(value) except: pass -> the raw value stands
        if isinstance(parent, (ast.For, ast.AsyncFor)) and name in {n.id for n in ast.walk(parent.target) if isinstance(n, ast.Name)}:
            return True
    if func is not None:
        args = func.args
        return name in {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    return False
