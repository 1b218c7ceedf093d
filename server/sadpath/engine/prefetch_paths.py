"""What the query behind a loop loads up front, however the code builds it.

A small analysis for SAD205 (n-plus-one-query), beside ``query_rows``: the relation paths a Django or SQLAlchemy
query fetches with its rows (``select_related``, ``prefetch_related``, loader options, nested
``Prefetch("a", queryset=X.objects.select_related("b"), to_attr=...)``), followed through the names that build
the query step by step (``qs = qs.filter(...)``) and the same-file methods that return it
(``self.get_queryset()``); and the query itself when it is built that way. Also whose related manager gives
the rows (``manager_owner``: Django hands each row its owner) and which outer row and relation path a nested
loop's rows come from (``row_relation``)."""

from __future__ import annotations

import ast
import copy

from sadpath.engine.query_rows import Resolver, RowSource, chain, chain_root, last_name, unwrap
from sadpath.engine.walker import body_nodes


LOADER_CALLS = frozenset({"select_related", "prefetch_related", "selectinload", "joinedload", "subqueryload",
                          "immediateload", "contains_eager", "defaultload"})


def loaded_paths(expr: ast.AST, resolver: Resolver, line: int, depth: int = 0) -> set[str]:
    """The relation paths the query behind ``expr`` loads up front, through the names it is built from
    (``qs = qs.filter(...)`` after ``qs = X.objects.select_related(...)``) and the same-file methods that return it
    (``self.get_queryset()``): ``Prefetch("a", queryset=Y.objects.select_related("b"))`` loads ``a`` and ``a__b``
    (and ``to_attr``'s name the same way); ``"*"`` when ``select_related()`` joins every foreign key."""
    paths: set[str] = set()
    if depth > 40:  # `qs = qs.filter(...)` step by step: a report query takes two dozen steps across a helper
        return paths
    node = unwrap(expr)
    calls = chain(node)
    for call in calls:
        name = last_name(call.func)
        if name in LOADER_CALLS or name == "options":
            if name == "select_related" and not call.args:
                paths.add("*")
            for arg in call.args:
                paths |= prefetch_paths(arg)
    helper = resolver.helper(calls[-1]) if calls else None
    if helper is None and calls and _self_call(calls[-1]):
        helper = inherited_method(resolver.tree, resolver.klass, calls[-1].func.attr)  # a same-file mixin's method
    if helper is not None:
        inner = Resolver(resolver.tree, helper, resolver.klass)
        for stmt in body_nodes(helper.body):
            if isinstance(stmt, ast.Return) and stmt.value is not None:
                paths |= loaded_paths(stmt.value, inner, stmt.lineno + 1, depth + 1)
    root = chain_root(node)
    if isinstance(root, ast.Name) and root.id not in ("self", "cls"):
        value = resolver.value_of(root.id, line)
        if value is not None and getattr(value, "lineno", line) < line:
            paths |= loaded_paths(value, resolver, value.lineno, depth + 1)
    return paths


def prefetch_paths(arg: ast.AST, prefix: str = "") -> set[str]:
    """``"a__b"`` gives a, a__b; ``Prefetch("a", queryset=...select_related("b"), to_attr="c")`` gives a, a__b, c, c__b."""
    def under(head: str, value: str) -> set[str]:
        full = f"{head}__{value}" if head else value
        parts = full.split("__")
        return {"__".join(parts[: i + 1]) for i in range(len(parts))}

    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return under(prefix, arg.value)
    if isinstance(arg, ast.Attribute):
        return {arg.attr}  # selectinload(Order.lines)
    if isinstance(arg, ast.Call) and last_name(arg.func) == "Prefetch" and arg.args:
        heads = [a.value for a in arg.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        heads += [k.value.value for k in arg.keywords if k.arg == "to_attr" and isinstance(k.value, ast.Constant)]
        queryset = next((k.value for k in arg.keywords if k.arg == "queryset"), arg.args[1] if len(arg.args) > 1 else None)
        out: set[str] = set()
        for head in heads:
            out |= under(prefix, head)
            if queryset is not None:
                for node in ast.walk(queryset):
                    if isinstance(node, ast.Call) and last_name(node.func) in ("select_related", "prefetch_related"):
                        for inner in node.args:
                            out |= prefetch_paths(inner, f"{prefix}__{head}" if prefix else head)
        return out
    if isinstance(arg, ast.Call):  # joinedload(A.b).joinedload(B.c), selectinload(...).options(...)
        return {n.attr for n in ast.walk(arg) if isinstance(n, ast.Attribute) and not isinstance(n.ctx, ast.Store)} | {
            n.value for n in ast.walk(arg) if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
    return set()


def resolved_source(expr: ast.AST, resolver: Resolver, line: int) -> RowSource | None:
    """The query behind ``expr``, also when it is built up in steps (``qs = qs.filter(...)``) here or in the
    same-file method that returns it (``self.get_queryset()``)."""
    source = resolver.source(inline_root(expr, resolver, line), line) or resolver.source(expr, line)
    if source is not None:
        return source
    node = unwrap(expr)
    helper = resolver.helper(node) if isinstance(node, ast.Call) else None
    if helper is None:
        return None
    inner = Resolver(resolver.tree, helper, resolver.klass)
    for stmt in body_nodes(helper.body):
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            value = stmt.value
            if isinstance(value, ast.Name):
                value = inner.value_of(value.id, stmt.lineno + 1) or value
            found = inner.source(inline_root(value, inner, stmt.lineno + 1), stmt.lineno + 1)
            if found is not None:
                return found
    return None


def inline_root(expr: ast.AST, resolver: Resolver, line: int, depth: int = 0) -> ast.AST:
    """``media.iterator()`` with ``media = Medium.objects.prefetch_related(...)`` read as the whole chain, so that
    the outer query's prefetches are known."""
    node = unwrap(expr)
    root = chain_root(node)
    if not isinstance(root, ast.Name) or root is node:
        return expr
    value = resolver.value_of(root.id, line)
    if not isinstance(value, ast.Call) or chain_root(value) is value:
        return expr
    whole = copy.deepcopy(node)
    holder = whole
    while True:
        inner = holder.func if isinstance(holder, ast.Call) else holder.value if isinstance(holder, (ast.Attribute, ast.Await)) else None
        if isinstance(inner, ast.Name):
            break
        if inner is None:
            return expr
        holder = inner
    if isinstance(holder, ast.Call):
        holder.func = value
    else:
        holder.value = value
    return inline_root(whole, resolver, value.lineno, depth + 1) if depth < 4 else whole


def branch_paths(name: str, resolver: Resolver, line: int) -> set[str]:
    """The paths every branch loads when ``name`` is assigned in the branches of an ``if`` before ``line``
    (``qs = X.prefetch_related("a").filter(...)`` in each, or ``qs = X.none()``, which has no rows): their
    intersection, so that a prefetch made in every branch counts."""
    if resolver.func is None:
        return set()
    assigns = [
        n for n in body_nodes(resolver.func.body)
        if isinstance(n, ast.Assign) and n.lineno < line and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)
    ]
    if len(assigns) < 2:
        return set()
    last = assigns[-1]
    outer = next(
        (n for n in body_nodes(resolver.func.body) if isinstance(n, ast.If) and n.lineno <= last.lineno <= (n.end_lineno or 0)
         and (n.end_lineno or 0) < line),
        None,
    )  # the outermost `if` around the last assignment, ended before the loop
    if outer is None:
        return set()
    branches = [a for a in assigns if outer.lineno <= a.lineno <= (outer.end_lineno or 0)]
    sides = [{id(n) for n in body_nodes(part)} for part in (outer.body, outer.orelse)]
    if not all(any(id(a) in side for a in branches) for side in sides):
        return set()  # a branch that keeps the earlier value: the prefetch is not on every path
    found = [loaded_paths(a.value, resolver, a.lineno + 1) for a in branches if last_name(chain(a.value)[0].func if chain(a.value) else a.value) != "none"]
    if len(found) < 1 or not all(found):
        return set()
    return set.intersection(*found)


def inherited_method(tree: ast.Module, klass: ast.ClassDef | None, name: str) -> ast.AST | None:
    """The method ``name`` of ``klass`` or of a base class defined in the same module (a mixin), nearest first."""
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    pending = [klass] if klass is not None else []
    seen: set[str] = set()
    while pending:
        current = pending.pop(0)
        if current.name in seen:
            continue
        seen.add(current.name)
        for stmt in current.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
                return stmt
        pending.extend(classes[b.id] for b in current.bases if isinstance(b, ast.Name) and b.id in classes)
    return None


def _self_call(call: ast.Call) -> bool:
    func = call.func
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls")


def row_relation(expr: ast.AST, resolver: Resolver, line: int) -> tuple[str | None, str]:
    """``("order", "lines__product")`` of ``order.lines.product.all()``; a root bound to an attribute of a row
    (``item = cp.item``) is followed back to that row."""
    node = unwrap(expr)
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    attrs: list[str] = []
    for _ in range(4):
        while isinstance(node, ast.Attribute):
            attrs.insert(0, node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None, ""
        value = resolver.value_of(node.id, line)
        if not isinstance(value, ast.Attribute) or not attrs:
            return node.id, "__".join(attrs)
        node = value
    return None, ""


def manager_owner(query: ast.AST) -> str | None:
    """``event`` of ``event.orders.filter(...)`` / ``self.event.orders.all()``: whose manager gives the rows."""
    node = unwrap(query)
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    if isinstance(node, ast.Attribute) and node.attr != "objects":
        owner = node.value
        return owner.attr if isinstance(owner, ast.Attribute) else owner.id if isinstance(owner, ast.Name) else None
    return None
