"""How a response body read is used right after the read: parsed as JSON, or used strictly inside a ``try``.

Shared helpers of SAD203 (unchecked-http-status). A read whose status nobody checked still cannot be "used as if
it were the result" when the body is parsed and used strictly (``data["info"]``, ``Model.model_validate(data)``)
inside a ``try`` whose handler catches the parse or lookup failure and reports it (re-raises, logs with the
traceback, or logs the response's status): an error answer fails right there, on the spot, with the report.
"""

from __future__ import annotations

import ast

from sadpath.engine.walker import local_nodes

JSON_PARSERS = frozenset({"json.loads", "orjson.loads", "ujson.loads", "simplejson.loads"})
# what a handler must catch to see a parse or lookup failure of the body
PARSE_FAILURES = frozenset(
    {"Exception", "BaseException", "ValueError", "KeyError", "LookupError", "TypeError", "JSONDecodeError",
     "ValidationError", "ContentTypeError"}
)
# calls that refuse a body of the wrong shape (schema validation, typed loading)
STRICT_CALLS = frozenset(
    {"model_validate", "model_validate_json", "parse_obj", "parse_raw", "validate", "from_dict", "structure",
     "from_json"}
)
STATUS_FIELDS = frozenset({"status", "status_code", "reason", "text"})


def parses_json(value: ast.AST, read: set[str]) -> bool:
    """The value parses the body of a response in ``read`` as JSON (``resp.json()``, ``json.loads(resp.text)``):
    an error page that is not JSON fails right there."""
    value = value.value if isinstance(value, ast.Await) else value
    if not isinstance(value, ast.Call):
        return False
    if isinstance(value.func, ast.Attribute) and value.func.attr == "json":
        return isinstance(value.func.value, ast.Name) and value.func.value.id in read
    try:
        callee = ast.unparse(value.func)
    except (ValueError, AttributeError, RecursionError):
        return False
    return callee in JSON_PARSERS and bool(value.args)


def direct_read(expr: ast.AST, responses) -> str | None:
    """``resp.json()`` / ``await resp.json()`` itself (``resp`` in ``responses``), as the subject of a test."""
    expr = expr.value if isinstance(expr, ast.Await) else expr
    if (
        isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "json"
        and isinstance(expr.func.value, ast.Name) and expr.func.value.id in responses
    ):
        return expr.func.value.id
    return None


def fails_on_the_spot(read: ast.AST, function: ast.AST, memo: dict) -> bool:
    """The body read at ``read`` is used strictly (subscripted, validated) in the same ``try`` body before any
    other use, and a handler of that ``try`` catches the failure and reports it."""
    key = ("sad203-try-positions", id(function))
    if key not in memo:
        memo[key] = _try_positions(function)
    entry = memo[key].get(id(read))
    if entry is None:
        return False
    attempt, index = entry
    if not any(_catches_parse_failure(h) and _reports(h) for h in attempt.handlers):
        return False
    stmt = attempt.body[index]
    if _strict(stmt, lambda node: any(sub is read for sub in ast.walk(node))):
        return True
    watched = _targets(stmt)
    for nxt in attempt.body[index + 1:]:
        if not any(isinstance(n, ast.Name) and n.id in watched for n in ast.walk(nxt)):
            continue
        if _strict(nxt, lambda node: isinstance(node, ast.Name) and node.id in watched):
            return True
        if isinstance(nxt, (ast.Assign, ast.AnnAssign)):
            watched |= _targets(nxt)  # ``data = json.loads(text)``: follow the parsed data
            continue
        return False  # used some other way first (returned, iterated, passed on)
    return False


def _try_positions(function: ast.AST) -> dict[int, tuple[ast.AST, int]]:
    """Each node inside a ``try`` body, by id: the innermost such ``try`` and the index of its statement."""
    positions: dict[int, tuple[ast.AST, int]] = {}
    for node in local_nodes(function):
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            for index, stmt in enumerate(node.body):
                for sub in local_nodes(stmt):
                    positions[id(sub)] = (node, index)
    return positions


def _targets(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, ast.AnnAssign):
        targets = [stmt.target]
    else:
        return set()
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _strict(stmt: ast.AST, is_body) -> bool:
    """A use that fails at once on a body of the wrong shape: ``body["key"]``, ``Model.model_validate(body)``,
    ``Model(**body)``."""
    for node in local_nodes(stmt):
        if (
            isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and is_body(node.value)
            and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)
        ):
            return True  # a key lookup: an error payload without the key fails here
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            arguments = [*node.args, *(k.value for k in node.keywords)]
            if name in STRICT_CALLS and any(is_body(sub) for arg in arguments for sub in ast.walk(arg)):
                return True
            if any(k.arg is None and is_body(k.value) for k in node.keywords):
                return True
    return False


def _catches_parse_failure(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for expr in types:
        name = expr.attr if isinstance(expr, ast.Attribute) else expr.id if isinstance(expr, ast.Name) else ""
        if name in PARSE_FAILURES:
            return True
    return False


def _reports(handler: ast.ExceptHandler) -> bool:
    """The handler raises, logs with the traceback, or logs the response's status or body."""
    for node in local_nodes(handler):
        if isinstance(node, ast.Raise):
            return True
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr == "exception":
            return True
        if any(k.arg == "exc_info" and not (isinstance(k.value, ast.Constant) and not k.value.value) for k in node.keywords):
            return True
        if node.func.attr in ("error", "warning", "critical") and any(
            isinstance(sub, ast.Attribute) and sub.attr in STATUS_FIELDS for arg in node.args for sub in ast.walk(arg)
        ):
            return True
    return False


def empty_default(read: ast.AST, function: ast.AST | None) -> str | None:
    """The ``.get(key, [])`` that turns the body into an empty result when the key is missing, as an error body
    lacks it (``data = resp.json()`` then ``data.get("results", [])``, or ``resp.json().get("items", {})``): its
    source text, or None."""
    if function is None:
        return None
    holders: set[str] = set()
    for node in local_nodes(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if any(sub is read for sub in ast.walk(value)) and (value is read or _read_call(value, read)):
                holders.add(node.targets[0].id)
    for node in local_nodes(function):
        if isinstance(node, (ast.If, ast.IfExp, ast.While, ast.Assert)) and _inspects(node.test, holders):
            return None  # the data is inspected (``if "error" in data``): an error envelope may well be caught
    for node in local_nodes(function):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"):
            continue
        if len(node.args) != 2 or not _empty(node.args[1]):
            continue
        receiver = node.func.value
        receiver = receiver.value if isinstance(receiver, ast.Await) else receiver
        if (isinstance(receiver, ast.Name) and receiver.id in holders) or _read_call(receiver, read):
            return ast.unparse(node)
    return None


def _read_call(value: ast.AST, read: ast.AST) -> bool:
    """``resp.json()`` (or ``await resp.json()``) for the read ``resp.json``."""
    value = value.value if isinstance(value, ast.Await) else value
    return isinstance(value, ast.Call) and value.func is read


def _empty(value: ast.AST) -> bool:
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return not value.elts
    if isinstance(value, ast.Dict):
        return not value.keys
    return isinstance(value, ast.Constant) and value.value in ("", 0, None) and value.value is not False


# keys whose test looks at an error envelope (``"error" in data``, ``data.get("ok")``, ``data["status"]``)
ENVELOPE_WORDS = ("error", "ok", "status", "code", "success", "fault", "detail", "message")


def _inspects(test: ast.AST, holders: set[str]) -> bool:
    """The test looks at the body for an error: any use of a holder but ``"choices" in data`` /
    ``data.get("choices")`` / ``data["choices"]`` with a key that names a result, not an error envelope."""
    keyed: set[int] = set()
    for node in ast.walk(test):
        key = None
        if (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))
                and isinstance(node.comparators[0], ast.Name) and node.comparators[0].id in holders):
            key, holder = node.left, node.comparators[0]
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in holders:
            key, holder = node.slice, node.value
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and not any(
                word in key.value.lower() for word in ENVELOPE_WORDS):
            keyed.add(id(holder))
    return any(isinstance(n, ast.Name) and n.id in holders and id(n) not in keyed for n in ast.walk(test))
