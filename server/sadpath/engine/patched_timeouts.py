"""Default timeouts a project installs for every call of an HTTP client by patching the client's send or request
method at start-up (read from the project's files, never imported or run).

pretix's ``monkeypatch_requests_timeout()`` says ``HTTPAdapter.send = httpadapter_send``, whose new function sets
``timeout = 30`` when the caller passed none, and runs it from an ``AppConfig.ready()``: every plain ``requests``
call of that project is bounded. ``patched_interfaces(path, index)`` gives the interfaces (``requests``, ``urllib3``)
whose calls such a patch bounds in the project ``path`` is imported in. A patch counts when it assigns to the
``send``/``request``/``urlopen`` method of a client class of an interface with no default timeout (the interface
table's client types, and the transports that carry their calls: requests' ``HTTPAdapter``), its new function gives a
default (``if timeout is None: timeout = 30``, ``kwargs.setdefault("timeout", 30)``, ``timeout=timeout or 30``, a
``partial(..., timeout=30)``), and it runs: at a module's top level, or in a function that module-level code or an
``AppConfig.ready()`` calls, directly or through a few project functions. Found once per project root, and looked
for again at most every ``REVALIDATE_SECONDS``.
"""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

from sadpath.engine.project_files import (
    REVALIDATE_SECONDS, import_root, parse_module, project_files, project_modules_calling, texts_mentioning,
)
from sadpath.engine.semantic import SemanticModel

PATCHED_METHODS = frozenset({"send", "request", "urlopen"})
# the classes that carry an interface's calls without being its client type
TRANSPORTS = {"requests.adapters.HTTPAdapter": "requests", "requests.HTTPAdapter": "requests"}
STARTUP_METHODS = frozenset({"ready"})  # Django's AppConfig.ready(): run once when the app registry loads
MAX_HOPS = 4
_PATCH = re.compile(r"\.\s*(?:send|request|urlopen)\s*=(?!=)")
_FOUND: dict[str, tuple[float, frozenset[str]]] = {}  # project root -> (when looked for, interfaces)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def patched_interfaces(path: str, index) -> frozenset[str]:
    """The interfaces whose calls a start-up patch of the project gives a default timeout (empty when none does)."""
    try:
        root = str(import_root(Path(path)))
    except (OSError, ValueError):
        return frozenset()
    now = time.monotonic()
    cached = _FOUND.get(root)
    if cached is not None and now - cached[0] <= REVALIDATE_SECONDS:
        return cached[1]
    found = _look(Path(path), root, _targets(index))
    _FOUND[root] = (now, found)
    return found


def _targets(index) -> dict[str, str]:
    """Patchable class (qualified) -> the interface whose calls it carries, for interfaces with no default timeout."""
    targets = dict(TRANSPORTS)
    for client_type, interface in index.clients.items():
        timeout = interface.timeout
        if timeout is not None and timeout.default == "none":
            targets[client_type] = interface.name
    return targets


def _look(path: Path, root: str, targets: dict[str, str]) -> frozenset[str]:
    files = project_files(path)
    found: set[str] = set()
    seen: set[Path] = set()
    for short in sorted({name.rsplit(".", 1)[-1] for name in targets}):
        for candidate, text in texts_mentioning(short, files, root):
            if text is None or candidate in seen or not _PATCH.search(text):
                continue
            seen.add(candidate)
            tree = parse_module(candidate)
            if tree is not None:
                found |= _patches(tree, candidate, targets)
    return frozenset(found)


def _patches(tree: ast.Module, path: Path, targets: dict[str, str]) -> set[str]:
    """The interfaces that the module's running patches bound."""
    model = SemanticModel(tree, path.stem if path.stem.isidentifier() else "")
    found: set[str] = set()
    for stmt, chain in _assignments(tree, []):
        for target in stmt.targets:
            if not (isinstance(target, ast.Attribute) and target.attr in PATCHED_METHODS):
                continue
            interface = targets.get(model.qualified_name(target.value, [tree, *chain]) or "")
            if interface is None or interface in found:
                continue
            if gives_default(_new_function(stmt.value, chain, tree), target.attr) and _runs(chain, str(path)):
                found.add(interface)
    return found


def _assignments(node: ast.AST, chain: list[ast.AST]):
    """Each ``x.y = ...`` statement with the functions around it, outermost first."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Assign):
            yield child, chain
        elif isinstance(child, FUNCTIONS):
            yield from _assignments(child, [*chain, child])
        elif isinstance(child, ast.stmt):
            yield from _assignments(child, chain)


def _new_function(value: ast.AST, chain: list[ast.AST], tree: ast.Module) -> ast.AST | None:
    """The function a patch assigns: a lambda, a ``partial(...)``, or the ``def`` its name stands for (in the
    function holding the patch, else at the module's top level)."""
    if isinstance(value, (ast.Lambda, ast.Call)):
        return value
    if not isinstance(value, ast.Name):
        return None
    for body in [*(f.body for f in reversed(chain)), tree.body]:
        for stmt in body:
            if isinstance(stmt, FUNCTIONS) and stmt.name == value.id:
                return stmt
    return None


def gives_default(func: ast.AST | None, method: str) -> bool:
    """Whether the patch's new function gives its calls a timeout when the caller passes none."""
    if func is None:
        return False
    if isinstance(func, ast.Call):  # partial(old_send, timeout=30), partialmethod(...)
        return any(k.arg == "timeout" and not _none(k.value) for k in func.keywords)
    args = func.args
    if method == "request":  # Session.request is the entry point: a default on its parameter applies
        named = [*args.posonlyargs, *args.args]
        defaults = dict(zip([a.arg for a in named][len(named) - len(args.defaults):], args.defaults))
        defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
        if "timeout" in defaults and not _none(defaults["timeout"]):
            return True
    for node in ast.walk(func.body if isinstance(func, ast.Lambda) else ast.Module(body=func.body, type_ignores=[])):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and not _none(node.value) and any(_names_timeout(t) for t in targets):
                return True  # `timeout = 30` (under `if timeout is None`), `kwargs["timeout"] = 30`
        elif isinstance(node, ast.Call):
            func_name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if func_name == "setdefault" and len(node.args) == 2 and _is_key(node.args[0]) and not _none(node.args[1]):
                return True
            if any(k.arg == "timeout" and _defaulted(k.value) for k in node.keywords):
                return True  # old_send(..., timeout=timeout or 30)
    return False


def _names_timeout(target: ast.AST) -> bool:
    if isinstance(target, ast.Name):
        return target.id == "timeout"
    return isinstance(target, ast.Subscript) and _is_key(target.slice)


def _is_key(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == "timeout"


def _defaulted(value: ast.AST) -> bool:
    """``timeout or 30``, ``kwargs.get("timeout", 30)``, ``kwargs.pop("timeout", 30)``, a literal number."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, (int, float)) and not isinstance(value.value, bool)
    if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):
        return not _none(value.values[-1]) and not isinstance(value.values[-1], ast.Name)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in ("get", "pop"):
        return len(value.args) == 2 and _is_key(value.args[0]) and not _none(value.args[1])
    return False


def _none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _runs(chain: list[ast.AST], path: str) -> bool:
    """Whether the code holding the patch runs: the module's top level, or a function something running calls."""
    if not chain:
        return True
    return _called(chain[0].name, path, 0, set())


def _called(name: str, path: str, hops: int, visited: set[str]) -> bool:
    """Whether module-level code or an ``AppConfig.ready()`` calls ``name``, directly or through project functions."""
    if hops > MAX_HOPS or name in visited:
        return False
    visited.add(name)
    for _, tree in project_modules_calling(name, path):
        if tree is None:
            continue
        for caller in _callers(tree, name):
            if caller is None or caller.name in STARTUP_METHODS:
                return True
            if _called(caller.name, path, hops + 1, visited):
                return True
    return False


def _callers(tree: ast.Module, name: str):
    """The outermost function around each call of ``name`` in the module (None for a call at its top level)."""
    stack: list[tuple[ast.AST, ast.AST | None]] = [(tree, None)]
    while stack:
        node, owner = stack.pop()
        for child in ast.iter_child_nodes(node):
            inner = owner if owner is not None or not isinstance(child, FUNCTIONS) else child
            if isinstance(child, ast.Call):
                func = child.func
                called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
                if called == name:
                    yield owner
            stack.append((child, inner))
