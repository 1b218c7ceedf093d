"""Insert ``resp.raise_for_status()`` right after the request (SAD203, unsafe).

``raise_for_status()`` puts the request's URL into its message (``401 Client Error: ... for url: ...``). When the
request passes a secret in the URL's query (``params={"api_key": ...}``, ``f"...?token={token}"``,
``urlencode({"key": key})``), the caller's ``logger.exception`` would write it to the log on every error answer:
there the fix checks the status itself and raises the service's error (the module's own, else one named after the
service, see ``domain_errors``) with the status and a body excerpt, never the URL."""

from __future__ import annotations

import ast
import re

import libcst as cst

from sadpath.fixes.additions import ModuleAdditions
from sadpath.fixes.domain_errors import DomainErrors, url_stem
from sadpath.fixes.nodes import imports_root
from sadpath.fixes.request import FixRequest, py_string
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.model import Edit

SECRET_PARTS = frozenset(
    {"key", "apikey", "token", "secret", "password", "passwd", "pwd", "credential", "credentials", "signature", "sig", "auth"}
)
_QUERY_KEY = re.compile(r"[?&]([A-Za-z0-9_.-]+)=")
CLIENTS = ("requests", "httpx", "aiohttp")


def build(req: FixRequest) -> list[Edit]:
    name = str(req.finding.data.get("name") or "")
    line = req.finding.data.get("statement_line")
    if not name.isidentifier() or not isinstance(line, int):
        raise FixRefused("no response variable to check")
    region = req.region()
    target = None
    for node_type in (cst.SimpleStatementLine, cst.With):
        try:
            target = region.node_at(node_type, line)
            break
        except FixRefused:
            continue
    if target is None:
        raise FixRefused(f"no statement at line {line}")
    additions = ModuleAdditions()
    check = cst.parse_statement(f"{name}.raise_for_status()\n")
    secret = _query_secret(req, line)
    if secret is not None:
        check = _status_check(req, line, name, secret, additions)
    if isinstance(target, cst.With):
        body = target.body
        if not isinstance(body, cst.IndentedBlock):
            raise FixRefused("a one-line with block")
        new = target.with_changes(body=body.with_changes(body=[check, *body.body]))
        module = region.module.deep_replace(target, new)
    else:
        module = region.module.deep_replace(target, cst.FlattenSentinel([target, check]))
    return finish(req, region, module, additions)


def is_secret_name(name: str) -> bool:
    """``api_key``, ``apiKey``, ``access_token``, ``client_secret``, ``password``: a credential's name."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    parts = [p for p in re.split(r"[^a-z0-9]+", spaced.lower()) if p]
    return any(p in SECRET_PARTS for p in parts) or name.lower().replace("_", "") in SECRET_PARTS


def _request_call(req: FixRequest, line: int) -> ast.Call | None:
    for node in ast.walk(req.tree):
        if isinstance(node, ast.stmt) and node.lineno == line:
            calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
            return calls[0] if calls else None
    return None


def _query_secret(req: FixRequest, line: int) -> str | None:
    """The name of the secret the request at ``line`` passes in its URL's query, if it does."""
    call = _request_call(req, line)
    if call is None:
        return None
    func = req.enclosing_function(line)
    bindings = _bindings(func) if func is not None else {}
    for keyword in call.keywords:
        if keyword.arg == "params":
            found = _secret_in_mapping(keyword.value, bindings, set())
            if found:
                return found
    for url in _url_args(call):
        found = _secret_in_url(url, bindings, set())
        if found:
            return found
    return None


def _url_args(call: ast.Call) -> list[ast.expr]:
    positional = list(call.args[:2])
    if positional and isinstance(positional[0], ast.Constant) and str(positional[0].value).upper() in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
        positional = positional[1:]  # requests.request("GET", url)
    return [*positional[:1], *(k.value for k in call.keywords if k.arg in ("url", "endpoint"))]


def _bindings(func: ast.AST) -> dict[str, list[ast.expr]]:
    found: dict[str, list[ast.expr]] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found.setdefault(node.targets[0].id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            found.setdefault(node.target.id, []).append(node.value)
    return found


def _secret_in_mapping(expr: ast.expr, bindings, seen: set[str]) -> str | None:
    if isinstance(expr, ast.Name) and expr.id not in seen:
        seen.add(expr.id)
        return next((f for v in bindings.get(expr.id, []) if (f := _secret_in_mapping(v, bindings, seen))), None)
    if isinstance(expr, ast.Dict):
        for key, value in zip(expr.keys, expr.values):
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and is_secret_name(key.value):
                return key.value
            if key is not None and isinstance(value, ast.Name) and is_secret_name(value.id):
                return value.id
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "dict":
        return next((k.arg for k in expr.keywords if k.arg and is_secret_name(k.arg)), None)
    return None


def _secret_in_url(expr: ast.expr, bindings, seen: set[str]) -> str | None:
    if isinstance(expr, ast.Name) and expr.id not in seen:
        seen.add(expr.id)
        return next((f for v in bindings.get(expr.id, []) if (f := _secret_in_url(v, bindings, seen))), None)
    if isinstance(expr, ast.BinOp):
        return _secret_in_url(expr.left, bindings, seen) or _secret_in_url(expr.right, bindings, seen)
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return next((k for k in _QUERY_KEY.findall(expr.value) if is_secret_name(k)), None)
    if isinstance(expr, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in expr.values)
        query = text.partition("?")[2]
        for key in _QUERY_KEY.findall("?" + query if query else ""):
            if is_secret_name(key):
                return key
        for value in expr.values:
            if isinstance(value, ast.FormattedValue):
                inner = value.value
                if query and isinstance(inner, ast.Name) and is_secret_name(inner.id) and text.index("{}") > text.index("?"):
                    return inner.id
                found = _secret_in_url(inner, bindings, seen)
                if found:
                    return found
    if isinstance(expr, ast.Call):
        func = expr.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called == "urlencode" and expr.args:
            return _secret_in_mapping(expr.args[0], bindings, seen)
    return None


def _client(req: FixRequest, call: ast.Call | None) -> str | None:
    root = call.func if call is not None else None
    while isinstance(root, ast.Attribute):
        root = root.value
    if isinstance(root, ast.Name) and root.id in CLIENTS:
        return root.id
    imported = [c for c in CLIENTS if imports_root(req.module_tree or req.tree, c)]
    return imported[0] if len(imported) == 1 else None


def _status_check(req: FixRequest, line: int, name: str, secret: str, additions: ModuleAdditions) -> cst.BaseStatement:
    """``if not response.ok: raise ServiceError(f"Service answered HTTP {status}: {body[:200]}")``."""
    call = _request_call(req, line)
    client = _client(req, call)
    func = req.enclosing_function(line)
    if client is None or (client == "aiohttp" and not isinstance(func, ast.AsyncFunctionDef)):
        raise FixRefused(f"the request passes `{secret}` in the URL, which raise_for_status() would put in its message, "
                         "and this fix cannot tell how to read the status of this client")
    errors = DomainErrors(req, additions)
    bindings = _bindings(func) if func is not None else {}
    stem = ""
    for url in _url_args(call) if call is not None else []:
        for value in [url, *(bindings.get(url.id, []) if isinstance(url, ast.Name) else [])]:
            stem = stem or url_stem(ast.Call(func=ast.Name("get"), args=[value], keywords=[]))
    service = stem or errors.service()
    error = errors.base(service, plain=True)  # raised without a cause, answered by no handler of its own: no status
    if client == "aiohttp":
        test, status, body = f"{name}.status >= 400", f"{name}.status", f"(await {name}.text())[:200]"
    elif client == "httpx":
        test, status, body = f"{name}.is_error", f"{name}.status_code", f"{name}.text[:200]"
    else:
        test, status, body = f"not {name}.ok", f"{name}.status_code", f"{name}.text[:200]"
    message = py_string(f"{service} answered HTTP {{{status}}}: {{{body}}}")
    req.title = (
        f"Check the status and raise {error} with the status and a body excerpt "
        f"(raise_for_status() would put the URL, with its `{secret}`, in the message)"
    )
    return cst.parse_statement(f"if {test}:\n    raise {error}(f{message})\n")
