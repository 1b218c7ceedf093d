"""How many queries a per-row read really costs: for SAD205 (n-plus-one-query).

``unevaluated_argument(call, parent)``: a lazy queryset (``project.tasks.all()``, ``X.objects.filter(...)``) handed
as an argument to a call that is not one of Python's evaluating builtins (``list``, ``len``, ``sorted``, ...) runs no
query where it stands: the callee (a batch job, an async task) decides whether and how it runs.

``one_parent_rows(iterable, func)``: the related rows of ONE object given to the function as a parameter
(``order.positions.all()`` in ``def f(sender, order)``): their number is that object's handful of children, not the
rows of another query, so the loop's natural n is tiny.

``reordering_advice(methods, path)``: ``.first()``/``.last()``/``.latest()``/``.earliest()`` always clone the
queryset and query again (a prefetch cache never answers them): the remedy is a ``Subquery`` annotation or indexing
a prefetched list, never "add ``prefetch_related``"."""

from __future__ import annotations

import ast
import re

from sadpath.engine.loop_bounds import root_name
from sadpath.engine.naming import last_word
from sadpath.engine.query_rows import unwrap

LAZY_METHODS = frozenset(
    {"all", "filter", "exclude", "order_by", "select_related", "prefetch_related", "only", "defer", "annotate",
     "values", "values_list", "distinct", "using", "none"}
)
EVALUATING_CALLS = frozenset(
    {"list", "len", "sorted", "set", "tuple", "sum", "any", "all", "bool", "dict", "enumerate", "zip", "min", "max",
     "frozenset", "next", "iter", "map", "filter", "print", "str", "repr", "reversed", "Counter", "defaultdict"}
)
SINGLE_LOOKUPS = frozenset({"get", "get_object_or_404", "first", "last", "latest", "earliest", "one", "scalar_one"})
TENANTS = frozenset(
    {"event", "events", "organizer", "organization", "organisation", "org", "project", "team", "account", "tenant",
     "workspace", "site", "shop", "store", "company", "customer", "user", "owner", "group", "space", "board", "repo",
     "repository", "catalog", "schema", "database", "namespace", "client", "partner", "merchant", "vendor", "seller"}
)
DISPATCH = frozenset({"delay", "apply_async", "submit", "enqueue", "run_in_executor", "s", "si", "signature"})
RECHECK_WORDS = re.compile(r"re-?read|re-?check|re-?fetch|re-?load|deliberate|on purpose|intentional|under (the|a) (row )?lock|fresh", re.I)
REORDERING = frozenset({"first", "last", "latest", "earliest"})


def unevaluated_argument(call: ast.Call, methods: list[str], parent: dict[int, ast.AST]) -> bool:
    """The queryset ``call`` (its chain's method names, outermost first) ends lazily and is an argument of a call
    that does not evaluate it: no query runs in the loop."""
    if not methods or methods[0] not in LAZY_METHODS:
        return False
    node, above = call, parent.get(id(call))
    if isinstance(above, ast.keyword):
        node, above = above, parent.get(id(above))
    if not isinstance(above, ast.Call) or node is above.func:
        return False
    if isinstance(above.func, ast.Attribute):
        return above.func.attr in DISPATCH  # `job.delay(qs)`; not `rows.append(qs)`, `", ".join(qs)`, `log.info(qs)`
    return isinstance(above.func, ast.Name) and above.func.id not in EVALUATING_CALLS


def one_parent_rows(iterable: ast.AST, func: ast.AST | None, value_of=None) -> bool:
    """``param.relation.<lazy method>()`` (or ``param.relation_set.all()``), one hop from a parameter of the
    enclosing function (not ``self``), or from a name bound to one looked-up object (``m = X.objects.get(pk=...)``,
    ``value_of(name)`` answers what a name is bound to): the children of one object."""
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    params = {
        a.arg: _annotation(a.annotation) or a.arg for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
        if a.arg not in ("self", "cls")
    }
    chain = lazy_chain(iterable)
    if chain is None or not chain[1]:
        return False
    node = chain[0]
    if not (isinstance(node, ast.Attribute) and node.attr != "objects" and isinstance(node.value, ast.Name)):
        return False
    owner = params.get(node.value.id, node.value.id)
    if last_word(owner) in TENANTS:
        return False  # the orders of an event, the tasks of a project: a tenant's rows grow with the business
    if node.value.id in params:
        return True
    bound = value_of(node.value.id) if value_of is not None else None
    bound = bound.value if isinstance(bound, ast.Await) else bound
    return isinstance(bound, ast.Call) and (
        isinstance(bound.func, ast.Attribute) and bound.func.attr in SINGLE_LOOKUPS
        or isinstance(bound.func, ast.Name) and bound.func.id in SINGLE_LOOKUPS
    )


def lazy_chain(node: ast.AST) -> tuple[ast.AST, int] | None:
    """What a queryset expression starts from and how many lazy methods it chains (``list(o.items.filter(x))`` ->
    ``o.items``, 1); None when a method that runs the query sits in the chain."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args and node.func.id in ("list", "sorted", "tuple"):
        node = node.args[0]
    methods = 0
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr not in LAZY_METHODS:
            return None
        node, methods = node.func.value, methods + 1
    return node, methods


def reordering_advice(methods: list[str], path: str, row: str = "row") -> str | None:
    """The remedy for a ``first()``/``last()`` per row (``methods`` outermost first), or None for other reads."""
    if not methods or methods[0] not in REORDERING:
        return None
    end = methods[0]
    index = "[-1]" if end in ("last", "latest") else "[0]"
    return (
        f"`prefetch_related(\"{path}\")` would not help: `.{end}()` orders the queryset again and always runs a new "
        f"query. Annotate the outer queryset with a `Subquery(...)` of the one row it needs, or prefetch "
        f"`Prefetch(\"{path}\", queryset=<ordered>)` and index the list in Python (`list({row}.{path.split('__')[-1]}.all()){index}`)."
    )


def tiny_loop(loop: ast.AST, target: ast.AST, iterable: ast.AST, resolver, ctx) -> bool:
    """The loop walks the children of one object (``one_parent_rows``), or rows nested in such a loop's rows
    (``for gc in p.issued_gift_cards.all()`` inside ``for p in order.positions.all()``): its row names are recorded
    (in ``ctx.memo``) and the answer is True."""
    tiny = ctx.memo.setdefault("SAD205-tiny", {})
    expr = _bound(iterable, resolver, loop)
    owner = tiny.get(root_name(expr))
    nested = owner is not None and owner.lineno <= loop.lineno <= (owner.end_lineno or 0)
    if not nested and not one_parent_rows(expr, ctx.enclosing_function(), lambda n: resolver.value_of(n, loop.lineno)):
        return False
    tiny.update({n.id: loop for n in ast.walk(target) if isinstance(n, ast.Name)})
    return True


def folded_rows(iterable: ast.AST, resolver, loop: ast.AST, reported: set) -> bool:
    """The rows come from a query already reported (``reported``: its (line, column)) inside an enclosing loop
    (``qs = m.rel.filter(...)``, ``qs = qs.exclude(...)``, then ``for op in qs``): fixing that finding fixes their
    lazy loads too."""
    expr, line = unwrap(iterable), loop.lineno
    for _ in range(4):
        if any((n.lineno, n.col_offset) in reported for n in ast.walk(expr) if isinstance(n, ast.Call)):
            return True
        root = root_name(expr)
        value = resolver.value_of(root, line) if root is not None else None
        if value is None or not hasattr(value, "lineno"):
            return False
        expr, line = value, value.lineno
    return False


def _bound(iterable: ast.AST, resolver, loop: ast.AST) -> ast.AST:
    expr = unwrap(iterable)
    if isinstance(expr, ast.Name):
        expr = resolver.value_of(expr.id, loop.lineno) or expr
    return expr


def _annotation(node: ast.AST | None) -> str | None:
    """``Event`` of ``sender: Event`` (also ``Optional[Event]``, ``"Event"``)."""
    if isinstance(node, ast.Subscript):
        node = node.slice
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.split(".")[-1]
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def explained(node: ast.AST, line_of) -> bool:
    """A deliberate per-row read: the comment on its line or just above says why (re-read under a lock, ...)."""
    for line in range(max(1, node.lineno - 3), node.lineno + 1):
        text = line_of(line)
        comment = text[text.find("#"):] if "#" in text else ""
        if line < node.lineno and text.strip() and not text.strip().startswith("#"):
            comment = ""
        if comment and RECHECK_WORDS.search(comment.split("quiet:")[0].split("expect:")[0]):
            return True
    return False
