"""Code that runs once, by hand or at deploy time, not on a hot or long-lived path.

Shared by SAD205 (a query per row of a one-off data migration is not worth batching) and SAD206 (a failed
commit in a one-shot command ends the process, and the transaction with it). Judged from the module's place in
the project (``migrations/``, ``_migrations/versions/``, ``alembic/``, seed scripts in ``seeds/``) or from what
it is: an Alembic revision (``from alembic import op``
with ``upgrade()``) or a Django migration (``class Migration(migrations.Migration)``)."""

from __future__ import annotations

import ast
from pathlib import PurePath

# ``examples/`` is not among them: an example service is a service, and its code is what users copy
RUN_ONCE_FOLDERS = frozenset({"migrations", "alembic", "seeds", "seed_data"})


def run_once_module(path: str, tree: ast.Module | None = None) -> str | None:
    """What makes the module one-shot code (``"migrations"``, ``"an Alembic revision"``), or None."""
    parts = [p.lower().strip("_") for p in PurePath(path).parts[:-1]]  # `_migrations/` too
    for part in reversed(parts):
        if part in RUN_ONCE_FOLDERS:
            return part
    if tree is None:
        return None
    imports = {
        alias.name if isinstance(stmt, ast.Import) else f"{stmt.module}.{alias.name}"
        for stmt in tree.body
        if isinstance(stmt, (ast.Import, ast.ImportFrom))
        for alias in stmt.names
    }
    functions = {stmt.name for stmt in tree.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if "alembic.op" in imports and "upgrade" in functions:
        return "an Alembic revision"
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Migration":
            if any(ast.unparse(base).endswith("migrations.Migration") for base in stmt.bases):
                return "a Django migration"
    return None
