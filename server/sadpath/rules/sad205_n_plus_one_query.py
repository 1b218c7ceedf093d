"""# SAD205 n-plus-one-query

## What it does

Flags a database query inside a loop over the rows of another query:

- Django: looping over a queryset (`for user in User.objects.filter(...)`) and
  querying per row: a related manager (`user.orders.all()`, `.count()`,
  `.filter(...)`) without `prefetch_related("orders")` on the outer queryset, or
  `Order.objects.get(...)`/`.filter(...)` with the row;
- SQLAlchemy: looping over `session.query(...)`, `session.scalars(...)` or
  `session.execute(...)` results and calling `session.query/get/execute/scalars`
  per row;
- DB-API: looping over rows fetched from a cursor (`cursor.fetchall()`, or the
  cursor itself) and calling `cursor.execute(...)` per row.

It stays quiet for loops over plain data, queries outside the loop, related
managers covered by `prefetch_related`/`select_related` on the outer queryset,
`selectinload`/`joinedload` options, and writes per row (`add`, `save`: batching
them is another matter).

## Why is this bad?

One query per row turns a page of 50 orders into 51 round trips. It passes
every test on a tiny database and falls over in production, where each round trip
costs a network hop and the row count grows with the business: the page slows
down linearly and the database connection pool drains.

## Example

```python
def order_totals():
    totals = {}
    for customer in Customer.objects.filter(active=True):
        totals[customer.id] = customer.orders.count()
    return totals
```

## Use instead

```python
from django.db.models import Count


def order_totals():
    customers = Customer.objects.filter(active=True).annotate(order_count=Count("orders"))
    return {customer.id: customer.order_count for customer in customers}
```

## Fix safety

Display-only: the message names the remedy (`prefetch_related("orders")`,
`selectinload(Customer.orders)`, or one `IN` query before the loop), because the
right rewrite depends on what the loop does with the rows.

## Options

None.

## References

- [Django: prefetch_related](https://docs.djangoproject.com/en/stable/ref/models/querysets/#prefetch-related)
- [SQLAlchemy: relationship loading techniques](https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html)
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext
from sadpath.engine.external import is_django_manager_chain
from sadpath.model import Applicability, FixOffer
from sadpath.rules.base import Rule
from sadpath.engine.walker import body_nodes

RELATED_QUERIES = frozenset({"all", "filter", "count", "exists", "first", "last", "get", "exclude", "values", "values_list", "aggregate"})
SQLA_QUERIES = frozenset({"query", "get", "execute", "scalars", "scalar"})
SQLA_SOURCES = frozenset({"query", "scalars", "execute"})


class NPlusOneQuery(Rule):
    code = "SAD205"
    slug = "n-plus-one-query"
    summary = "A database query per row inside a loop over another query's rows."
    fix_applicabilities = (Applicability.DISPLAY_ONLY,)

    def visit_For(self, node: ast.For, ctx: ModuleContext) -> None:
        if not isinstance(node.target, (ast.Name, ast.Tuple)):
            return
        row_names = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        kind, source = _query_kind(node.iter, ctx)
        if kind is None:
            return
        for inner in _calls_in(node.body):
            remedy = self._per_row_query(kind, source, inner, row_names, ctx)
            if remedy is None:
                continue
            message = (
                f"`{ast.unparse(inner)[:70]}` runs a query for every row of `{ast.unparse(node.iter)[:60]}`: "
                f"n rows cost n + 1 round trips, fine on a test database and slow in production. {remedy}"
            )
            fix = FixOffer("display_only", remedy, Applicability.DISPLAY_ONLY)
            ctx.report(self, ctx.span(inner), message, fixes=[fix])
            return  # one finding per loop: the first per-row query

    visit_AsyncFor = visit_For

    @staticmethod
    def _per_row_query(kind: str, source: ast.AST, call: ast.Call, rows: set[str], ctx: ModuleContext) -> str | None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return None
        if kind == "django":
            receiver = func.value
            # row.orders.all(): a related manager of the loop variable
            if (
                func.attr in RELATED_QUERIES
                and isinstance(receiver, ast.Attribute)
                and isinstance(receiver.value, ast.Name)
                and receiver.value.id in rows
            ):
                relation = receiver.attr
                if _prefetched(source, relation):
                    return None
                return f'Add `.prefetch_related("{relation}")` to the outer queryset (or annotate the count).'
            if is_django_manager_chain(func.value) and func.attr in RELATED_QUERIES | {"get"} and _uses(call, rows):
                return "Fetch them in one query before the loop (`filter(id__in=...)` or `in_bulk(...)`) and look them up by key."
            return None
        if kind == "sqlalchemy":
            root = _chain_root(call)
            if (
                root is not None
                and root.func.attr in SQLA_QUERIES
                and _same_receiver(root.func.value, source)
                and any(isinstance(n, ast.Name) and n.id in rows for n in ast.walk(call))
            ):
                return "Load them with the outer query (`selectinload(...)`/`joinedload(...)`) or in one `IN` query before the loop."
            return None
        if kind == "dbapi":
            if func.attr in ("execute", "executemany") and _uses(call, rows) and not _is_write(call):
                return "Fetch what the loop needs in one query (`WHERE id = ANY(%s)` / `IN (...)`) before the loop."
            return None
        return None


def _query_kind(iterable: ast.AST, ctx: ModuleContext) -> tuple[str | None, ast.AST | None]:
    if isinstance(iterable, ast.Call) and is_django_manager_chain(iterable.func):
        return "django", iterable
    if isinstance(iterable, ast.Attribute) and iterable.attr == "objects":
        return None, None
    node = iterable
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in SQLA_SOURCES and _looks_like_session(node.func.value, ctx):
            return "sqlalchemy", node.func.value
        if node.func.attr in ("fetchall", "fetchmany") and _looks_like_cursor(node.func.value):
            return "dbapi", node.func.value
        node = node.func.value
    if isinstance(iterable, ast.Name) and _looks_like_cursor(iterable):
        return "dbapi", iterable
    return None, None


def _looks_like_session(expr: ast.AST, ctx: ModuleContext) -> bool:
    typ = ctx.type_of(expr) or ""
    if "sqlalchemy" in typ:
        return True
    name = expr.attr if isinstance(expr, ast.Attribute) else expr.id if isinstance(expr, ast.Name) else ""
    return "session" in name.lower()


def _looks_like_cursor(expr: ast.AST) -> bool:
    name = expr.attr if isinstance(expr, ast.Attribute) else expr.id if isinstance(expr, ast.Name) else ""
    return name.lower() in ("cursor", "cur", "c", "curs")


def _same_receiver(expr: ast.AST, source: ast.AST) -> bool:
    return ast.dump(expr) == ast.dump(source) or "session" in ast.unparse(expr).lower()


def _uses(call: ast.Call, rows: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in rows for arg in [*call.args, *(k.value for k in call.keywords)] for n in ast.walk(arg))


def _chain_root(call: ast.Call) -> ast.Call | None:
    """``session.query(C)`` of ``session.query(C).filter_by(id=row.c_id).one()``."""
    node: ast.AST = call
    root = None
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        root = node
        inner = node.func.value
        if not isinstance(inner, ast.Call):
            break
        node = inner
    return root


def _is_write(call: ast.Call) -> bool:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "UPSERT", "MERGE")
    return False


def _prefetched(source: ast.AST, relation: str) -> bool:
    for node in ast.walk(source):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("prefetch_related", "select_related"):
            for arg in node.args:
                text = ast.unparse(arg)
                if relation in text:
                    return True
    return False


def _calls_in(statements: list[ast.stmt]):
    return (node for node in body_nodes(statements) if isinstance(node, ast.Call))
