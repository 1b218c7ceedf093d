"""A Django view (or a function a view answers with) whose handler falls through to the end of the function: the
view then returns ``None``, and Django answers the request with a 500 ("didn't return an HttpResponse object").
``fall_off_story`` words that consequence and the local fix: the nearest handler above in the same function that
tells the user (``messages.error(...)``) and answers a page (``return self.assign_view(data)``), else an error
response."""

from __future__ import annotations

import ast

from sadpath.engine import shapes
from sadpath.engine.context import ModuleContext
from sadpath.engine.swallow import route_answers
from sadpath.engine.walker import body_nodes


def fall_off_story(site, ctx: ModuleContext) -> tuple[str, str]:
    """The consequence and the advice for a handler that falls off a Django view."""
    where = f"`{site.func.name}()`"
    untraced = site.path.untraced_log
    text = "with only the error's text in the log" if untraced is not None and site.verdict.startswith("log:") else "and the real error is lost"
    consequence = (
        f"{where} falls off its end and returns `None`, and Django answers the request with a confusing 500"
        f' ("didn\'t return an HttpResponse object"), {text}'
    )
    sibling = _sibling_answer(site, ctx)
    advice = (
        f"Do what the handler above does: log it with the traceback (`logger.exception`), tell the user"
        f" (`messages.error(...)`) and `return {sibling}`."
        if sibling
        else "Log it with the traceback (`logger.exception`) and answer an error response, or re-raise it."
    )
    return consequence, advice


def falls_off_a_django_view(site, ctx: ModuleContext) -> bool:
    """In a Django module, the handler falls through to the end of a view (or of a function a view answers with)
    that answers a response on its other paths: the view returns ``None``, and Django answers 500."""
    func = site.func
    if func is None or site.path.end != "fall" or site.try_node is None or shapes.statements_after(site.try_node, ctx):
        return False
    if ctx.enclosing(ast.For, ast.AsyncFor, ast.While) is not None or not _imports_django(ctx):
        return False
    if not any(isinstance(n, ast.Return) and n.value is not None for n in body_nodes(func.body)):
        return False
    boundary = site.boundary
    return (boundary is not None and boundary.kind in ("route", "view")) or func.name in ctx.fact("view-answers", lambda: _view_answers(ctx))


def _view_answers(ctx: ModuleContext) -> set[str]:
    """The functions whose result a view answers with, also through one another (``post()`` returns
    ``self.process_csv()``, which returns ``self.process_csv_hint()``)."""
    found = set(route_answers(ctx))
    functions = {f.name: f for f in ast.walk(ctx.tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    todo = list(found)
    while todo:
        func = functions.get(todo.pop())
        if func is None:
            continue
        for node in body_nodes(func.body):
            value = node.value if isinstance(node, ast.Return) else None
            if isinstance(value, ast.Await):
                value = value.value
            if isinstance(value, ast.Call):
                callee = value.func
                name = callee.attr if isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name) and callee.value.id == "self" else getattr(callee, "id", None)
                if name and name not in found:
                    found.add(name)
                    todo.append(name)
    return found


def _imports_django(ctx: ModuleContext) -> bool:
    return any(
        (isinstance(s, ast.ImportFrom) and (s.module or "").split(".")[0] == "django")
        or (isinstance(s, ast.Import) and any(a.name.split(".")[0] == "django" for a in s.names))
        for s in ctx.tree.body
    )


def _sibling_answer(site, ctx: ModuleContext) -> str | None:
    """Another handler of the same function that tells the user (``messages.error(...)``) and answers a page
    (``return self.assign_view(data)``), the nearest one above: the local way to answer this failure."""
    found = None
    for node in body_nodes(site.func.body):
        if not isinstance(node, ast.ExceptHandler) or node is site.handler or not node.body:
            continue
        last = node.body[-1]
        tells = any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("error", "warning")
            and isinstance(n.func.value, ast.Name) and n.func.value.id == "messages"
            for n in ast.walk(node)
        )
        if tells and isinstance(last, ast.Return) and isinstance(last.value, ast.Call) and node.lineno < site.handler.lineno:
            if found is None or node.lineno > found[0]:
                found = (node.lineno, ast.unparse(last.value))
    return found[1] if found else None


__all__ = ["fall_off_story", "falls_off_a_django_view"]
