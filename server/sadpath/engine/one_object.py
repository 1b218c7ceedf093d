"""The children of ONE object, for SAD205 (n-plus-one-query): the catalog's look-alike "a loop over one parent's
children, n is a handful".

``one_object_rows(iterable, func, klass, value_of)``: the loop walks a related manager (``<one>.<relation>.all()``,
also through ``list()``/``enumerate()``, lazy methods and a name bound to it) of one model instance, where the one
object is reached from

- a parameter of the enclosing function (``def build_invoice(invoice)``) or a name bound to one looked-up row
  (``m = X.objects.get(pk=...)``);
- the instance a Django form or DRF serializer edits (``self.instance``, ``kwargs.pop("instance")``) or a
  detail/update view shows (``self.object``);
- any chain of foreign keys from such an object (``invoice.order.positions``, ``i = instance.item`` then
  ``i.variations``): a foreign key of one row is one row.

No hop may name a tenant (an event, an organizer, a project: their rows grow with the business), nor may the
form's or serializer's ``Meta.model``; a reverse ``_set`` or ``objects`` hop is a manager, not one row."""

from __future__ import annotations

import ast

from sadpath.engine.query_rows import unwrap
from sadpath.engine.row_scale import SINGLE_LOOKUPS, TENANTS, lazy_chain

EDITED_INSTANCE = frozenset({"instance", "object"})  # ModelForm / serializer `self.instance`, a detail view's `self.object`


def one_object_rows(iterable: ast.AST, func: ast.AST | None, klass: ast.AST | None, value_of) -> bool:
    """The loop's rows are the related rows of one model instance (see the module's docstring)."""
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    expr = unwrap(iterable)
    if isinstance(expr, ast.Name):
        expr = unwrap(value_of(expr.id) or expr)
    found = lazy_chain(expr)
    if found is None or not found[1]:
        return False
    node = found[0]
    if not isinstance(node, ast.Attribute) or node.attr == "objects":
        return False
    params = {
        a.arg: _annotation(a.annotation) or a.arg
        for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs] if a.arg not in ("self", "cls")
    }
    return _one(node.value, params, klass, value_of, 0)


def _one(node: ast.AST, params: dict[str, str], klass: ast.AST | None, value_of, depth: int) -> bool:
    if depth > 4:
        return False
    if isinstance(node, ast.Await):
        node = node.value
    if isinstance(node, ast.Attribute):
        if node.attr == "objects" or node.attr.endswith("_set") or _tenant(node.attr):
            return False
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            return node.attr in EDITED_INSTANCE and not _tenant(_meta_model(klass) or "")
        return _one(node.value, params, klass, value_of, depth + 1)  # a foreign key of one row is one row
    if isinstance(node, ast.Name):
        if node.id in params:
            return not _tenant(params[node.id]) and not _tenant(node.id)
        if _tenant(node.id):
            return False
        bound = value_of(node.id)
        bound = bound.value if isinstance(bound, ast.Await) else bound
        if _edited_instance(bound):
            return not _tenant(_meta_model(klass) or "")
        if isinstance(bound, ast.Call):
            name = bound.func.attr if isinstance(bound.func, ast.Attribute) else getattr(bound.func, "id", "")
            return name in SINGLE_LOOKUPS
        if isinstance(bound, ast.Attribute):
            return _one(bound, params, klass, value_of, depth + 1)
    return False


def _edited_instance(value: ast.AST | None) -> bool:
    """``kwargs.pop("instance")``, ``kwargs.get("instance")``, ``kwargs["instance"]``: the instance handed to a form."""
    if isinstance(value, ast.Subscript):
        key = value.slice
    elif isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in ("pop", "get") and value.args:
        key = value.args[0]
    else:
        return False
    return isinstance(key, ast.Constant) and key.value in EDITED_INSTANCE


def _meta_model(klass: ast.AST | None) -> str | None:
    """``Quota`` of ``class Meta: model = Quota`` in a ModelForm or a serializer."""
    for stmt in getattr(klass, "body", []):
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            for assign in stmt.body:
                if isinstance(assign, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "model" for t in assign.targets):
                    value = assign.value
                    return value.attr if isinstance(value, ast.Attribute) else getattr(value, "id", None)
    return None


def _tenant(name: str) -> bool:
    spaced = "".join(f"_{c}" if c.isupper() else c for c in name)
    words = [w for w in spaced.lower().split("_") if w] or [""]
    return words[-1] in TENANTS


def _annotation(node: ast.AST | None) -> str | None:
    """``Invoice`` of ``invoice: Invoice`` (also ``Optional[Invoice]``, ``"Invoice"``)."""
    if isinstance(node, ast.Subscript):
        node = node.slice
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.split(".")[-1]
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None
