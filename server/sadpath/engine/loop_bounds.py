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
