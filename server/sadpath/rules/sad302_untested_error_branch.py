"""# SAD302 untested-error-branch

## What it does

Reads the coverage data of the project's test run (coverage.py's `.coverage`
file) and flags the error branches the tests never entered: an `except` handler
whose body never ran, and the failure branch of an HTTP status check that never
ran: the body of `if not resp.ok:`, `if resp.status_code != 200:`,
`if resp.status_code >= 400:` or `if resp.is_error:`, the `else` of
`if resp.ok:` or `if resp.status_code == 200:`. Responses are recognised as in
SAD203: the result of a call to an HTTP client of the knowledge base, checked
through the attributes it lists (`ok`, `status_code`, `status`, ...).

It only flags a branch whose happy path did run: the `try` body, or the status
check itself, ran under the tests (a function the tests never call is coverage's
own report's business). It stays quiet without data, for a file the data does
not measure, for a file changed since the data was written (newer on disk than
the data, or an editor buffer with unsaved edits: the line numbers would lie),
for `except ImportError` fallbacks (which optional dependency is installed is not
a failure), for a branch marked `# pragma: no cover`, in test modules
(`test_*.py`, `*_test.py`, `conftest.py`), and when the data cannot tell: a body
written on the `except` line itself is judged only with branch data
(`coverage run --branch`), a body written on the `if` line never.

## Why is this bad?

An error branch that never ran under the tests is a guess: a typo in the
handler, a wrong exception attribute or a wrong status mapping surfaces in
production, at the very moment the handling is needed, and turns a handled
failure into a crash or a wrong answer.

## Example

```python
from unittest import mock

import requests


class PaymentUnavailable(Exception):
    pass


def charge(order_id, amount):
    try:
        resp = requests.post("https://pay.example/charges", json={"order": order_id, "amount": amount}, timeout=5)
    except requests.Timeout as exc:
        raise PaymentUnavailable(f"charging order {order_id} timed out") from exc
    resp.raise_for_status()
    return resp.json()["id"]


# the tests (run under coverage): only the happy path
def test_charge():
    with mock.patch("requests.post") as post:
        post.return_value.json.return_value = {"id": "ch_1"}
        assert charge(7, 100) == "ch_1"
```

## Use instead

```python
from unittest import mock

import pytest
import requests


class PaymentUnavailable(Exception):
    pass


def charge(order_id, amount):
    try:
        resp = requests.post("https://pay.example/charges", json={"order": order_id, "amount": amount}, timeout=5)
    except requests.Timeout as exc:
        raise PaymentUnavailable(f"charging order {order_id} timed out") from exc
    resp.raise_for_status()
    return resp.json()["id"]


# the tests (run under coverage): the happy path and the timeout
def test_charge():
    with mock.patch("requests.post") as post:
        post.return_value.json.return_value = {"id": "ch_1"}
        assert charge(7, 100) == "ch_1"


def test_charge_times_out():
    with mock.patch("requests.post", side_effect=requests.Timeout):
        with pytest.raises(PaymentUnavailable):
            charge(7, 100)
```

## Fix safety

No fix: the remedy is a test that injects the failure (patch the client to
raise `requests.Timeout`, or to answer with a 503), and only you know what the
code should do then.

## Options

- `coverage`: the coverage.py data file, relative to the `pyproject.toml`
  (`coverage = ".coverage"`). `sadpath check --coverage PATH` overrides it; in
  the editor, the language server's `coverage` option does (relative to the
  workspace root). Without it the rule is inactive; when the file is missing or
  unreadable the rule is silent and sadpath says so once. Branch data
  (`coverage run --branch`) lets the rule judge one-line handlers too.

## References

- [coverage.py: the CoverageData API](https://coverage.readthedocs.io/en/latest/api_coveragedata.html)
- [coverage.py: branch coverage](https://coverage.readthedocs.io/en/latest/branch.html)
- [unittest.mock: side_effect raises an exception](https://docs.python.org/3/library/unittest.mock.html#unittest.mock.Mock.side_effect)
"""

from __future__ import annotations

import ast
import os
import re

from sadpath.engine import coverage_data
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import ExternalCall, external_call
from sadpath.engine.reparse import first_line
from sadpath.model import Severity
from sadpath.engine import catching
from sadpath.rules import _except
from sadpath.knowledge import HTTP_STATUS_MODES
from sadpath.rules.base import Rule
from sadpath.engine.walker import NESTED_SCOPES

# coverage.py's default exclusion: a branch its author marked as not to be covered
NO_COVER = re.compile(r"#\s*(pragma|PRAGMA)[:\s]?\s*(no|NO)\s*(cover|COVER)")
IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})
SUCCESS_FLAGS = frozenset({"ok", "is_success"})
FAILURE_FLAGS = frozenset({"is_error", "is_client_error", "is_server_error"})
STATUS_CODES = frozenset({"status_code", "status"})
STATUS_MODES = HTTP_STATUS_MODES - {"conflict"}  # a conflict is also a database lock, not only a 409
_FLIP = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}


class UntestedErrorBranch(Rule):
    code = "SAD302"
    slug = "untested-error-branch"
    summary = "An `except` branch or HTTP status-failure branch that the tests' coverage data shows never ran."
    severity = Severity.INFO
    fix_applicabilities = ()

    @classmethod
    def is_active(cls, settings) -> bool:
        return getattr(settings, "coverage", None) is not None

    @classmethod
    def context_key(cls, ctx: ModuleContext) -> str:
        return _view(ctx).key  # the data file's identity and whether it measures this very text

    def visit_ExceptHandler(self, node: ast.ExceptHandler, ctx: ModuleContext) -> None:
        view = _view(ctx)
        if not view.measured:
            return
        try_node = _except.enclosing_try(node, ctx)
        if try_node is None or not _ran(view, _lines(try_node.body)):
            return  # the happy path never ran either: the function is untested, not its error branch
        if _marked_no_cover(node.lineno, ctx):
            return
        names = catching.caught_names(node, ctx)
        if names and all(name in IMPORT_ERRORS for name in names):
            return  # an optional dependency's fallback
        if not _handler_never_ran(node, try_node, view):
            return
        caught = catching.classify(node, ctx)
        label = "the bare `except:` branch" if node.type is None else f"the {caught.label} branch"
        message = (
            f"{label} of {_where(ctx)} never ran under the tests: nobody knows whether it works; "
            f"add a test that {_how_to_fail(node, caught.names, try_node, ctx)}."
        )
        ctx.report(self, ctx.line_span(node), message)

    def visit_If(self, node: ast.If, ctx: ModuleContext) -> None:
        view = _view(ctx)
        if not view.measured or node.lineno not in view.lines:
            return  # the check itself never ran: nothing is known about its branches
        check = _status_check(node.test, ctx)
        if check is None:
            return
        true_on_failure, external = check
        branch = node.body if true_on_failure else node.orelse
        if not branch or first_line(branch[0]) == node.lineno:
            return  # no failure branch, or one on the `if` line: line data cannot tell whether it ran
        if _ran(view, _lines(branch)) or _marked_no_cover(node.lineno, ctx):
            return
        test = ast.unparse(node.test)
        if len(test) > 50:
            test = test[:47] + "..."
        label = f"the failure branch of `if {test}:`" if true_on_failure else f"the failure branch (`else`) of `if {test}:`"
        message = (
            f"{label} in {_where(ctx)} never ran under the tests: nobody knows whether it works; "
            f"add a test where `{external.name}()` answers with an error status (a 404, a 503)."
        )
        ctx.report(self, ctx.line_span(node), message)


# ------------------------------------------------------------------ coverage
def _view(ctx: ModuleContext) -> coverage_data.FileView:
    view = ctx.memo.get("sad302-view")
    if view is None:
        if _is_test_module(ctx.source.path):
            view = coverage_data.FileView("test module")
        else:
            view = coverage_data.view(ctx.settings, ctx.source.path, ctx.source.text)
        ctx.memo["sad302-view"] = view
    return view


def _is_test_module(path: str) -> bool:
    name = os.path.basename(path)
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def _lines(statements: list[ast.stmt]) -> range:
    return range(first_line(statements[0]), (statements[-1].end_lineno or statements[-1].lineno) + 1)


def _ran(view: coverage_data.FileView, lines) -> bool:
    executed = view.lines or frozenset()
    return any(line in executed for line in lines)


def _handler_never_ran(handler: ast.ExceptHandler, try_node: ast.Try, view: coverage_data.FileView) -> bool:
    header = handler.lineno
    executed = view.lines or frozenset()
    if first_line(handler.body[0]) != header:
        # the `except` line runs whenever an exception is matched against it; its body only when it matched
        return not _ran(view, [line for line in _lines(handler.body) if line != header])
    if header not in executed:
        return True  # no exception ever reached this clause
    if view.arcs is None:
        return False  # `except X: return None` on one line: line data cannot tell a match from a miss
    # branch data: a clause that only ever handed the exception on to the next clause never matched
    handlers = try_node.handlers
    index = handlers.index(handler)
    following = handlers[index + 1].lineno if index + 1 < len(handlers) else None
    targets = {end for start, end in view.arcs if start == header}
    return bool(targets) and following is not None and targets <= {following}


def _marked_no_cover(line: int, ctx: ModuleContext) -> bool:
    return bool(NO_COVER.search(ctx.source.line(line)))


# ------------------------------------------------------------------ messages
def _where(ctx: ModuleContext) -> str:
    function = ctx.enclosing_function()
    if function is None:
        return "the module's top-level code"
    owner = ctx.enclosing_class()
    if owner is not None and function in owner.body:
        return f"`{owner.name}.{function.name}()`"
    return f"`{function.name}()`"


def _how_to_fail(handler: ast.ExceptHandler, names: tuple[str, ...], try_node: ast.Try, ctx: ModuleContext) -> str:
    """How a test gets into the handler: the failure mode of what it catches, done to the external call
    in the ``try`` (or its first call); for other exceptions, the ``try`` body raising it."""
    found = _except.first_call_in(try_node.body, ctx, skip=lambda call: external_call(call, ctx) is None)
    found = found or _except.first_call_in(try_node.body, ctx)
    call = f"`{found[1]}`" if found is not None else "the call"
    if handler.type is None or any(name in catching.BROAD for name in names):
        return f"makes {call} fail"
    modes: set[str] = set()
    for name in names:
        if name:
            modes.update(ctx.hierarchy.modes(name))
    if modes == {"timeout"}:
        return f"makes {call} time out"
    if modes == {"connection"}:
        return f"makes {call} fail to connect"
    if modes and modes <= STATUS_MODES:
        return f"makes {call} answer with an error status"
    if modes == {"serialization"}:
        return f"feeds {call} malformed data"
    caught = ast.unparse(handler.type)
    if isinstance(handler.type, ast.Tuple):
        return f"makes the `try` body raise one of `{caught.strip('()')}`"
    return f"makes the `try` body raise `{caught}`"


# ------------------------------------------------------------------ HTTP status checks
def _status_check(test: ast.AST, ctx: ModuleContext) -> tuple[bool, ExternalCall] | None:
    """(whether the test is true when the status is a failure, the call behind the response), for a test of
    an HTTP response's status; None for anything else."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _status_check(test.operand, ctx)
        return (not inner[0], inner[1]) if inner is not None else None
    if isinstance(test, ast.Attribute):
        response = _response(test.value, test.attr, ctx)
        if response is None:
            return None
        if test.attr in SUCCESS_FLAGS:
            return False, response
        if test.attr in FAILURE_FLAGS:
            return True, response
        return None
    if isinstance(test, ast.Name):  # `if resp:`: a requests Response is true below 400
        response = _response(test, "ok", ctx)
        return (False, response) if response is not None else None
    if isinstance(test, ast.Compare):
        return _status_compare(test, ctx)
    return None


def _status_compare(test: ast.Compare, ctx: ModuleContext) -> tuple[bool, ExternalCall] | None:
    operands = [test.left, *test.comparators]
    if len(test.ops) == 2 and isinstance(operands[1], ast.Attribute) and operands[1].attr in STATUS_CODES:
        # 200 <= resp.status_code < 300
        low, high = _ints(operands[0]), _ints(operands[2])
        if low is None or high is None or len(low) != 1 or len(high) != 1:
            return None
        if not all(isinstance(op, (ast.Lt, ast.LtE)) for op in test.ops):
            return None
        response = _response(operands[1].value, operands[1].attr, ctx)
        if response is None:
            return None
        lowest = low[0] + (0 if isinstance(test.ops[0], ast.LtE) else 1)
        highest = high[0] - (0 if isinstance(test.ops[1], ast.LtE) else 1)
        if 200 <= lowest and highest <= 299:
            return False, response
        if lowest >= 400:
            return True, response
        return None
    if len(test.ops) != 1:
        return None
    op, left, right = test.ops[0], operands[0], operands[1]
    if isinstance(left, ast.Attribute) and left.attr in STATUS_CODES:
        status, other = left, right
    elif isinstance(right, ast.Attribute) and right.attr in STATUS_CODES and type(op) in _FLIP:
        status, other, op = right, left, _FLIP[type(op)]()
    else:
        return None
    values = _ints(other)
    if values is None:
        return None
    verdict = _judge(op, values)
    if verdict is None:
        return None
    response = _response(status.value, status.attr, ctx)
    return (verdict, response) if response is not None else None


def _judge(op: ast.cmpop, values: tuple[int, ...]) -> bool | None:
    """Whether ``status <op> values`` is true on failure (True), on success (False), or neither (None)."""
    success = all(200 <= v <= 299 for v in values)
    failure = all(v >= 400 for v in values)
    single = values[0] if len(values) == 1 else None
    if isinstance(op, ast.Eq) and single is not None:
        return False if success else True if failure else None
    if isinstance(op, ast.NotEq) and single is not None:
        return True if success else None
    if isinstance(op, ast.In):
        return False if success else True if failure else None
    if isinstance(op, ast.NotIn):
        return True if success else None
    if single is None:
        return None
    if isinstance(op, ast.Gt) and 299 <= single <= 499:
        return True
    if isinstance(op, ast.GtE) and 300 <= single <= 500:
        return True
    if isinstance(op, ast.Lt) and 300 <= single <= 500:
        return False
    if isinstance(op, ast.LtE) and 299 <= single <= 499:
        return False
    return None


def _ints(node: ast.AST) -> tuple[int, ...] | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return (node.value,)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts:
        values = [e.value for e in node.elts if isinstance(e, ast.Constant) and type(e.value) is int]
        return tuple(values) if len(values) == len(node.elts) else None
    return None


def _response(expr: ast.AST, attr: str, ctx: ModuleContext) -> ExternalCall | None:
    """The HTTP call behind a response expression whose client lists ``attr`` as a status check."""
    external = None
    if isinstance(expr, ast.Await):
        expr = expr.value
    if isinstance(expr, ast.Call):
        external = external_call(expr, ctx)
    elif isinstance(expr, ast.Name):
        external = _bound_response(expr, ctx)
    if external is None or external.interface.kind != "http" or external.interface.response is None:
        return None
    return external if attr in external.interface.response.check_attrs else None


def _bound_response(name: ast.Name, ctx: ModuleContext) -> ExternalCall | None:
    """The HTTP call whose response ``name`` holds: its latest binding before this line in the same function."""
    scope = ctx.enclosing_function() or ctx.tree
    key = ("sad302-bindings", id(scope))
    bindings = ctx.memo.get(key)
    if bindings is None:
        bindings = ctx.memo[key] = _bindings(scope, ctx)
    found = None
    for line, external in bindings.get(name.id, ()):
        if line < name.lineno:
            found = external
    return found


def _bindings(scope: ast.AST, ctx: ModuleContext) -> dict[str, list[tuple[int, ExternalCall | None]]]:
    """name -> [(line, the HTTP call or None)] for every binding of a plain name in the scope's own body
    (assignments and `with ... as`), in source order."""
    found: dict[str, list[tuple[int, ExternalCall | None]]] = {}
    stack = list(reversed(getattr(scope, "body", [])))
    while stack:
        node = stack.pop()
        if isinstance(node, NESTED_SCOPES):
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append((node.lineno, _http_call(node.value, ctx)))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name):
                    found.setdefault(item.optional_vars.id, []).append((node.lineno, _http_call(item.context_expr, ctx)))
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    for entries in found.values():
        entries.sort(key=lambda entry: entry[0])
    return found


def _http_call(value: ast.AST, ctx: ModuleContext) -> ExternalCall | None:
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return None
    external = external_call(value, ctx)
    if external is None or external.interface.kind != "http" or external.interface.response is None:
        return None
    return external
