"""Helpers that commit the handle they are given themselves: for SAD206 (transaction-without-rollback).

A repository method such as ``Files.update_file_data_by_id(file.id, data, db=db)`` (``Files = FilesTable()`` in
the project's ``models`` module) writes through the session it is handed and commits it before returning
(``async with get_db_context(db) as db: ...; await db.commit()``). Its writes are not pending when the caller
commits later: a caller's ``commit()`` after only such helpers (and reads) ends a transaction with nothing in it,
and a failure of the helper's own commit is that helper's to handle. ``commits_itself(call, handle, tree, path)``
answers whether the helper ``call`` hands ``handle`` to is read from the project's code (a module-level function,
or a method of a module-level instance of a project class, defined here or imported) and commits the parameter
that receives the handle (or the session a ``with`` opens from it). Files are parsed on their own (never imported
or run)."""

from __future__ import annotations

import ast
from pathlib import Path

from sadpath.engine.project_files import import_root, parse_module
from sadpath.engine.rollback_hooks import resolve_function

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _module_of(stmt: ast.ImportFrom, path: Path) -> Path | None:
    """The file an import names: relative to the module, or absolute from its import root or a folder above it
    (``open_webui.models.files`` from ``open_webui/routers/``, a folder without ``__init__.py``)."""
    parts = [p for p in (stmt.module or "").split(".") if p]
    if not parts:
        return None
    if stmt.level:
        base = path.parent
        for _ in range(stmt.level - 1):
            base = base.parent
        bases = [base]
    else:
        bases = [import_root(path), *list(import_root(path).parents)[:4]]
    for base in bases:
        for candidate in (base.joinpath(*parts[:-1], f"{parts[-1]}.py"), base.joinpath(*parts, "__init__.py")):
            if candidate.is_file():
                return candidate
    return None


def _instance_method(tree: ast.Module, path: Path, name: str, method: str, depth: int = 0):
    """The method ``method`` of the class whose module-level instance is ``name`` (``Files = FilesTable()``)."""
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
            and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name)
        ):
            klass = next((c for c in tree.body if isinstance(c, ast.ClassDef) and c.name == stmt.value.func.id), None)
            found = next((m for m in klass.body if isinstance(m, _FUNCTIONS) and m.name == method), None) if klass else None
            return found
    if depth:
        return None
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and any((a.asname or a.name) == name for a in stmt.names):
            alias = next(a for a in stmt.names if (a.asname or a.name) == name)
            target = _module_of(stmt, path)
            other = parse_module(target) if target is not None else None
            return _instance_method(other, target, alias.name, method, 1) if other is not None else None
    return None


def _receiving(call: ast.Call, handle: str, target: ast.AST) -> str | None:
    positional = [a.arg for a in [*target.args.posonlyargs, *target.args.args]]
    if positional and positional[0] in ("self", "cls"):
        positional = positional[1:]
    for index, arg in enumerate(call.args):
        if ast.unparse(arg) == handle:
            return positional[index] if index < len(positional) else None
    return next((k.arg for k in call.keywords if k.arg is not None and ast.unparse(k.value) == handle), None)


def _commits(func: ast.AST, param: str) -> bool:
    names = {param}
    for node in ast.walk(func):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name) and any(
                    isinstance(n, ast.Name) and n.id == param for n in ast.walk(item.context_expr)
                ):
                    names.add(item.optional_vars.id)  # `async with get_db_context(db) as db:`
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "commit"
        and isinstance(n.func.value, ast.Name) and n.func.value.id in names
        for n in ast.walk(func)
    )


def commits_itself(call: ast.Call, handle: str, tree: ast.Module, path: str | Path) -> bool:
    """The helper ``call`` hands ``handle`` to commits it itself (read from the project's code); False when the
    helper is out of view or does not."""
    here = Path(path).resolve()
    target = None
    if isinstance(call.func, ast.Name):
        found = resolve_function(tree, here, call.func.id)
        target = found[0] if found is not None else None
    elif isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
        target = _instance_method(tree, here, call.func.value.id, call.func.attr)
    if target is None:
        return False
    param = _receiving(call, handle, target)
    return param is not None and _commits(target, param)


def session_object(target: ast.Attribute, func: ast.AST, handle: str) -> bool:
    """``row.status = ...`` may change an object of the session (the commit flushes it): False only when the
    object's name is bound in ``func``, every time, to the result of a call that is not handed ``handle`` and not
    made on it (``loader = build_loader(config)``, ``form = Form(data)``: an object the session never saw)."""
    root = target.value
    while isinstance(root, ast.Attribute):
        root = root.value
    if not isinstance(root, ast.Name) or root.id in ("self", "cls"):
        return not (isinstance(root, ast.Name) and isinstance(target.value, ast.Name))
    bindings = []
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == root.id for t in node.targets):
            bindings.append(node.value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.NamedExpr, ast.withitem)):
            bound = node.optional_vars if isinstance(node, ast.withitem) else node.target
            if any(isinstance(n, ast.Name) and n.id == root.id for n in ast.walk(bound or ast.Pass())):
                return True  # a loop target, a `with` target, ...: it may be a loaded row
    params = {a.arg for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]}
    if root.id in params or not bindings:
        return True
    for value in bindings:
        value = value.value if isinstance(value, ast.Await) else value
        if not isinstance(value, ast.Call) or any(ast.unparse(n) == handle for n in ast.walk(value)):
            return True
    return False
