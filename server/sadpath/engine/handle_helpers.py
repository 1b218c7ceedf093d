"""Whether a database handle handed to a helper is written through it, or only read.

For SAD206 (transaction-without-rollback): a ``commit()`` that only ends a read transaction (``await db.commit()``
to release the connection before a slow step) is not a commit after writes. A function writes when it calls a
write method on the handle (``add``, ``delete``, ``execute`` of anything but a ``select(...)`` or a constant
``SELECT``, ``flush``, ``commit``), or hands the handle to a helper that does. A helper is read from its code when
the project defines it (in the same module or one it imports, followed a few levels); a helper out of view (a
method of a module-level table object, ``Channels.get_channel_by_id(..., db=db)``) is judged by its name: a read
verb (``get_``, ``has_``, ``is_``, ``check_``, ``find_``, ``count_``, ...) with no write word in it
(``get_or_create_`` writes). Files are parsed on their own (never imported or run).
"""

from __future__ import annotations

import ast
from pathlib import Path

from sadpath.engine.project_files import parse_module
from sadpath.engine.rollback_hooks import resolve_function

MAX_DEPTH = 3
WRITE_METHODS = frozenset(
    {"add", "add_all", "delete", "merge", "execute", "executemany", "bulk_save_objects", "bulk_insert_mappings",
     "bulk_update_mappings", "copy_from", "copy_expert", "copy", "insert", "update", "flush", "executescript",
     "save", "insert_one", "insert_many", "commit", "run_sync"}
)
READ_VERBS = frozenset({"get", "has", "is", "check", "find", "list", "count", "exists", "can", "require", "fetch",
                        "load", "lookup", "search", "verify", "read", "query", "select", "resolve", "filter"})
WRITE_WORDS = frozenset({"create", "update", "set", "add", "save", "delete", "remove", "insert", "upsert", "write",
                         "put", "mark", "record", "store", "or", "ensure", "sync", "apply", "commit", "flush", "touch",
                         "bump", "increment", "register", "grant", "revoke", "assign", "log", "track", "purge",
                         "clear", "reset", "new", "persist", "refresh", "and", "init", "seed", "import", "upload"})


def called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def read_name(name: str) -> bool:
    """``has_access``, ``get_channel_by_id``, ``is_member``: a name that says it only reads. The words after ``by``
    name the lookup's keys, not its action (``get_channels_by_file_id_and_user_id`` reads)."""
    words = [w for w in name.lower().strip("_").split("_") if w]
    words = words[: words.index("by")] if "by" in words[1:] else words
    return bool(words) and words[0] in READ_VERBS and not set(words) & WRITE_WORDS


def select_statement(expr: ast.AST) -> bool:
    """``select(X).where(...)``, ``sa.select(...)``, ``text("SELECT ...")``, a constant ``SELECT``: a read."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value.lstrip().split(None, 1)[0:1] in (["SELECT"], ["select"], ["WITH"], ["with"])
    while isinstance(expr, ast.Call):
        func = expr.func
        if called_name(expr) == "select" and not isinstance(func, ast.Attribute) or (
            isinstance(func, ast.Attribute) and func.attr == "select" and isinstance(func.value, ast.Name)
        ):
            return True
        if called_name(expr) == "text" and expr.args:
            return select_statement(expr.args[0])
        if not isinstance(func, ast.Attribute):
            return False
        expr = func.value
    return False


def _passed_as(call: ast.Call, handle: str, target: ast.AST) -> str | None:
    """The parameter of ``target`` that receives ``handle`` in ``call``."""
    args = target.args
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    if isinstance(call.func, ast.Attribute) and positional and positional[0] in ("self", "cls"):
        positional = positional[1:]
    for index, arg in enumerate(call.args):
        if ast.unparse(arg) == handle:
            return positional[index] if index < len(positional) else None
    for keyword in call.keywords:
        if keyword.arg is not None and ast.unparse(keyword.value) == handle:
            return keyword.arg
    return None


def helper_writes(call: ast.Call, handle: str, tree: ast.Module, path: str | Path, depth: int = 0) -> bool:
    """``call`` hands ``handle`` to a helper: whether that helper (read from its code, or judged by its name when
    it is out of view) may write through it."""
    name = called_name(call)
    found = resolve_function(tree, path, name) if isinstance(call.func, ast.Name) else None
    if found is None:
        return not read_name(name)
    if depth >= MAX_DEPTH:
        return True
    target, where = found
    param = _passed_as(call, handle, target)
    if param is None:
        return True
    where_tree = tree if Path(where) == Path(path).resolve() else parse_module(where)
    return where_tree is None or body_writes(target, param, where_tree, where, depth + 1)


def body_writes(func: ast.AST, handle: str, tree: ast.Module, path: str | Path, depth: int = 0) -> bool:
    """The function writes through ``handle``: a write method on it, or a helper given it that may write."""
    for node in ast.walk(func):
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and ast.unparse(t.value) not in ("self", "cls") for t in targets):
                return True  # an attribute of a loaded object: the caller's commit flushes it
        if not isinstance(node, ast.Call):
            continue
        callee = node.func
        if isinstance(callee, ast.Attribute) and ast.unparse(callee.value) == handle:
            if callee.attr in WRITE_METHODS:
                if callee.attr == "execute" and node.args and select_statement(node.args[0]):
                    continue
                return True
            continue
        if any(ast.unparse(a) == handle for a in [*node.args, *(k.value for k in node.keywords)]):
            if helper_writes(node, handle, tree, path, depth):
                return True
    return False
