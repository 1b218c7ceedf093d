"""Where a handler sits: the ``Site`` every swallow exemption is asked about, and the small facts about the
code around a ``try`` that the judgement and the exemptions share."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable

from sadpath.engine.boundary import Boundary
from sadpath.engine.catching import Caught
from sadpath.engine.context import ModuleContext
from sadpath.engine.outcome import Path
from sadpath.engine.walker import body_nodes


_BEST_EFFORT_DOC = re.compile(
    r"best[- ]effort|never (?:fails?|raises?|breaks?)|\boptional\b|\bcourtesy\b|non-?critical|nice[- ]to[- ]have|"
    r"stands without|(?:works|renders|runs|goes on) without|if (?:it|the \w+) is (?:down|unavailable|unreachable)",
    re.IGNORECASE,
)
# a parameter or a type the docstring calls optional (``filter_list (Optional[list[str]])``, ``x (str, optional)``,
# ``x : int, optional``, ``:param x: optional``) says nothing about the function's own failures
_OPTIONAL_PARAMETER = re.compile(r"\bOptional\s*\[|,\s*optional\b|\(optional\)|:\s*optional\b", re.IGNORECASE)


def best_effort_doc(doc: str) -> bool:
    """The docstring says the function is best effort (``Best-effort: returns the number removed``, ``an optional
    step``); an optional parameter or type in it does not count."""
    return bool(_BEST_EFFORT_DOC.search(_OPTIONAL_PARAMETER.sub(" ", doc)))


@dataclass(frozen=True)
class Site:
    """One handler with what the judgement needs to know about where it sits."""

    handler: ast.ExceptHandler
    ctx: ModuleContext
    caught: Caught
    func: ast.FunctionDef | ast.AsyncFunctionDef | None
    try_node: ast.Try | None
    boundary: Boundary | None
    path: Path  # the way out being judged
    verdict: str  # Path.verdict() of it, or "answers success" / "acknowledges" after a log with the traceback
    after: str | None = None  # "answers success" / "acknowledges": what the code after the handler then does
    paths: tuple[Path, ...] = ()  # every way out of the handler


def guarded_uses(names: set[str], try_node: ast.Try, ctx: ModuleContext) -> bool:
    """Every use of ``names`` after the ``try`` sits under a test of the name (``session.id if session else None``)."""
    func = ctx.enclosing_function()
    if func is None:
        return False
    end = try_node.end_lineno or try_node.lineno
    guarded: set[int] = set()
    for node in (n for stmt in func.body for n in ast.walk(stmt)):
        test = getattr(node, "test", None) if isinstance(node, (ast.If, ast.IfExp, ast.While)) else None
        if test is not None and getattr(node, "lineno", 0) > end and any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(test)):
            guarded |= {id(n) for n in ast.walk(node)}
    uses = [n for n in after_nodes(func, try_node, ctx) if isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load)]
    return bool(uses) and all(id(n) in guarded for n in uses)


Exemption = Callable[[Site], "bool | None"]


def leaves(stmt: ast.stmt) -> bool:
    """The ``try`` ends by leaving: ``continue``, or a ``return`` (also as the last branch of an ``if``)."""
    if isinstance(stmt, (ast.Continue, ast.Return)):
        return True
    return isinstance(stmt, ast.If) and bool(stmt.body) and leaves(stmt.body[-1]) and (not stmt.orelse or leaves(stmt.orelse[-1]))


def project_call(call: ast.Call, ctx: ModuleContext) -> bool:
    """A call of a function the project defines (its failures are the project's, not a local computation's)."""
    name = ctx.qualified_name(call.func) or ""
    return bool(name) and name.split(".")[0] == (ctx.semantic.module_name or "").split(".")[0] and name.split(".")[0] != ""


def after_nodes(func, try_node: ast.Try, ctx: ModuleContext):
    """The nodes that run after the ``try``: the rest of the function, and the next round of a loop around it."""
    end = try_node.end_lineno or try_node.lineno
    loop = ctx.enclosing(ast.For, ast.AsyncFor, ast.While)
    # closures defined later count: ``def on_complete(): if registry_store: ...``
    nodes = [n for stmt in func.body for n in ast.walk(stmt) if getattr(n, "lineno", 0) > end]
    if loop is not None:
        nodes += [n for n in body_nodes(loop.body) if getattr(n, "lineno", try_node.lineno) < try_node.lineno]
    return nodes
