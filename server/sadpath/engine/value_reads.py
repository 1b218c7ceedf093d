"""Calls that read a value the code holds and make no step of a ``try``: a ``str`` method (``url.rstrip("/")``), a
read of a dict it was given or built (``connection.get("type", "openapi")`` on a parameter annotated ``dict``)."""

from __future__ import annotations

import ast
import re

# methods only a ``str`` has: no client answers to them, so they are no step whatever the receiver is called
STR_METHODS = frozenset(
    {"rstrip", "lstrip", "removeprefix", "removesuffix", "splitlines", "partition", "rpartition", "casefold", "rsplit",
     "title", "capitalize", "zfill", "ljust", "rjust", "center", "isdigit", "isalpha", "isalnum", "isspace", "isnumeric"}
)  # fmt: skip
_MAPPING_ANNOTATION = re.compile(r"^(typing\.)?(dict|Dict|Mapping|MutableMapping)\b|^(Optional\[)?(dict|Dict|Mapping)\b|^(dict|Dict|Mapping)\[.*\] \| None$")
_MAPPING_READS = frozenset({"get", "items", "keys", "values"})


def value_read(call: ast.Call, func: ast.AST | None) -> bool:
    """A ``str`` method (``url.rstrip("/")``) or a read of a mapping the code holds: no step that can fail."""
    return (isinstance(call.func, ast.Attribute) and call.func.attr in STR_METHODS) or mapping_read(call, func)


def mapping_read(call: ast.Call, func: ast.AST | None) -> bool:
    """``connection.get("type", "openapi")`` on a parameter annotated ``dict``, ``openapi.get("paths", {})`` on a name
    bound from such a read with a mapping default, ``server_data.get("openapi", {}).get("paths")``: a read of a
    value the code holds, never a service's ``get`` (whatever its receiver is called)."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr in _MAPPING_READS):
        return False
    return func is not None and _mapping(call.func.value, func, 0)


def _mapping(expr: ast.AST, func: ast.AST, depth: int) -> bool:
    if depth > 3:
        return False
    if isinstance(expr, (ast.Dict, ast.DictComp)):
        return True
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get":
        default = expr.args[1] if len(expr.args) == 2 else None
        return isinstance(default, (ast.Dict, ast.DictComp)) or _mapping(expr.func.value, func, depth + 1) and isinstance(default, ast.Dict)
    if not isinstance(expr, ast.Name):
        return False
    args = getattr(func, "args", None)
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs] if args is not None else []
    param = next((a for a in params if a.arg == expr.id), None)
    if param is not None:
        return param.annotation is not None and bool(_MAPPING_ANNOTATION.search(ast.unparse(param.annotation)))
    bound = [
        n.value for n in ast.walk(func)
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == expr.id for t in n.targets)
    ]  # fmt: skip
    return bool(bound) and all(_mapping(value, func, depth + 1) for value in bound)
