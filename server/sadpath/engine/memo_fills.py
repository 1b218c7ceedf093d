"""A ``try`` that only fills an in-process cache from a value the function already has: ``response_data =
response.json()`` then ``_no_limits_cache[key] = True`` under a lock, before ``return response``.

The answer is ready before the ``try`` runs; what a failure loses is one cache entry, so the next call asks the
server again, and whoever uses the answer (``response.json()`` again) meets its error itself. A re-raise would
fail the call over its cache, and a log line would repeat that error: SAD101 stays quiet (services review round
16, SAD101 row 19). The cache is a module-level or
instance mapping whose name says it is one (``_cache``, ``_no_limits_cache``, ``self._memo``), written by
subscript or by ``setdefault``/``update``/``add``; every other call of the ``try`` only reads (a parse, a
``.get``) or takes a lock."""

from __future__ import annotations

import ast
import re

from sadpath.engine.handler_site import Site

_CACHE_NAME = re.compile(r"cache|memo|seen", re.IGNORECASE)
_READS = frozenset({"json", "get", "loads", "keys", "values", "items"})
_WRITES = frozenset({"setdefault", "update", "add", "__setitem__"})
_PURE = frozenset({"frozenset", "tuple", "str", "int", "float", "bool", "len", "sorted", "hash"})


def filled_cache(try_node: ast.Try | None) -> str | None:
    """The cache the ``try`` fills, when filling it is all the ``try`` does; None otherwise."""
    if try_node is None:
        return None
    filled = None
    for node in (n for stmt in try_node.body for n in ast.walk(stmt)):
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Subscript):
                    name = _cache_name(target.value)
                    if name is None:
                        return None  # a write into something that is no cache
                    filled = name
        elif isinstance(node, ast.Call):
            method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if method in _WRITES and (name := _cache_name(node.func.value)) is not None:
                filled = name
            elif method not in _READS and not (isinstance(node.func, ast.Name) and node.func.id in _PURE):
                return None  # a call that does work of its own
        elif isinstance(node, (ast.Return, ast.Raise, ast.Await, ast.Yield)):
            return None
    return filled


def _cache_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name) and _CACHE_NAME.search(node.id):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" and _CACHE_NAME.search(node.attr):
        return f"self.{node.attr}"
    return None


def cache_fill_only(site: Site) -> bool | None:
    """The ``try`` only fills an in-process cache from a value the function already holds and hands on anyway
    (``_no_limits_cache[key] = True`` before ``return response``): a failure loses one cache entry, and whoever
    uses that value meets its own error again."""
    cache = filled_cache(site.try_node) if site.path.end == "fall" and site.after is None else None
    return True if cache is not None else None


__all__ = ["cache_fill_only", "filled_cache"]
