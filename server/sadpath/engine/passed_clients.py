"""Clients a function is handed whose real type only an annotation names, and that come from code sadpath cannot see.

``def _do_post(session: Session, url, body)`` types ``session`` as ``requests.Session``, but when each of its calls in
the module passes ``session = adapter._get_session()``, an object another library builds (shillelagh's
``GSheetsAPI._get_session()`` returns google-auth's ``AuthorizedSession``, a ``Session`` subclass whose requests
default to a 120 s timeout), the annotation does not say what the object is or how it was configured.
``from_unseen_factory(func, param, ctx, index)`` is true when every call of ``func`` in the module passes, for
``param``, a name bound only from such a call: a function of a library that the interface table does not know as a
client or factory, or a method of an object such a function returned. A ``requests.Session()`` built in the project,
a parameter typed again, or a function without calls here keeps the annotation's word.
"""

from __future__ import annotations

import ast

from sadpath.engine.call_index import calls_named
from sadpath.engine.project_calls import project_base

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def from_unseen_factory(func: ast.AST, param: str, ctx, index) -> bool:
    """Whether every call of ``func`` in the module hands it, as ``param``, an object of a type sadpath cannot see."""
    args = func.args
    names = [a.arg for a in [*args.posonlyargs, *args.args]]
    if param not in names:
        return False
    position = names.index(param)
    cls = ctx.enclosing_class()
    static = any(ast.unparse(d).endswith("staticmethod") for d in func.decorator_list)
    bound = 1 if cls is not None and func in cls.body and not static else 0
    passed = []
    for call, parents in calls_named(ctx, func.name):
        caller = next((p for p in reversed(parents) if isinstance(p, FUNCTIONS)), None)
        if caller is None:
            continue  # a call at the module's top level hands it nothing to judge
        offset = bound if isinstance(call.func, ast.Attribute) else 0
        value = next((k.value for k in call.keywords if k.arg == param), None)
        if value is None and len(call.args) > position - offset >= 0:
            value = call.args[position - offset]
        if value is None or any(isinstance(a, ast.Starred) for a in call.args):
            return False
        passed.append((caller, value))
    return bool(passed) and all(_unseen(caller, value, ctx, index) for caller, value in passed)


def _unseen(caller: ast.AST, value: ast.AST, ctx, index) -> bool:
    if not isinstance(value, ast.Name):
        return False
    bindings = [
        node.value for node in ast.walk(caller)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None
        and any(isinstance(t, ast.Name) and t.id == value.id for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))
    ]
    if any(isinstance(a, ast.arg) and a.arg == value.id for a in ast.walk(caller.args)):
        return False  # a parameter of the caller: its own annotation (or nothing) says what it is
    return bool(bindings) and all(isinstance(b, ast.Call) and _third_party_call(b, caller, ctx, index) for b in bindings)


def _third_party_call(call: ast.Call, caller: ast.AST, ctx, index) -> bool:
    """A call of a library function the interface table does not know as a client or factory, or of a method of an
    object such a call returned."""
    scopes = [ctx.tree, caller]
    qualified = ctx.semantic.qualified_name(call.func, scopes)
    if qualified is None and isinstance(call.func, ast.Attribute):
        qualified = ctx.semantic.type_of(call.func.value, scopes)  # `adapter._get_session()`: what built `adapter`
    if not qualified or "." not in qualified:
        return False
    if index.client_type(qualified) in index.clients or qualified in index.clients or qualified in index.factories:
        return False
    if qualified in index.functions:
        return False
    head = qualified.split(".", 1)[0]
    if head == ctx.semantic.module_name or _project_module(qualified, ctx):
        return False  # the project's own code: its analysis may see what it builds
    return True


def _project_module(qualified: str, ctx) -> bool:
    """The name is the project's: its head is a project package, or a project module that can hold the rest
    (``shillelagh.backends.apsw...`` is no name of a project's single-file ``shillelagh.py`` beside the file)."""
    parts = qualified.split(".")
    base = project_base(parts[0], ctx)
    if base is None:
        return False
    return (base / parts[0]).is_dir() or len(parts) <= 3
