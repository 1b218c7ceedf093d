"""The answer a route gives for the domain errors its fix raises (the catalog's "Route or view: translate to a
domain error carrying the status, plus a registered handler when the app has none").

``register_answer(req, func, domain, errors, additions)`` registers one handler for ``domain`` on the object the
route ``func`` is declared on, when that object is bound in the module and nothing in the module registers a
handler for ``domain``, one of its bases or ``Exception`` already:

* a Flask app: ``@app.errorhandler(PaystreamError)`` answering ``{"error": str(exc)}`` with ``exc.status``;
* a Flask blueprint: the same with ``@bp.app_errorhandler(...)``, which answers for the whole app;
* a FastAPI app: ``@app.exception_handler(...)`` answering a ``JSONResponse`` ``{"detail": ...}`` (FastAPI's own
  error body) with that status.

A handled error is no longer logged by the framework, so the handler logs it with its traceback and cause
through the module's logger, when it has one.

An ``APIRouter`` has no handlers of its own (the app that includes it does, elsewhere), and neither do the
objects the module imports: nothing is registered for them, and the title says the answer is still a 500.
Returns what it did, for the fix's title, or None.
"""

from __future__ import annotations

import ast
import re

from sadpath.fixes.additions import ModuleAdditions, module_binds
from sadpath.fixes.domain_errors import DomainErrors
from sadpath.fixes.nodes import imports_root, module_logger
from sadpath.fixes.request import FixRequest

ROUTE_DECORATORS = frozenset({"get", "post", "put", "patch", "delete", "route", "api_route", "head", "options"})
REGISTRARS = frozenset({"errorhandler", "app_errorhandler", "register_error_handler", "exception_handler", "add_exception_handler"})
FACTORIES = {"Flask": "flask", "Blueprint": "blueprint", "FastAPI": "fastapi"}


def register_answer(req: FixRequest, func: ast.AST | None, domain: str, errors: DomainErrors, additions: ModuleAdditions) -> str | None:
    tree = req.module_tree or req.tree
    owner = _route_owner(func)
    if owner is None:
        return None
    binding = _binding(tree, owner)
    if binding is None:
        return None
    line, kind = binding
    if kind in ("flask", "blueprint") and not imports_root(tree, "flask"):
        return None
    if kind == "fastapi" and not imports_root(tree, "fastapi"):
        return None
    if _registered(tree, {*errors.lineage(domain), "Exception", "BaseException"}):
        return None
    name = "handle_" + re.sub(r"(?<!^)(?=[A-Z])", "_", domain).lower()
    if module_binds(tree, name):
        return None
    attribute = errors.status_attribute(domain)
    known = errors.known.get(domain)
    has_status = known is not None and (known.defined_here or known.status_attribute is not None)
    status = f"exc.{attribute}" if has_status else f'getattr(exc, "{attribute}", 502)'
    logger = module_logger(tree)
    # the handler answers for the failure, so it also keeps its record: the traceback and the chained cause
    logged = f'    {logger}.error("%s", exc, exc_info=exc)\n' if logger else ""
    if kind == "fastapi":
        additions.add_import("fastapi.responses", "JSONResponse")
        source = (
            f"@{owner}.exception_handler({domain})\n"
            f"async def {name}(request, exc):\n"
            f"{logged}"
            f'    return JSONResponse({{"detail": str(exc)}}, status_code={status})\n'  # FastAPI's error body
        )
    else:
        registrar = "errorhandler" if kind == "flask" else "app_errorhandler"
        source = (
            f"@{owner}.{registrar}({domain})\n"
            f"def {name}(exc):\n"
            f"{logged}"
            f'    return {{"error": str(exc)}}, {status}\n'
        )
    additions.register_after(line, source)
    return f"`@{owner}.{'exception_handler' if kind == 'fastapi' else registrar}({domain})` answers it"


def _route_owner(func: ast.AST | None) -> str | None:
    """``app`` of ``@app.get("/x")``: the module-level object the route is declared on."""
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    for decorator in func.decorator_list:
        if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute) and decorator.func.attr in ROUTE_DECORATORS:
            if isinstance(decorator.func.value, ast.Name):
                return decorator.func.value.id
    return None


def _binding(tree: ast.Module, owner: str) -> tuple[int, str] | None:
    """(the last line of the statement binding ``owner`` at module level, the kind of object) or None."""
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Call):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == owner for t in targets):
                callee = stmt.value.func
                called = callee.attr if isinstance(callee, ast.Attribute) else callee.id if isinstance(callee, ast.Name) else ""
                kind = FACTORIES.get(called)
                return ((stmt.end_lineno or stmt.lineno), kind) if kind else None
    return None


def _registered(tree: ast.Module, names: set[str]) -> bool:
    """A handler for one of ``names`` is registered in the module, as a decorator or a call."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in REGISTRARS:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Name) and first.id in names:
                return True
            if isinstance(first, ast.Attribute) and first.attr in names:
                return True
        if isinstance(node, ast.Dict):  # Starlette(exception_handlers={PaystreamError: ...})
            if any(isinstance(k, ast.Name) and k.id in names for k in node.keys):
                return True
    return False
