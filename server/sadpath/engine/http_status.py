"""What a condition says about an HTTP response's status, and whether a block always leaves.

Shared by SAD203 (is the body read on a path that saw a good status?) and SAD204 (does a retry loop
go round again on every non-success answer?). A condition on a response is one of:

- ``success``: its true branch saw a good status (``resp.ok``, ``resp.status_code == 200``,
  ``resp.status < 400``, ``200 <= resp.status < 300``, ``resp.is_success``, ``if resp:``);
- ``failure``: its true branch saw a bad status (``not resp.ok``, ``resp.status_code != 200``,
  ``resp.status >= 400``, ``resp.is_error``);
- ``partial``: its true branch saw one specific status and proves nothing about the others
  (``resp.status_code == 404``, ``resp.status in (304, 404)``): a 503 goes past it;
- ``guard``: it looks at the status in a way not understood here (``resp.status_code in EXPECTED``): taken as a
  check, as a reader would.

The same verdicts (success, failure) are read from an API's error envelope in a parsed body (``"error" in data``,
``data["ok"]``, ``body.get("errors")``): ``envelope_verdicts``. And ``status_hooks`` names the clients of a
module that check every response (``ClientSession(raise_for_status=True)``, a raising response hook).
"""

from __future__ import annotations

import ast
import re

SUCCESS, FAILURE, PARTIAL, GUARD = "success", "failure", "partial", "guard"
STATUS_CODE_ATTRS = frozenset({"status_code", "status", "code"})
TRUE_WHEN_GOOD = frozenset({"ok", "is_success"})
TRUE_WHEN_BAD = frozenset({"is_error", "is_client_error", "is_server_error"})
_GOOD_NAMES = frozenset({"ok", "okay", "all_ok", "created", "accepted", "no_content", "all_good", "partial_content"})
_STATUS_HOLDERS = ("HTTPStatus", "codes", "status", "web")
EXIT_CALLS = frozenset(
    {"sys.exit", "exit", "quit", "os._exit", "abort", "flask.abort", "pytest.fail", "pytest.skip", "ctx.fail", "ctx.exit",
     "ctx.abort", "self.fail", "parser.error", "typer.Exit", "click.Abort"}
)


def status_code(expr: ast.AST) -> int | None:
    """``404``, ``HTTPStatus.NOT_FOUND`` (-> 400), ``HTTPStatus.OK`` (-> 200), ``status.HTTP_404_NOT_FOUND``."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, int) and not isinstance(expr.value, bool):
        return expr.value if 100 <= expr.value < 600 else None
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, (ast.Name, ast.Attribute)):
        holder = expr.value.attr if isinstance(expr.value, ast.Attribute) else expr.value.id
        if holder not in _STATUS_HOLDERS:
            return None
        digits = re.search(r"[1-5]\d\d", expr.attr)
        if digits:
            return int(digits.group())
        return 200 if expr.attr.lower() in _GOOD_NAMES else 400
    return None


def _good(code: int) -> bool:
    return 200 <= code < 300


def verdicts(test: ast.AST, is_response) -> dict[str, str]:
    """The responses (names for which ``is_response(name)`` holds) this condition looks at, with what its true
    branch says about each one's status."""
    found: dict[str, str] = {}
    _verdicts(test, is_response, found)
    return found


def _flip(kind: str) -> str:
    return {SUCCESS: FAILURE, FAILURE: SUCCESS}.get(kind, GUARD if kind == GUARD else PARTIAL)


def _verdicts(test: ast.AST, is_response, found: dict[str, str]) -> None:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner: dict[str, str] = {}
        _verdicts(test.operand, is_response, inner)
        for name, kind in inner.items():
            found[name] = _flip(kind) if kind != PARTIAL else GUARD
        return
    if isinstance(test, ast.BoolOp):
        parts = []
        for value in test.values:
            part: dict[str, str] = {}
            _verdicts(value, is_response, part)
            parts.append(part)
        for name in {n for part in parts for n in part}:
            kinds = {part[name] for part in parts if name in part}
            if kinds == {PARTIAL} and isinstance(test.op, ast.Or):
                found[name] = PARTIAL  # ``status == 404 or status == 410``: still only some statuses
            elif len(kinds) == 1 and isinstance(test.op, ast.And) and kinds <= {SUCCESS, PARTIAL}:
                found[name] = kinds.pop()  # ``resp.ok and data``: the true branch still saw a good status
            else:
                found[name] = GUARD
        return
    if isinstance(test, ast.Name) and is_response(test.id):
        found[test.id] = SUCCESS  # a requests Response is true when its status is below 400
        return
    if isinstance(test, ast.Attribute) and _response_name(test.value, is_response):
        name = _response_name(test.value, is_response)
        if test.attr in TRUE_WHEN_GOOD:
            found[name] = SUCCESS
        elif test.attr in TRUE_WHEN_BAD:
            found[name] = FAILURE
        elif test.attr in STATUS_CODE_ATTRS or test.attr in ("reason", "reason_phrase"):
            found[name] = GUARD
        return
    if isinstance(test, ast.Compare):
        kind = _compare(test, is_response)
        if kind is not None:
            found[kind[0]] = kind[1]
            return
    for sub in ast.walk(test):  # anything else that mentions a status: a check of some kind
        if isinstance(sub, ast.Attribute) and sub.attr in STATUS_CODE_ATTRS | TRUE_WHEN_GOOD | TRUE_WHEN_BAD:
            name = _response_name(sub.value, is_response)
            if name is not None:
                found.setdefault(name, GUARD)


def _response_name(expr: ast.AST, is_response) -> str | None:
    return expr.id if isinstance(expr, ast.Name) and is_response(expr.id) else None


def _status_of(expr: ast.AST, is_response) -> str | None:
    if isinstance(expr, ast.Attribute) and expr.attr in STATUS_CODE_ATTRS:
        return _response_name(expr.value, is_response)
    return None


def _compare(test: ast.Compare, is_response) -> tuple[str, str] | None:
    operands = [test.left, *test.comparators]
    names = [_status_of(op, is_response) for op in operands]
    subject = next((n for n in names if n), None)
    if subject is None:
        return None
    if len(test.ops) == 2 and names[1] and names[0] is None and names[2] is None:
        low, high = status_code(operands[0]), status_code(operands[2])
        if low is not None and high is not None and low >= 200 and high <= 400:
            return subject, SUCCESS  # ``200 <= status < 300``
        return subject, GUARD
    if len(test.ops) != 1:
        return subject, GUARD
    op = test.ops[0]
    other = operands[1] if names[0] else operands[0]
    if not names[0]:  # ``200 == status``: read it the other way round
        op = {ast.Lt: ast.Gt(), ast.Gt: ast.Lt(), ast.LtE: ast.GtE(), ast.GtE: ast.LtE()}.get(type(op), op)
    if isinstance(op, (ast.In, ast.NotIn)):
        if not isinstance(other, (ast.Tuple, ast.List, ast.Set)):
            return subject, GUARD
        codes = [status_code(e) for e in other.elts]
        if not codes or any(c is None for c in codes):
            return subject, GUARD
        if all(_good(c) for c in codes):
            return subject, SUCCESS if isinstance(op, ast.In) else FAILURE
        if not any(_good(c) for c in codes):
            return subject, PARTIAL if isinstance(op, ast.In) else GUARD
        return subject, GUARD
    code = status_code(other)
    if code is None:
        return subject, GUARD
    if isinstance(op, (ast.Eq, ast.Is)):
        return subject, SUCCESS if _good(code) else PARTIAL
    if isinstance(op, (ast.NotEq, ast.IsNot)):
        return subject, FAILURE if _good(code) else GUARD
    if isinstance(op, ast.Lt):
        return subject, SUCCESS if code <= 400 else GUARD
    if isinstance(op, ast.LtE):
        return subject, SUCCESS if code < 400 else GUARD
    if isinstance(op, ast.GtE):
        return subject, FAILURE if code >= 300 else GUARD
    if isinstance(op, ast.Gt):
        return subject, FAILURE if code >= 299 else GUARD
    return subject, GUARD


def exit_call(stmt: ast.stmt) -> bool:
    """``sys.exit(2)``, ``abort(404)``, ``ctx.fail(...)``, ``raise SystemExit``-likes written as a call."""
    if not isinstance(stmt, ast.Expr):
        return False
    value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
    if not isinstance(value, ast.Call):
        return False
    try:
        callee = ast.unparse(value.func)
    except (ValueError, AttributeError, RecursionError):
        return False
    return callee in EXIT_CALLS or callee.endswith((".exit", "._exit"))


def always_leaves(statements: list[ast.stmt], *, loop_exits: bool = True) -> bool:
    """Every path through the block ends in ``return``/``raise`` (and ``break``/``continue`` when
    ``loop_exits``) or an exit call: nothing after it runs."""
    for stmt in statements:
        if isinstance(stmt, (ast.Return, ast.Raise)) or exit_call(stmt):
            return True
        if loop_exits and isinstance(stmt, (ast.Break, ast.Continue)):
            return True
        if isinstance(stmt, ast.If) and stmt.orelse:
            if always_leaves(stmt.body, loop_exits=loop_exits) and always_leaves(stmt.orelse, loop_exits=loop_exits):
                return True
        if isinstance(stmt, (ast.With, ast.AsyncWith)) and always_leaves(stmt.body, loop_exits=loop_exits):
            return True
        if isinstance(stmt, ast.Try) and always_leaves(stmt.body, loop_exits=loop_exits) and all(
            always_leaves(h.body, loop_exits=loop_exits) for h in stmt.handlers
        ):
            return True
    return False


# an API that answers 200 with an error payload reports failure in the body: these fields say which it was
ENVELOPE_FAILURE_KEYS = frozenset(
    {"error", "errors", "error_code", "error_message", "error_description", "errmsg", "err", "fault", "failure"}
)
ENVELOPE_SUCCESS_KEYS = frozenset({"ok", "success", "succeeded"})
ENVELOPE_STATUS_KEYS = frozenset({"status", "result", "stat", "state"})
ENVELOPE_CODE_KEYS = frozenset({"code", "errcode", "error_code", "ret", "retcode"})
_BAD_WORDS = frozenset({"error", "fail", "failed", "failure", "err", "ko"})
_GOOD_WORDS = frozenset({"ok", "success", "succeeded", "done"})


def envelope_verdicts(test: ast.AST, subject) -> dict[str, str]:
    """What a condition says about an API's error envelope in a parsed body: ``"error" in data`` (failure),
    ``"error" not in data`` / ``data["ok"]`` / ``not data.get("errors")`` (success),
    ``data.get("status") == "error"``, ``data["code"] != 0``. ``subject(expr)`` names the body an expression
    is (a name bound to ``resp.json()``, or ``resp.json()`` itself), or None."""
    found: dict[str, str] = {}
    _envelope(test, subject, found)
    return found


def _key_of(expr: ast.AST, subject) -> tuple[str, str] | None:
    """``data["error"]`` / ``data.get("error")`` -> (body name, key)."""
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) and isinstance(expr.slice.value, str):
        name = subject(expr.value)
        return (name, expr.slice.value.lower()) if name else None
    if (
        isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get" and expr.args
        and isinstance(expr.args[0], ast.Constant) and isinstance(expr.args[0].value, str)
    ):
        name = subject(expr.func.value)
        return (name, expr.args[0].value.lower()) if name else None
    return None


def _envelope(test: ast.AST, subject, found: dict[str, str]) -> None:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner: dict[str, str] = {}
        _envelope(test.operand, subject, inner)
        for name, kind in inner.items():
            found[name] = _flip(kind)
        return
    if isinstance(test, ast.BoolOp):
        for value in test.values:
            part: dict[str, str] = {}
            _envelope(value, subject, part)
            for name, kind in part.items():
                if isinstance(test.op, ast.Or) and kind != FAILURE:
                    continue  # ``ok or ...``: the true branch may not have seen a good body
                found.setdefault(name, kind)
        return
    keyed = _key_of(test, subject)
    if keyed is not None:  # truthiness of a field
        name, key = keyed
        if key in ENVELOPE_FAILURE_KEYS:
            found[name] = FAILURE
        elif key in ENVELOPE_SUCCESS_KEYS:
            found[name] = SUCCESS
        return
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, (ast.In, ast.NotIn)) and isinstance(left, ast.Constant) and isinstance(left.value, str):
        name = subject(right)
        if name and left.value.lower() in ENVELOPE_FAILURE_KEYS:
            found[name] = FAILURE if isinstance(op, ast.In) else SUCCESS
        return
    keyed = _key_of(left, subject) or _key_of(right, subject)
    other = right if _key_of(left, subject) else left
    if keyed is None or not isinstance(other, ast.Constant):
        return
    name, key = keyed
    equal = isinstance(op, (ast.Eq, ast.Is))
    if not equal and not isinstance(op, (ast.NotEq, ast.IsNot)):
        return
    value = other.value
    kind = None
    if value is None and key in ENVELOPE_FAILURE_KEYS:
        kind = SUCCESS if equal else FAILURE  # ``data.get("error") is None``
    elif isinstance(value, bool) and key in ENVELOPE_SUCCESS_KEYS:
        kind = SUCCESS if equal == value else FAILURE  # ``data["ok"] is True``
    elif isinstance(value, str) and key in ENVELOPE_STATUS_KEYS | ENVELOPE_SUCCESS_KEYS:
        word = value.lower()
        if word in _BAD_WORDS:
            kind = FAILURE if equal else SUCCESS
        elif word in _GOOD_WORDS:
            kind = SUCCESS if equal else FAILURE
    elif isinstance(value, int) and not isinstance(value, bool) and value == 0 and key in ENVELOPE_CODE_KEYS:
        kind = SUCCESS if equal else FAILURE  # ``data["code"] != 0``
    if kind is not None:
        found[name] = kind


CLIENT_SUFFIXES = ("ClientSession", "Client", "AsyncClient", "Session")


def status_hooks(tree: ast.AST, text: str) -> tuple[frozenset[str], bool]:
    """The clients of a module that check every response (``ClientSession(raise_for_status=True)``, httpx
    ``event_hooks=``, a requests response hook), by the name they are bound to, and whether one is made unnamed."""
    if not any(marker in text for marker in ("raise_for_status=", "event_hooks", "hooks[", "hooks=", ".hooks")):
        return frozenset(), False
    named: set[str] = set()
    hooked_calls: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _raising_client(node):
            hooked_calls.add(id(node))
    placed: set[int] = set()
    for node in ast.walk(tree):
        pairs: list[tuple[ast.AST, ast.AST]] = []
        if isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            pairs = [(node.target, node.value)]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            pairs = [(item.optional_vars, item.context_expr) for item in node.items if item.optional_vars is not None]
        for target, value in pairs:
            value = value.value if isinstance(value, ast.Await) else value
            if id(value) in hooked_calls and isinstance(target, (ast.Name, ast.Attribute)):
                named.add(_dotted(target))
                placed.add(id(value))
            if isinstance(target, ast.Attribute) and target.attr == "hooks":
                named.add(_dotted(target.value))  # session.hooks = {"response": [...]}
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "hooks":
            named.add(_dotted(node.value.value))  # session.hooks["response"].append(check)
    named.discard("")
    return frozenset(named), bool(hooked_calls - placed)


def _raising_client(call: ast.Call) -> bool:
    try:
        callee = ast.unparse(call.func)
    except (ValueError, AttributeError, RecursionError):
        return False
    if not callee.endswith(CLIENT_SUFFIXES):
        return False
    for keyword in call.keywords:
        if keyword.arg == "raise_for_status":
            return not (isinstance(keyword.value, ast.Constant) and keyword.value.value in (False, None))
        if keyword.arg in ("event_hooks", "hooks"):
            return not (isinstance(keyword.value, ast.Dict) and not keyword.value.keys)
    return False


def _dotted(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except (ValueError, AttributeError, RecursionError):
        return ""


def caller_option(test: ast.expr, function: ast.AST) -> bool:
    """``if raise_on_error:``, ``if not self.lenient:``: a plain flag the caller sets (a parameter of the function,
    an option on the object), so whether a bad status raises is the caller's documented choice."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if isinstance(test, ast.Attribute):
        return isinstance(test.value, ast.Name) and test.value.id in ("self", "cls")
    if isinstance(test, ast.Name) and isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        args = function.args
        return test.id in {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    return False
