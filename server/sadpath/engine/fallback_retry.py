"""A fallback attempt in the handler that repeats the guarded call outside any ``try``.

``try: model = WhisperModel(**kwargs) except Exception: log.warning("not in the local cache, downloading");
kwargs["local_files_only"] = False; model = WhisperModel(**kwargs)``: the first attempt fails for the expected
reason (a cache miss), and the handler runs the same call again, unguarded. If the first failure had any other
cause (a bad device, a broken install), the second attempt fails the same way and its error propagates to the
callers with its traceback: the warning of the first attempt needs none of its own.
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_VALUE_CALLS = frozenset({"str", "int", "float", "len", "dict", "list", "tuple", "set", "repr", "bool", "print", "isinstance", "getattr", "type"})


def repeats_unguarded(handler: ast.ExceptHandler, try_node: ast.Try, ctx: ModuleContext, is_log) -> bool:
    """The ``try`` does one piece of work (one statement that calls anything but a log), and the handler's own
    statements (not inside a ``try`` of its own, nor a nested function) call its callee again, so the retry's
    failure travels on with its traceback. (A handler that reports the error through a callee the ``try`` also
    used, ``ws.send_json({"error": ...})`` after several steps, is no retry.)"""
    working = [s for s in try_node.body if any(not is_log(c) for c in _calls([s], skip_try=False))]
    if len(working) != 1:
        return False
    outer = _outermost(working[0])
    guarded = _callee(outer) if outer is not None and not is_log(outer) else ""
    if not guarded:
        return False
    return any(_callee(c) == guarded for c in _calls(handler.body, skip_try=True) if not is_log(c))


def _outermost(stmt: ast.stmt) -> ast.Call | None:
    """The call a statement makes: ``x = Model(**kw)``, ``await client.connect()``, ``return load(path)``."""
    value = getattr(stmt, "value", None)
    if isinstance(value, ast.Await):
        value = value.value
    return value if isinstance(value, ast.Call) else None


def _callee(call: ast.Call) -> str:
    """The callee as written (``WhisperModel``, ``self.client.connect``); "" for a builtin value call."""
    if isinstance(call.func, ast.Name) and call.func.id in _VALUE_CALLS:
        return ""
    if not isinstance(call.func, (ast.Name, ast.Attribute)):
        return ""
    return ast.unparse(call.func)


def _calls(statements: list[ast.stmt], *, skip_try: bool) -> list[ast.Call]:
    found: list[ast.Call] = []
    todo: list[ast.AST] = list(statements)
    while todo:
        node = todo.pop()
        if isinstance(node, _SCOPES) or (skip_try and isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try)))):
            continue  # (a retry in a ``try`` of its own is judged by that ``try``'s handlers)
        if isinstance(node, ast.Call):
            found.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return found
