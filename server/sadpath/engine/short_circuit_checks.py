"""Short-circuiting checks over query rows, for SAD205 (n-plus-one-query).

``any(s.project.has_permission(user) for s in storages)`` stops at the first row that passes; so do ``all()`` (at
the first that fails) and ``next()`` (at the first match). Over the few rows a filter keyed by this request's
values matches (``Storage.objects.annotate(p=Value(path)).filter(p__startswith=F("path"))``, ``filter(owner=user)``)
such a check costs about one query per request, not n + 1: ``short_circuit(loop, parent)`` names the consuming
call (``any``, ``all``, ``next``) of a generator expression, and ``lookup_set(iterable, resolver, func, line)``
tells whether its rows are such a per-request lookup. Where the check still runs over a listing, every lazy hop
it reads is named at once (``checked_hops``): ``s.project.organization.active`` loads ``project`` and
``project.organization``, and ``select_related("project__organization")`` fetches both.
"""

from __future__ import annotations

import ast
from typing import Callable

from sadpath.engine.query_rows import Resolver, chain, chain_root, last_name, unwrap
from sadpath.engine.walker import bound_names

SHORT_CIRCUIT = frozenset({"any", "all", "next"})
NARROWING = frozenset({"filter", "exclude", "get", "in_bulk"})


def short_circuit(loop: ast.AST, parent: dict[int, ast.AST]) -> str | None:
    """``any``/``all``/``next`` when ``loop`` is a generator expression that is the first argument of that call."""
    if not isinstance(loop, ast.GeneratorExp):
        return None
    call = parent.get(id(loop))
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in SHORT_CIRCUIT:
        return call.func.id if call.args and call.args[0] is loop else None
    return None


def lookup_set(iterable: ast.AST, resolver: Resolver, func: ast.AST | None, line: int) -> bool:
    """The rows are a query narrowed by a filter on values of this call (a parameter or a local of the enclosing
    function, not ``self``): the few rows one request looks up, not a listing."""
    if func is None or not hasattr(func, "args"):
        return False
    local = bound_names(func) - {"self", "cls"}
    expr: ast.AST | None = unwrap(iterable)
    narrowed = keyed = False
    for _ in range(4):
        if isinstance(expr, ast.Name):
            expr = resolver.value_of(expr.id, line)
        if not isinstance(expr, ast.Call):
            break
        for link in chain(expr):
            narrowed = narrowed or last_name(link.func) in NARROWING
            arguments = [*link.args, *(k.value for k in link.keywords)]
            keyed = keyed or any(_request_value(n, local) for a in arguments for n in ast.walk(a))
        expr = chain_root(expr)
    return narrowed and keyed


def checked_hops(loop: ast.AST, row: str, relation: str, not_relation: Callable[[str], bool]) -> list[str]:
    """The relation paths the check reads from ``row.relation``: ``["project", "project__organization"]`` for
    ``s.project.organization.active``. A hop counts when something is read from it (an attribute that is not a
    method call), and its name is not a value's."""
    hops = {relation}
    parents: dict[int, ast.AST] = {id(c): n for n in ast.walk(loop) for c in ast.iter_child_nodes(n)}
    for node in ast.walk(loop):
        path = _path(node, row)
        if path is None or len(path) < 2 or path[0] != relation:
            continue
        above = parents.get(id(node))
        if not isinstance(above, ast.Attribute) or isinstance(parents.get(id(above)), ast.Call) and parents[id(above)].func is above:
            continue  # nothing read from it, or a method called on it: not a hop that loads a row
        if any(not_relation(name) or name.startswith("_") for name in path[1:]):
            continue
        hops.add("__".join(path))
    return sorted(hops, key=lambda p: (p.count("__"), p))


def methods_on(loop: ast.AST, row: str, relation: str) -> list[str]:
    """The methods the check calls on what it loads (``s.project.has_permission()``): they may load relations of
    their own, which the outer query's ``select_related`` does not reach."""
    found = set()
    for node in ast.walk(loop):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            path = _path(node.func.value, row)
            if path and path[0] == relation:
                found.add(".".join([row, *path, node.func.attr]) + "()")
    return sorted(found)


def _request_value(node: ast.AST, local: set[str]) -> bool:
    """A parameter or local of the function, or the view's own request (``self.request.user``)."""
    if isinstance(node, ast.Name):
        return node.id in local
    return (isinstance(node, ast.Attribute) and node.attr in ("request", "kwargs") and isinstance(node.value, ast.Name)
            and node.value.id == "self")


def maximal(paths: list[str]) -> list[str]:
    """The paths no other one extends: ``select_related("project__organization")`` also fetches ``project``."""
    return [p for p in paths if not any(o != p and o.startswith(p + "__") for o in paths)]


def _path(node: ast.AST, row: str) -> list[str] | None:
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.insert(0, node.attr)
        node = node.value
    return attrs if isinstance(node, ast.Name) and node.id == row else None
