"""Which loops run over the rows of a database query, and what those rows already carry.

A small analysis for SAD205 (n-plus-one-query): the query behind a loop's iterable (followed through local
assignments, ``list(...)`` and same-file helpers that return rows), its kind (Django, SQLAlchemy, DB-API,
MongoDB), the relations its loader options fetch up front, the relations and columns the module's own models
declare, and whether a statement (SQL text, ``select(...)``, ``insert(...)``) reads or writes."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from sadpath.engine.external import is_django_manager_chain
from sadpath.engine.walker import body_nodes

WRAPPERS = frozenset({"list", "tuple", "sorted", "enumerate", "reversed", "iter", "set", "frozenset"})
SQLA_SOURCES = frozenset({"query", "scalars", "execute"})
DBAPI_SOURCES = frozenset({"fetchall", "fetchmany", "fetch"})
MONGO_SOURCES = frozenset({"find", "aggregate"})
DJANGO_QUERYSET = frozenset(
    {"all", "filter", "exclude", "order_by", "select_related", "prefetch_related", "distinct", "annotate", "only",
     "defer", "using", "iterator", "values", "values_list", "reverse", "none"}
)
LOADERS = frozenset(
    {"select_related", "prefetch_related", "selectinload", "joinedload", "subqueryload", "immediateload",
     "contains_eager", "Prefetch", "options", "join", "outerjoin", "defaultload"}
)
EAGER_LAZY = frozenset({"joined", "selectin", "subquery", "immediate"})
READ_WORDS = ("SELECT", "WITH", "SHOW", "VALUES", "TABLE")
WRITE_WORDS = ("INSERT", "UPDATE", "DELETE", "UPSERT", "MERGE", "REPLACE", "CREATE", "DROP", "ALTER", "TRUNCATE", "COPY")
DJANGO_RELATIONS = ("ForeignKey", "OneToOneField", "ManyToManyField", "GenericForeignKey")


@dataclass
class RowSource:
    """The query whose rows a loop iterates."""

    kind: str  # "django", "sqlalchemy", "dbapi", "mongo"
    query: ast.AST  # the expression (resolved through names) that runs the query
    covered: set[str] = field(default_factory=set)  # relation paths loaded up front ("lines", "lines__product")
    select_all: bool = False  # Django select_related() with no arguments: every foreign key is joined
    plain_rows: bool = False  # .values()/.values_list(): dicts and tuples, no relations
    model: str | None = None  # the model class named by the query, when visible
    prefix: str = ""  # the relation path of these rows from the outer query's rows


def unwrap(expr: ast.AST) -> ast.AST:
    while True:
        if isinstance(expr, ast.Await):
            expr = expr.value
        elif isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Slice):
            expr = expr.value  # `qs[:50]`: a LIMIT on the same query
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in WRAPPERS and expr.args:
            expr = expr.args[0]
        else:
            return expr


def chain(expr: ast.AST) -> list[ast.Call]:
    """The calls of a method chain, outermost first: ``a.b(x).c(y)`` gives ``[c(y), b(x)]``."""
    calls = []
    node = expr
    while True:
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Call):
            calls.append(node)
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        else:
            return calls


def chain_root(expr: ast.AST) -> ast.AST:
    """The object a method chain starts from: ``session`` of ``session.query(C).filter(...).all()``."""
    node = expr
    while isinstance(node, (ast.Call, ast.Attribute, ast.Await)):
        node = node.value if isinstance(node, (ast.Attribute, ast.Await)) else node.func
    return node


def last_name(expr: ast.AST) -> str:
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Name):
        return expr.id
    return ""


def looks_like_session(expr: ast.AST) -> bool:
    name = last_name(expr).lower()
    return "session" in name or name in ("db", "sess", "s", "dbsession", "db_session", "uow")


def looks_like_connection(expr: ast.AST) -> bool:
    name = last_name(expr).lower()
    return name in ("cursor", "cur", "c", "curs", "db", "con", "cx", "cnx", "pg", "pool", "tx") or "conn" in name or "cursor" in name


def _assignments(nodes) -> dict[str, list[tuple[int, ast.AST]]]:
    """Each plain name's assigned values, in the order ``nodes`` meets them, with their lines."""
    found: dict[str, list[tuple[int, ast.AST]]] = {}
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append((node.lineno, node.value))
        elif isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
            found.setdefault(node.target.id, []).append((node.lineno, node.value))
    return found


class Resolver:
    """Answers about the names of one function (and its module): their assigned values, the module's helpers."""

    def __init__(self, tree: ast.Module, func: ast.AST | None, klass: ast.ClassDef | None):
        self.tree = tree
        self.func = func
        self.klass = klass
        self.functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.methods = (
            {n.name: n for n in klass.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))} if klass else {}
        )
        self.imports = _imported_modules(tree)
        self._assigned: list[dict[str, list[tuple[int, ast.AST]]]] | None = None

    def value_of(self, name: str, before: int) -> ast.AST | None:
        """The value last assigned to ``name`` before line ``before`` in the function, else at module level."""
        if self._assigned is None:
            self._assigned = [_assignments(body_nodes(self.func.body))] if self.func is not None else []
            self._assigned.append(_assignments(iter(self.tree.body)))
        for assigned in self._assigned:
            for line, value in reversed(assigned.get(name, ())):
                if line < before:
                    return value
        return None

    def helper(self, call: ast.Call) -> ast.AST | None:
        """The same-file function or method a call runs: ``pending(conn)``, ``self._rows(...)``."""
        func = call.func
        if isinstance(func, ast.Name):
            return self.functions.get(func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            return self.methods.get(func.attr)
        return None

    def class_queryset(self) -> ast.AST | None:
        if self.klass is None:
            return None
        for stmt in self.klass.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "queryset" for t in stmt.targets):
                return stmt.value
        return None

    def statement(self, expr: ast.AST, before: int, depth: int = 0) -> ast.AST:
        """A name followed to the value it was given (for SQL text and ``select(...)`` statements)."""
        if isinstance(expr, ast.Name) and depth < 4:
            value = self.value_of(expr.id, before)
            if value is not None:
                return self.statement(value, before, depth + 1)
        return expr

    def source(self, iterable: ast.AST, before: int, depth: int = 0) -> RowSource | None:
        """The query whose rows ``iterable`` yields, or None for plain data."""
        expr = unwrap(iterable)
        if depth > 4:
            return None
        if isinstance(expr, ast.Name):
            value = self.value_of(expr.id, before)
            cursor_call = isinstance(value, ast.Call) and last_name(value.func) == "cursor"
            if cursor_call or (value is None and ("cursor" in expr.id.lower() or expr.id in ("cur", "curs"))):
                return RowSource("dbapi", expr)  # iterating the cursor itself
            if value is None:
                return None
            return self.source(value, before, depth + 1)
        if not isinstance(expr, ast.Call):
            return None
        helper = self.helper(expr)
        if helper is not None:
            for node in body_nodes(helper.body):
                if isinstance(node, ast.Return) and node.value is not None:
                    inner = Resolver(self.tree, helper, self.klass).source(node.value, node.lineno + 1, depth + 1)
                    if inner is not None:
                        return inner
            return None
        return self._query_source(expr, before)

    def _query_source(self, expr: ast.Call, before: int) -> RowSource | None:
        calls = chain(expr)
        if is_django_manager_chain(expr.func):
            return self._django(expr, calls, before)
        first = calls[-1] if calls else None
        if first is not None and isinstance(first.func, ast.Attribute):
            receiver = first.func.value
            attr = first.func.attr
            if attr == "get_queryset" and isinstance(receiver, ast.Name) and receiver.id == "self":
                return self._django(expr, calls, before)
            if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) and receiver.value.id == "self" and receiver.attr == "queryset":
                return self._django(expr, calls, before)
            if "django" in self.imports and attr in DJANGO_QUERYSET and isinstance(receiver, ast.Attribute) and not looks_like_session(receiver):
                return self._django(expr, calls, before)  # `order.lines.all()`: a related manager
            if attr in SQLA_SOURCES and looks_like_session(receiver):
                return self._sqlalchemy(expr, calls, before)
            if attr in MONGO_SOURCES and "mongo" in self.imports and isinstance(receiver, ast.Attribute):
                return RowSource("mongo", expr)
        for call in calls:
            if not isinstance(call.func, ast.Attribute):
                continue
            attr, receiver = call.func.attr, call.func.value
            if attr in DBAPI_SOURCES and looks_like_connection(chain_root(receiver)):
                return RowSource("dbapi", expr)
            if attr == "execute" and looks_like_connection(receiver) and not looks_like_session(receiver):
                statement = self.statement(call.args[0], before) if call.args else None
                if statement is not None and statement_kind(statement) == "read":
                    return RowSource("dbapi", expr)
        return None

    def _django(self, expr: ast.Call, calls: list[ast.Call], before: int) -> RowSource:
        source = RowSource("django", expr)
        parts: list[ast.AST] = [expr]
        queryset = self.class_queryset()
        if queryset is not None and "self" in ast.unparse(expr)[:20]:
            parts.append(queryset)
        for part in parts:
            for call in [*chain(part)]:
                if not isinstance(call.func, ast.Attribute):
                    continue
                if call.func.attr in ("values", "values_list"):
                    source.plain_rows = True
                if call.func.attr in ("select_related", "prefetch_related"):
                    if call.func.attr == "select_related" and not call.args:
                        source.select_all = True
                    source.covered |= _loader_paths(call.args)
            owner = _django_model(part)
            if owner:
                source.model = owner
        return source

    def _sqlalchemy(self, expr: ast.Call, calls: list[ast.Call], before: int) -> RowSource:
        source = RowSource("sqlalchemy", expr)
        pieces: list[ast.AST] = [expr]
        for call in calls:
            pieces.extend(self.statement(arg, before) for arg in call.args)
        for piece in pieces:
            for node in ast.walk(piece):
                if isinstance(node, ast.Call) and last_name(node.func) in LOADERS:
                    source.covered |= _loader_paths(node.args)
                if isinstance(node, ast.Call) and last_name(node.func) in ("select", "query") and node.args:
                    if isinstance(node.args[0], ast.Name) and source.model is None:
                        source.model = node.args[0].id
        return source


def _imported_modules(tree: ast.Module) -> str:
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return " ".join(names).lower()


def _django_model(expr: ast.AST) -> str | None:
    node = expr
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Attribute) and node.attr == "objects" and isinstance(node.value, ast.Name):
            return node.value.id
        node = node.func if isinstance(node, ast.Call) else node.value
    return None


def _loader_paths(args: list[ast.AST]) -> set[str]:
    """``"lines__product"`` covers lines and lines__product; ``selectinload(Order.lines)`` covers lines."""
    paths: set[str] = set()
    for arg in args:
        for node in ast.walk(arg):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                parts = node.value.split("__")
                paths |= {"__".join(parts[: i + 1]) for i in range(len(parts))}
                paths |= set(node.value.split("."))
            elif isinstance(node, ast.Attribute):
                paths.add(node.attr)
    return paths


def statement_kind(expr: ast.AST) -> str | None:
    """"read", "write" or None (unknown) for SQL text, ``text(...)``, ``select(...)``, ``insert(...)``."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        words = expr.value.lstrip(" \t\n(").split(None, 1)
        head = words[0].upper() if words else ""
        if head in READ_WORDS:
            return "write" if head == "WITH" and any(w in expr.value.upper() for w in (" INSERT ", " UPDATE ", " DELETE ")) else "read"
        if head in WRITE_WORDS:
            return "write"
        return None
    if isinstance(expr, ast.JoinedStr):
        for value in expr.values:
            if isinstance(value, ast.Constant):
                return statement_kind(value)
            return None
    if isinstance(expr, ast.BinOp):
        return statement_kind(expr.left)
    if isinstance(expr, ast.Call):
        root = chain(expr)[-1] if chain(expr) else expr
        name = last_name(root.func)
        if name in ("select", "exists", "union", "union_all"):
            return "read"
        if name in ("insert", "update", "delete", "upsert"):
            return "write"
        if name == "text" and root.args:
            return statement_kind(root.args[0])
    return None


def model_fields(tree: ast.Module) -> dict[str, dict[str, str]]:
    """The module's model classes: attribute name -> "relation", "eager" (a relation loaded with its row) or
    "column"."""
    models: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields: dict[str, str] = {}
        for stmt in node.body:
            target = value = None
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                target, value = stmt.targets[0].id, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                target, value = stmt.target.id, stmt.value
            if target is None or not isinstance(value, ast.Call):
                continue
            callee = last_name(value.func)
            if callee == "relationship" or callee in DJANGO_RELATIONS:
                lazy = next((k.value for k in value.keywords if k.arg == "lazy"), None)
                eager = isinstance(lazy, ast.Constant) and lazy.value in EAGER_LAZY
                fields[target] = "eager" if eager else "relation"
            else:
                fields[target] = "column"
        if fields:
            models[node.name] = fields
    return models
