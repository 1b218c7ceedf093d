"""A cache read with a rebuild fallback (SAD104): the record of its failure needs no traceback.

``data = await redis.get(key)``, ``value = json.loads(data)`` (and perhaps a config read to check it) inside a
``try``; the handler logs the error's text and carries on; after the ``try``, ``if value is None: value = await
rebuild(...)`` recomputes the value from its source, outside this ``try``. The cache's own errors say their step
(a connection error names the host, a decode error says "Expecting value"), and a failure of the source fails again
in the rebuild, where it is logged or raised with its own traceback. The catalog's look-alike "a descriptive
message around an external call whose text carries the cause": quiet.
"""

from __future__ import annotations

import ast

_DECODES = frozenset({"loads", "model_validate_json", "parse_raw", "decode", "unpackb", "load"})


def rebuilds_after(handler: ast.ExceptHandler, try_node: ast.Try, function: ast.AST | None) -> bool:
    """The ``try`` reads a cached value (a ``get`` whose answer is decoded) into a name, the handler neither
    returns nor raises nor sets that name, and the statement after the ``try`` rebuilds the name when it is
    still empty (``if value is None: value = rebuild(...)``)."""
    if function is None or any(isinstance(n, (ast.Return, ast.Raise)) for n in ast.walk(handler)):
        return False
    filled = _decoded_cache_reads(try_node)
    if not filled or any(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id in filled for n in ast.walk(handler)):
        return False
    after = _next_statement(try_node, function)
    return isinstance(after, ast.If) and _empty_test(after.test, filled) and any(
        isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id in _empty_names(after.test) for t in s.targets)
        and isinstance(_unawaited(s.value), ast.Call)
        for s in after.body
    )  # fmt: skip


def _decoded_cache_reads(try_node: ast.Try) -> set[str]:
    """The names the ``try`` binds to a decode of what a ``get`` answered."""
    nodes = [n for s in try_node.body for n in ast.walk(s)]
    read = {
        n.targets[0].id for n in nodes
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) and _get_call(_unawaited(n.value))
    }  # fmt: skip
    return {
        n.targets[0].id for n in nodes
        if read and isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
        and _decode_of(_unawaited(n.value), read)
    }  # fmt: skip


def _get_call(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in ("get", "hget", "aget") and bool(expr.args)


def _decode_of(expr: ast.AST, read: set[str]) -> bool:
    return (
        isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in _DECODES
        and any(isinstance(a, ast.Name) and a.id in read for a in expr.args)
    )  # fmt: skip


def _next_statement(target: ast.stmt, function: ast.AST) -> ast.stmt | None:
    """The statement run after ``target``: the next one of its block, else the one after the ``if``/``with``
    whose block it ends (``if redis is not None: try: ...``, then the rebuild)."""
    for node in ast.walk(function):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and target in block:
                index = block.index(target)
                if index + 1 < len(block):
                    return block[index + 1]
                if isinstance(node, (ast.If, ast.With, ast.AsyncWith)):
                    return _next_statement(node, function)
                return None
    return None


def _empty_names(test: ast.expr) -> set[str]:
    if isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is):
        return {test.left.id} if isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None else set()
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Name):
        return {test.operand.id}
    return set()


def _empty_test(test: ast.expr, names: set[str]) -> bool:
    return bool(_empty_names(test) & names)


def _unawaited(expr: ast.AST) -> ast.AST:
    return expr.value if isinstance(expr, ast.Await) else expr
