"""The semantic model of one module, built on ``ast`` without importing anything.

It answers three questions rules ask again and again:

* what qualified name an expression refers to (``rq.get`` → ``requests.get`` after
  ``import requests as rq``; ``RE`` → ``requests.exceptions.RequestException`` after
  ``from requests.exceptions import RequestException as RE``);
* what type a receiver has (``s`` after ``s = requests.Session()``, ``self.client``
  after ``self.client = httpx.Client()`` in any method, ``session`` annotated as
  ``aiohttp.ClientSession``, ``s`` bound by ``with requests.Session() as s``);
* which scope a node belongs to.

Scope tables are computed lazily, the first time a rule asks about a scope, and
cached; the module itself is never walked a second time for rules that do not ask.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from sadpath.engine.walker import body_nodes

ScopeNode = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass
class Scope:
    node: ast.AST
    # local name -> qualified name of what it refers to (imports)
    imports: dict[str, str] = field(default_factory=dict)
    # local name -> qualified name of its type (constructor, annotation, context manager)
    types: dict[str, str] = field(default_factory=dict)
    # local names bound by anything else (assignments of unknown type, defs, params)
    locals: set[str] = field(default_factory=set)


class SemanticModel:
    def __init__(self, tree: ast.Module, module_name: str = "", method_memo: dict | None = None, source=None) -> None:
        self.tree = tree
        self.module_name = module_name
        self._source = source  # the SourceFile, when known: lets cheap text checks skip walks
        # ``self.<attr>`` assignments per method, by method identity: incremental analysis hands in the memo of
        # the previous version, whose unchanged methods are the same nodes (valid while imports are unchanged)
        self._method_memo: dict[int, tuple[ast.AST, tuple[tuple[str, str], ...]]] = {} if method_memo is None else method_memo
        self._scopes: dict[int, Scope] = {}
        self._class_attr_types: dict[int, dict[str, str]] = {}
        self._module_classes: dict[str, ast.ClassDef] | None = None
        self._module_functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] | None = None

    # ------------------------------------------------------------------ scopes
    def scope(self, node: ast.AST) -> Scope:
        key = id(node)
        scope = self._scopes.get(key)
        if scope is None:
            scope = _build_scope(node, self)
            self._scopes[key] = scope
        return scope

    @property
    def module_scope(self) -> Scope:
        return self.scope(self.tree)

    @property
    def module_classes(self) -> dict[str, ast.ClassDef]:
        if self._module_classes is None:
            self._module_classes = {n.name: n for n in self.tree.body if isinstance(n, ast.ClassDef)}
        return self._module_classes

    @property
    def module_functions(self) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
        if self._module_functions is None:
            self._module_functions = {n.name: n for n in self.tree.body if isinstance(n, FUNCTION_NODES)}
        return self._module_functions

    # --------------------------------------------------------------- resolution
    def qualified_name(self, expr: ast.AST, scopes: list[ast.AST] | tuple[ast.AST, ...] = ()) -> str | None:
        """Qualified name of a Name/Attribute chain, resolving imports through the given scopes.

        ``scopes`` are the enclosing scope nodes, innermost last; the module scope is
        always consulted. Names that are neither imported nor local resolve to
        themselves only if they are builtins-like (not bound locally).
        """
        parts: list[str] = []
        node = expr
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = self.resolve_name(node.id, scopes)
        if head is None:
            return None
        parts.append(head)
        return ".".join(reversed(parts))

    def resolve_name(self, name: str, scopes: list[ast.AST] | tuple[ast.AST, ...] = ()) -> str | None:
        for scope_node in reversed(list(scopes)):
            if isinstance(scope_node, ast.ClassDef):
                continue  # class bodies do not enclose their methods' names
            scope = self.scope(scope_node)
            if name in scope.imports:
                return scope.imports[name]
            if name in scope.types or name in scope.locals:
                return None if scope_node is not self.tree else self._module_local(name)
        scope = self.module_scope
        if name in scope.imports:
            return scope.imports[name]
        if name in scope.locals or name in scope.types:
            return self._module_local(name)
        return name

    def _module_local(self, name: str) -> str:
        return f"{self.module_name}.{name}" if self.module_name else name

    def type_of(self, expr: ast.AST, scopes: list[ast.AST] | tuple[ast.AST, ...] = ()) -> str | None:
        """Qualified type name of a receiver expression, when the module says what it is."""
        if isinstance(expr, ast.Name):
            for scope_node in reversed(list(scopes)):
                if isinstance(scope_node, ast.ClassDef):
                    continue
                scope = self.scope(scope_node)
                if expr.id in scope.types:
                    return scope.types[expr.id]
                if expr.id in scope.locals or expr.id in scope.imports:
                    return None
            return self.module_scope.types.get(expr.id)
        if (
            isinstance(expr, ast.Attribute)
            and isinstance(expr.value, ast.Name)
            and expr.value.id in ("self", "cls")
        ):
            cls = next((s for s in reversed(list(scopes)) if isinstance(s, ast.ClassDef)), None)
            if cls is not None:
                return self.class_attribute_types(cls).get(expr.attr)
        if isinstance(expr, ast.Call):
            return self.qualified_name(expr.func, scopes)
        return None

    def class_attribute_types(self, cls: ast.ClassDef) -> dict[str, str]:
        """``self.<attr>`` types assigned in any method of the class (or annotated in its body)."""
        key = id(cls)
        cached = self._class_attr_types.get(key)
        if cached is not None:
            return cached
        types: dict[str, str] = {}
        conflicting: set[str] = set()
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                qn = self._annotation_name(stmt.annotation, [self.tree])
                if qn:
                    types[stmt.target.id] = qn
        for method in cls.body:
            if not isinstance(method, FUNCTION_NODES):
                continue
            for attr, qn in self._method_assignments(method):
                previous = types.get(attr)
                if previous is not None and previous != qn:
                    conflicting.add(attr)
                types[attr] = qn
        for attr in conflicting:
            types.pop(attr, None)
        self._class_attr_types[key] = types
        return types

    def _method_assignments(self, method: ast.AST) -> tuple[tuple[str, str], ...]:
        """``(attr, type)`` of each typed ``self.<attr> = ...`` in a method, in order."""
        memo = self._method_memo.get(id(method))
        if memo is not None and memo[0] is method:
            return memo[1]
        if self._source is not None and not SELF_ASSIGNMENT.search(self._source.lines_text(method.lineno, method.end_lineno or method.lineno)):
            self._method_memo[id(method)] = (method, ())
            return ()  # no ``self.<attr> =`` in its text: nothing to walk for
        found: list[tuple[str, str]] = []
        scopes = [self.tree, method]
        for node in _walk_function(method):
            target = value = annotation = None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign):
                target, value, annotation = node.target, node.value, node.annotation
            if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"):
                continue
            qn = None
            if annotation is not None:
                qn = self._annotation_name(annotation, scopes)
            if qn is None and isinstance(value, ast.Call):
                qn = self.qualified_name(value.func, scopes)
            if qn is None and isinstance(value, ast.Name):
                qn = self.scope(method).types.get(value.id)
            if qn is not None:
                found.append((target.attr, qn))
        result = tuple(found)
        self._method_memo[id(method)] = (method, result)
        return result

    def _annotation_name(self, annotation: ast.AST, scopes) -> str | None:
        """Type named by an annotation; ``scopes`` is a scope list or a resolver callable."""
        resolve = scopes if callable(scopes) else (lambda expr: self.qualified_name(expr, scopes))
        return _annotation_type(annotation, resolve)


SELF_ASSIGNMENT = re.compile(r"\bself\s*\.\s*\w+\s*(?::[^=\n]*)?=(?!=)")


def _annotation_type(annotation: ast.AST, resolve) -> str | None:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    # Optional[X] / X | None
    if isinstance(annotation, ast.Subscript):
        outer = resolve(annotation.value)
        if outer in ("typing.Optional", "Optional"):
            return _annotation_type(annotation.slice, resolve)
        return None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [annotation.left, annotation.right]
        non_none = [s for s in sides if not (isinstance(s, ast.Constant) and s.value is None)]
        if len(non_none) == 1:
            return _annotation_type(non_none[0], resolve)
        return None
    if isinstance(annotation, (ast.Name, ast.Attribute)):
        return resolve(annotation)
    return None


def _walk_function(func: ast.AST):
    """Every node of a function body, not descending into nested functions or classes."""
    body = getattr(func, "body", [])
    return body_nodes(body if isinstance(body, list) else [body], scopes=True)


def _import_bindings(node: ast.Import | ast.ImportFrom, module_name: str) -> list[tuple[str, str]]:
    bindings: list[tuple[str, str]] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                bindings.append((alias.asname, alias.name))
            else:
                head = alias.name.split(".", 1)[0]
                bindings.append((head, head))
        return bindings
    module = node.module or ""
    if node.level:
        base = module_name.split(".") if module_name else []
        base = base[: max(len(base) - node.level, 0)]
        module = ".".join([*base, module] if module else base)
    for alias in node.names:
        if alias.name == "*":
            continue
        qualified = f"{module}.{alias.name}" if module else alias.name
        bindings.append((alias.asname or alias.name, qualified))
    return bindings


def _build_scope(node: ast.AST, model: SemanticModel) -> Scope:
    scope = Scope(node)
    is_module = isinstance(node, ast.Module)
    body_iter = _walk_module_level(node) if is_module else _walk_function(node)
    enclosing: list[ast.AST] = [model.tree] if not is_module else []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is None:
                continue
            scope.locals.add(arg.arg)
            if arg.annotation is not None:
                qn = model._annotation_name(arg.annotation, [model.tree])
                if qn:
                    scope.types[arg.arg] = qn
    type_conflicts: set[str] = set()

    def bind_type(name: str, qn: str | None) -> None:
        if qn is None:
            scope.locals.add(name)
            if name in scope.types and name not in type_conflicts:
                type_conflicts.add(name)
            return
        previous = scope.types.get(name)
        if previous is not None and previous != qn:
            type_conflicts.add(name)
        scope.types[name] = qn

    statements = list(body_iter)
    # imports first, so that a call's type resolves whatever the statement order
    for stmt in statements:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for local, qualified in _import_bindings(stmt, model.module_name):
                scope.imports[local] = qualified
    # resolution while building must never ask for the scope being built
    resolve_scopes = enclosing

    def resolve(expr: ast.AST) -> str | None:
        return _resolve_building(expr, model, resolve_scopes, scope)

    for stmt in statements:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if stmt is not node:
                scope.locals.add(stmt.name)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    qn = None
                    if isinstance(stmt.value, ast.Call):
                        qn = _call_type(stmt.value, model, resolve_scopes, scope)
                    bind_type(target.id, qn)
                else:
                    for name in _target_names(target):
                        scope.locals.add(name)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            qn = model._annotation_name(stmt.annotation, resolve)
            if qn is None and isinstance(stmt.value, ast.Call):
                qn = _call_type(stmt.value, model, resolve_scopes, scope)
            bind_type(stmt.target.id, qn)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if isinstance(item.optional_vars, ast.Name):
                    qn = None
                    if isinstance(item.context_expr, ast.Call):
                        qn = _call_type(item.context_expr, model, resolve_scopes, scope)
                    bind_type(item.optional_vars.id, qn)
        elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.comprehension)):
            for name in _target_names(stmt.target):
                scope.locals.add(name)
        elif isinstance(stmt, ast.NamedExpr) and isinstance(stmt.target, ast.Name):
            scope.locals.add(stmt.target.id)
        elif isinstance(stmt, ast.ExceptHandler) and stmt.name:
            scope.locals.add(stmt.name)
    for name in type_conflicts:
        scope.types.pop(name, None)
        scope.locals.add(name)
    # an import shadows nothing it does not bind; a local rebinding of an imported name wins
    for name in list(scope.imports):
        if name in scope.types:
            scope.imports.pop(name)
    return scope


# instances that make a client when called: ``SessionLocal = sessionmaker(...)``, then ``SessionLocal()``
INSTANCE_CALLS = {
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.session.sessionmaker": "sqlalchemy.orm.Session",
    "sqlalchemy.ext.asyncio.async_sessionmaker": "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.orm.scoped_session": "sqlalchemy.orm.Session",
}


def _call_type(call: ast.Call, model: SemanticModel, scopes: list[ast.AST], scope: Scope) -> str | None:
    """Qualified name of a call's callee, resolved through the scope under construction first; the client
    type when the callee is a session factory instance."""
    if isinstance(call.func, ast.Name):
        name = call.func.id
        factory = scope.types.get(name)
        if factory is None and scopes and name not in scope.locals and name not in scope.imports:
            factory = model.module_scope.types.get(name)
        if factory in INSTANCE_CALLS:
            return INSTANCE_CALLS[factory]
    return _resolve_building(call.func, model, scopes, scope)


def _resolve_building(func: ast.AST, model: SemanticModel, scopes: list[ast.AST], scope: Scope) -> str | None:
    parts: list[str] = []
    node = func
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    if node.id in scope.imports:
        head = scope.imports[node.id]
    elif not scopes:
        # building the module scope itself: a module-level name or a builtin
        head = node.id
    else:
        head = model.resolve_name(node.id, scopes)
        if head is None:
            return None
    return ".".join([head, *reversed(parts)])


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        names: list[str] = []
        for elt in target.elts:
            names.extend(_target_names(elt))
        return names
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _walk_module_level(module: ast.AST):
    """Statements executed at module level: the body and the blocks of if/try/with/for, not defs' bodies."""
    stack = list(reversed(getattr(module, "body", [])))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for child in reversed(list(ast.iter_child_nodes(node))):
            if isinstance(child, (ast.stmt, ast.ExceptHandler, ast.match_case)):
                stack.append(child)
