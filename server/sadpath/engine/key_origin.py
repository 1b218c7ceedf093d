"""Where a value comes from, for SAD201's not-found of a single-object lookup, and when a call is reached at all.

A lookup's not-found (``Order.objects.get(pk=key)``, ``session.execute(select(...).where(A.id == key))
.scalar_one()``) is an expected outcome only when its key can name a row that does not exist: when the key
derives from input the process received from outside. ``origin(expr, func)`` answers, flow-insensitively
through the function's own assignments, loops and comprehensions, with a set of labels:

- ``EXTERNAL``: client input: the request's data (``request.GET``/``POST``/``data``/``query_params``/``args``/
  ``json``, ``get_json()``), a view's URL kwargs (``self.kwargs``), a serializer's ``validated_data``, and what
  was read or parsed from outside (``json.loads``, a csv reader, ``open``, ``input``, ``parse_args``, a
  response's ``.json()``).
- ``param:<name>``: a parameter of the function; its origin is the argument each caller passes (the caller's
  boundary decides for a boundary's own parameters: a route's URL parameters are client input, a task's
  arguments are what the project's dispatcher passed).
- nothing: a value the code already holds: a constant, the authenticated principal (``request.user``), the
  session, a row the code loaded or created (its ``.pk``, its foreign keys ``.<fk>_id``), a Django form's
  ``cleaned_data`` (the form's clean is where an unknown choice is answered).

``guards(parents, func)`` are the parameters with a falsy default that a call is conditioned on (``if files:``,
``for f in files:``): a caller that does not pass them never reaches the call.
"""

from __future__ import annotations

import ast

from sadpath.engine.external import is_django_manager_chain

EXTERNAL = "external"
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)

REQUEST_INPUT = frozenset(
    {"GET", "POST", "data", "query_params", "args", "form", "values", "json", "FILES", "body", "headers", "cookies",
     "COOKIES", "path_params", "query", "match_info", "query_string", "content"}
)  # fmt: skip
READERS = frozenset(
    {"loads", "load", "reader", "DictReader", "safe_load", "input", "open", "parse_args", "parse_known_args", "read",
     "readline", "readlines", "recv", "get_json", "json", "read_text", "read_bytes", "getlist"}
)  # fmt: skip
ROW_SOURCES = frozenset(
    {"get_object", "get_object_or_404", "get_queryset", "create", "get_or_create", "update_or_create", "first", "last",
     "one", "scalar_one", "scalar_one_or_none", "one_or_none", "scalar", "save", "refresh_from_db", "select_for_update",
     "filter", "exclude", "all", "values_list", "iterator", "order_by", "select_related", "prefetch_related", "only",
     "defer", "distinct", "annotate", "scalars", "fetchall", "fetchone"}
)  # fmt: skip  # rows a query answered: their keys exist


def _request_like(expr: ast.AST) -> bool:
    name = expr.attr if isinstance(expr, ast.Attribute) else expr.id if isinstance(expr, ast.Name) else ""
    return "request" in name.lower() or name in ("req", "rq")


def parameters(func: ast.AST) -> list[ast.arg]:
    args = func.args
    found = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg is not None:
        found.append(args.vararg)
    if args.kwarg is not None:
        found.append(args.kwarg)
    return found


class Origins:
    """The origins of the values of one function (its assignments gathered once)."""

    def __init__(self, func: ast.AST | None) -> None:
        self.func = func
        self.params = {a.arg for a in parameters(func)} if isinstance(func, _FUNCTIONS) else set()
        self.assigned: dict[str, list[ast.AST]] = {}
        if isinstance(func, _FUNCTIONS):
            stack = list(func.body)
            while stack:
                node = stack.pop()
                if isinstance(node, (*_FUNCTIONS, ast.Lambda, ast.ClassDef)):
                    continue
                self._note(node)
                stack.extend(ast.iter_child_nodes(node))

    def _note(self, node: ast.AST) -> None:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind(target, node.value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None:
            self._bind(node.target, node.value)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            self._bind(node.target, node.iter)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            self._bind(node.optional_vars, node.context_expr)

    def _bind(self, target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self.assigned.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind(element, value)
        elif isinstance(target, ast.Starred):
            self._bind(target.value, value)

    def of(self, expr: ast.AST | None, seen: frozenset[str] = frozenset()) -> set[str]:
        if expr is None or isinstance(expr, ast.Constant):
            return set()
        if isinstance(expr, ast.Name):
            if expr.id in seen:
                return set()
            found: set[str] = set()
            for value in self.assigned.get(expr.id, ()):
                found |= self.of(value, seen | {expr.id})
            if expr.id in self.params and expr.id not in ("self", "cls"):
                found.add(f"param:{expr.id}")
            return found
        if isinstance(expr, ast.Attribute):
            if expr.attr == "validated_data":
                return {EXTERNAL}
            if expr.attr in ("cleaned_data", "pk"):
                return set()  # a form's validated values; a model instance's primary key
            if expr.attr in REQUEST_INPUT and _request_like(expr.value):
                return {EXTERNAL}
            if expr.attr in ("kwargs", "args") and isinstance(expr.value, ast.Name) and expr.value.id == "self":
                return {EXTERNAL}  # a class-based view's URL kwargs
            if _request_like(expr.value) and not (isinstance(expr.value, ast.Name) and expr.value.id in self.params and expr.value.id not in ("request", "req")):
                return set()  # request.user, request.session, request.event: resolved by the framework or the project
            return self.of(expr.value, seen)
        if isinstance(expr, ast.Call):
            func = expr.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in READERS and not (isinstance(func, ast.Attribute) and is_django_manager_chain(func.value)):
                return {EXTERNAL}
            found = self.of(func.value, seen) if isinstance(func, ast.Attribute) else set()
            if name in ROW_SOURCES or (isinstance(func, ast.Attribute) and is_django_manager_chain(func.value)):
                return found & {EXTERNAL}  # a row the code loaded or created: its keys exist
            for arg in [*expr.args, *(k.value for k in expr.keywords)]:
                found |= self.of(arg, seen)
            return found
        if isinstance(expr, (ast.Lambda, *_FUNCTIONS)):
            return set()
        found = set()
        for child in ast.iter_child_nodes(expr):
            if isinstance(child, ast.expr):
                found |= self.of(child, seen)
        return found


def lookup_keys(call: ast.Call) -> list[ast.AST]:
    """The expressions a single-object lookup is keyed by: the arguments of every call in its chain
    (``Order.objects.filter(event=e).get(pk=pk)``, ``session.execute(select(A).where(A.id == key)).scalar_one()``)."""
    keys: list[ast.AST] = []
    node: ast.AST = call
    while True:
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Call):
            keys.extend(node.args)
            keys.extend(k.value for k in node.keywords)
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        else:
            return keys


def key_origin(call: ast.Call, func: ast.AST | None, parents: list[ast.AST] = ()) -> set[str]:
    """The origins of a lookup's keys; for a lookup whose result is consumed by ``.scalar_one()`` and the like,
    ``call`` is the inner call and the keys of the whole chain count."""
    outer = call
    for parent in reversed(list(parents)):
        if isinstance(parent, (ast.Attribute, ast.Call, ast.Await)) and _contains(parent, outer):
            outer = parent
        else:
            break
    keys = lookup_keys(outer)
    if keys and all(isinstance(k, ast.Constant) or (isinstance(k, ast.Name) and k.id in _created_with(func, call)) for k in keys):
        return set()  # ``create_user(email=e)`` earlier, then ``get(email=e)``: the row was just created
    origins = Origins(func)
    found: set[str] = set()
    for key in keys:
        found |= origins.of(key)
    return found


def _created_with(func: ast.AST | None, before: ast.AST) -> set[str]:
    """The names passed to a call that creates a row (``create``, ``create_user``, ``get_or_create``) in
    ``func`` before ``before``'s line."""
    if not isinstance(func, _FUNCTIONS):
        return set()
    names: set[str] = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Call) and getattr(node, "lineno", 0) < before.lineno:
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) else ""
            if callee.startswith("create") or callee in ("get_or_create", "update_or_create"):
                names |= {v.id for v in (*node.args, *(k.value for k in node.keywords)) if isinstance(v, ast.Name)}
    return names


def _contains(parent: ast.AST, child: ast.AST) -> bool:
    return any(node is child for node in ast.iter_child_nodes(parent))


def falsy_default_params(func: ast.AST) -> set[str]:
    """Parameters whose default is None, False, 0, an empty string or an empty container."""
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    found = set()
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    for arg, default in pairs:
        if falsy_literal(default):
            found.add(arg.arg)
    return found


def falsy_literal(expr: ast.AST) -> bool:
    if isinstance(expr, ast.Constant):
        return not expr.value
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return not expr.elts
    if isinstance(expr, ast.Dict):
        return not expr.keys
    return False


def guards(parents: list[ast.AST], func: ast.AST) -> tuple[str, ...]:
    """The falsy-default parameters of ``func`` that the node under ``parents`` is only reached through:
    ``if param:``, ``if param is not None:``, ``if a and param:``, ``for x in param:``."""
    if not isinstance(func, _FUNCTIONS):
        return ()
    optional = falsy_default_params(func)
    if not optional:
        return ()
    found: list[str] = []
    chain = list(parents)
    for index, parent in enumerate(chain[:-1]):
        inner = chain[index + 1]
        if isinstance(parent, ast.If) and any(stmt is inner for stmt in parent.body):
            found.extend(name for name in _truthy_names(parent.test) if name in optional)
        elif isinstance(parent, (ast.For, ast.AsyncFor)) and any(stmt is inner for stmt in parent.body):
            if isinstance(parent.iter, ast.Name) and parent.iter.id in optional:
                found.append(parent.iter.id)
    return tuple(dict.fromkeys(found))


def _truthy_names(test: ast.AST) -> list[str]:
    if isinstance(test, ast.Name):
        return [test.id]
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return [name for value in test.values for name in _truthy_names(value)]
    if (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.IsNot)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        return [test.left.id]
    return []


def argument_for(param: str, call: ast.Call, func: ast.AST) -> tuple[str, ast.AST | None]:
    """What a call passes for ``param`` of ``func``: ("passed", expr), ("absent", None) or ("unknown", None)
    (a ``*args``/``**kwargs`` splat may carry it)."""
    args = func.args
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    if positional and positional[0] in ("self", "cls") and isinstance(call.func, ast.Attribute):
        positional = positional[1:]
    for keyword in call.keywords:
        if keyword.arg == param:
            return "passed", keyword.value
    if param in positional:
        index = positional.index(param)
        for position, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                return "unknown", None
            if position == index:
                return "passed", arg
    if any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
        return "unknown", None
    return "absent", None
