"""Errors that state their own cause: when a record without the traceback still says what failed (SAD104).

"The ``try`` covers several steps, so nobody can tell which one failed" is false when every error that can reach
the handler carries its cause in its text. Two shapes, judged on what the called project code raises:

- ``states_its_causes``: every step is project code whose own ``raise`` sites all carry a message saying what was
  wrong ("Unexpected file in bundle: X", "Missing manifest.json"), with no dict lookup left to raise a bare
  ``KeyError``, or a library call given the input the record names (``ZipFile(path)``: its error names the file),
  or a step whose failure a nested ``try`` of the body already handles. A record that names the error and the
  input then says what failed and for what.
- ``one_stated_raise``: a narrow catch of one error type (``except ValueError``) where exactly one ``raise`` of
  that type can be reached from the ``try`` ("Malformed negotiation frame"), no parser of the standard library
  runs on a variable input, and the record's text repeats that raise's meaning: the one documented condition,
  which a traceback would not explain better.

- ``one_client_one_resource``: a check-then-act of one client on one resource (``if client.has(x):
  client.delete(x)``): one external operation, whose error text says what failed.

Project functions are followed through ``project_calls`` (same module, ``self`` methods, imported project
functions read from their files), a few levels deep.
"""

from __future__ import annotations

import ast
import re

from sadpath.engine import callee_traps, catching
from sadpath.engine.context import ModuleContext
from sadpath.engine.project_calls import project_calls_of

_DEPTH = 3
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
# standard parsers that raise ``ValueError`` (or a subclass) for a bad input of their own
_PARSERS = frozenset({"int", "float", "complex", "bytes.fromhex", "json.loads", "json.load", "Decimal", "UUID", "uuid.UUID",
                      "datetime.fromisoformat", "datetime.strptime", "date.fromisoformat", "ipaddress.ip_address"})  # fmt: skip
_PARSE_METHODS = frozenset({"decode", "fromisoformat", "strptime", "index", "remove", "fromhex"})
_WORD = re.compile(r"[a-z]{4,}")
_STOP = frozenset({"failed", "error", "could", "with", "from", "that", "this", "have", "been", "were", "when", "response", "while"})


def states_its_causes(steps: list[tuple[str, ast.Call]], try_node: ast.Try, record_inputs: set[str], ctx: ModuleContext) -> bool:
    """Every step's error carries its cause in its text (see the module docstring). ``record_inputs``: the names
    the record logs beside the error."""
    if len(steps) < 2:
        return False
    handled = _handled_inside(try_node)
    if any(isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name) and isinstance(n.slice, ast.Constant)
           and id(n) not in handled for s in try_node.body for n in ast.walk(s)):
        return False  # ``balance["points"]`` in the ``try`` itself: a bare ``KeyError: 'points'``
    raises: list[ast.Raise] = []
    for _, call in steps:
        if id(call) in handled:
            continue  # (``json.loads`` under its own ``except JSONDecodeError: continue``)
        found = _resolve(call, ctx)
        if found is not None:
            own = _stated_raises(found[0], found[1], 1)
            if own is None:
                return False
            raises += own
        elif not any(isinstance(n, ast.Name) and n.id in record_inputs for a in [*call.args, *(k.value for k in call.keywords)] for n in ast.walk(a)):
            return False  # a library call on something the record does not name
    return len(raises) >= 2


def one_stated_raise(log_call: ast.Call, try_node: ast.Try, caught, ctx: ModuleContext) -> bool:
    """A narrow catch whose one reachable ``raise`` of the caught type the record's text repeats."""
    if caught.kind in (catching.CatchKind.BARE, catching.CatchKind.BROAD):
        return False
    shorts = {n.rsplit(".", 1)[-1] for n in caught.names if n}
    if not shorts or len(shorts) != len([n for n in caught.names if n]):
        return False
    text = _log_text(log_call)
    if not text:
        return False
    sites: list[ast.Raise] = []
    for call in _calls(try_node.body):
        if _parses_input(call, ctx):
            return False  # (``int(frame.decode())``: a second source of the caught type)
        if _constant_args(call):
            continue  # (``encode(VERSION, FLAGS)``: its argument checks are fixed where it is written)
        found = _resolve(call, ctx)
        if found is not None and not _collect(found[0], found[1], shorts, sites, 1):
            return False
    if len(sites) != 1:
        return False
    message = _message(sites[0].exc)
    return message is not None and len(_words(message) & _words(text)) >= 2


def one_client_one_resource(steps: list[tuple[str, ast.Call]], func: ast.AST | None) -> bool:
    """Every step is a method of one and the same client object, each given the same resource
    (``if client.has_collection(collection_name=name): client.delete_collection(collection_name=name)``): a
    check-then-act on one resource is one external operation, whose error text says what failed. (Two independent
    commands of an unknown client, ``store.fetch(id)`` then ``store.touch(id)``, stay two steps.)"""
    if len(steps) < 2:
        return False
    receivers, shared = set(), None
    for _, call in steps:
        method = call.func
        if not isinstance(method, ast.Attribute) or isinstance(method.value, ast.Call):
            return False
        root = method.value
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or root.id in ("self", "cls"):
            return False  # (``self.x()`` runs the project's own code)
        receivers.add(ast.dump(method.value))
        args = {ast.dump(a) for a in [*call.args, *(k.value for k in call.keywords)] if not isinstance(a, ast.Constant)}
        shared = args if shared is None else shared & args
    return len(receivers) == 1 and bool(shared) and len(steps) == 2 and _guards(steps[0][1], steps[1][1], func)


def _guards(test: ast.Call, then: ast.Call, func: ast.AST | None) -> bool:
    """``if await client.has(x): await client.delete(x)``: the first call is the test of an ``if`` around the second."""
    for node in ast.walk(func) if func is not None else ():
        if isinstance(node, ast.If):
            cond = node.test.operand if isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not) else node.test
            cond = cond.value if isinstance(cond, ast.Await) else cond
            if cond is test and any(n is then for s in node.body for n in ast.walk(s)):
                return True
    return False


def _resolve(call: ast.Call, ctx: ModuleContext) -> tuple[ModuleContext, ast.AST] | None:
    try:
        found = project_calls_of(ctx).resolve(call, ctx)
    except (OSError, SyntaxError, ValueError, RecursionError):
        found = None
    if found is None:
        func = callee_traps.project_callee(call, ctx)
        return None if func is None else (None, func)  # (a method found by its class: its module is not known)
    return found if isinstance(found[1], _FUNCTIONS) else None


def _own(func: ast.AST):
    """Nodes of a function's body, not of the functions, classes and lambdas nested in it."""
    todo = list(getattr(func, "body", []))
    while todo:
        node = todo.pop()
        yield node
        todo += [c for c in ast.iter_child_nodes(node) if not isinstance(c, _NESTED)]


def _calls(statements: list[ast.stmt]) -> list[ast.Call]:
    out, todo = [], list(statements)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Call):
            out.append(node)
        todo += [c for c in ast.iter_child_nodes(node) if not isinstance(c, (*_NESTED, ast.ExceptHandler))]
    return out


def _handled_inside(try_node: ast.Try) -> set[int]:
    """Calls and lookups under a nested ``try`` of the body whose handlers all carry on (none raises)."""
    inner = set()
    for node in ast.walk(try_node):
        if node is not try_node and isinstance(node, ast.Try) and node.handlers:
            if not any(isinstance(n, ast.Raise) for h in node.handlers for n in ast.walk(h)):
                inner |= {id(n) for s in node.body for n in ast.walk(s) if isinstance(n, (ast.Call, ast.Subscript))}
    return inner


def _descriptive(exc: ast.expr | None) -> bool:
    return _message(exc) is not None


def _message(exc: ast.expr | None) -> str | None:
    """The text of ``Error("...")``, ``Error(f"... {x}")``, ``Error("... %s" % x)``; None for anything else."""
    if not (isinstance(exc, ast.Call) and exc.args):
        return None
    first = exc.args[0]
    if isinstance(first, ast.BinOp):
        first = first.left
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    if isinstance(first, ast.JoinedStr):
        return " ".join(str(v.value) for v in first.values if isinstance(v, ast.Constant))
    return None


def _stated_raises(fctx: ModuleContext | None, func: ast.AST, depth: int) -> list[ast.Raise] | None:
    """The raises of a project function and of the project functions it calls, when each states its cause and no
    dict lookup outside a translating ``try`` can raise a bare ``KeyError``; None otherwise."""
    translated = {id(n) for t in _own(func) if isinstance(t, ast.Try) and t.handlers and all(_translates(h) for h in t.handlers) for s in t.body for n in ast.walk(s)}
    raises = []
    for node in _own(func):
        if isinstance(node, ast.Raise):
            if not _descriptive(node.exc) or _hides_its_cause(node):
                return None  # (``raise err``, a bare ``raise``: its text is unknown; ``from exc`` without its text)
            raises.append(node)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and id(node) not in translated:
            if isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                return None  # ``manifest["id"]``: a ``KeyError: 'id'`` says nothing of where (not ``app.config["X"]``)
        elif isinstance(node, ast.Call) and fctx is not None and depth < _DEPTH and id(node) not in translated:
            found = _resolve(node, fctx)
            if found is not None and found[0] is not None:
                inner = _stated_raises(found[0], found[1], depth + 1)
                if inner is None:
                    return None
                raises += inner
    return raises


def _translates(handler: ast.ExceptHandler) -> bool:
    return any(isinstance(n, ast.Raise) and _descriptive(n.exc) and not _hides_its_cause(n) for n in handler.body)


def _hides_its_cause(node: ast.Raise) -> bool:
    """``raise Unavailable(f"GET {path} failed") from exc``: the cause (timeout? 500?) is only in the chain."""
    cause = node.cause
    if not isinstance(cause, ast.Name):
        return cause is not None and not (isinstance(cause, ast.Constant) and cause.value is None)
    return not any(isinstance(n, ast.Name) and n.id == cause.id for n in ast.walk(node.exc))


def _collect(fctx: ModuleContext | None, func: ast.AST, shorts: set[str], sites: list[ast.Raise], depth: int) -> bool:
    """Adds the raises of the caught types in a project function (and its callees); False when one cannot be judged."""
    for node in _own(func):
        if isinstance(node, ast.Raise):
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = exc.attr if isinstance(exc, ast.Attribute) else exc.id if isinstance(exc, ast.Name) else None
            if node.exc is None or (name in shorts and not isinstance(node.exc, ast.Call)):
                return False  # a re-raise: of what, only the run knows
            if name in shorts:
                sites.append(node)
        elif isinstance(node, ast.Call) and fctx is not None:
            if _parses_input(node, fctx):
                return False
            if depth < _DEPTH and not _constant_args(node):
                found = _resolve(node, fctx)
                if found is not None and not _collect(found[0], found[1], shorts, sites, depth + 1):
                    return False
    return True


def _parses_input(call: ast.Call, ctx: ModuleContext) -> bool:
    """``int(text)``, ``json.loads(body)``, ``raw.decode()``: a standard parser that raises ``ValueError`` itself."""
    if _constant_args(call) and call.args:
        return False
    name = ctx.qualified_name(call.func) or (call.func.id if isinstance(call.func, ast.Name) else "")
    if name in _PARSERS or name.rsplit(".", 1)[-1] in ("loads", "fromisoformat", "strptime"):
        return True
    return isinstance(call.func, ast.Attribute) and call.func.attr in _PARSE_METHODS


def _constant_args(call: ast.Call) -> bool:
    """Every argument is a literal or a module constant (``VERSION``)."""
    args = [*call.args, *(k.value for k in call.keywords)]
    return bool(args) and all(isinstance(a, ast.Constant) or (isinstance(a, ast.Name) and a.id.isupper()) for a in args)


def _log_text(call: ast.Call) -> str:
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    if isinstance(first, ast.JoinedStr):
        return " ".join(str(v.value) for v in first.values if isinstance(v, ast.Constant))
    return ""


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower())) - _STOP
