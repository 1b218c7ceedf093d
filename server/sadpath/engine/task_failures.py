"""Which await of a dropped task's coroutine can really fail, and whether that failure is a deliberate refusal (SAD207).

``task_steps.undone_steps`` names the coroutine's first unguarded await. Two kinds of await there cost the
coroutine none of its later steps, so they are masked and ``undone_steps`` is asked again:

- a call into a project function that cannot raise: its body is a ``try`` whose catch-all handler (``except
  Exception``, bare, ``BaseException``) returns a sentinel (``return None``) and never re-raises
  (``Chats.get_chat_by_id(id)`` on a module-level ``Chats = ChatTable()``, a module function, or a method that
  only one class the module knows defines: ``store.get_timer(id)`` on a parameter of unknown type);
- an await in a branch that ends the coroutine (``if not parent: await mark_failed(id); return``): on that path the
  steps after the branch do not run anyway.

A refusal (``refusal``): the failing call reaches a project function that raises on purpose under a condition
(``if spawner.active: raise RuntimeError("... cannot be deleted")``), and the steps it stops delete or commit. They
are skipped by design: the advice is to log the failure with context in a done-callback, never to let them run.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from pathlib import Path

from sadpath.engine.context import ModuleContext
from sadpath.engine.project_calls import ProjectCalls, module_context, project_base
from sadpath.engine.task_steps import UndoneSteps, undone_steps
from sadpath.engine.walker import body_nodes

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_CATCH_ALL = frozenset({"Exception", "BaseException"})
# steps a refused call protects: a row deleted, a transaction committed, a file removed
_DESTRUCTIVE = frozenset({"delete", "delete_many", "delete_one", "commit", "unlink", "rmtree", "drop", "destroy", "purge"})


@dataclass(frozen=True)
class Refusal:
    """A deliberate raise in the callee the failing step reaches, and where it stands."""

    callee: str
    error: str
    line: int
    path: str


def real_undone(func: ast.AsyncFunctionDef, ctx: ModuleContext, project: ProjectCalls) -> UndoneSteps | None:
    """``undone_steps`` with the awaits that cannot cost the coroutine its later steps masked."""
    masked = _masked_positions(func, ctx, project)
    if not masked:
        return undone_steps(func, ctx)
    return undone_steps(_Mask(masked).visit(copy.deepcopy(func)), ctx)


def refusal(func: ast.AsyncFunctionDef, ctx: ModuleContext, project: ProjectCalls, undone: UndoneSteps) -> Refusal | None:
    """The failing step of ``undone`` reaches a project function that refuses by raising under a condition, and
    the steps it skips delete or commit."""
    rest = [n for n in body_nodes(func.body) if undone.first_line <= getattr(n, "lineno", 0) <= undone.last_line]
    if not any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _DESTRUCTIVE for n in rest):
        return None
    failing = _failing_call(func, undone)
    if failing is None:
        return None
    for call in [failing, *(a for a in failing.args if isinstance(a, ast.Call))]:  # ``maybe_future(user.delete(s))``
        target = _callee(call, ctx, project, by_name=True)
        if target is None:
            continue
        guard = _guard_raise(target[1])
        if guard is not None:
            return Refusal(ast.unparse(call.func), guard[0], guard[1], Path(target[0].source.path).name)
    return None


def _masked_positions(func: ast.AsyncFunctionDef, ctx: ModuleContext, project: ProjectCalls) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for node in body_nodes(func.body):
        if isinstance(node, ast.If) and node.body and isinstance(node.body[-1], ast.Return):
            found |= {(n.lineno, n.col_offset) for n in body_nodes(node.body) if isinstance(n, ast.Await)}
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
            target = _callee(node.value, ctx, project, by_name=True)
            if target is not None and _cannot_raise(target[1]):
                found.add((node.lineno, node.col_offset))
    return found


class _Mask(ast.NodeTransformer):
    """Replaces each masked ``await`` by ``None``: ``undone_steps`` then looks past it."""

    def __init__(self, positions: set[tuple[int, int]]) -> None:
        self.positions = positions

    def visit_Await(self, node: ast.Await) -> ast.AST:
        if (node.lineno, node.col_offset) in self.positions:
            return ast.copy_location(ast.Constant(value=None), node)
        return self.generic_visit(node)


def _cannot_raise(func: ast.AST) -> bool:
    """The body (after a docstring) is one ``try`` with a catch-all handler that returns and nothing re-raises."""
    body = [s for s in func.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Try) or body[0].orelse or body[0].finalbody:
        return False
    handlers = body[0].handlers
    if any(isinstance(n, ast.Raise) for h in handlers for n in ast.walk(h)):
        return False
    return any(
        (h.type is None or ast.unparse(h.type) in _CATCH_ALL) and h.body and isinstance(h.body[-1], ast.Return)
        for h in handlers
    )  # fmt: skip


def _guard_raise(func: ast.AST) -> tuple[str, int] | None:
    """``if <condition>: raise SomeError(...)`` in the function's own body, outside any ``try``: a refusal."""
    for node in body_nodes(func.body, skip=(ast.Try,)):
        if isinstance(node, ast.If) and node.body and isinstance(node.body[-1], ast.Raise) and node.body[-1].exc is not None:
            exc = node.body[-1].exc
            return ast.unparse(exc.func if isinstance(exc, ast.Call) else exc), node.body[-1].lineno
    return None


def _failing_call(func: ast.AsyncFunctionDef, undone: UndoneSteps) -> ast.Call | None:
    """The awaited call ``undone`` names, above the steps it skips."""
    for node in body_nodes(func.body):
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call) and node.lineno < undone.first_line:
            text = ast.unparse(node.value)
            shown = text if len(text) <= 60 else ast.unparse(node.value.func) + "(...)"
            if f"`{shown}`" == undone.failing:
                return node.value
    return None


def _callee(call: ast.Call, ctx: ModuleContext, project: ProjectCalls, by_name: bool = False) -> tuple[ModuleContext, ast.AST] | None:
    """The project function a call reaches: what ``ProjectCalls`` resolves, else a method of a module-level instance
    (``Chats = ChatTable()``), else (``by_name``) of the one class the module knows (its own or imported) that
    defines a method of that name (``user._delete_spawner(spawner)`` on a ``user`` of unknown type)."""
    found = project.resolve(call, ctx)
    if found is not None or not isinstance(call.func, ast.Attribute):
        return found
    method = call.func.attr
    receiver = call.func.value
    if isinstance(receiver, ast.Name):
        instance = _instance_class(receiver, ctx)
        if instance is not None:
            return _method(instance, method)
    if not by_name or (isinstance(receiver, ast.Name) and receiver.id == "self"):
        return None
    known = ctx.fact("task_failures.known_classes", lambda: _known_classes(ctx))
    owners = [found for found in (_method(c, method) for c in known) if found is not None]
    return owners[0] if len(owners) == 1 else None


def _method(owner: tuple[ModuleContext, ast.ClassDef], name: str) -> tuple[ModuleContext, ast.AST] | None:
    for stmt in owner[1].body:
        if isinstance(stmt, _FUNCTIONS) and stmt.name == name:
            return owner[0], stmt
    return None


def _instance_class(name: ast.Name, ctx: ModuleContext) -> tuple[ModuleContext, ast.ClassDef] | None:
    """``Chats`` bound at a module's top level to ``ChatTable()``, in this module or the one it is imported from."""
    module_ctx, local = ctx, name.id
    qualified = ctx.qualified_name(name) or ""
    if qualified and qualified != name.id and "." in qualified:
        module_name, local = qualified.rsplit(".", 1)
        module_ctx = _module(module_name, ctx)
        if module_ctx is None:
            return None
    for stmt in module_ctx.tree.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name):
            if any(isinstance(t, ast.Name) and t.id == local for t in stmt.targets):
                return _class(module_ctx, stmt.value.func.id)
    return None


def _class(module_ctx: ModuleContext, name: str) -> tuple[ModuleContext, ast.ClassDef] | None:
    for stmt in module_ctx.tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == name:
            return module_ctx, stmt
    return None


def _known_classes(ctx: ModuleContext) -> list[tuple[ModuleContext, ast.ClassDef]]:
    """The module's own classes and the project classes it imports by name."""
    found = [(ctx, s) for s in ctx.tree.body if isinstance(s, ast.ClassDef)]
    for stmt in ctx.tree.body:
        if not isinstance(stmt, ast.ImportFrom):
            continue
        for alias in stmt.names:
            qualified = ctx.semantic.qualified_name(ast.Name(id=alias.asname or alias.name, ctx=ast.Load()), [ctx.tree]) or ""
            if "." not in qualified:
                continue
            module_ctx = _module(qualified.rsplit(".", 1)[0], ctx)
            owner = _class(module_ctx, alias.name) if module_ctx is not None else None
            if owner is not None:
                found.append(owner)
    return found


def _module(dotted: str, ctx: ModuleContext) -> ModuleContext | None:
    """The project module ``dotted`` names: under ``project_base``, else under a folder above this file (a
    namespace package has no ``__init__.py`` to climb through)."""
    parts = dotted.split(".")
    base = project_base(parts[0], ctx)
    folders = [base] if base is not None else list(Path(ctx.source.path).resolve().parents)[:8]
    for folder in folders:
        for candidate in (folder.joinpath(*parts[:-1], f"{parts[-1]}.py"), folder.joinpath(*parts, "__init__.py")):
            if candidate.is_file():
                return module_context(candidate, ctx)
    return None

