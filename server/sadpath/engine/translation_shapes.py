"""Shapes of a ``raise`` inside an ``except`` block that are not a translation worth a ``from`` (SAD103).

- a client-error answer whose status the raise passes as an argument (``error_code=INVALID_PARAMETER_VALUE``,
  ``status_code=404``): the framework serialises a 4xx and logs nothing, so no cause is ever shown;
- a new condition: the raise sits under an ``if`` of the handler whose test checks something fresh (a re-read, a
  call) and not the caught error;
- a restatement whose message already carries the caught error's text (``str(e)``, ``{e}``, ``e.args``) after a
  ``try`` of one call: the cause is in the message and the traceback still prints as context;
- test support and vendored code, where a missing ``from`` is not worth anyone's time;
- a set-up refusal: ``except AttributeError: raise ImproperlyConfigured("SessionMiddleware must appear before
  ...")``, a missing attribute or key of the configuration told as what to configure (services review round 18,
  SAD103 row 20). The lookup's error ("no attribute 'session'") says less than the message.
"""

from __future__ import annotations

import ast
import re

from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.walker import NESTED_SCOPES

_STATUS_KEYWORDS = frozenset({"error_code", "status_code", "status", "code", "http_status", "status_int"})
_CLIENT_CODES = re.compile(
    r"(?:^|_)(?:INVALID_PARAMETER_VALUE|INVALID_ARGUMENT|INVALID_REQUEST|RESOURCE_DOES_NOT_EXIST|RESOURCE_ALREADY_EXISTS"
    r"|ALREADY_EXISTS|NOT_FOUND|BAD_REQUEST|UNPROCESSABLE_ENTITY|CONFLICT|PERMISSION_DENIED|FORBIDDEN|UNAUTHORIZED"
    r"|UNAUTHENTICATED|HTTP_4\d\d\w*)$",
    re.IGNORECASE,
)
_SERVER_CODES = re.compile(r"INTERNAL|SERVER_ERROR|UNAVAILABLE|HTTP_5\d\d|TEMPORARILY", re.IGNORECASE)
_CLIENT_FACTORIES = re.compile(r"^(?:invalid_parameter_value|invalid_argument|not_found|bad_request|already_exists)$")


def _constant_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _is_client_code(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return 400 <= node.value < 500
    if isinstance(node, ast.Call) and not node.args and not node.keywords:  # ``ErrorCode.Name(...)`` is too clever
        return False
    name = _constant_name(node)
    return bool(name) and name.isupper() and bool(_CLIENT_CODES.search(name))


def is_server_code(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value >= 500
    name = _constant_name(node)
    return bool(name) and name.isupper() and bool(_SERVER_CODES.search(name))


def client_status_argument(call: ast.Call, handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """The raise gives a project error its status per raise, and that status is a client error: a status keyword
    (``error_code=RESOURCE_DOES_NOT_EXIST``, ``status_code=404``), a positional client-error constant
    (``MlflowException(msg, INVALID_PARAMETER_VALUE)``) or a client-error factory
    (``MlflowException.invalid_parameter_value(msg)``). Not when the caught error is a bug's (a ``TypeError``
    alone) or an infrastructure failure (a refused connection, a database outage) dressed up as a 4xx: that one
    needs its cause."""
    caught = _caught(handler)
    if not caught or caught <= {"TypeError"} or any(_infrastructure(c, ctx) for c in _caught_exprs(handler)):
        return False
    if isinstance(call.func, ast.Attribute) and _CLIENT_FACTORIES.match(call.func.attr):
        return True
    if any(k.arg in _STATUS_KEYWORDS and _is_client_code(k.value) for k in call.keywords):
        return not any(k.arg in _STATUS_KEYWORDS and is_server_code(k.value) for k in call.keywords)
    return any(not isinstance(a, ast.Constant) and _is_client_code(a) for a in call.args[1:])


def _caught_exprs(handler: ast.ExceptHandler) -> list[ast.expr]:
    if handler.type is None:
        return []
    return list(handler.type.elts) if isinstance(handler.type, ast.Tuple) else [handler.type]


def _caught(handler: ast.ExceptHandler) -> set[str]:
    return {ast.unparse(c).rpartition(".")[2] for c in _caught_exprs(handler)}


_INFRA_WORDS = ("OperationalError", "DatabaseError", "InterfaceError", "OSError", "IOError")


def _infrastructure(caught: ast.expr, ctx: ModuleContext) -> bool:
    """A remote service's or the infrastructure's error (``requests.Timeout``, ``ConnectionError``,
    ``OperationalError``): what lies under its text (a request id, a response, a status) is the diagnosis."""
    qualified = ctx.qualified_name(caught) or ast.unparse(caught)
    simple = qualified.rpartition(".")[2]
    return _remote(caught, ctx) or simple.endswith(_INFRA_WORDS)


def _bound_in(stmts: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return names


def new_condition(handler: ast.ExceptHandler, parents: list[ast.AST]) -> bool:
    """The raise sits under an ``if`` of the handler whose test does not involve the caught error and checks
    something fresh: a call (``if not self._is_installed()``) or a value the handler computed itself (a re-read
    after the conflict: ``rows = read(); if not rows: raise ...``). That is a new condition, not the caught error
    restated, and chaining the caught error as its cause would be false."""
    inside = False
    for parent in parents:
        if parent is handler:
            inside = True
            continue
        if not inside:
            continue
        if isinstance(parent, NESTED_SCOPES):
            return False
        if isinstance(parent, ast.If):
            names = {n.id for n in ast.walk(parent.test) if isinstance(n, ast.Name)}
            if handler.name and handler.name in names:
                continue
            if _DEADLINE.search(ast.unparse(parent.test)):
                continue  # a deadline or attempt cap after repeated failures: the last failure is its cause
            fresh = _bound_in(handler.body) - ({handler.name} if handler.name else set())
            if names & fresh or any(isinstance(n, (ast.Call, ast.Await)) for n in ast.walk(parent.test)):
                return True
    return False


_DEADLINE = re.compile(r"monotonic|time\(|elapsed|deadline|timeout|expir|attempt|retries|tries|retry", re.IGNORECASE)
_REMOTE_ROOTS = frozenset({"requests", "httpx", "aiohttp", "urllib3", "stripe", "botocore", "boto3", "google", "grpc",
                           "redis", "pika", "kafka", "aiokafka", "psycopg", "psycopg2", "asyncpg", "pymongo", "smtplib",
                           "paramiko", "openai", "anthropic", "azure", "elasticsearch", "socket", "ssl"})  # fmt: skip
_REMOTE_WORDS = ("RequestException", "HTTPError", "ConnectionError", "ClientError", "APIError", "APIConnectionError",
                 "RateLimitError", "Timeout", "TimeoutError", "ServiceUnavailable")  # fmt: skip
_TEXT_ATTRS = frozenset({"args", "message", "msg", "detail", "reason", "strerror"})
_BUILTINS = frozenset({"str", "repr", "len", "int", "float", "bool", "list", "dict", "set", "tuple", "sorted", "isinstance",
                       "getattr", "hasattr", "type", "format", "print"})  # fmt: skip


def _carries_text(arg: ast.AST, name: str) -> bool:
    for node in ast.walk(arg):
        if isinstance(node, ast.FormattedValue) and isinstance(node.value, ast.Name) and node.value.id == name:
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("str", "repr", "format")
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == name
        ):
            return True
        if isinstance(node, ast.Attribute) and node.attr in _TEXT_ATTRS and isinstance(node.value, ast.Name) and node.value.id == name:
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and any(
            isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.right)
        ):
            return True
    return False


def restates_caught_text(call: ast.Call, handler: ast.ExceptHandler, try_node: ast.Try | None, ctx: ModuleContext) -> bool:
    """``except ValueError as exc: raise ConfigError(f"bad rule {v!r}: {exc}")`` after a ``try`` of one call: the
    new message carries the caught error's text, the traceback still prints as context, and with one call there
    is no doubt which step failed. (Not for a server error: that one is logged with its traceback, where the
    chain reads better; nor for a remote service's error, whose request id, response or status underneath the
    text leaves out.)"""
    if not handler.name or try_node is None:
        return False
    if handler.type is None or "BaseException" in ast.unparse(handler.type):
        return False  # SAD102's business
    values = [*call.args, *(k.value for k in call.keywords)]
    if any(is_server_code(v) for v in values):
        return False
    if not any(_carries_text(v, handler.name) for v in values):
        return False
    calls = [
        n
        for stmt in try_node.body
        for n in ast.walk(stmt)
        if isinstance(n, ast.Call) and not (isinstance(n.func, ast.Name) and n.func.id in _BUILTINS)
    ]
    if len(calls) != 1 or external_call(calls[0], ctx) is not None:
        return False
    return not any(_remote(c, ctx) for c in _caught_exprs(handler))


def _remote(caught: ast.expr, ctx: ModuleContext) -> bool:
    qualified = ctx.qualified_name(caught) or ast.unparse(caught)
    return qualified.partition(".")[0] in _REMOTE_ROOTS or qualified.rpartition(".")[2].endswith(_REMOTE_WORDS)


_SUPPORT_PARTS = frozenset({"testing", "_vendor", "vendor", "vendored", "_vendored", "third_party"})


def support_or_vendored(path: str) -> bool:
    """A module under ``testing/``, ``_vendor/`` or ``vendor/``: test helpers and copied third-party code."""
    parts = re.split(r"[\\/]", path)
    return any(part in _SUPPORT_PARTS for part in parts[-4:-1])  # (near the file: not the checkout's own folders)


_SETUP_ERRORS = frozenset({"django.core.exceptions.ImproperlyConfigured"})


def setup_refusal(qualified: str, handler: ast.ExceptHandler) -> bool:
    """A configuration error (Django's ``ImproperlyConfigured``) raised for a caught ``AttributeError`` or
    ``KeyError``: the missing attribute or setting, told as what to configure."""
    caught = _caught(handler)
    return qualified in _SETUP_ERRORS and bool(caught) and caught <= {"AttributeError", "KeyError"}
