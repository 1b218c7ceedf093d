"""What the function itself does with a session right after one of its commits fails, before anything rolls it back.

For SAD206 (transaction-without-rollback). A commit that fails leaves the session in a failed transaction. The
first code to notice is often the function's own cleanup: a ``finally`` that commits the same handle again (the
second commit raises ``PendingRollbackError``, which replaces the original error and skips the rest of the
``finally``), or an ``except Exception:`` handler that goes on with the session, directly (``db.add(...)``) or
through a method of the same object that commits it (``await self.stop()`` when ``stop()`` commits ``self.db``).
``reuse_after_failure(...)`` names that concrete consequence for the message, so that it says what happens where it
stands rather than "every later use fails" (which a project's own rollback at its request boundary may make untrue).
"""

from __future__ import annotations

import ast

from sadpath.engine.scoped_session_callers import catches_db_errors

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# the consequence when nothing in view uses the failed session: the next user of the long-lived handle meets it
POISONED = ("its transaction stays open in a failed state and every later use of it fails (\"current transaction is "
            "aborted\", `PendingRollbackError`)")


def _commits_on(node: ast.AST, handle: str) -> ast.Call | None:
    for inner in ast.walk(node):
        if (
            isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == "commit"
            and ast.unparse(inner.func.value) == handle
        ):
            return inner
    return None


def _rolls_back(body: list[ast.stmt], handle: str) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
        and (n.func.attr == "rollback" or (n.func.attr in ("close", "remove") and ast.unparse(n.func.value) == handle))
        for stmt in body for n in ast.walk(stmt)
    )


def _method_using(body: list[ast.stmt], handle: str, klass: ast.ClassDef | None) -> str | None:
    """``self.stop(...)`` in ``body`` where the class's ``stop()`` commits ``handle`` (a ``self.<x>`` handle)."""
    if klass is None or not handle.startswith("self."):
        return None
    methods = {m.name: m for m in klass.body if isinstance(m, _FUNCTIONS)}
    for stmt in body:
        for node in ast.walk(stmt):
            if (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"
                and node.func.attr in methods and _commits_on(methods[node.func.attr], handle) is not None
            ):
                return f"self.{node.func.attr}()"
    return None


def _uses(body: list[ast.stmt], handle: str) -> bool:
    return any(isinstance(n, ast.Attribute) and ast.unparse(n.value) == handle for stmt in body for n in ast.walk(stmt))


def reuse_after_failure(parents: list[ast.AST], handle: str, klass: ast.ClassDef | None) -> str | None:
    """The first thing that uses the failed session after this commit, within the function, as a clause for the
    message (``the `finally` block commits `self.db` again (line 1192) on the failed session: ...``); None when the
    failure simply leaves the function."""
    for index in range(len(parents) - 1, -1, -1):
        outer = parents[index]
        if isinstance(outer, _FUNCTIONS):
            return None
        child = parents[index + 1] if index + 1 < len(parents) else None
        if not (isinstance(outer, ast.Try) and child in outer.body):
            continue
        for handler in outer.handlers:
            if not catches_db_errors(handler) or _rolls_back(handler.body, handle):
                continue
            via = _method_using(handler.body, handle, klass)
            if via is not None:
                return (
                    f"the `except` at line {handler.lineno} catches the failure and goes on to `{via}`, which commits "
                    f"`{handle}` on the failed session before anything rolls it back: its commits fail too "
                    f"(`PendingRollbackError`) and its cleanup is lost"
                )
            if _uses(handler.body, handle):
                return (
                    f"the `except` at line {handler.lineno} catches the failure and goes on using `{handle}` before "
                    f"anything rolls it back: those uses fail too (`PendingRollbackError`)"
                )
            if outer.handlers:
                return None  # caught here, and the handler leaves the session alone
        if outer.finalbody and not _rolls_back(outer.finalbody, handle):
            again = next((c for s in outer.finalbody if (c := _commits_on(s, handle)) is not None), None)
            if again is not None:
                return (
                    f"the `finally` block commits `{handle}` again (line {again.lineno}) on the failed session: that "
                    f"commit raises `PendingRollbackError`, which replaces the original error and skips the rest of "
                    f"the `finally`"
                )
    return None
