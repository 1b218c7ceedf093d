"""Calls in a ``try`` that only build what the work is done with, and run nothing themselves: a factory that hands
over the session (``session = await get_session()``), a query builder or a helper handed the statement under
construction (``stmt = stmt.filter(...)``, ``stmt = AccessGrants.has_permission_filter(query=stmt)``), an SQL
expression on a model's column (``File.updated_at.desc()``), a class or factory called to build an object, and
the call a worker thread runs (``asyncio.to_thread(os.remove, path)``). SAD101 names the call that runs the work
as the one that failed, never one of these."""

from __future__ import annotations

import ast
import re

from sadpath.engine import named_failure, shapes
from sadpath.engine.context import ModuleContext
from sadpath.engine.walker import body_nodes

__all__ = [
    "bound_statements",
    "builds_object",
    "chained",
    "column_expression",
    "constructs",
    "exception_class",
    "factories",
    "pure_in_thread",
    "thread_target",
]


def factories(try_node: ast.Try) -> set[int]:
    """Calls whose answer the ``try`` binds to a name and then calls methods on (``session = await get_session()``
    then ``session.get(url)``, ``client = self.get_client()`` then ``client.get_bucket(name)``): they hand over the
    object that does the work, and the work is what fails."""
    nodes = list(body_nodes(try_node.body))
    receivers = {
        n.func.value.id for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
    }
    found: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and node.targets[0].id in receivers:
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(value, ast.Call) and not value.args and not value.keywords:
                found.add(id(value))
    return found


_COLUMN_OPERATORS = frozenset(
    {"desc", "asc", "is_", "isnot", "is_not", "in_", "notin_", "not_in", "ilike", "like", "notilike", "notlike",
     "contains", "startswith", "endswith", "as_string", "as_integer", "as_boolean", "as_float", "astext", "label",
     "between", "nullsfirst", "nullslast", "nulls_first", "nulls_last", "any", "has", "distinct", "op", "match"}
)  # fmt: skip


def column_expression(call: ast.Call) -> bool:
    """``File.updated_at.desc()``, ``Knowledge.meta["source"].as_string()``: an SQL expression built on a model
    class's column, which runs nothing."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in _COLUMN_OPERATORS:
        return False
    root, depth = func.value, 0
    while isinstance(root, (ast.Attribute, ast.Subscript)):
        root, depth = root.value, depth + 1
    return depth >= 1 and isinstance(root, ast.Name) and root.id[:1].isupper()


def bound_statements(try_node: ast.Try) -> set[int]:
    """Query builders bound to a name that a later call of the ``try`` is handed (``stmt = stmt.filter(...)``
    then ``db.execute(stmt)``): the call that is handed the statement runs it, the builder runs nothing."""
    nodes = list(body_nodes(try_node.body))
    handed = {a.id for n in nodes if isinstance(n, ast.Call) for a in n.args if isinstance(a, ast.Name)}
    statements = {
        t.id for n in nodes if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and _starts_statement(n.value)
        for t in n.targets if isinstance(t, ast.Name)
    }
    return {
        id(part)
        for n in nodes
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
        and (named_failure.query_builder(n.value) or _rebuilds(n.value, n.targets, statements))
        and any(isinstance(t, ast.Name) and t.id in handed for t in n.targets)
        for part in ast.walk(n.value)
    }


_STATEMENT_ROOTS = frozenset({"select", "insert", "update", "delete", "text", "query"})


def _starts_statement(call: ast.Call) -> bool:
    """``select(Skill)``, ``db.query(File).filter(...)``: the root of the chain starts a statement."""
    root = call
    while isinstance(root.func, ast.Attribute) and isinstance(root.func.value, ast.Call):
        root = root.func.value
    func = root.func
    return (func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else "") in _STATEMENT_ROOTS


def _rebuilds(call: ast.Call, targets: list[ast.expr], statements: set[str]) -> bool:
    """``stmt = AccessGrants.has_permission_filter(db, query=stmt, ...)``: a helper handed the statement under
    construction, whose answer replaces it, only builds more of it; the call that runs it comes later."""
    names = {t.id for t in targets if isinstance(t, ast.Name)} & statements
    passed = [*call.args, *(k.value for k in call.keywords)]
    return any(isinstance(a, ast.Name) and a.id in names for a in passed)


def chained(call: ast.Call, try_node: ast.Try) -> bool:
    """The call is the receiver of another call (``Client().fetch()``, ``qs.filter().count()``)."""
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.value is call for n in ast.walk(ast.Module(body=try_node.body, type_ignores=[]))
    )


def exception_class(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name.endswith(("Error", "Exception", "Response", "Model", "Form", "Schema", "Result", "Request"))


def builds_object(call: ast.Call) -> bool:
    """``Client()``, ``self.Factory()``: a class called to build an object."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name[:1].isupper()


def constructs(call: ast.Call) -> bool:
    """``handler_class()``, ``factory()``: a class or factory handed in, called to build an object."""
    return isinstance(call.func, ast.Name) and bool(re.search(r"(?:_class|_cls|^cls|_type|_factory|^factory)$", call.func.id))


def thread_target(call: ast.Call) -> ast.Call | None:
    """``asyncio.to_thread(os.listdir, path)``, ``loop.run_in_executor(None, fn)``: the call run in the thread."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    args = call.args[1:] if name == "run_in_executor" else call.args
    if name not in ("to_thread", "run_in_executor", "run_sync") or not args or not isinstance(args[0], (ast.Name, ast.Attribute)):
        return None
    return ast.Call(func=args[0], args=[], keywords=[])


def pure_in_thread(call: ast.Call, ctx: ModuleContext) -> bool:
    """``asyncio.to_thread(os.path.exists, folder)``: a check that cannot fail, run in a thread."""
    target = thread_target(call)
    return target is not None and not shapes.can_fail(target, ctx)
