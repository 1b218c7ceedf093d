"""Broad handlers nested in another broad handler's ``try`` or fallback, and the clause that names them (SAD102).

One finding per problem: ``try: A except: try: B except: ...`` is one defect, reported on the outer handler, whose
message names each nested handler (its line, whether it sits in the ``try`` or in the fallback, and the errors
its own block raises when that block is in-memory work): narrowing one of them alone leaves the other catching
everything.
"""

from __future__ import annotations

import ast
from typing import Callable

from sadpath.engine import memory_calls
from sadpath.engine.context import ModuleContext
from sadpath.engine.walker import NESTED_SCOPES

Nested = tuple[ast.ExceptHandler, ast.Try, bool]


def nested_broad(node: ast.ExceptHandler, try_node: ast.Try, catches_all: Callable[[ast.ExceptHandler], bool]) -> list[Nested]:
    """The broad handlers (``catches_all``) nested in this handler's ``try`` or in its own body (same function),
    with their ``try`` and whether they sit in the fallback (the handler's body)."""
    found: list[Nested] = []
    for in_fallback, stmts in ((False, try_node.body), (True, node.body)):
        stack: list[ast.AST] = list(stmts)
        while stack:
            current = stack.pop(0)
            if isinstance(current, NESTED_SCOPES):
                continue
            if isinstance(current, ast.Try):
                found.extend((h, current, in_fallback) for h in current.handlers if catches_all(h))
            stack.extend(ast.iter_child_nodes(current))
    return found


def nested_clause(inner: list[Nested], ctx: ModuleContext) -> str:
    parts = []
    for handler, try_node, in_fallback in inner:
        label = "bare `except:`" if handler.type is None else "`except BaseException`"
        errors = memory_calls.block_errors(try_node.body, ctx)
        named = f" (name {', '.join(f'`{e}`' for e in errors)} there)" if errors else ""
        parts.append(f"the {label} on line {handler.lineno}, nested in its {'fallback' if in_fallback else '`try`'}{named}")
    lines = "; ".join(parts)
    lines = lines[0].upper() + lines[1:]
    return f"{lines}, catches everything too: fix {'both handlers' if len(inner) == 1 else 'all of them'} together."
