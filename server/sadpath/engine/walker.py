"""The single walk over a module's tree, dispatching each node to the hooks that asked for its type."""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass, field

from sadpath.engine.context import SCOPE_TYPES, ModuleContext

log = logging.getLogger("sadpath.engine")


@dataclass
class RuleFailure:
    code: str
    path: str
    error: str


@dataclass
class WalkResult:
    failures: list[RuleFailure] = field(default_factory=list)


def walk(ctx: ModuleContext, rules: list, roots: list[ast.AST] | None = None) -> WalkResult:
    """Walk ``ctx.tree`` once; call each rule's ``visit_<Type>`` for matching nodes.

    A hook that raises loses its rule's findings for this file (the rule is
    disabled for the rest of the walk) and the failure is logged with the rule
    code and the file; the other rules carry on.
    """
    result = WalkResult()
    dispatch: dict[type, list[tuple[object, str]]] = {}
    for rule in rules:
        for node_type, method in rule.hooks().items():
            dispatch.setdefault(node_type, []).append((rule, method))
    if not dispatch:
        return result
    failed: set[str] = set()
    parents = ctx.parents
    scopes = ctx.scopes
    # explicit stack instead of recursion: deeply nested expressions must not overflow
    if roots is None:
        stack: list[tuple[ast.AST, bool]] = [(ctx.tree, False)]
    else:
        # top-level statements only, as the full walk would reach them: below the module node
        parents.append(ctx.tree)
        scopes.append(ctx.tree)
        stack = [(root, False) for root in reversed(roots)]
    iter_children = ast.iter_child_nodes
    while stack:
        node, leaving = stack.pop()
        if leaving:
            parents.pop()
            if isinstance(node, SCOPE_TYPES):
                scopes.pop()
            continue
        hooks = dispatch.get(type(node))
        if hooks:
            for rule, method in hooks:
                if rule.code in failed:
                    continue
                try:
                    getattr(rule, method)(node, ctx)
                except Exception as exc:  # a broken rule must not take the others down
                    failed.add(rule.code)
                    message = f"{type(exc).__name__}: {exc}"
                    log.error("rule %s crashed on %s: %s", rule.code, ctx.source.path, message, exc_info=True)
                    result.failures.append(RuleFailure(rule.code, ctx.source.path, message))
        parents.append(node)
        if isinstance(node, SCOPE_TYPES):
            scopes.append(node)
        stack.append((node, True))
        children = list(iter_children(node))
        for child in reversed(children):
            stack.append((child, False))
    if roots is not None:
        parents.pop()
        scopes.pop()
    if failed:
        ctx.findings[:] = [f for f in ctx.findings if f.code not in failed]
    return result
