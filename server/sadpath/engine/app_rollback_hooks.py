"""An application-level rollback hook: a handler the app installs once that rolls failed sessions back (SAD206).

Frameworks give an application one place where every request (or task) ends, and projects put their rollback
there: tornado's ``RequestHandler.prepare``/``finish``/``write_error``/``on_finish`` of a project base handler doing
``self.db.rollback()``, Flask's ``@app.teardown_request``/``@app.teardown_appcontext``/``@app.errorhandler``
(``db_session.remove()``), a Starlette/FastAPI ``@app.middleware("http")`` or ``exception_handler``, a middleware's
``dispatch``/``process_exception``, a SQLAlchemy ``@event.listens_for`` handler, a Celery ``task_failure.connect``
handler. When the project has such a hook for the handle a helper commits (the same name: ``self.db``, ``db``,
``db_session``), a failed commit that simply leaves the helper reaches the hook, which rolls the session back
before anything else uses it: the helper needs no rollback of its own. ``boundary_hook(path, handle)`` names the
hook (``BaseHandler.write_error``), or None; ``plain_commits(func)`` tells whether every commit leaves the function
on failure (no ``try`` around it whose handler or ``finally`` goes on working). ``app_hook_covers(func, path)``
combines them for a helper; ``untraceable(caller)`` names the callers a search for calls cannot follow further (a
constructor, a property, another dunder method: the object's users reach them without calling them by name). Files
are parsed on their own (never imported or run)."""

from __future__ import annotations

import ast
from sadpath.engine.project_files import modules_calling
from sadpath.engine.walker import body_nodes

# methods a web framework calls at the end (or on the failure) of every request on a handler or middleware class
BOUNDARY_METHODS = frozenset(
    {"prepare", "finish", "on_finish", "write_error", "send_error", "log_exception", "on_connection_close",
     "dispatch", "process_exception", "process_response", "handle_exception", "teardown_request"}
)
# decorators (or registration calls) that install a function as such a hook: Flask, Starlette/FastAPI, SQLAlchemy
# events, Celery signals
BOUNDARY_DECORATORS = frozenset(
    {"teardown_request", "teardown_appcontext", "app_teardown_request", "after_request", "errorhandler",
     "app_errorhandler", "register_error_handler", "exception_handler", "middleware", "listens_for", "connect"}
)
_CLEANUPS = frozenset({"rollback", "remove", "close"})  # Flask-SQLAlchemy's `remove()` and `close()` roll back
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _spelled(expr: ast.AST) -> str:
    """The handle as the application names it: ``self.db`` and ``db`` are one name, ``db.session`` another."""
    text = ast.unparse(expr)
    for prefix in ("self.", "cls."):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def _cleaned(func: ast.AST, words: frozenset[str]) -> set[str]:
    return {
        _spelled(n.func.value) for n in ast.walk(func)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in words and not n.args
    }


def _decorator_name(deco: ast.AST) -> str:
    expr = deco.func if isinstance(deco, ast.Call) else deco
    return expr.attr if isinstance(expr, ast.Attribute) else expr.id if isinstance(expr, ast.Name) else ""


def _registered(tree: ast.Module) -> set[str]:
    """Functions installed by a call: ``app.teardown_appcontext(shutdown_session)``."""
    return {
        arg.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
        and n.func.attr in BOUNDARY_DECORATORS for arg in n.args if isinstance(arg, ast.Name)
    }


def _hooks(tree: ast.Module):
    """(name, function, rolls back only) of each hook the module installs."""
    registered = _registered(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.bases:
            for method in node.body:
                if isinstance(method, _FUNCTIONS) and method.name in BOUNDARY_METHODS:
                    yield f"{node.name}.{method.name}", method, True
        elif isinstance(node, _FUNCTIONS):
            decorators = [_decorator_name(d) for d in node.decorator_list]
            if node.name in registered or any(d in BOUNDARY_DECORATORS for d in decorators):
                yield f"{node.name}()", node, False


def boundary_hook(path: str, handle: str) -> str | None:
    """The application-level hook of the package of ``path`` that rolls ``handle`` back (or, for a function the
    framework installs, removes or closes it) without committing it, or None."""
    want = _spelled(ast.parse(handle, mode="eval").body) if handle else ""
    if not want:
        return None
    for words in ("rollback", "remove", "close"):
        for candidate, tree in modules_calling(words, path):
            if tree is None:
                return None
            for name, func, method in _hooks(tree):
                cleaned = _cleaned(func, frozenset({"rollback"}) if method else _CLEANUPS)
                if want in cleaned and want not in _cleaned(func, frozenset({"commit"})):
                    return name
    return None


def commit_handles(func: ast.AST) -> set[str]:
    """The handles ``func`` commits (``self.db``), not counting nested functions."""
    return {
        ast.unparse(n.func.value) for n in body_nodes(func.body, scopes=True)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "commit" and not n.args
    }


def plain_commits(func: ast.AST) -> bool:
    """No commit of ``func`` sits in the body of a ``try`` that has an ``except`` or a ``finally``: a failed commit
    leaves the function at once, and nothing in it goes on with the failed session."""
    for node in body_nodes(func.body, scopes=True):
        if isinstance(node, ast.Try) and (node.handlers or node.finalbody):
            if commit_handles(ast.Module(body=node.body, type_ignores=[])):
                return False
    return True


def app_hook_covers(func: ast.AST, path: str) -> bool:
    """Every commit of ``func`` leaves it on failure, and the application has a hook rolling back each handle
    ``func`` commits (a local alias, ``db = self.db``, spelled as its attribute)."""
    if not plain_commits(func):
        return False
    aliases = {
        t.id: ast.unparse(n.value) for n in body_nodes(func.body, scopes=True) if isinstance(n, ast.Assign)
        and isinstance(n.value, ast.Attribute) for t in n.targets if isinstance(t, ast.Name)
    }
    handles = {aliases.get(h, h) for h in commit_handles(func)}
    return bool(handles) and all(boundary_hook(path, h) is not None for h in handles)


_PROPERTIES = ("property", "cached_property", "setter", "getter")


def untraceable(caller: ast.AST) -> bool:
    """A constructor, a property (or its setter) or another dunder method: called by Python, not by its name."""
    name = getattr(caller, "name", "")
    if name.startswith("__") and name.endswith("__"):
        return True
    return any(_decorator_name(d) in _PROPERTIES for d in getattr(caller, "decorator_list", []))
