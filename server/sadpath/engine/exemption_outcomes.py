"""Exemptions of the swallow judgement for failures that are an expected answer of the work itself, and the SQL
statement builders a message never names:

- a create that loses a uniqueness race (``except IntegrityError`` around ``create_user(...)``) and then fetches
  the row that already exists: the "already exists" of a get-or-create, not a lost write;
- a response whose status the code has already checked (``if not response.ok: raise``, ``raise_for_status()``)
  and whose body does not parse: a 2xx with an empty or non-JSON body is a success, and answering success is true;
- ``select()``, ``insert()``, ``text()`` of SQLAlchemy build a statement and run nothing: the ``execute()`` that
  runs it is the call that fails.

Each exemption answers like those of ``engine.exemptions``: None when it is not about this handler, False when
considered and not applying, True when it applies.
"""

from __future__ import annotations

import ast

from sadpath.engine import http_status
from sadpath.engine.context import ModuleContext
from sadpath.engine.handler_site import Site
from sadpath.engine.shapes import statements_after
from sadpath.engine.walker import body_nodes

# ------------------------------------------------------------------ statement builders

_SQL_ROOTS = ("sqlalchemy", "sqlmodel")
_BUILDERS = frozenset(
    {"select", "insert", "update", "delete", "text", "and_", "or_", "not_", "case", "cast", "literal", "column",
     "table", "exists", "union", "union_all", "join", "outerjoin", "values", "bindparam", "desc", "asc", "tuple_",
     "null", "true", "false", "func", "literal_column", "lateral", "alias", "distinct", "over", "within_group"}
)  # fmt: skip


def builds_statement(call: ast.Call, ctx: ModuleContext) -> bool:
    """``select(File)``, ``sqlalchemy.text("...")``, ``insert(t).values(...)``, ``func.count(...)``: SQLAlchemy
    builds a statement object; nothing runs until ``execute()``."""
    root = call
    while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute) and isinstance(root.func.value, ast.Call):
        root = root.func.value  # ``select(X).filter(...).order_by(...)``: judged by its root
    qualified = ctx.qualified_name(root.func) or ""
    parts = qualified.split(".")
    if parts[0] not in _SQL_ROOTS or len(parts) < 2:
        return False
    return parts[-1] in _BUILDERS or "func" in parts[1:-1]


# ------------------------------------------------------------------ the "already exists" of a get-or-create

_INTEGRITY = ("IntegrityError", "UniqueViolation", "UniqueViolationError")
_CREATES = ("create", "insert", "add", "save", "bulk_create")
_FETCHES = frozenset({"get", "first", "one", "scalar_one", "one_or_none", "scalar_one_or_none", "get_by_natural_key", "find_one", "fetchone", "scalar"})


def existing_row_fetched(site: Site) -> bool | None:
    """``except IntegrityError`` around a create (``User.objects.create_user(...)``, ``session.add(row)``) whose
    handler goes on to fetch the row that already exists (in the handler or right after the ``try``): the lost race
    of a get-or-create, an expected outcome with its fallback, not a lost write."""
    if site.try_node is None or not site.caught.names:
        return None
    if not all(name.rsplit(".", 1)[-1] in _INTEGRITY for name in site.caught.names):
        return None
    creates = [n for n in body_nodes(site.try_node.body) if isinstance(n, ast.Call) and _creates(n)]
    if not creates:
        return False
    if site.path.end not in ("fall", "return"):
        return False
    following = statements_after(site.try_node, site.ctx)[:3] if site.path.end == "fall" else []
    return any(isinstance(n, ast.Call) and _fetches(n) for n in body_nodes([*site.handler.body, *following]))


def _creates(call: ast.Call) -> bool:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) else ""
    return name.startswith(_CREATES) and not name.startswith(("add_", "saved"))


def _fetches(call: ast.Call) -> bool:
    """``User.objects.get(email=...)``, ``session.query(X).filter_by(...).one()``, ``select ... .scalar_one()``:
    a single-row read (not ``dict.get``: its receiver is a manager, a query or a session)."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in _FETCHES:
        return False
    receiver = ast.unparse(func.value)
    return any(word in receiver for word in ("objects", "query", "session", "filter", "where", "select", "execute", "cursor", "db", "collection"))


# ------------------------------------------------------------------ a body that does not parse after a good status

_BODY_PARSES = frozenset({"json", "text", "read", "content"})
_SUCCESS_KEYS = ("success", "ok", "status", "result")
_SUCCESS_WORDS = ("ok", "success", "succeeded", "done", "accepted")


def checked_status_success(site: Site) -> bool | None:
    """The ``try`` only parses the body of a response whose status was checked before it (``if not response.ok:
    raise ...``, ``response.raise_for_status()``), and the handler answers success (``{'success': True}``): a 2xx
    with an empty or non-JSON body did succeed, so the answer is true."""
    if site.try_node is None or site.func is None or not site.verdict.startswith("return "):
        return None
    name = _parsed_response(site.try_node)
    if name is None:
        return None
    if not _success_answer(site.path.value):
        return False
    return _status_checked_before(name, site.try_node, site.func)


def _parsed_response(try_node: ast.Try) -> str | None:
    """The response whose body the ``try``'s one statement parses (``return await response.json()``)."""
    if len(try_node.body) != 1:
        return None
    calls = [n for n in ast.walk(try_node.body[0]) if isinstance(n, ast.Call)]
    names = set()
    for call in calls:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in _BODY_PARSES and isinstance(func.value, ast.Name):
            names.add(func.value.id)
        elif not _parser(call):
            return None  # other work in the ``try``
    return names.pop() if len(names) == 1 else None


def _parser(call: ast.Call) -> bool:
    """``json.loads(...)``, ``JSONCodec.loads``: turning the body's text into a value."""
    func = call.func
    return isinstance(func, (ast.Attribute, ast.Name)) and (func.attr if isinstance(func, ast.Attribute) else func.id) in ("loads", "load")


def _success_answer(value: ast.AST | None) -> bool:
    if isinstance(value, ast.Constant):
        return value.value is True or (isinstance(value.value, str) and value.value.lower() in _SUCCESS_WORDS)
    if isinstance(value, ast.Dict) and value.keys:
        for key, item in zip(value.keys, value.values):
            if isinstance(key, ast.Constant) and key.value in _SUCCESS_KEYS and _success_answer(item):
                return True
    return False


def _status_checked_before(name: str, try_node: ast.Try, func: ast.AST) -> bool:
    """Before the ``try``, the function raises or returns when ``name``'s status is bad, or calls
    ``name.raise_for_status()``."""
    is_response = lambda n: n == name  # noqa: E731
    for node in body_nodes(func.body):
        if getattr(node, "lineno", try_node.lineno) >= try_node.lineno:
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "raise_for_status":
            if isinstance(node.func.value, ast.Name) and node.func.value.id == name:
                return True
        if isinstance(node, ast.If) and (node.end_lineno or node.lineno) < try_node.lineno:
            kind = http_status.verdicts(node.test, is_response).get(name)
            if kind == http_status.FAILURE and http_status.always_leaves(node.body):
                return True
    return False


# ------------------------------------------------------------------ optional enrichment (an advice, not an exemption)


def enriched_container(site: Site) -> str | None:
    """The ``try`` fetches something and only adds fields from it to a value the function already holds
    (``model = client.get_logged_model(id)`` then ``meta["metrics"] = model.metrics``), the handler falls through,
    and the function goes on with that value: optional enrichment. Its name (``meta``), or None. Re-raising there
    would fail the whole read for the missing extra; the fitting fix is a log line with the traceback."""
    func, try_node = site.func, site.try_node
    if func is None or try_node is None or site.path.end != "fall" or site.after is not None or site.path.traced:
        return None
    scratch: set[str] = set()
    containers: set[str] = set()
    for stmt in try_node.body:
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            return None
        target = stmt.targets[0]
        if isinstance(target, ast.Name):
            scratch.add(target.id)
            continue
        root = target
        while isinstance(root, (ast.Subscript, ast.Attribute)):
            root = root.value
        if not isinstance(target, (ast.Subscript, ast.Attribute)) or not isinstance(root, ast.Name) or root.id in scratch or root.id == "self":
            return None
        containers.add(root.id)
    if len(containers) != 1 or not scratch:
        return None
    name = containers.pop()
    bound_before = any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) and n.lineno < try_node.lineno for n in ast.walk(func)
    ) or name in {a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)}
    following = statements_after(try_node, site.ctx)
    read_after = {n.id for n in body_nodes(following) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if not bound_before or name not in read_after or scratch & read_after:
        return None
    return name


__all__ = ["builds_statement", "checked_status_success", "enriched_container", "existing_row_fetched"]
