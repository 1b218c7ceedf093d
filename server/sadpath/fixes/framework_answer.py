"""The web framework's own answer to a not-found, where a route or view can give it (the catalog's "Route or
view: translate to a domain error carrying the status"; the framework's 404 exception is that error, already
registered).

``not_found_answer(req, func)`` gives the expression to raise for a lookup that missed inside ``func``, and the
import it needs, when ``func`` is a view or route of a framework the module imports:

* Django and DRF views (a function whose first argument is ``request``, a method of a ``*View``/``*ViewSet``
  class): ``Http404(message)`` from ``django.http``, which both answer with a 404;
* FastAPI routes (``@router.get(...)`` and the like): ``HTTPException(status_code=404, detail=message)``;
* Flask routes (``@app.route(...)``, ``@bp.get(...)``): ``NotFound(message)`` from ``werkzeug.exceptions``.

Anything else (a service helper, a task, a script) gets ``None``: a domain error fits there, and the caller
decides the answer. A name the module already binds to something else is never shadowed.
"""

from __future__ import annotations

import ast

from sadpath.fixes.nodes import imports_root
from sadpath.fixes.request import FixRequest

ROUTE_DECORATORS = frozenset({"get", "post", "put", "patch", "delete", "route", "api_route", "head", "options"})
VIEW_BASE_SUFFIXES = ("View", "ViewSet", "APIView", "Mixin")


def not_found_answer(req: FixRequest, func: ast.AST | None) -> tuple[str, tuple[str, str]] | None:
    """(a format string with one ``{message}``, the (module, name) to import) or None."""
    tree = req.module_tree or req.tree
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    if _routed(func) and imports_root(tree, "fastapi"):
        return _unless_shadowed(tree, "HTTPException", "fastapi", "HTTPException(status_code=404, detail={message})")
    if _routed(func) and imports_root(tree, "flask"):
        return _unless_shadowed(tree, "NotFound", "werkzeug.exceptions", "NotFound({message})")
    if (imports_root(tree, "django") or imports_root(tree, "rest_framework")) and _django_view(tree, func):
        return _unless_shadowed(tree, "Http404", "django.http", "Http404({message})")
    return None


SERVER_ERROR_NAMES = ("HTTP_500_INTERNAL_SERVER_ERROR", "500")


def server_error_answer(req: FixRequest, func: ast.AST | None, error: str) -> tuple[str, tuple[str, str]] | None:
    """For a FastAPI (or Starlette) route: the raise that answers a failure with a 500 and a ``detail`` (one
    ``{message}`` in it), following the module's own ``raise HTTPException(status_code=...500..., detail=...)``
    when it has one (its status expression, and its detail helper called with the error and the message), and
    the import it needs; ``None`` elsewhere."""
    tree = req.module_tree or req.tree
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or not _routed(func):
        return None
    if not (imports_root(tree, "fastapi") or imports_root(tree, "starlette")):
        return None
    status, detail, seen = "500", "{message}", False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _base_name(node.func) != "HTTPException":
            continue
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        code = keywords.get("status_code") or (node.args[0] if node.args else None)
        if code is None or ast.unparse(code).rsplit(".", 1)[-1] not in SERVER_ERROR_NAMES:
            continue
        status = status if seen else ast.unparse(code)
        seen = True
        helper = keywords.get("detail") or (node.args[1] if len(node.args) > 1 else None)
        if isinstance(helper, ast.Call) and len(helper.args) == 2 and isinstance(helper.args[0], ast.Name):
            if isinstance(helper.args[1], ast.Constant) and isinstance(helper.args[1].value, str) and not helper.keywords:
                detail = f"{ast.unparse(helper.func)}({error}, {{message}})"
                break
    found = _unless_shadowed(tree, "HTTPException", "fastapi", f"HTTPException(status_code={status}, detail={detail})")
    if found is None:
        return None
    if not imports_root(tree, "fastapi"):
        return found[0], ("starlette.exceptions", "HTTPException")
    return found


def _routed(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in func.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(decorator, ast.Call) and isinstance(target, ast.Attribute) and target.attr in ROUTE_DECORATORS:
            return True
    return False


def _django_view(tree: ast.Module, func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = [a.arg for a in func.args.posonlyargs + func.args.args]
    if args[:1] == ["request"]:
        return True
    for cls in ast.walk(tree):
        if isinstance(cls, ast.ClassDef) and any(item is func for item in cls.body):
            return args[:1] == ["self"] and any(_base_name(b).endswith(VIEW_BASE_SUFFIXES) for b in cls.bases)
    return False


def _base_name(expr: ast.expr) -> str:
    return expr.attr if isinstance(expr, ast.Attribute) else expr.id if isinstance(expr, ast.Name) else ""


def _unless_shadowed(tree: ast.Module, name: str, module: str, template: str) -> tuple[str, tuple[str, str]] | None:
    """The answer, unless the module binds ``name`` to something other than ``module``'s."""
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if (alias.asname or alias.name) == name:
                    return (template, (module, name)) if alias.name == name and _same_home(stmt.module, module) else None
        elif isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            return None
        elif isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            return None
    return template, (module, name)


def _same_home(imported_from: str | None, module: str) -> bool:
    """``from django.http import Http404`` and ``from django.http.response import Http404`` are the same class;
    so are FastAPI's and Starlette's re-exports as far as a raise is concerned."""
    home = imported_from or ""
    return home == module or home.startswith(module + ".") or (module == "fastapi" and home.startswith(("fastapi", "starlette")))
