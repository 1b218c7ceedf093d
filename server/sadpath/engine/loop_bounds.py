"""Loops whose per-row reads are bounded by something other than a table: for SAD205 (n-plus-one-query).

``data_migration(func)``: a function whose parameter defaults to a Django migration's name
(``migration_name='0043_auto_20230825'``) is an async data migration, run once like the code of ``migrations/``.
``keyed_by_payload(call, rows)``: a lookup whose every use of the row only picks an entry of other data
(``CachedFile.objects.get(pk=answers[str(q.pk)])``) is keyed by that data (what the request sent), not by the row."""

from __future__ import annotations

import ast
import re

MIGRATION_NAME = re.compile(r"^\d{4}_\w+$")


def data_migration(func: ast.AST | None) -> bool:
    """A function whose parameter defaults to a Django migration's name (``migration_name='0043_auto_20230825'``):
    a data migration run once by the migration machinery, outside the ``migrations/`` folder."""
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    defaults = [*func.args.defaults, *(d for d in func.args.kw_defaults if d is not None)]
    return any(isinstance(d, ast.Constant) and isinstance(d.value, str) and MIGRATION_NAME.match(d.value) for d in defaults)


def keyed_by_payload(call: ast.Call, names: set[str]) -> bool:
    """Every use of the row in the call's arguments only picks an entry of other data (``answers[str(q.pk)]``):
    the query is keyed by that data, not by the row."""
    args = [*call.args, *(k.value for k in call.keywords)]
    picked, uses = set(), 0
    for arg in args:
        for node in ast.walk(arg):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id not in names:
                picked |= {id(n) for n in ast.walk(node.slice) if isinstance(n, ast.Name) and n.id in names}
            uses += isinstance(node, ast.Name) and node.id in names
    return uses > 0 and len(picked) == uses


def group_break(node: ast.AST, parent: dict[int, ast.AST], loop: ast.AST) -> str | None:
    """The node runs under a group-break guard inside the loop: ``if last_event != row.event: last_event =
    row.event; ...`` (over rows sorted by that key) runs once per group, not once per row. The guard's name, or
    None."""
    above = parent.get(id(node))
    while above is not None and above is not loop:
        if isinstance(above, ast.If) and not _in(node, above.test, parent, above):
            for compare in (n for n in ast.walk(above.test) if isinstance(n, ast.Compare)):
                if not any(isinstance(op, (ast.NotEq, ast.IsNot)) for op in compare.ops):
                    continue
                sides = [compare.left, *compare.comparators]
                names = {s.id for s in sides if isinstance(s, ast.Name)}
                assigned = {
                    t.id for stmt in above.body for n in ast.walk(stmt) if isinstance(n, ast.Assign)
                    for t in n.targets for t in ast.walk(t) if isinstance(t, ast.Name)
                }
                if names & assigned:
                    return sorted(names & assigned)[0]
        above = parent.get(id(above))
    return None


def _in(node: ast.AST, part: ast.AST, parent: dict[int, ast.AST], stop: ast.AST) -> bool:
    above = node
    while above is not None and above is not stop:
        if above is part:
            return True
        above = parent.get(id(above))
    return False


def rebound_before(row: str, node: ast.AST, body: list[ast.AST]) -> bool:
    """The loop body binds the row's name again before ``node`` (``o = Order.objects.select_for_update().get(pk=o.pk)``):
    from there on the name is another object, which the outer query's prefetching has nothing to do with."""
    for stmt in body:
        for n in ast.walk(stmt):
            if not isinstance(n, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) or n.lineno >= node.lineno:
                continue
            value = n.value.value if isinstance(n.value, ast.Await) else n.value
            if not isinstance(value, ast.Call):
                continue  # `item = item.parent`: a related row, not a re-fetch
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            if any(isinstance(t, ast.Name) and t.id == row for t in targets):
                return True
    return False


CONFIG_WORDS = frozenset(
    {"channels", "settings", "config", "configs", "configuration", "configurations", "preferences", "properties",
     "layouts", "templates", "providers", "backends"}
)
CONFIG_SUFFIXES = ("rule", "rules", "property", "setting", "channel", "layout", "template", "preference")


def configuration_rows(iterable: ast.AST) -> bool:
    """A loop over a configuration relation (``organizer.sales_channels.all()``, ``event.settings``,
    ``organizer.meta_properties.filter(...)``, ``event.autocheckinrule_set.all()``, layouts, templates, providers): a
    small set an administrator sets up, which does not grow with the business's data."""
    node = iterable
    while True:
        if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Name):
            node = node.args[0]  # `sorted(list(...), key=...)`
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        else:
            break
    if not isinstance(node, ast.Attribute):
        return False
    words = [w for w in node.attr.lower().strip("_").split("_") if w not in ("set", "all", "public", "active")] or [""]
    return words[-1] in CONFIG_WORDS or words[-1].endswith(CONFIG_SUFFIXES)


def filtered_on_key(query: ast.AST, relation: str) -> bool:
    """A SQLAlchemy query filtered on one value of the relation's foreign key (``.filter(Version.scorer_id ==
    scorer.scorer_id)``, ``filter_by(scorer_id=...)``): every row points to the same parent, which the session's
    identity map answers after its first load: no query per row."""
    key = f"{relation}_id"
    for node in ast.walk(query):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
            left = node.left
            if isinstance(left, ast.Attribute) and left.attr == key:
                return True
        if isinstance(node, ast.keyword) and node.arg == key:
            return True
    return False


def root_name(node: ast.AST) -> str | None:
    """``o`` of ``o.fees.filter(...).exists()`` and of ``o.event.name``."""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None
