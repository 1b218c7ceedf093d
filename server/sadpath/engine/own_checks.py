"""Handlers whose caught error is the function's own check, not a failure below it.

Two shapes, where ``from`` would only chain the function's own test:

- an ``assert`` used as control flow (``assert reply["type"] == "ok", reply.get("reason")`` in the ``try``, then
  ``except AssertionError as e: raise AuthError(f"... {e.args[0]}")``): the caught error is the function's own
  condition, its traceback points at that ``assert`` and its only content is the text the new message restates;
- an expected miss on a table the function owns (a dict display bound in the module or the function, looked up by
  one subscript in the ``try``) restated as a builtin error: the ``KeyError`` names only the key of a local table,
  and the new message says what the miss means.
"""

from __future__ import annotations

import ast
import builtins

from sadpath.engine.walker import NESTED_SCOPES, body_nodes


def _caught(handler: ast.ExceptHandler) -> set[str]:
    if handler.type is None:
        return set()
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {ast.unparse(t).rpartition(".")[2] for t in types}


def own_assertion(handler: ast.ExceptHandler, try_node: ast.Try | None) -> bool:
    """``except AssertionError`` whose ``try`` holds the function's own ``assert``: a condition it checks itself."""
    if try_node is None or _caught(handler) != {"AssertionError"}:
        return False
    return any(isinstance(node, ast.Assert) for node in body_nodes(try_node.body))


_LOOKUP_MISSES = frozenset({"KeyError", "LookupError"})


def local_table_miss(simple: str, handler: ast.ExceptHandler, try_node: ast.Try | None, func: ast.AST | None, module: ast.Module) -> bool:
    """``except KeyError: raise ValueError("cannot be mocked ...")`` after one lookup in a dict display the module or
    the function binds (``cast = TYPE_CAST[type(value)]``): the miss of a local table, restated as a builtin error.
    Other calls in the ``try`` are builtins or the looked-up value when the table holds only builtins and lambdas."""
    if try_node is None or not _caught(handler) or not _caught(handler) <= _LOOKUP_MISSES:
        return False
    if not isinstance(getattr(builtins, simple, None), type) or not issubclass(getattr(builtins, simple), Exception):
        return False
    if handler.name and any(isinstance(n, ast.Name) and n.id == handler.name for n in body_nodes(handler.body)):
        return False  # the handler reads the miss (``{e}``): another shape
    nodes = list(body_nodes(try_node.body))
    subscripts = [n for n in nodes if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load)]
    if len(subscripts) != 1 or not isinstance(subscripts[0].value, ast.Name):
        return False
    table = _dict_display(subscripts[0].value.id, func, module)
    if table is None:
        return False
    looked_up = {
        t.id for n in nodes if isinstance(n, ast.Assign) and n.value is subscripts[0] for t in n.targets if isinstance(t, ast.Name)
    }
    converters = {n.name for n in module.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and _no_lookup(n)}
    plain_values = all(
        isinstance(v, ast.Lambda) or (isinstance(v, ast.Name) and (hasattr(builtins, v.id) or v.id in converters)) for v in table.values
    )  # builtins, lambdas and the module's own converters that look nothing up (``datetime: _parse_datetime_utc``)
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and (hasattr(builtins, node.func.id) or (node.func.id in looked_up and plain_values)):
            continue
        return False  # other work in the ``try``: its ``KeyError`` may be a bug's, not the table's
    return True


def _no_lookup(func: ast.AST) -> bool:
    """A function of the module that subscripts nothing and raises no lookup miss: it cannot raise the ``KeyError``."""
    for node in body_nodes(func.body):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            return False
        if isinstance(node, ast.Raise) and node.exc is not None and any(
            isinstance(n, ast.Name) and n.id in _LOOKUP_MISSES for n in ast.walk(node.exc)
        ):
            return False
    return True


def _dict_display(name: str, func: ast.AST | None, module: ast.Module) -> ast.Dict | None:
    """The dict display ``name`` is bound to, once, in the function or the module body."""
    scopes = [list(body_nodes(func.body))] if func is not None else []
    scopes.append(module.body)
    for statements in scopes:
        found = []
        for stmt in statements:
            if isinstance(stmt, NESTED_SCOPES):
                continue
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                found.append(stmt.value)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
                found.append(stmt.value)
        if found:
            return found[0] if len(found) == 1 and isinstance(found[0], ast.Dict) else None
    return None
