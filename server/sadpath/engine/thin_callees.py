"""Project callees a record without the traceback can still place, judged from their bodies (SAD104).

SAD104 counts a call into the project's own code as a step whose inside the traceback alone can show. Some callees
say by their body that their failure names itself:

- ``relogs_in_memory``: a helper that only transforms a value in memory (serializes, encodes, encrypts:
  ``JSONCodec.dumps(data)``, ``FERNET.encrypt(...)``) inside a ``try`` whose every handler logs a message naming
  the step ("Error encrypting data: ...") and re-raises: its calls do not fail in practice, and if one did the
  record naming it is already written. It is no step of its caller's count;
- ``one_request``: a method that builds a URL and credentials, makes one HTTP request, checks its status
  (``raise_for_status(resp)``, a project helper that adds the body to the error) and parses the answer: its
  error is the request's, whose text names the URL and the status;
- ``refusal_hook``: ``self.pre_delete(item)``, a hook of a framework base the class does not define, whose every
  override in the package is a no-op (``item.roles = []``) or one call of a check that raises the project's error with a message
  (``security_manager.raise_for_ownership(item)``): the error's text says why the work was refused.
"""

from __future__ import annotations

import ast

from sadpath.engine import project_files
from sadpath.engine.callee_traps import project_callee
from sadpath.engine.context import ModuleContext

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# transforms of a value in memory: serializing, encoding, hashing, encrypting
_TRANSFORMS = frozenset(
    {"dumps", "loads", "encode", "decode", "encrypt", "decrypt", "b64encode", "b64decode", "urlsafe_b64encode",
     "urlsafe_b64decode", "hexdigest", "digest", "compress", "decompress", "model_dump", "model_dump_json", "strip",
     "lower", "upper", "format", "join", "replace"}
)  # fmt: skip
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "critical", "exception"})
_STATUS_CHECK = ("raise_for_status", "check_status", "check_response")
_MAX_DEFINITIONS = 5


def relogs_in_memory(call: ast.Call, ctx: ModuleContext) -> bool:
    func = project_callee(call, ctx)
    if not isinstance(func, ast.FunctionDef):
        return False
    body = _body(func)
    if len(body) != 1 or not isinstance(body[0], ast.Try) or not body[0].handlers or body[0].finalbody:
        return False
    guarded = body[0]
    if not all(_names_its_step_and_raises(h) for h in guarded.handlers):
        return False
    nodes = [n for stmt in guarded.body for n in ast.walk(stmt)]
    if any(isinstance(n, (ast.Await, ast.With, ast.For, ast.While, ast.Subscript)) for n in nodes):
        return False
    calls = [n for n in nodes if isinstance(n, ast.Call)]
    return bool(calls) and all(isinstance(c.func, ast.Attribute) and c.func.attr in _TRANSFORMS for c in calls)


def _names_its_step_and_raises(handler: ast.ExceptHandler) -> bool:
    """``log.error(f"Error encrypting data: {e}"); raise``: a message of its own, then the error travels on."""
    nodes = list(ast.walk(handler))
    raises = any(isinstance(n, ast.Raise) and (n.exc is None or (isinstance(n.exc, ast.Name) and n.exc.id == handler.name)) for n in nodes)
    named = any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _LOG_METHODS and n.args and len(_text(n.args[0]).strip(" :-%s{}")) >= 8
        for n in nodes
    )  # fmt: skip
    return raises and named


def _text(expr: ast.AST) -> str:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.JoinedStr):
        return "".join(v.value for v in expr.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return ""


def one_request(call: ast.Call, ctx: ModuleContext) -> bool:
    func = project_callee(call, ctx)
    if not isinstance(func, _FUNCTIONS):
        return False
    body = _body(func)
    if not body or not all(isinstance(s, (ast.Assign, ast.Expr, ast.Return)) for s in body):
        return False
    checks = [i for i, s in enumerate(body) if isinstance(s, ast.Expr) and _status_check(s.value)]
    if len(checks) != 1:
        return False
    checked = _checked_name(body[checks[0]].value)
    requests = [i for i, s in enumerate(body[: checks[0]]) if isinstance(s, ast.Assign) and [_name(t) for t in s.targets] == [checked]]
    if len(requests) != 1 or not isinstance(_unawaited(body[requests[0]].value), ast.Call):
        return False
    request = _unawaited(body[requests[0]].value)
    fed = {n.id for n in ast.walk(request) if isinstance(n, ast.Name)}
    for stmt in body[: requests[0]]:  # (``uri, endpoint = self._construct(...)``, ``creds = get_creds(uri)``: its arguments)
        if not (isinstance(stmt, ast.Assign) and set(_bound(stmt)) & fed):
            return False
    for stmt in body[checks[0] + 1 :]:  # (``return Response.from_dict(resp.json())``: the answer it parses)
        if not any(isinstance(n, ast.Name) and n.id == checked for n in ast.walk(stmt)):
            return False
    return len(body[checks[0] + 1 :]) <= 2


def _status_check(expr: ast.AST) -> bool:
    if not isinstance(expr, ast.Call):
        return False
    name = expr.func.attr if isinstance(expr.func, ast.Attribute) else expr.func.id if isinstance(expr.func, ast.Name) else ""
    return any(word in name for word in _STATUS_CHECK)


def _checked_name(call: ast.Call) -> str:
    """``resp.raise_for_status()`` or ``augmented_raise_for_status(resp)``: ``resp``."""
    if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) and not call.args:
        return call.func.value.id
    return _name(call.args[0]) if call.args else ""


def _name(expr: ast.AST) -> str:
    return expr.id if isinstance(expr, ast.Name) else ""


def _bound(stmt: ast.Assign) -> list[str]:
    names: list[str] = []
    for target in stmt.targets:
        names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    return names


def _unawaited(expr: ast.AST) -> ast.AST:
    return expr.value if isinstance(expr, ast.Await) else expr


def _body(func: ast.AST) -> list[ast.stmt]:
    body = list(getattr(func, "body", []))
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    return body


def refusal_hook(call: ast.Call, ctx: ModuleContext) -> bool:
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self"):
        return False
    if project_callee(call, ctx) is not None or _defined_here(func.attr, ctx):
        return False  # (a method the class defines is judged by its own body)
    overrides = _definitions(func.attr, ctx)
    if not overrides or len(overrides) > _MAX_DEFINITIONS:
        return False
    for override in overrides:
        body = _body(override)
        if all(_no_op(s) for s in body):
            continue
        if len(body) != 1 or not isinstance(body[0], ast.Expr) or not isinstance(body[0].value, ast.Call):
            return False
        inner = body[0].value.func
        name = inner.attr if isinstance(inner, ast.Attribute) else inner.id if isinstance(inner, ast.Name) else ""
        checks = _definitions(name, ctx) if name else []
        if not checks or len(checks) > _MAX_DEFINITIONS or not all(_refuses_with_message(c) for c in checks):
            return False
    return True


def _defined_here(name: str, ctx: ModuleContext) -> bool:
    return any(isinstance(n, _FUNCTIONS) and n.name == name for n in ast.walk(ctx.tree))


def _definitions(name: str, ctx: ModuleContext) -> list[ast.AST]:
    """The methods named ``name`` that classes of the package define (at most a few more than the bound)."""
    key = ("thin-callees-defs", name)
    if key not in ctx.memo:
        found: list[ast.AST] = []
        for _, tree in project_files.modules_calling(name, ctx.source.path):
            if tree is None:
                found = [ast.Pass()] * (_MAX_DEFINITIONS + 1)  # (a module that cannot be read: the overrides cannot all be seen)
                break
            found += [f for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef) for f in cls.body if isinstance(f, _FUNCTIONS) and f.name == name]
            if len(found) > _MAX_DEFINITIONS:
                break
        ctx.memo[key] = found
    return ctx.memo[key]


def _no_op(stmt: ast.stmt) -> bool:
    """``pass``, a docstring, ``return``, or a literal set on the item (``item.roles = []``): nothing that fails."""
    if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Attribute) for t in stmt.targets):
        return isinstance(stmt.value, ast.Constant) or (isinstance(stmt.value, (ast.List, ast.Tuple, ast.Set, ast.Dict)) and not ast.unparse(stmt.value).strip("[](){}"))
    return isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)) or (
        isinstance(stmt, ast.Return) and (stmt.value is None or (isinstance(stmt.value, ast.Constant) and stmt.value.value is None)))  # fmt: skip


def _refuses_with_message(func: ast.AST) -> bool:
    """A short check that raises an error built with a message (``raise SupersetSecurityException(SupersetError(
    message=...))``) and does no loop, ``try`` or ``with`` of its own."""
    if not isinstance(func, ast.FunctionDef) or sum(1 for n in ast.walk(func) if isinstance(n, ast.stmt)) > 15:
        return False
    nodes = list(ast.walk(func))
    if any(isinstance(n, (ast.For, ast.While, ast.Try, ast.With)) for n in nodes):
        return False
    raises = [n for n in nodes if isinstance(n, ast.Raise)]
    return bool(raises) and all(isinstance(r.exc, ast.Call) and (r.exc.args or r.exc.keywords) for r in raises)
