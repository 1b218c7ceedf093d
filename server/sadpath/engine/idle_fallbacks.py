"""Fallbacks with nothing to diagnose (SAD104).

- ``placeholder_field``: the ``try`` computes one value (``version = get_version()``), the handler only puts a
  constant placeholder in its place (``version = "none"``) and logs, and the value is then only written as a field
  of a record (a dict display's value, a keyword of ``dict(...)``): a cosmetic entry of side metadata, the rest of
  the work goes on unchanged, and the cause of a missing label is worth nobody's time.
- ``decode_fallback``: the ``try`` only decodes one response (``await r.json()``, ``json.loads(r.text)``) and the
  handler reads the same response's raw body instead (``await r.text()``, ``r.content``): a parse-then-fallback
  whose raw body is passed on; aiohttp's ``ContentTypeError`` already names the status, mimetype and URL.
"""

from __future__ import annotations

import ast

_RAW_READS = frozenset({"text", "content", "read", "body", "aread", "data"})


def placeholder_field(handler: ast.ExceptHandler, try_node: ast.Try, func: ast.AST | None, is_log) -> bool:
    """See the module docstring."""
    if func is None or len(try_node.body) != 1 or try_node.orelse:
        return False
    stmt = try_node.body[0]
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        return False
    if not isinstance(_unawait(stmt.value), ast.Call):
        return False
    name = stmt.targets[0].id
    placeholders = 0
    for s in handler.body:
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and is_log(s.value):
            continue
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) and s.targets[0].id == name:
            if isinstance(s.value, ast.Constant) and (s.value.value is None or isinstance(s.value.value, str)):
                placeholders += 1
                continue
        return False
    if placeholders != 1:
        return False
    parents = {id(c): p for p in ast.walk(func) for c in ast.iter_child_nodes(p)}
    uses = [n for n in ast.walk(func) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) and n.lineno > (handler.end_lineno or 0)]
    return bool(uses) and all(_a_field(n, parents) for n in uses)


def _a_field(node: ast.Name, parents: dict) -> bool:
    parent = parents.get(id(node))
    if isinstance(parent, ast.Dict):
        return any(v is node for v in parent.values)
    if isinstance(parent, ast.keyword):
        call = parents.get(id(parent))
        return isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "dict"
    return False


def decode_fallback(handler: ast.ExceptHandler, try_node: ast.Try) -> bool:
    """See the module docstring."""
    if len(try_node.body) != 1 or not isinstance(try_node.body[0], (ast.Assign, ast.AnnAssign)):
        return False
    value = _unawait(try_node.body[0].value)
    response = _decoded(value)
    if response is None:
        return False
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            raw = _unawait(node.value)
            raw = raw.func if isinstance(raw, ast.Call) and not raw.args else raw
            if isinstance(raw, ast.Attribute) and raw.attr in _RAW_READS and isinstance(raw.value, ast.Name) and raw.value.id == response:
                return True
    return False


def _decoded(value: ast.expr) -> str | None:
    """The response a decode reads: ``r`` of ``r.json()``, of ``json.loads(r.text)``."""
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr == "json" and isinstance(func.value, ast.Name):
        return func.value.id
    if isinstance(func, ast.Attribute) and func.attr == "loads" and value.args:
        arg = _unawait(value.args[0])
        arg = arg.func if isinstance(arg, ast.Call) and not arg.args else arg
        if isinstance(arg, ast.Attribute) and arg.attr in _RAW_READS and isinstance(arg.value, ast.Name):
            return arg.value.id
    return None


def _unawait(expr):
    return expr.value if isinstance(expr, ast.Await) else expr
