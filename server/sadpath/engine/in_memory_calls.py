"""Calls that only change an object in memory, found where ``engine.total_calls`` cannot resolve the callee:

- a method of a project class reached through attributes nobody can type (``request.app.state.clients
  .remove_client(key)``), when every method of that name defined in the project has a total body
  (``engine.callee_traps.total_body``: ``in``-guarded dict removals, ``pop`` with a default, log lines);
- ``attach()`` on an e-mail message being built (``email.attach(name, content, mimetype)``): it appends a part to
  a list in memory; nothing is sent until ``send()``.

A call that reaches a remote service (``engine.external``) is never one of them."""

from __future__ import annotations

import ast
import copy as copy_module
import re

from sadpath.engine.callee_traps import total_body
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.namespace_callers import project_probe
from sadpath.engine.project_files import project_modules_calling

_MESSAGE = re.compile(r"(^|_)(e?mail|msg|message|mime)(_|$)", re.IGNORECASE)
_MAX_DEFINITIONS = 5


def in_memory_call(call: ast.Call, ctx: ModuleContext) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute) or external_call(call, ctx) is not None:
        return False
    receiver = func.value
    last = receiver.attr if isinstance(receiver, ast.Attribute) else receiver.id if isinstance(receiver, ast.Name) else ""
    if func.attr == "attach" and _MESSAGE.search(last or "-"):
        return True
    if not isinstance(receiver, ast.Attribute) or func.attr.startswith("__"):
        return False  # ``self.x()``/``obj.x()`` are resolved by ``total_calls``; a chain of attributes is not
    key = ("project-method-total", func.attr)
    if key not in ctx.memo:
        ctx.memo[key] = _every_definition_total(func.attr, ctx)
    return ctx.memo[key]


def _every_definition_total(name: str, ctx: ModuleContext) -> bool:
    """Every method called ``name`` defined in a class of the project has a total body (at least one is found)."""
    if not ctx.source.path or not ctx.source.path.endswith(".py"):
        return False
    try:
        probe = project_probe(ctx.source.path)
    except (OSError, ValueError):
        return False
    found = 0
    for _path, tree in project_modules_calling(name, probe):  # ``def name(`` matches the call filter too
        if tree is None:
            return False
        for klass in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for method in klass.body:
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and method.name == name:
                    found += 1
                    if found > _MAX_DEFINITIONS or not total_body(_own_pops_as_dicts(method)):
                        return False
    return found > 0


def _own_pops_as_dicts(method: ast.AST) -> ast.AST:
    """A copy of ``method`` where ``self.<attrs>.pop(key, default)`` reads as a dict's: a pop with a default on the
    object's own state cannot raise, whatever the attribute is called (``self.oauth._clients.pop(id, None)``)."""
    copy = copy_module.deepcopy(method)
    for node in ast.walk(copy):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "pop" and len(node.args) == 2:
            root = node.func.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id == "self" and isinstance(node.func.value, ast.Attribute):
                node.func.value = ast.Name(id="state", ctx=ast.Load())
    return copy
