"""Whether a failed commit on a framework-scoped session (Flask-SQLAlchemy's ``db.session``) can be seen again.

For SAD206 (transaction-without-rollback). Flask-SQLAlchemy removes ``db.session`` when the application context
ends (the end of the request), and Celery integrations remove it at ``task_postrun``. When a commit in a helper
fails and the error leaves the request or the task, nothing reuses the aborted transaction. It is seen again only
when a caller catches the error and carries on in the same unit of work: its ``except`` handler uses the session
(``db.session.refresh(query)``) without rolling it back, or the call sits in a loop whose handler goes on to the next
item. ``callers_carry_on(name, path, handle)`` answers that for the project calls of ``name``: None when the
project has no call of it (an entry point: a route, a task, or code whose callers are out of view), else whether
one of them carries on. Files are parsed on their own (never imported or run).
"""

from __future__ import annotations

import ast
from pathlib import Path

from sadpath.engine.project_files import modules_calling


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_DB_ERRORS = ("SQLAlchemy", "DBAPI", "Operational", "Integrity", "Database", "PendingRollback", "Statement",
              "InterfaceError", "DataError", "DBError", "DbError")
# a receiver that is a driver's handle, not a project object: ``conn.execute(...)`` is not the project's ``execute``
_DRIVER_RECEIVERS = ("conn", "cursor", "session", "engine", "cnx")


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def ends_work(body: list[ast.stmt]) -> bool:
    """The handler leaves the work: it raises, returns or breaks out as its last word."""
    return bool(body) and isinstance(body[-1], (ast.Raise, ast.Return, ast.Break))


def _touches(body: list[ast.stmt], handle: str, method: str | None = None) -> bool:
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Attribute) and ast.unparse(node.value) == handle:
                if method is None or node.attr == method:
                    return True
    return False


def catches_db_errors(handler: ast.ExceptHandler) -> bool:
    """The handler can catch a failed commit: bare, ``Exception``/``BaseException``, or a database error type
    (``SQLAlchemyError``, ``OperationalError``, ...). A domain error's handler (``except IncorrectVersionError:``)
    lets the database error through."""
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for expr in names:
        text = ast.unparse(expr).rsplit(".", 1)[-1]
        if text in ("Exception", "BaseException") or any(word in text for word in _DB_ERRORS):
            return True
    return False


def handler_carries_on(handler: ast.ExceptHandler, handle: str, in_loop: bool) -> bool:
    """An ``except`` handler that catches a database error and goes on with the failed session in the same unit
    of work: it uses ``handle`` without rolling it back, or, in a loop, lets the next iteration run."""
    if not catches_db_errors(handler):
        return False
    if _touches(handler.body, handle, "rollback") or _touches(handler.body, handle, "remove"):
        return False
    if _touches(handler.body, handle) and not (handler.body and _reraises_at_once(handler.body, handle)):
        return True
    return in_loop and not ends_work(handler.body)


def _reraises_at_once(body: list[ast.stmt], handle: str) -> bool:
    """``db.session.commit(); raise``: the failure's record, then the error ends the work (quiet elsewhere)."""
    return isinstance(body[-1], ast.Raise) and body[-1].exc is None and len(body) <= 3


def _carries_on(parents: list[ast.AST], handle: str) -> bool:
    for index, outer in enumerate(parents):
        if isinstance(outer, _FUNCTIONS) and index > 0:
            return False  # a closure's call: judged where it is defined
        if not (isinstance(outer, ast.Try) and index + 1 < len(parents) and parents[index + 1] in outer.body):
            continue
        in_loop = any(isinstance(p, _LOOPS) for p in parents[:index])
        if any(handler_carries_on(h, handle, in_loop) for h in outer.handlers):
            return True
    return False


def _calls(tree: ast.Module, name: str):
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [])]
    while stack:
        node, parents = stack.pop()
        if isinstance(node, ast.Call) and _called_name(node) == name:
            yield node, parents
        for child in ast.iter_child_nodes(node):
            stack.append((child, [*parents, node]))


def callers_carry_on(name: str, path: str, handle: str) -> bool | None:
    """Whether a project call of ``name`` catches its error and carries on with ``handle``; None when there is no
    project call (or the project cannot be searched)."""
    found = False
    for candidate, tree in modules_calling(name, path):
        if tree is None:
            return True
        for call, parents in _calls(tree, name):
            receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
            if receiver is not None and any(word in ast.unparse(receiver).lower() for word in _DRIVER_RECEIVERS):
                continue
            around = [p for p in parents if isinstance(p, _FUNCTIONS)]
            if around and around[-1].name == name and candidate.resolve() == Path(path).resolve():
                continue  # recursion
            found = True
            inner = parents[parents.index(around[-1]):] if around else parents
            if _carries_on(inner, handle):
                return True
    return False if found else None
