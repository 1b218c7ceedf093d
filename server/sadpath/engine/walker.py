"""The single walk over a module's tree, dispatching each node to the hooks that asked for its type."""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from sadpath.engine.context import ModuleContext

SCOPE_TYPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)

log = logging.getLogger("sadpath.engine")


@dataclass
class RuleFailure:
    code: str
    path: str
    error: str


@dataclass
class WalkResult:
    failures: list[RuleFailure] = field(default_factory=list)


NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)  # their code runs elsewhere


def local_nodes(node: ast.AST, *, scopes: bool = False) -> Iterator[ast.AST]:
    """``node`` and the nodes under it in source order, not entering nested functions, lambdas or classes
    (their code runs elsewhere, later or never); with ``scopes``, those nested definitions themselves are
    yielded, but not what is inside them."""
    yield node
    yield from body_nodes(list(ast.iter_child_nodes(node)), scopes=scopes)


def body_nodes(statements: list[ast.AST], *, scopes: bool = False, skip: tuple[type, ...] = ()) -> Iterator[ast.AST]:
    """The nodes of a block (a body, a handler's statements) in source order, as ``local_nodes`` walks them;
    nodes of a type in ``skip`` are passed over with everything under them."""
    stack = list(reversed(statements))
    while stack:
        current = stack.pop()
        if skip and isinstance(current, skip):
            continue
        if isinstance(current, NESTED_SCOPES):
            if scopes:
                yield current
            continue
        yield current
        stack.extend(reversed(list(ast.iter_child_nodes(current))))


@dataclass(frozen=True)
class Root:
    """A subtree to walk on its own: ``node`` below its ``ancestors`` (outermost first), leaving out the
    children in ``skip`` (by identity). Incremental analysis walks single methods and class shells this way."""

    node: ast.AST
    ancestors: tuple[ast.AST, ...]
    skip: frozenset[int] = frozenset()


def walk(ctx: ModuleContext, rules: list, roots: list[ast.AST] | list[Root] | None = None) -> WalkResult:
    """Walk ``ctx.tree`` once; call each rule's ``visit_<Type>`` for matching nodes.

    ``roots`` limits the walk to some subtrees: top-level statements, or ``Root``s with their ancestors; each
    hook sees the same ``ctx.parents`` and ``ctx.scopes`` as in the full walk.

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
    if roots is None:
        _walk_from(ctx, ctx.tree, dispatch, failed, result, frozenset())
    else:
        saved_parents, saved_scopes = ctx.parents, ctx.scopes
        try:
            for root in roots:
                if not isinstance(root, Root):
                    root = Root(root, (ctx.tree,))
                ctx.parents = list(root.ancestors)
                ctx.scopes = [a for a in root.ancestors if isinstance(a, SCOPE_TYPES)]
                _walk_from(ctx, root.node, dispatch, failed, result, root.skip)
        finally:
            ctx.parents, ctx.scopes = saved_parents, saved_scopes
    if failed:
        ctx.findings[:] = [f for f in ctx.findings if f.code not in failed]
    return result


def _walk_from(ctx: ModuleContext, start: ast.AST, dispatch, failed: set[str], result: WalkResult, skip: frozenset[int]) -> None:
    parents = ctx.parents
    scopes = ctx.scopes
    # explicit stack instead of recursion: deeply nested expressions must not overflow
    stack: list[tuple[ast.AST, bool]] = [(start, False)]
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
            if skip and node is start and id(child) in skip:
                continue
            stack.append((child, False))


class _CallRecorder:
    """A walker client (shaped like a rule) that keeps every call with its ancestors and scopes."""

    code = slug = "calls"

    def __init__(self) -> None:
        self.found: list[tuple[ast.Call, list[ast.AST], list[ast.AST]]] = []

    def hooks(self) -> dict[type, str]:
        return {ast.Call: "visit_Call"}

    def visit_Call(self, node: ast.Call, ctx: ModuleContext) -> None:
        self.found.append((node, list(ctx.parents), list(ctx.scopes)))


def call_sites(ctx: ModuleContext, roots: list[Root] | None = None) -> list[tuple[ast.Call, list[ast.AST], list[ast.AST]]]:
    """Every call under ``roots`` (the whole module by default), in source order, with the ``ctx.parents`` and
    ``ctx.scopes`` a rule would see at it."""
    recorder = _CallRecorder()
    walk(ctx, [recorder], roots=roots)
    return recorder.found


def bound_names(func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    """The names a function binds: its parameters (``*args``/``**kwargs`` too) and every assignment target."""
    args = func.args
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names
