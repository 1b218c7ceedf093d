"""Which keys a ``**name`` splat can carry, when the function shows every one of them.

``requests.get(url, **kwargs)`` may pass a timeout or may not. The function often says which: ``kwargs`` is a
dict literal built two lines up, or its own ``**kwargs`` parameter that it fills with ``setdefault("headers",
...)``. ``splat_origin(call, func)`` answers with where the dict comes from (``"local"``: built in the function
from literal keys; ``"param"``: the function's ``**`` parameter) and the keys the function itself puts in it,
or None when anything else can touch it (passed to another function, updated from another mapping, a key
that is not a literal, rebound from a call).

``callers_pass(func, name, tree)`` says how the module's own calls of a function fill such a parameter:
whether some call passes ``name=`` (or a ``**`` splat that may carry it), and how many calls there are.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

_READS = frozenset({"get", "items", "keys", "values", "copy", "pop", "popitem", "clear"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class SplatOrigin:
    kind: str  # "local" or "param"
    name: str
    keys: frozenset[str]


def splat_origin(call: ast.Call, func: ast.AST | None) -> SplatOrigin | None:
    """Where the one ``**name`` of ``call`` comes from, and the keys ``func`` puts in it; None when unknown."""
    if func is None or not isinstance(func, _FUNCTIONS):
        return None
    splats = [k.value for k in call.keywords if k.arg is None]
    if len(splats) != 1 or not isinstance(splats[0], ast.Name) or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    name = splats[0].id
    is_param = func.args.kwarg is not None and func.args.kwarg.arg == name
    if not is_param and any(a.arg == name for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)):
        return None  # a mapping handed in by the caller
    keys: set[str] = set()
    bound = False
    for node, parent in _nodes(func):
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return None
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                literal = _literal_keys(node.value)
                if literal is None or (isinstance(node, ast.Assign) and len(targets) != 1):
                    return None
                keys |= literal
                bound = True
            elif any(name in _bound_names(t) for t in targets):
                return None  # unpacked into, or a loop variable: not a literal
            continue
        if isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.NamedExpr)) and name in _bound_in(node):
            return None
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            if not _harmless_use(node, parent, keys):
                return None
    if not is_param and not bound:
        return None
    added = mutator_keys(func, name)
    if added is None:
        return None
    keys |= added
    return SplatOrigin("param" if is_param and not bound else "local", name, frozenset(keys))


def callers_pass(func: ast.AST, name: str, tree: ast.Module, cls: ast.ClassDef | None) -> tuple[int, bool]:
    """How many calls of ``func`` the module makes (by name, or ``self.method`` inside ``cls``), and whether any
    passes ``name=`` or a ``**`` splat."""
    calls = 0
    passes = False
    scope = cls if cls is not None else tree
    for node in ast.walk(scope):
        if not isinstance(node, ast.Call) or not _calls(node.func, func.name, cls is not None):
            continue
        calls += 1
        if any(k.arg is None or k.arg == name for k in node.keywords):
            passes = True
    return calls, passes


def _calls(target: ast.AST, name: str, method: bool) -> bool:
    if method:
        return isinstance(target, ast.Attribute) and target.attr == name and isinstance(target.value, ast.Name) and target.value.id in ("self", "cls")
    return isinstance(target, ast.Name) and target.id == name


def _nodes(func: ast.AST):
    """Every node of the function's own body (nested functions and classes excepted), with its parent."""
    stack = [(child, func) for child in func.body]
    while stack:
        node, parent = stack.pop()
        yield node, parent
        if isinstance(node, (*_FUNCTIONS, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend((child, node) for child in ast.iter_child_nodes(node))


def _literal_keys(value: ast.AST | None) -> set[str] | None:
    if isinstance(value, ast.Dict):
        if not all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in value.keys):
            return None  # ``**other`` inside, or a computed key
        return {k.value for k in value.keys}
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict" and not value.args:
        if any(k.arg is None for k in value.keywords):
            return None
        return {k.arg for k in value.keywords}
    return None


def _harmless_use(node: ast.Name, parent: ast.AST, keys: set[str]) -> bool:
    """A read of the dict that cannot add an unseen key; literal additions are collected into ``keys``."""
    if isinstance(parent, ast.keyword) and parent.arg is None:
        return True  # splatted into a call: read
    if isinstance(parent, ast.Subscript) and parent.value is node:
        if isinstance(parent.ctx, ast.Store):
            if isinstance(parent.slice, ast.Constant) and isinstance(parent.slice.value, str):
                keys.add(parent.slice.value)
                return True
            return False
        return True
    if isinstance(parent, ast.Attribute) and parent.value is node:
        if parent.attr in _READS:
            return True
        return parent.attr in ("setdefault", "update")  # judged on the call, below
    if isinstance(parent, ast.Call) and node in parent.args:
        return False  # handed to a function that may fill it
    if isinstance(parent, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.If, ast.IfExp, ast.FormattedValue, ast.Return)):
        return True
    return isinstance(parent, ast.Expr)


def _bound_names(target: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _bound_in(node: ast.AST) -> set[str]:
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return _bound_names(node.target)
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return {n for item in node.items if item.optional_vars is not None for n in _bound_names(item.optional_vars)}
    if isinstance(node, ast.NamedExpr):
        return _bound_names(node.target)
    return set()


def mutator_keys(func: ast.AST, name: str) -> set[str] | None:
    """Keys added by ``name.setdefault("k", ...)`` and ``name.update(k=..., {"k": ...})``; None for an update
    from another mapping."""
    keys: set[str] = set()
    for node, _parent in _nodes(func):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = node.func.value
        if not (isinstance(receiver, ast.Name) and receiver.id == name):
            continue
        if node.func.attr == "setdefault":
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                return None
            keys.add(first.value)
        elif node.func.attr == "update":
            for arg in node.args:
                literal = _literal_keys(arg)
                if literal is None:
                    return None
                keys |= literal
            for keyword in node.keywords:
                if keyword.arg is None:
                    return None
                keys.add(keyword.arg)
    return keys
