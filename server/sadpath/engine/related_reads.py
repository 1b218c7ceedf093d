"""A ``try`` that only reads a related object the query already loaded, whose one expected error is not-found (SAD102).

``for op in qs: try: name = op.order.invoice_address.name except: ...`` where ``invoice_address`` is the reverse
side of a Django ``OneToOneField(..., related_name="invoice_address")`` and the query behind ``qs`` loads
``order__invoice_address`` with its rows (``select_related``, followed through the names and same-file methods
that build it): the block does no I/O, and the one error it is written for is the missing related row,
``InvoiceAddress.DoesNotExist`` (a subclass of ``ObjectDoesNotExist``). ``not_found_read`` names that exception
(``ObjectDoesNotExist`` when the model is not known or the module does not bind its name).
"""

from __future__ import annotations

import ast
from pathlib import Path

from sadpath.engine.context import ModuleContext
from sadpath.engine.prefetch_paths import loaded_paths
from sadpath.engine.project_files import package_files, parse_module
from sadpath.engine.query_rows import Resolver

OBJECT_DOES_NOT_EXIST = "ObjectDoesNotExist"
_INDEX: dict[tuple[str, ...], dict[str, frozenset[str]]] = {}


def reverse_one_to_ones(path: str) -> dict[str, frozenset[str]]:
    """``related_name`` of each ``OneToOneField`` in the package's model modules -> the models that declare it."""
    files = tuple(p for p in package_files(Path(path)) if p.stem == "models" or p.parent.name == "models")
    key = tuple(str(p) for p in files)
    if key not in _INDEX:
        found: dict[str, set[str]] = {}
        for candidate in files:
            tree = parse_module(candidate)
            for cls in tree.body if tree is not None else ():
                if not isinstance(cls, ast.ClassDef):
                    continue
                for node in ast.walk(cls):
                    callee = node.func if isinstance(node, ast.Call) else None
                    name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
                    if name != "OneToOneField":
                        continue
                    for keyword in node.keywords:
                        if keyword.arg == "related_name" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                            found.setdefault(keyword.value.value, set()).add(cls.name)
        _INDEX[key] = {name: frozenset(models) for name, models in found.items()}
    else:
        for candidate in files:
            parse_module(candidate)  # recorded for the result cache
    return _INDEX[key]


def _chain(expr: ast.AST) -> tuple[str, list[str]] | None:
    """``op.order.invoice_address.name`` -> ("op", ["order", "invoice_address", "name"])."""
    attrs: list[str] = []
    while isinstance(expr, ast.Attribute):
        attrs.insert(0, expr.attr)
        expr = expr.value
    return (expr.id, attrs) if isinstance(expr, ast.Name) and attrs else None


def not_found_read(try_node: ast.Try, ctx: ModuleContext) -> tuple[str, str] | None:
    """(the exception to name, the read shown) when the ``try`` only assigns attribute reads of loop rows whose
    reverse one-to-one the loop's query loads with the rows."""
    chains = []
    for stmt in try_node.body:
        if not (isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets)):
            return None
        found = _chain(stmt.value)
        if found is None:
            return None
        chains.append(found)
    if not chains:
        return None
    reverse = reverse_one_to_ones(ctx.source.path)
    models: set[str] = set()
    reads: list[str] = []
    for root, attrs in chains:
        spots = [i for i, attr in enumerate(attrs[:-1]) if attr in reverse]  # a row read, then a field of it
        if not spots:
            return None
        loaded = _loop_loads(root, try_node, ctx)
        if loaded is None:
            return None
        deepest = spots[-1]
        if "__".join(attrs[: deepest + 1]) not in loaded:
            return None  # not loaded with the row: reading it is a query
        for i in spots:
            models |= reverse[attrs[i]]
        reads.append(".".join([root, *attrs[: deepest + 1]]))
    name = OBJECT_DOES_NOT_EXIST
    if len(models) == 1:
        model = next(iter(models))
        if _binds(ctx.tree, model):
            name = f"{model}.DoesNotExist"
    return name, next(iter(dict.fromkeys(reads)))


def _loop_loads(root: str, try_node: ast.Try, ctx: ModuleContext) -> set[str] | None:
    """The relation paths the query of the enclosing ``for`` over ``root`` loads with its rows."""
    func = ctx.enclosing_function()
    for parent in reversed(ctx.parents):
        if isinstance(parent, (ast.For, ast.AsyncFor)) and isinstance(parent.target, ast.Name) and parent.target.id == root:
            if not any(node is try_node for node in ast.walk(parent)):
                return None
            resolver = Resolver(ctx.tree, func, ctx.enclosing_class())
            return loaded_paths(parent.iter, resolver, parent.lineno) - {"*"}
    return None


def _binds(tree: ast.Module, name: str) -> bool:
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.ClassDef) and stmt.name == name:
            return True
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name.split(".")[-1]) == name for a in stmt.names):
            return True
    return False


def message(label: str, where: str, exc: str, read: str) -> str:
    """The in-memory wording for such a read: the bug it hides, and the one error to name."""
    return (
        f"{label} in {where} around in-memory work (reading `{read}`, loaded with its row by the query) turns every "
        "error, a bug such as a `NameError` included, into the fallback. The one error expected there is the "
        f"missing related row: catch `{exc}` instead."
    )
