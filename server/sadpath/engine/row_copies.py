"""Loops whose per-row lazy loads cost little next to what the loop does anyway: for SAD205 (n-plus-one-query).

``saved_per_row(body, rows)``: the loop saves its own row every iteration (``emv.pk = None; ...; emv.save()``, a
copy or clone of each row, or an edit written back row by row). Each row already costs an ``INSERT``/``UPDATE``; a
lazy foreign key read on the way (``emv.property.name``) adds one cheap ``SELECT`` by primary key to that write, and
``select_related`` saves a fraction of the loop's cost. A key read through the relation (``row.item.pk``) is the
exception the rule keeps: ``row.item_id`` costs nothing.

``one_parent_chain(iterable, func, value_of)``: the children of ONE object reached through a foreign key of a
parameter (``payment.order.positions.all()`` in ``def execute_payment(self, request, payment)``): the positions of
one order, a handful, as for ``order.positions.all()`` of a parameter. Not when the object in the middle is a
tenant (``ticket.event.orders.all()``: an event's orders grow with the business), nor from ``self``."""

from __future__ import annotations

import ast

from sadpath.engine.naming import last_word
from sadpath.engine.row_scale import TENANTS, lazy_chain
from sadpath.engine.walker import body_nodes


def saved_per_row(body: list[ast.AST], rows: set[str]) -> bool:
    """A statement of the loop body (not of a nested function) calls ``<row>.save(...)`` on the loop's row."""
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "save"
        and isinstance(node.func.value, ast.Name) and node.func.value.id in rows
        for node in body_nodes(body)
    )


def one_parent_chain(iterable: ast.AST, func: ast.AST | None, value_of=None) -> bool:
    """``param.fk.relation.<lazy method>()`` (or a name bound to it): the related rows of the one object a
    parameter's foreign key points to, when neither hop names a tenant."""
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    node = iterable
    if isinstance(node, ast.Name) and value_of is not None:
        node = value_of(node.id) or node
    chain = lazy_chain(node)
    if chain is None:
        return False
    node, methods = chain
    if not methods or not (isinstance(node, ast.Attribute) and node.attr != "objects"):
        return False
    middle = node.value
    if not (isinstance(middle, ast.Attribute) and isinstance(middle.value, ast.Name)):
        return False
    params = {a.arg for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]} - {"self", "cls"}
    param = middle.value.id
    if param not in params or last_word(middle.attr) in TENANTS or last_word(param) in TENANTS:
        return False
    return not middle.attr.endswith("_set") and middle.attr != "objects"


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def repeated_by(node: ast.AST, parent: dict[int, ast.AST], loop: ast.AST) -> str | None:
    """The read ``node`` of a row loop ``loop`` also sits inside an inner loop or comprehension that evaluates it
    again for each of its own items (``[s for s in channels if s.id in (p.id for p in i.limit_sales_channels.all())]``
    queries once per row AND per channel): a clause naming that iterable for the message, else None."""
    child, current = node, parent.get(id(node))
    found = None
    while current is not None and current is not loop:
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return None
        if isinstance(current, ast.comprehension):
            owner = parent.get(id(current))
            if owner is not loop and (child is not current.iter or (owner is not None and current is not owner.generators[0])):
                found = found or current.iter  # a condition, or a later generator: run per item of the first
            child, current = current, owner
            continue
        if isinstance(current, _COMPREHENSIONS) and child is not current.generators[0]:
            found = found or current.generators[0].iter  # the element: evaluated per item (the innermost one named)
        elif isinstance(current, (ast.For, ast.AsyncFor)) and child in current.body:
            found = found or current.iter
        elif isinstance(current, ast.While) and child in current.body:
            found = found or current.test
        child, current = current, parent.get(id(current))
    if current is None or found is None:
        return None
    text = ast.unparse(found)
    return f", and again for each item of `{text if len(text) <= 40 else text[:39] + '…'}` around it"
