"""Does a loop write per row? For SAD205 (n-plus-one-query).

The catalog lists writes per row as a look-alike of an N+1 read: a loop whose body saves, updates, creates or
deletes per row (or calls a project helper that does: a business operation with its own transaction, save and
log) is a per-row write workflow. The reads in it feed those writes and are part of that work; batching the read
alone changes nothing measurable, and the writes cannot become one ``IN`` query.

``writes_per_row(body, ctx, resolver)`` answers for the statements of a loop body: a Django write (``save()``,
``delete()``, a queryset's ``update()``, a manager's ``create()``/``get_or_create()``/``bulk_create()``, a related
manager's ``add()``/``set()``/``remove()``/``clear()``), a SQLAlchemy session write (``add``, ``delete``, ``merge``,
``flush``, ``execute`` of an ``insert``/``update``/``delete``), a DB-API ``execute`` of an ``INSERT``/``UPDATE``/
``DELETE`` statement, a pymongo write; directly or through a same-file function, a ``self`` method (also one a
same-file base class defines) or an imported project function, up to two calls deep."""

from __future__ import annotations

import ast

from sadpath.engine.external import is_django_manager_chain
from sadpath.engine.prefetch_paths import inherited_method
from sadpath.engine.project_calls import project_calls_of
from sadpath.engine.query_rows import Resolver, looks_like_connection, looks_like_session, statement_kind
from sadpath.engine.walker import body_nodes

MANAGER_WRITES = frozenset({"create", "get_or_create", "update_or_create", "bulk_create", "bulk_update"})
RELATED_WRITES = frozenset({"add", "set", "remove", "clear"})
SESSION_WRITES = frozenset({"add", "add_all", "delete", "merge", "flush"})
MONGO_WRITES = frozenset(
    {"insert_one", "insert_many", "update_one", "update_many", "replace_one", "delete_one", "delete_many",
     "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "bulk_write"}
)
DEPTH = 2


def writes_per_row(body: list[ast.AST], ctx, resolver: Resolver, helpers_only: bool = False) -> bool:
    """Whether the statements write to the database, themselves or through project helpers (only through
    helpers with ``helpers_only``: a business operation per row, such as one order's cancellation)."""
    return _writes(body, ctx, resolver, 0, set(), helpers_only)


def feeds_write(node: ast.AST, parent: dict[int, ast.AST], stop: ast.AST, ctx, resolver: Resolver) -> bool:
    """Whether a read inside a loop body (up to ``stop``, the loop) is part of a write's work: an argument or
    receiver of a write call (``X.objects.filter(pk=row.fk.pk).update(...)``, ``v.tags.set(row.tags.all())``),
    the rows of an inner loop that writes each of them (``for m in row.memberships.all(): m.save()``, also through a
    name: ``qs = event.orders.filter(...)`` then ``for o in qs: ... o.save()``, a per-group batch), or the
    condition of a branch that writes (``if not row.media.exists(): Medium.objects.create(...)``)."""
    child, above = node, parent.get(id(node))
    while above is not None and above is not stop and not isinstance(above, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if isinstance(above, ast.Call) and is_write(above, resolver):
            return True
        if isinstance(above, (ast.For, ast.AsyncFor)) and child is above.iter and writes_per_row(above.body, ctx, resolver):
            return True
        if isinstance(above, (ast.If, ast.While)) and child is above.test and writes_per_row(above.body, ctx, resolver):
            return True
        if isinstance(above, (ast.Assign, ast.AnnAssign)) and (
            _decides_write(above, parent, stop, ctx, resolver) or _iterated_by_writes(above, stop, ctx, resolver)
        ):
            return True
        child, above = above, parent.get(id(above))
    return False


def _iterated_by_writes(assign: ast.AST, stop: ast.AST, ctx, resolver: Resolver) -> bool:
    """``qs = event.orders.filter(...)`` (refined by ``qs = qs.annotate(...)``), then ``for o in qs:`` whose body
    writes per row: a per-group batch query, the unit of work of the loop around it, not a read per row."""
    targets = assign.targets if isinstance(assign, ast.Assign) else [assign.target]
    names = {t.id for t in targets if isinstance(t, ast.Name)}
    if not names:
        return False
    for node in body_nodes(getattr(stop, "body", [])):
        if isinstance(node, ast.Assign) and node.lineno > assign.lineno and any(
            isinstance(n, ast.Name) and n.id in names for n in ast.walk(node.value)
        ):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        if isinstance(node, (ast.For, ast.AsyncFor)) and node.lineno > assign.lineno:
            if isinstance(node.iter, ast.Name) and node.iter.id in names and writes_per_row(node.body, ctx, resolver):
                return True
    return False


def _decides_write(assign: ast.AST, parent: dict[int, ast.AST], stop: ast.AST, ctx, resolver: Resolver) -> bool:
    """``next_latest = session.execute(select(...)).scalar_one_or_none()`` followed, in the same block, by ``if
    next_latest: <write> else: <write>``: the read decides which write each row gets (the condition of a branch
    that writes). A read whose value only feeds a write (``create(product=product)``) stays a batchable read."""
    targets = assign.targets if isinstance(assign, ast.Assign) else [assign.target]
    names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    holder = parent.get(id(assign))
    if not names or holder is None:
        return False
    block = next(
        (getattr(holder, f) for f in ("body", "orelse", "finalbody") if assign in getattr(holder, f, [])), None
    )
    if block is None:
        return False
    for stmt in block[block.index(assign) + 1:]:
        if isinstance(stmt, ast.If) and any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(stmt.test)):
            if writes_per_row(stmt.body, ctx, resolver) and (not stmt.orelse or writes_per_row(stmt.orelse, ctx, resolver)):
                return True
    return False


def _writes(body: list[ast.AST], ctx, resolver: Resolver, depth: int, seen: set[int], helpers_only: bool = False) -> bool:
    for node in body_nodes(body):
        if not isinstance(node, ast.Call):
            continue
        if is_write(node, resolver) and not (helpers_only and depth == 0):
            return True
        if depth >= DEPTH:
            continue
        target = _helper(node, ctx, resolver, depth)
        if target is None or id(target[1]) in seen:
            continue
        seen.add(id(target[1]))
        tree, func, klass = target
        if _writes(func.body, ctx, Resolver(tree, func, klass), depth + 1, seen):
            return True
    return False


def _helper(call: ast.Call, ctx, resolver: Resolver, depth: int):
    """(tree, function, class) of the project function a call runs, or None."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
        found = inherited_method(resolver.tree, resolver.klass, func.attr)
        return (resolver.tree, found, resolver.klass) if found is not None else None
    if isinstance(func, ast.Name) and func.id in resolver.functions:
        return resolver.tree, resolver.functions[func.id], None
    if depth > 0 or not isinstance(func, ast.Name):
        return None  # imported helpers are followed from the loop's own module only
    project = project_calls_of(ctx)
    try:
        resolved = project.resolve(call, ctx)
    except (OSError, ValueError, RecursionError):
        return None
    if resolved is None:
        return None
    target_ctx, function = resolved
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    return target_ctx.tree, function, None


def is_write(call: ast.Call, resolver: Resolver) -> bool:
    """A call that writes to a database (see the module docstring)."""
    if not isinstance(call.func, ast.Attribute):
        return False
    name, receiver = call.func.attr, call.func.value
    if name in ("save", "delete") and not call.args:
        return True  # `row.save()`, `qs.delete()`: `img.save(path)`, `cache.delete(key)` take an argument
    if name == "update" and not call.args and (isinstance(receiver, ast.Call) or is_django_manager_chain(receiver)):
        return True  # `X.objects.filter(...).update(f=...)`: not `mapping.update(other)`
    if name in MANAGER_WRITES and isinstance(receiver, ast.Attribute):
        return True
    if name in RELATED_WRITES and isinstance(receiver, ast.Attribute) and call.args:
        base = receiver.value
        return not (isinstance(base, ast.Name) and base.id in ("self", "cls"))  # not `self.seen.add(x)`
    if name in SESSION_WRITES and looks_like_session(receiver):
        return True
    if name in MONGO_WRITES and isinstance(receiver, (ast.Attribute, ast.Subscript)):
        return True
    if name == "execute" and call.args and (looks_like_session(receiver) or looks_like_connection(receiver)):
        statement = resolver.statement(call.args[0], call.lineno)
        return statement_kind(statement) == "write"
    return False

