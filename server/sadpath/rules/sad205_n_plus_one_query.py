"""# SAD205 n-plus-one-query

## What it does

Flags a database read inside a loop (or comprehension) over the rows of another
query. The rows may come straight from the query, through a local name
(`orders = session.scalars(...).all()`), through `list(...)`, or from a same-file
helper that returns them. Per row, it reports:

- Django: a related manager (`order.lines.count()`, `customer.orders.order_by(...).first()`)
  that `prefetch_related` on the outer queryset does not cover (a `filter()` or
  `order_by()` on a prefetched relation runs a new query anyway), a
  `Model.objects` read (`get`, `filter`, `count`, ...) with the row, and a lazy
  foreign key (`item.supplier.name`) that `select_related` does not fetch;
- SQLAlchemy: `session.get/query/execute/scalars/scalar` of a `SELECT` with the
  row, and a lazy relationship (`order.customer.email`) that no
  `selectinload`/`joinedload` option (nor `lazy="selectin"`) loads;
- DB-API and asyncpg: `cursor.execute("SELECT ...")`, `conn.execute(...)`,
  `conn.fetchrow(...)` with the row, over rows fetched from another query;
- MongoDB: `find_one`, `find`, `count_documents`, `aggregate` with the row;
- a same-file helper called with the row whose body runs such a read.

It stays quiet for loops over plain data (CSV rows, an API's answer, FTP file names), writes per row (`save()`,
`update()`, `delete()`, `INSERT`/`UPDATE` statements: batching them is another matter) and the reads that are part of
such a write: an argument of the write (`X.objects.filter(pk=row.fk.pk).update(...)`), the rows of an inner loop that
writes each of them, the condition of a branch that writes (`if not row.media.exists(): Medium.objects.create(...)`, also through
a name: `latest = session.execute(select(...))...` then `if latest: update(...) else:
delete(...)`); reads under a group-break guard (`if last != row.key: last = row.key`,
once per group); loops over configuration rows (`organizer.sales_channels.all()`); loops
whose body runs a business operation per row (a project helper that writes,
such as one order's cancellation, where the flagged read is noise), per-group batch queries iterated by a loop
that writes each row (`qs = event.orders.filter(...)`, then `for o in qs: ... o.save()`); a lazy queryset handed
to a job (`start_job(update_counters, project.tasks.all())`: no query runs there); prefetch advice for the
children of one object (`order.positions.all()` of a parameter, of a chain of its foreign keys, `invoice.order.positions`,
of one looked-up row, of a form's or serializer's `self.instance`, not of a tenant: n is a handful); lazy loads in a loop that
saves each row it walks (a copy: `row.pk = None; ...; row.save()`, where each row costs a write anyway; a key read
`row.fk.pk` is still reported, `row.fk_id` costs nothing); lazy loads of rows of an inner query already reported; lookups keyed by
other data the row only picks from (`answers[str(q.pk)]`); `.get()` on a dict or a
JSON field, columns of the row (`order.created_at.year`, `row.payload.get(...)`),
attributes the project's models declare as values, not relations (an i18n text,
a file field, a `@property`, found in the package's `models` modules), and
deliberate per-row re-checks: a `SELECT ... FOR UPDATE`, `select_for_update()`,
`with_for_update()`, a `refresh`, or a read the comment just above explains
(re-read, re-check, on purpose), or relations of a row the loop re-fetched
(`o = Order.objects.select_for_update().get(pk=o.pk)`), and a short-circuiting `any()`/`all()`/`next()` over
the few rows a filter keyed by this request matches (`any(s.project.allows(user) for s in
Storage.objects.filter(prefix=path))`: it stops at the first match); over a listing such a check is reported as
the worst case, naming every lazy hop it reads (`select_related("project__organization")`). A SQLAlchemy many-to-one
whose rows the query filters on one key (`V.scorer_id == scorer.scorer_id`) comes
from the identity map: no query.

Relations loaded by the outer query are not reported: `select_related`,
`prefetch_related` and loader options, followed through the names that build
the query (`qs = qs.filter(...)`), the same-file method that returns it
(`self.get_queryset()`, also a same-file mixin's), every branch of an `if`
that builds the query (or `.none()`), nested paths (`"item__addons__category"`, also from a
row's attribute bound to a name: `item = cp.item`) and `Prefetch("a",
queryset=X.objects.select_related("b"), to_attr=...)`. Nor are the rows' owner
(`o.event` of `event.orders.filter(...)`: Django sets it), the relations of
`self.bundles.all()` rows in a model method (its callers decide what is
prefetched), the rows of a related manager of the instance a serializer or
serializer field method is given (the view's queryset prefetches them), a
related manager's own method (`row.memberships.with_usages()`, which queries
anyway), code that checks `_prefetched_objects_cache` itself, querysets
built for `Exists()`/`Subquery()` or filtered on `OuterRef` (compiled into the
outer query, they never run alone), and one-off code: migrations (a
`migrations/` or `alembic/` folder, an Alembic revision, a Django `Migration`,
a function whose parameter defaults to a migration's name) and `examples/` loaders.
A query that an inner loop or comprehension repeats is counted per row and per item; a lazy relation loads once per
row (the ORM keeps it), so it costs n + 1 wherever it is read, and is reported where every row reads it.
For a key read through a lazy foreign key (`row.voucher.pk`) the message names
`row.voucher_id`; for a related manager, `prefetch_related`, or, for a `filter()`
on it, `Prefetch("rel", queryset=...)`; for `.first()`/`.last()` (which always query again), a `Subquery`
annotation or indexing a prefetched list.

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
`selectinload(Customer.orders)`, a JOIN, or one `IN` query before the loop),
because the right rewrite depends on what the loop does with the rows.

## Options

None.

## References

- [Django: prefetch_related](https://docs.djangoproject.com/en/stable/ref/models/querysets/#prefetch-related)
- [SQLAlchemy: relationship loading techniques](https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html)
"""

from __future__ import annotations

import ast

from sadpath.messages import shorten_code
from sadpath.engine.context import ModuleContext
from sadpath.engine.one_shot_code import run_once_module
from sadpath.engine.prefetch_paths import branch_paths, loaded_paths, manager_owner, resolved_source, row_relation
from sadpath.engine.external import is_django_manager_chain
from sadpath.engine.model_index import field_kinds
from sadpath.engine.loaded_relations import per_row_read
from sadpath.engine.loop_bounds import (
    configuration_rows, data_migration, filtered_on_key, group_break, keyed_by_payload, rebound_before, root_name,
)
from sadpath.engine.row_scale import explained, folded_rows, reordering_advice, tiny_loop, unevaluated_argument
from sadpath.engine.row_copies import one_parent_chain, repeated_by, saved_per_row
from sadpath.engine.one_object import one_object_rows
from sadpath.engine.row_writes import feeds_write, writes_per_row
from sadpath.engine.short_circuit_checks import checked_hops, lookup_set, maximal, methods_on, short_circuit
from sadpath.engine.query_rows import (
    Resolver, RowSource, chain, chain_root, last_name, looks_like_connection, looks_like_session, model_fields,
    statement_kind, unwrap,
)
from sadpath.engine.walker import body_nodes
from sadpath.model import Applicability, FixOffer
from sadpath.rules.base import Rule

RELATED_QUERIES = frozenset(
    {"all", "filter", "count", "exists", "first", "last", "get", "exclude", "values", "values_list", "aggregate",
     "order_by", "latest", "earliest", "annotate", "in_bulk", "distinct", "select_related", "only"}
)
CACHE_SAFE = frozenset({"all", "count", "exists"})  # answered from a prefetch cache
DJANGO_WRITES = frozenset(
    {"update", "delete", "create", "get_or_create", "update_or_create", "bulk_create", "bulk_update", "add", "remove",
     "clear", "set", "save"}
)
SQLA_READS = frozenset({"get", "query", "execute", "scalars", "scalar", "get_one"})
DBAPI_READS = frozenset({"execute", "fetchrow", "fetch", "fetchval"})
MONGO_READS = frozenset({"find_one", "find", "count_documents", "aggregate", "distinct", "estimated_document_count"})
RECHECK_CALLS = frozenset({"select_for_update", "with_for_update", "populate_existing", "refresh", "refresh_from_db"})
NOT_RELATIONS = frozenset(
    {"pk", "id", "metadata", "payload", "data", "extra", "meta", "json", "status", "state", "type", "kind", "created",
     "updated", "modified", "date", "time", "timestamp", "name", "title", "slug", "email", "amount", "price", "total",
     "config", "settings", "options", "attrs", "attributes", "tags", "labels", "properties", "props", "details", "info",
     "context", "params", "fields", "values", "objects", "description", "text", "body", "content", "value", "uuid",
     "path", "url", "file", "image", "phone", "address_line", "currency", "locale", "country", "code", "number",
     "cache", "settings", "log", "logger", "request", "form", "manager", "storage", "client", "session"}
)
NOT_RELATION_SUFFIXES = ("_id", "_at", "_on", "_date", "_time", "_json", "_data", "_count", "_ids", "_url", "_path", "_uuid")
VALUE_ATTRS = frozenset(
    {"get", "items", "keys", "values", "isoformat", "strftime", "year", "month", "day", "hour", "minute", "second",
     "date", "time", "timestamp", "value", "lower", "upper", "strip", "split", "replace", "startswith", "endswith",
     "format", "hex", "days", "seconds", "total_seconds", "tzinfo", "astimezone", "url", "path", "size", "real",
     "imag", "name_", "decode", "encode", "quantize", "clear", "save", "delete", "refresh_from_db", "data",
     "localize"}  # `data`/`localize`: a translated (i18n) or JSON field's value, not a related row
)
SERIALIZER_BASES = ("Serializer", "Field")  # DRF serializers and fields: their callers own the queryset
SUBQUERY_WRAPPERS = frozenset({"Exists", "Subquery", "OuterRef"})  # lazy querysets compiled into the outer query
PREFETCH_CACHE = "_prefetched_objects_cache"

REMEDY = {
    "django": "Fetch them with the outer queryset (`select_related`/`prefetch_related`/`annotate`) or in one query before the loop (`filter(id__in=...)`, `in_bulk(...)`).",
    "sqlalchemy": "Load them with the outer query (`selectinload(...)`/`joinedload(...)`, a JOIN) or in one `IN` query before the loop.",
    "dbapi": "Fetch what the loop needs with the outer query (a JOIN) or in one query before the loop (`WHERE id = ANY(%s)` / `IN (...)`).",
    "mongo": "Fetch them in one query before the loop (`{\"_id\": {\"$in\": ids}}`, or a `$lookup`) and look them up by key.",
}


class NPlusOneQuery(Rule):
    code = "SAD205"
    slug = "n-plus-one-query"
    summary = "A database query per row inside a loop over another query's rows."
    fix_applicabilities = (Applicability.DISPLAY_ONLY,)

    def visit_For(self, node: ast.For, ctx: ModuleContext) -> None:
        self._loop(node, [(node.target, node.iter)], node.body, ctx)

    visit_AsyncFor = visit_For

    def visit_ListComp(self, node: ast.AST, ctx: ModuleContext) -> None:
        generators = node.generators
        parts: list[ast.AST] = [*(getattr(node, f) for f in ("elt", "key", "value") if hasattr(node, f))]
        for index, gen in enumerate(generators):
            rest = [*(g.iter for g in generators[index + 1:]), *(c for g in generators[index:] for c in g.ifs)]
            self._loop(node, [(gen.target, gen.iter)], [*rest, *parts], ctx)

    visit_SetComp = visit_GeneratorExp = visit_DictComp = visit_ListComp

    def _loop(self, loop: ast.AST, heads: list[tuple[ast.AST, ast.AST]], body: list[ast.AST], ctx: ModuleContext) -> None:
        target, iterable = heads[0]
        if not isinstance(target, (ast.Name, ast.Tuple, ast.List)):
            return
        if ctx.fact("SAD205-run-once", lambda: run_once_module(ctx.source.path, ctx.tree)) is not None:
            return  # a data migration or loader runs once: its per-row reads are not a hot path
        if data_migration(ctx.enclosing_function()):
            return  # an async data migration named by its migration id: one-off code, like `migrations/`
        if any(PREFETCH_CACHE in ast.unparse(test) for test in _guards(ctx.parents)):
            return  # the code checks the prefetch cache itself: the rows come from the caller's prefetch
        resolver = Resolver(ctx.tree, ctx.enclosing_function(), ctx.enclosing_class())
        source = self._source(iterable, loop, resolver, ctx)
        if source is None or configuration_rows(unwrap(iterable)):
            return  # not rows of a query, or a small set of configuration rows (`organizer.sales_channels.all()`)
        here, func = (lambda n: resolver.value_of(n, loop.lineno)), ctx.enclosing_function()  # the children of one object:
        tiny = tiny_loop(loop, target, iterable, resolver, ctx) or one_parent_chain(iterable, func, here) or one_object_rows(
            iterable, func, ctx.enclosing_class(), here)  # `payment.order.positions`, `self.instance.items` of a form
        if folded_rows(iterable, resolver, loop, ctx.memo.get("SAD205-reported", set())):
            return  # rows of an inner query already reported in this loop: one finding for one root cause
        check = short_circuit(loop, _parents(ctx))
        if check is not None and lookup_set(iterable, resolver, func, loop.lineno):
            return  # `any(s.project.allows(user) for s in <rows one request filters>)`: stops at the first match
        rows = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        derived = _derived(body, rows)
        seen: set[str] = set()
        writes: list[bool] = []
        for inner in _nodes(body):
            remedy = self._per_row(inner, source, rows, derived, resolver, ctx)
            if remedy is None:
                continue
            if not writes:  # a business operation per row (a project helper that writes): its reads are noise
                writes.append(any(writes_per_row(b, ctx, resolver, helpers_only=True) for b in _write_scopes(body, ctx)))
            if writes[0]:
                return
            what, key, advice = remedy  # a lazy relation loads once per row: anchored where every row reads it
            inner, again = per_row_read(inner, key, body, _parents(ctx), loop, repeated_by)
            if tiny and key.startswith(("rel:", "lazy:")) or key.startswith("lazy:") and saved_per_row(body, rows) and "_id` instead" not in advice:
                continue  # a prefetch for a handful of rows of one object, or a lazy load beside each row's save
            reported = ctx.memo.setdefault("SAD205-reported", set())
            if key in seen or (inner.lineno, inner.col_offset) in reported:
                continue
            seen.add(key)  # a lazy relation loads once per row: its first read decides
            reported.add((inner.lineno, inner.col_offset))
            if explained(inner, ctx.source.line) or feeds_write(inner, _parents(ctx), loop, ctx, resolver):
                continue  # explained, or part of a per-row write (a look-alike the catalog lists)
            root = root_name(inner)
            if root in rows and rebound_before(root, inner, body):
                continue  # `o = Order.objects.select_for_update().get(pk=o.pk)` first: a re-fetched row, not the outer one
            if group_break(inner, _parents(ctx), loop) is not None:
                continue  # `if last != row.key: last = row.key; ...`: once per group of the sorted rows, not per row
            if check is not None and key.startswith("lazy:") and "select_related" in advice and not source.prefix:
                advice = _hops_advice(loop, key, advice)  # every lazy hop the check reads, in one select_related
            reach = f" that `{check}()` reads before it stops" if check else ""
            message = (
                f"{what} runs a query for every row of `{shorten_code(ast.unparse(iterable), 60)}`{reach}{again or ''}: n rows cost "
                f"{'up to ' if check else ''}n {'× m ' if again else ''}+ 1 round trips, fine on a test database and slow in production. {advice}"
            )
            ctx.report(self, ctx.span(inner), message, fixes=[FixOffer("display_only", advice, Applicability.DISPLAY_ONLY)])

    @staticmethod
    def _source(iterable: ast.AST, loop: ast.AST, resolver: Resolver, ctx: ModuleContext) -> RowSource | None:
        nested = ctx.memo.setdefault("SAD205-rows", {})
        expr = iterable
        if isinstance(unwrap(expr), ast.Name):  # `addons = cartpos.addons.all()`, then `for p in addons`
            value = resolver.value_of(unwrap(expr).id, loop.lineno)
            if isinstance(value, (ast.Call, ast.Attribute)):
                expr = value
        # `for line in order.lines.all()` inside a loop over orders: the outer rows' relation (also through a name
        # the loop body binds: `item = cp.item` then `for a in item.addons.all()`)
        row, relation = row_relation(expr, resolver, loop.lineno)
        enclosing = nested.get(row) if row is not None else None
        if enclosing is None and row is not None and relation:
            enclosing = _prefetching_loop(row, ctx, resolver)  # `for cp in cart.filter(...).prefetch_related(...)`
        if enclosing is not None and not (enclosing[1].lineno <= loop.lineno <= (enclosing[1].end_lineno or 0)):
            enclosing = None  # a loop elsewhere that used the same name
        if enclosing is not None and relation:
            outer: RowSource = enclosing[0]
            path = f"{outer.prefix}__{relation}" if outer.prefix else relation
            if outer.kind == "django" and isinstance(unwrap(expr), ast.Attribute) and path not in outer.covered:
                return None  # `for v in item.available_variations`: a list the code set, not a related manager
            child = RowSource(outer.kind, outer.query, outer.covered, outer.select_all, False, None, path)
            _remember(loop, child, nested)
            return None if outer.kind not in ("django", "sqlalchemy") else child
        source = resolved_source(expr, resolver, loop.lineno)
        if source is not None and source.kind in ("django", "sqlalchemy"):
            extra = loaded_paths(expr, resolver, loop.lineno)
            if isinstance(unwrap(iterable), ast.Name):  # `qs = ...prefetch_related("a")` in every branch of an `if`
                extra |= branch_paths(unwrap(iterable).id, resolver, loop.lineno)
            source.covered |= extra - {"*"}
            source.select_all = source.select_all or "*" in extra
        if source is not None:
            _remember(loop, source, nested)
        return source

    def _per_row(self, node, source, rows, derived, resolver, ctx):
        if isinstance(node, ast.Attribute) and source.kind in ("django", "sqlalchemy") and not source.plain_rows:
            return _lazy_relation(node, source, rows, ctx)
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) and not isinstance(node.func, ast.Name):
            return None
        if _is_chain_link(node, ctx) or unevaluated_argument(node, [last_name(c.func) for c in chain(node)], _parents(ctx)):
            return None  # a link of a longer chain, or a lazy queryset handed to a job: no query runs here
        names = rows | derived
        if source.kind == "django":
            found = _related_manager(node, source, rows, ctx)
            if found is not None:
                return found
        if keyed_by_payload(node, names):
            return None  # `lookup(payload[str(row.pk)])`: keyed by what the request sent, bounded like a loop over it
        found = _query_call(node, names, resolver, ctx)
        if found is not None:
            return found
        helper = resolver.helper(node) if _uses(node, names) else None
        if helper is not None and _runs_read(helper, resolver, ctx):
            text = _short(node)
            return f"{text} (a helper that queries)", f"helper:{text}", REMEDY[source.kind]
        return None


def _hops_advice(loop: ast.AST, key: str, advice: str) -> str:
    """``select_related`` advice naming every lazy hop a short-circuiting check reads from the row's relation."""
    row, relation = key[len("lazy:"):].split(".", 1)
    hops = checked_hops(loop, row, relation, lambda n: n in NOT_RELATIONS or n in VALUE_ATTRS or n.endswith(NOT_RELATION_SUFFIXES))
    methods = methods_on(loop, row, relation)
    tail = f" `{'`, `'.join(methods)}` may load more relations of its own, which that does not cover." if methods else ""
    if len(hops) < 2:
        return advice + tail
    shown = ", ".join(f"`{row}.{h.replace('__', '.')}`" for h in hops[:-1]) + f" and `{row}.{hops[-1].replace('__', '.')}`"
    paths = ", ".join(f'"{p}"' for p in maximal(hops))
    return f"The check loads {shown}: add `.select_related({paths})` to the outer queryset, which fetches them all.{tail}"


def _write_scopes(body: list[ast.AST], ctx: ModuleContext):
    """The loop's body, then the bodies of the loops around it in the same function (a read nested in a per-row
    write loop is part of that write's work)."""
    yield body
    for parent in reversed(ctx.parents):
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.While)):
            yield parent.body


def _guards(parents: list[ast.AST]) -> list[ast.AST]:
    """The conditions the visited node runs under (``if``, ``while``, conditional expressions)."""
    return [p.test for p in parents if isinstance(p, (ast.If, ast.IfExp, ast.While))]


def _prefetching_loop(row: str, ctx: ModuleContext, resolver: Resolver):
    """An enclosing loop over ``row`` whose iterable, not known as a query, visibly prefetches relations: its
    (source, loop), so that the relations of its rows are judged against those prefetches."""
    for parent in reversed(ctx.parents):
        heads = [(parent.target, parent.iter)] if isinstance(parent, (ast.For, ast.AsyncFor)) else [
            (g.target, g.iter) for g in getattr(parent, "generators", [])
        ]
        for target, iterable in heads:
            if any(isinstance(n, ast.Name) and n.id == row for n in ast.walk(target)):
                loaded = loaded_paths(iterable, resolver, parent.lineno)
                if not loaded:
                    return None
                return RowSource("django", iterable, loaded - {"*"}, "*" in loaded), parent
    return None


def _subquery(call: ast.Call, ctx: ModuleContext) -> bool:
    """A queryset built for ``Exists()``/``Subquery()`` (or filtered on ``OuterRef``): compiled into the outer query,
    it never runs on its own."""
    if any(isinstance(n, ast.Call) and last_name(n.func) in SUBQUERY_WRAPPERS for n in ast.walk(call)):
        return True
    _is_chain_link(call, ctx)  # builds the parent map
    parent = ctx.memo["SAD205-parents"]
    node = parent.get(id(call))
    for _ in range(6):
        if node is None or isinstance(node, ast.stmt):
            return False
        if isinstance(node, ast.Call) and last_name(node.func) in SUBQUERY_WRAPPERS:
            return True
        node = parent.get(id(node))
    return False


def _remember(loop: ast.AST, source: RowSource, nested: dict) -> None:
    target = loop.target if isinstance(loop, (ast.For, ast.AsyncFor)) else loop.generators[0].target
    for name in (n.id for n in ast.walk(target) if isinstance(n, ast.Name)):
        nested[name] = (source, loop)




def _nodes(body: list[ast.AST]):
    return (n for n in body_nodes(body) if isinstance(n, (ast.Call, ast.Attribute)))


def _derived(body: list[ast.AST], rows: set[str]) -> set[str]:
    """Names the loop body computes from the row (``cid = letter["correlation_id"]``)."""
    derived: set[str] = set()
    assigns = [n for n in body_nodes(body) if isinstance(n, ast.Assign)]
    for _ in range(3):
        for node in assigns:
            if any(isinstance(n, ast.Name) and n.id in rows | derived for n in ast.walk(node.value)):
                derived |= {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return derived - rows


def _uses(call: ast.Call, names: set[str]) -> bool:
    args = [*call.args, *(k.value for k in call.keywords)]
    for link in chain(call)[1:]:
        args.extend([*link.args, *(k.value for k in link.keywords)])
    return any(isinstance(n, ast.Name) and n.id in names for arg in args for n in ast.walk(arg))


def _parents(ctx: ModuleContext) -> dict[int, ast.AST]:
    parent = ctx.memo.get("SAD205-parents")
    if parent is None:
        parent = {}
        for outer in ast.walk(ctx.tree):
            for child in ast.iter_child_nodes(outer):
                parent[id(child)] = outer
        ctx.memo["SAD205-parents"] = parent
    return parent


def _is_chain_link(node: ast.Call, ctx: ModuleContext) -> bool:
    """A call that is the receiver of another method call: only the whole chain is judged."""
    parent = _parents(ctx)
    above = parent.get(id(node))
    if isinstance(above, ast.Await):  # `(await session.execute(...)).scalar_one()`: the awaited call is a link too
        above = parent.get(id(above))
    return isinstance(above, ast.Attribute) and isinstance(parent.get(id(above)), ast.Call) and parent[id(above)].func is above


def _related_manager(call: ast.Call, source: RowSource, rows: set[str], ctx: ModuleContext):
    calls = chain(call)
    first = calls[-1]
    if not isinstance(first.func, ast.Attribute):
        return None
    receiver = first.func.value
    if not (isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) and receiver.value.id in rows):
        return None
    methods = [last_name(c.func) for c in calls]
    if first.func.attr not in RELATED_QUERIES or any(m in DJANGO_WRITES for m in methods):
        return None
    if first.func.attr in ("get", "values", "count") and first.args and not first.keywords:
        return None  # `order.metadata.get("key")`: a dict (a JSON field), not a related manager's lookup
    relation = receiver.attr
    if first.func.attr in ("values", "items", "keys") and not first.args and not relation.endswith("_set"):
        kinds = ctx.fact("SAD205-project-fields", lambda: field_kinds(ctx.source.path, ctx.tree)).get(relation, frozenset())
        if "relation" not in kinds and _declared(relation, source, ctx) != "relation":
            return None  # `item.num.values()`: a dict the code keeps on the row, unless a model names the relation
    if _declared(relation, source, ctx) in ("column",):
        return None
    path = f"{source.prefix}__{relation}" if source.prefix else relation
    if path in source.covered and all(m in CACHE_SAFE for m in methods):
        return None
    if all(m in CACHE_SAFE for m in methods) and _serialized_instance(chain_root(source.query), ctx):
        return None
    advice = reordering_advice(methods, path, receiver.value.id) or (
        f"`prefetch_related(\"{path}\")` does not cover `{'.'.join(reversed(methods))}()`: it runs a new query; filter in Python over the prefetched rows, or annotate the outer queryset."
        if path in source.covered
        else f"Add `.prefetch_related(\"{path}\")` to the outer queryset (or annotate the count)."
        if not {"filter", "exclude"} & set(methods)
        else f"`prefetch_related(\"{path}\")` alone would not cover `{'.'.join(reversed(methods))}()`: prefetch the rows it "
        f"needs with `Prefetch(\"{path}\", queryset=<the related model>.objects.filter(...), to_attr=...)` on the outer "
        f"queryset and read them in Python, or annotate the outer queryset."
    )
    return _short(call), f"rel:{relation}:{ast.unparse(call)[:70]}", advice


def _query_call(call: ast.Call, names: set[str], resolver: Resolver, ctx: ModuleContext):
    """A read query of any kind that uses the row (a Django manager, a session, a cursor, a Mongo collection)."""
    calls = chain(call)
    first = calls[-1]
    if not isinstance(first.func, ast.Attribute) or not _uses(call, names):
        return None
    methods = [last_name(c.func) for c in calls]
    if any(m in RECHECK_CALLS for m in methods):
        return None
    text = _short(call)
    receiver = first.func.value
    if is_django_manager_chain(call.func):
        if _subquery(call, ctx):
            return None
        if any(m in DJANGO_WRITES for m in methods) or methods[0] in DJANGO_WRITES:
            return None
        return text, f"q:{text}", REMEDY["django"]
    attr = first.func.attr
    statement = resolver.statement(first.args[0], call.lineno) if first.args else None
    kind = statement_kind(statement) if statement is not None else None
    if kind == "read" and _locks(statement):
        return None  # a per-row re-check under a row lock
    if attr in SQLA_READS and looks_like_session(receiver):
        if attr in ("get", "get_one") or kind == "read" or attr == "query":
            return text, f"q:{text}", REMEDY["sqlalchemy"]
        return None
    if attr in DBAPI_READS and looks_like_connection(receiver) and kind == "read":
        return text, f"q:{text}", REMEDY["dbapi"]
    if attr in MONGO_READS and "mongo" in resolver.imports and isinstance(receiver, ast.Attribute):
        return text, f"q:{text}", REMEDY["mongo"]
    return None


def _locks(statement: ast.AST) -> bool:
    text = ast.unparse(statement).upper()
    return "FOR UPDATE" in text or "FOR SHARE" in text or "FOR NO KEY UPDATE" in text


def _runs_read(helper: ast.AST, resolver: Resolver, ctx: ModuleContext) -> bool:
    params = {a.arg for a in [*helper.args.posonlyargs, *helper.args.args, *helper.args.kwonlyargs]} - {"self", "cls"}
    inner = Resolver(resolver.tree, helper, resolver.klass)
    for node in body_nodes(helper.body):
        if isinstance(node, ast.Call) and not _is_chain_link(node, ctx) and _query_call(node, params, inner, ctx):
            return True
    return False


def _lazy_relation(node: ast.Attribute, source: RowSource, rows: set[str], ctx: ModuleContext):
    """``order.customer.email``: a foreign key or relationship read from a row the query did not load it with."""
    inner = node.value
    if not (isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name) and inner.value.id in rows):
        return None
    relation, attr = inner.attr, node.attr
    if attr in VALUE_ATTRS or attr in RELATED_QUERIES or attr in DJANGO_WRITES or attr.startswith("_") or relation.startswith("_"):
        return None
    path = f"{source.prefix}__{relation}" if source.prefix else relation
    if path in source.covered or relation in source.covered or (source.select_all and source.kind == "django"):
        return None
    declared = _declared(relation, source, ctx)
    if declared in ("column", "eager"):
        return None
    if source.kind == "sqlalchemy" and filtered_on_key(source.query, relation):
        return None  # every row points to one parent (`filter(V.scorer_id == scorer.scorer_id)`): the identity map answers
    kinds = ctx.fact("SAD205-project-fields", lambda: field_kinds(ctx.source.path, ctx.tree)).get(relation)
    if declared is None and kinds and kinds <= {"column", "property"}:
        return None  # every model of the project that has it declares a value there (an i18n text, a file), not a row
    if source.kind == "django" and relation == manager_owner(source.query):
        return None  # `o.event` of `event.orders.filter(...)`: Django hands the rows their owner, no query
    root = chain_root(source.query)
    if isinstance(root, ast.Name) and root.id == "self" and "queryset" not in ast.unparse(source.query):
        return None  # rows of `self.bundles.all()` in a model method: its callers decide what is prefetched
    if _serialized_instance(root, ctx):
        return None
    if declared is None and (relation in NOT_RELATIONS or relation.endswith(NOT_RELATION_SUFFIXES) or relation.isupper()):
        return None
    row = inner.value.id
    many = relation.endswith("_set") or "many" in (kinds or ())
    if many and _called(node, ctx):
        return None  # `row.memberships.with_usages()`: a manager method queries anyway, no prefetch saves it
    if source.kind == "django" and many:
        advice = f"Add `.prefetch_related(\"{path}\")` to the outer queryset (`{relation}` is a related manager)."
    elif source.kind == "django" and attr in ("pk", "id"):
        advice = f"Read `{row}.{relation}_id` instead: it holds the key without loading the related row."
    elif source.kind == "django":
        advice = (
            f"Add `.prefetch_related(\"{path}\")` to the outer queryset (`select_related` cannot follow the to-many `{source.prefix}`)."
            if source.prefix
            else f"Add `.select_related(\"{path}\")` to the outer queryset."
        )
    else:
        advice = f"Load it with the outer query (`.options(selectinload(...{relation}))` or `joinedload`)."
    return f"`{row}.{relation}` (a lazy relation)", f"lazy:{row}.{relation}", advice


def _serialized_instance(root: ast.AST, ctx: ModuleContext) -> bool:
    """Rows of a related manager of the instance a serializer or serializer field method is given
    (``value.meta_values.all()`` in ``to_representation(self, value)``): the view's queryset owns the prefetch, and
    a ``select_related`` on the manager would bypass the prefetch cache."""
    func, klass = ctx.enclosing_function(), ctx.enclosing_class()
    if not isinstance(root, ast.Name) or func is None or klass is None or not hasattr(func, "args"):
        return False
    params = {a.arg for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]} - {"self", "cls"}
    return root.id in params and any(last_name(b).endswith(SERIALIZER_BASES) for b in klass.bases)


def _called(node: ast.Attribute, ctx: ModuleContext) -> bool:
    return isinstance(above := _parents(ctx).get(id(node)), ast.Call) and above.func is node




def _declared(relation: str, source: RowSource, ctx: ModuleContext) -> str | None:
    models = ctx.fact("SAD205-models", lambda: model_fields(ctx.tree))
    if source.model and source.model in models and not source.prefix:
        return models[source.model].get(relation)
    kinds = {fields[relation] for fields in models.values() if relation in fields}
    return kinds.pop() if len(kinds) == 1 else None


def _short(call: ast.Call) -> str:
    text = ast.unparse(call)
    return f"`{text}`" if len(text) <= 70 else f"`{shorten_code(ast.unparse(call.func), 60)}(...)`"
