"""Handlers whose caught error is an expected signal of one call, restated in full by the new error.

Two shapes, where ``from`` would only chain a signal that carries nothing the new message does not:

- a bare capability signal (``except NotImplementedError: raise Unsupported("updates are not supported")``) around
  one call: the abstract method's ``raise NotImplementedError`` has no text, and the new error says what is missing;
- an expected miss of one call restated with the looked-up name: a lookup helper of the project that raises the
  caught ``KeyError``/``LookupError`` itself (``lookup_type(cls, key)`` then ``UnknownBlockType(f"... {key!r}")``),
  or a client's not-found (``except ObjectNotFound:`` around ``read_block_type_by_slug("modal-credentials")``), with a
  message that says what is missing and names it (the key the call was given, or its literal).
"""

from __future__ import annotations

import ast
import re

from sadpath.engine.context import ModuleContext
from sadpath.engine.project_calls import project_calls_of
from sadpath.engine.walker import NESTED_SCOPES, body_nodes

_SUPPORT_WORDS = re.compile(r"support|implement|availab|capab|disabled|not allowed|not enabled", re.IGNORECASE)
_MISS_WORDS = re.compile(
    r"not found|no such|missing|does not exist|doesn't exist|not exist|could not find|cannot find|can't find"
    r"|unable to find|could not be found|cannot be found|unknown|\bno\b[\w\s]{0,40}\bfound\b",
    re.IGNORECASE,
)
_MISS_CLASSES = ("NotFound", "NotFoundError", "DoesNotExist", "NoResultFound")
_LOOKUPS = frozenset({"KeyError", "LookupError"})


def _caught(handler: ast.ExceptHandler) -> set[str]:
    if handler.type is None:
        return set()
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {ast.unparse(t).rpartition(".")[2] for t in types}


def _reads_binding(handler: ast.ExceptHandler) -> bool:
    return bool(handler.name) and any(isinstance(n, ast.Name) and n.id == handler.name for n in body_nodes(handler.body))


def _one_call(try_node: ast.Try | None) -> ast.Call | None:
    """The only call of a ``try`` of one statement (``x = await client.read(slug)``, ``return lookup(cls, key)``)."""
    if try_node is None or len(try_node.body) != 1 or isinstance(try_node.body[0], NESTED_SCOPES):
        return None
    calls = [n for n in ast.walk(try_node.body[0]) if isinstance(n, ast.Call)]
    return calls[0] if len(calls) == 1 else None


def _top_call(try_node: ast.Try | None) -> ast.Call | None:
    """The call a ``try`` of one statement makes (``x = store.update(Workspace(...))``: the ``update``)."""
    if try_node is None or len(try_node.body) != 1:
        return None
    stmt = try_node.body[0]
    value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign, ast.Return)) else None
    value = value.value if isinstance(value, ast.Await) else value
    return value if isinstance(value, ast.Call) else None


def _texts(expr: ast.AST) -> str:
    return " ".join(n.value for n in ast.walk(expr) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _own_raises(func: ast.AST, names: set[str]) -> list[ast.Raise]:
    """The ``raise Name(...)``/``raise Name`` statements of ``func``'s own body (not nested functions) for ``names``."""
    found = []
    for node in body_nodes(getattr(func, "body", [])):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if ast.unparse(target).rpartition(".")[2] in names:
                found.append(node)
    return found


def capability_signal(exc: ast.expr, handler: ast.ExceptHandler, try_node: ast.Try | None, ctx: ModuleContext) -> bool:
    """``except NotImplementedError: raise Unsupported("... is not supported by this provider")`` around one call,
    never reading the caught error: the capability signal is empty (the abstract method raises it without text),
    and the new message says all there is. When the call resolves to a project function, every
    ``raise NotImplementedError`` in it must be bare."""
    if _caught(handler) != {"NotImplementedError"} or _reads_binding(handler):
        return False
    call = _top_call(try_node)
    if call is None or not _SUPPORT_WORDS.search(f"{ast.unparse(exc.func if isinstance(exc, ast.Call) else exc)} {_texts(exc)}"):
        return False
    resolved = project_calls_of(ctx).resolve(call, ctx)
    if resolved is not None:
        raises = _own_raises(resolved[1], {"NotImplementedError"})
        if any(isinstance(r.exc, ast.Call) and (r.exc.args or r.exc.keywords) for r in raises):
            return False  # ``raise NotImplementedError("needs the v2 API")``: its text is lost without ``from``
    return True


def _message_exprs(call: ast.Call, handler: ast.ExceptHandler) -> list[ast.expr]:
    """The raise's arguments, with a local message variable replaced by what the handler assigns to it."""
    found: list[ast.expr] = []
    for arg in [*call.args, *(k.value for k in call.keywords)]:
        found.append(arg)
        if isinstance(arg, ast.Name):
            for node in body_nodes(handler.body):
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    if any(isinstance(t, ast.Name) and t.id == arg.id for t in targets):
                        found.append(node.value)
    return found


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def restated_call_miss(exc: ast.expr, handler: ast.ExceptHandler, try_node: ast.Try | None, ctx: ModuleContext) -> bool:
    """An expected miss of one call restated with the looked-up name: a project lookup helper that raises the
    caught ``KeyError`` itself, or a client's not-found class, and a message that says what is missing and names
    the key the call was given (``{key!r}``) or its literal (``"modal-credentials"`` as "ModalCredentials")."""
    if not isinstance(exc, ast.Call):
        return False
    caught = _caught(handler)
    misses = {name for name in caught if name != "ModuleNotFoundError" and name.endswith(_MISS_CLASSES)}
    if not caught or not caught <= (misses | _LOOKUPS):
        return False
    call = _one_call(try_node)
    if call is None:
        return False
    if caught & _LOOKUPS:
        resolved = project_calls_of(ctx).resolve(call, ctx)
        if resolved is None or not _own_raises(resolved[1], caught & _LOOKUPS):
            return False  # a ``KeyError`` from anywhere beneath a call may be a bug's, not the helper's miss
    messages = _message_exprs(exc, handler)
    if any(isinstance(n, ast.Constant) and isinstance(n.value, int) and n.value >= 500 for m in messages for n in ast.walk(m)):
        return False  # answered as a server error: the framework logs it with the traceback
    text = " ".join(_texts(m) for m in messages)
    if not _MISS_WORDS.search(text):
        return False
    given = {n.id for a in [*call.args, *(k.value for k in call.keywords)] for n in ast.walk(a) if isinstance(n, ast.Name)}
    named = {
        n.id for m in messages for piece in ast.walk(m) if isinstance(piece, ast.FormattedValue)
        for n in ast.walk(piece.value) if isinstance(n, ast.Name)
    }  # fmt: skip
    if named & given:
        return True
    literals = [a.value for a in [*call.args, *(k.value for k in call.keywords)] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return any(len(_normal(value)) >= 4 and _normal(value) in _normal(text) for value in literals)
