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
