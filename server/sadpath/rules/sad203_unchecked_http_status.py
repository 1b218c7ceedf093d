"""# SAD203 unchecked-http-status

## What it does

Flags reading an HTTP response's body (`.json()`, `.text`, `.content`, aiohttp's
`await resp.json()`/`.text()`/`.read()`) when no status check happens on the way
from the call to the read: no `resp.raise_for_status()`, no `if not resp.ok:
raise`/`return`, no `if resp.status_code != 200: ...` that leaves, no `assert` on the
status. That includes a body written to a file, cached, or handed to a parser
(`fh.write(resp.content)`, `pd.read_excel(resp.content)`, `json.loads(resp.text)`).
The check is path-sensitive: a `raise_for_status()` in one branch of an `if` does not
cover a read after it, while a read inside `if resp.ok:` or `if resp.status_code == 200:`
is covered, and a check that runs only under a condition about something else (`if
attempt == last: resp.raise_for_status()`, `if STRICT:`) covers nothing after it: the
message names that condition. A check behind a flag the caller sets (`if raise_on_error:`
for a parameter, `if self.raise_for_status:` for a loader option) is the caller's choice
and counts as a check. Handling one status only (`if resp.status_code == 304:` or `== 404`) is no
check: a 401 or 503 body still goes through as data. A chained `requests.get(url).json()`
is flagged too, and so is a response returned unchecked by a same-module helper
(`resp = _api_get(path)`).

It stays quiet when the response is handed to another function before the read
(`return resp`, `handle(resp)`: the callee may check it), when its status travels
on with the body (`return await resp.json(), resp.status`,
`Response(body, status_code=resp.status_code)`), when the client checks every
response (aiohttp `ClientSession(raise_for_status=True)`, a `requests` response hook
or httpx `event_hooks` that raises: only for that client, by the name it is bound to),
when httpx's `is_error`/`is_success` or aiohttp's `status` is tested, when the status is
checked right after the read and before the data is used (`data = resp.json()` then
`if resp.status_code != 200: raise ApiError(data)`), when the body is read to build the
error after the check failed (`raise ApiError(resp.text)` under `if not resp.ok:` or in
the handler of `raise_for_status()`), and for reads of the status or headers only.

It also stays quiet when the API's error envelope is checked in the parsed body before the
data is used, for APIs that answer errors (some with a 200) with an error payload:
`if "error" in data: raise ...`, `if not resp.json()["ok"]:` (Slack), `if body.get("errors"):`
(GraphQL), `if "error" not in data:` around the use, `data["code"] != 0`; an error page that
is not JSON fails at the parse. And when the body is parsed and used strictly
(`data["info"]`, `Model.model_validate(data)`) inside a `try` whose handler catches that
failure and reports it (re-raises, logs with the traceback or logs the status): an error
answer fails right there, not later far from the cause.

## Why is this bad?

A 404, 401 or 503 is a normal answer over HTTP, not an exception: without a
status check a JSON error body (`{"error": ...}`) goes through as if it were the
result (often an empty one, through `.get("items", [])`), an error page is used
as the body, and an error page that is not JSON fails at the parse with an error
that does not name the status.

## Example

```python
import requests


def fetch_user(user_id):
    resp = requests.get(f"https://users.example/{user_id}", timeout=5)
    return resp.json()["name"]
```

## Use instead

```python
import requests


def fetch_user(user_id):
    resp = requests.get(f"https://users.example/{user_id}", timeout=5)
    resp.raise_for_status()
    return resp.json()["name"]
```

## Fix safety

Unsafe: it inserts `resp.raise_for_status()` right after the statement that made
the request, so error statuses now raise instead of being read as data. Chained
calls (`requests.get(url).json()`) get no automatic fix.

## Options

None.

## References

- [requests: Response.raise_for_status](https://requests.readthedocs.io/en/latest/api/#requests.Response.raise_for_status)
- [httpx: raise_for_status and event hooks](https://www.python-httpx.org/advanced/event-hooks/)
- [aiohttp: raise_for_status](https://docs.aiohttp.org/en/stable/client_reference.html#aiohttp.ClientResponse.raise_for_status)
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from sadpath.messages import shorten_code
from sadpath.engine.body_reads import direct_read, empty_default, fails_on_the_spot, parses_json
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import ExternalCall, external_call
from sadpath.engine.http_status import FAILURE, GUARD, PARTIAL, SUCCESS, always_leaves, caller_option, envelope_verdicts, exit_call, status_hooks, verdicts
from sadpath.engine.local_calls import in_scope, local_function
from sadpath.engine.logcalls import LOG_METHODS
from sadpath.engine.walker import NESTED_SCOPES, local_nodes
from sadpath.knowledge.interfaces import interface_index
from sadpath.model import Applicability, FixOffer
from sadpath.rules.base import Rule

HOOK_KEYWORDS = ("raise_for_status", "event_hooks", "hooks")


@dataclass
class _Response:
    name: str
    external: ExternalCall
    statement: ast.stmt  # where the response was bound
    reported: bool = False


class UncheckedHttpStatus(Rule):
    code = "SAD203"
    slug = "unchecked-http-status"
    summary = "An HTTP response's body read with no status check on the way (`raise_for_status()`, `resp.ok`)."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ('raise_for_status',)

    @classmethod
    def context_key(cls, ctx: ModuleContext) -> str:
        hooked, everywhere = _hooks(ctx)  # a session-wide hook checks every response of that session
        return "status-hook" if everywhere else ",".join(sorted(hooked))

    def visit_FunctionDef(self, node: ast.AST, ctx: ModuleContext) -> None:
        index = interface_index(ctx.settings.interfaces)
        if not ctx.fact("names-http", lambda: any(root in ctx.source.text for root in index.http_roots)):
            return  # no HTTP client is named in this module: no response to check
        text = ctx.source.prefilter_text(node.lineno, node.end_lineno or node.lineno)
        if not any(read in text for read in index.body_reads) or _hooks(ctx)[1]:
            return  # no body is read in this function
        # the hook runs before the walk enters the function: resolve names in its own scope
        ctx.scopes.append(node)
        try:
            _Flow(self, ctx, node).block(node.body, frozenset(), {})
        finally:
            ctx.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call, ctx: ModuleContext) -> None:
        """``requests.get(url).json()``: a body read straight off the call."""
        func = node.func
        if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Call):
            return
        external = response_call(func.value, ctx)
        if external is None or not _is_body_read(func.attr, external) or _on_the_spot(node, ctx):
            return
        emptied = empty_default(func, ctx.enclosing_function())
        consequence = (
            f"an error answer (a 401, 429 or 503 body) becomes an empty result through `{shorten_code(emptied, 50)}`, with no error logged"
            if emptied else "a 404 or 503 is parsed as if it were the result, and fails later far from the cause"
        )
        message = (
            f"`{shorten_code(ast.unparse(node), 60)}` reads the body of the `{external.name}()` response without checking its status: "
            f"{consequence}. "
            "Keep the response and call `raise_for_status()` (or check `.ok`) before reading it."
        )
        ctx.report(self, ctx.span(node), message)


    def visit_Attribute(self, node: ast.Attribute, ctx: ModuleContext) -> None:
        """``fh.write(requests.get(url).content)``: a body attribute read straight off the call."""
        if not isinstance(node.value, ast.Call) or not isinstance(node.ctx, ast.Load):
            return
        parent = ctx.parents[-1] if ctx.parents else None
        if isinstance(parent, ast.Call) and parent.func is node:
            return  # ``requests.get(url).json()``: visit_Call reports it
        external = response_call(node.value, ctx)
        if external is None or node.attr not in external.interface.response.body_attrs or _on_the_spot(node, ctx):
            return
        message = (
            f"`{shorten_code(ast.unparse(node), 60)}` reads the body of the `{external.name}()` response without checking its status: "
            "a 404 or 503 is used as if it were the result. "
            "Keep the response and call `raise_for_status()` (or check `.ok`) before reading it."
        )
        ctx.report(self, ctx.span(node), message)


def _on_the_spot(read: ast.AST, ctx: ModuleContext) -> bool:
    function = ctx.enclosing_function()
    return function is not None and fails_on_the_spot(read, function, ctx.memo)


def response_call(call: ast.Call, ctx: ModuleContext) -> ExternalCall | None:
    """The HTTP request behind ``call`` whose response nothing has checked yet: the request itself (not made by a
    session that raises for status), or a same-module helper that returns such a response unchecked."""
    external = external_call(call, ctx)
    if external is not None:
        if external.interface.kind != "http" or external.interface.response is None:
            return None
        if _raises_on_status(call) or _hooked(external, ctx):
            return None
        return external
    helper = local_function(call, ctx)
    if helper is None:
        return None
    return _returned_response(helper, ctx)


def _returned_response(helper: ast.AST, ctx: ModuleContext) -> ExternalCall | None:
    """``def _api_get(path): return http.get(API + path)``: every return hands back an unchecked response."""
    memo = ctx.memo
    key = ("sad203-helper", id(helper))
    if key in memo:
        return memo[key]
    memo[key] = None  # a recursive helper returns nothing known
    found: ExternalCall | None = None
    with in_scope(ctx, helper):
        bound: dict[str, ExternalCall] = {}
        checked: set[str] = set()
        returns = []
        for sub in local_nodes(helper):
            if isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Name):
                value = sub.value.value if isinstance(sub.value, ast.Await) else sub.value
                if isinstance(value, ast.Call):
                    inner = external_call(value, ctx)
                    if inner is not None and inner.interface.kind == "http" and not _raises_on_status(value):
                        bound[sub.targets[0].id] = inner
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.attr in ("raise_for_status", "ok", "status_code", "status", "is_success", "is_error"):
                checked.add(sub.value.id)
            if isinstance(sub, ast.Return):
                returns.append(sub)
        for ret in returns:
            value = ret.value.value if isinstance(ret.value, ast.Await) else ret.value
            if isinstance(value, ast.Call):
                inner = external_call(value, ctx)
                ok = inner is not None and inner.interface.kind == "http" and inner.interface.response is not None
                ok = ok and not _raises_on_status(value) and not _hooked(inner, ctx)
            elif isinstance(value, ast.Name) and value.id in bound and value.id not in checked:
                inner = bound[value.id]
                ok = inner.interface.response is not None and not _hooked(inner, ctx)
            else:
                ok = False
            if not ok:
                found = None
                break
            found = inner
    memo[key] = found
    return found


class _Flow:
    """A walk of one function body that knows which responses are status-checked on every path so far."""

    def __init__(self, rule: UncheckedHttpStatus, ctx: ModuleContext, function: ast.AST) -> None:
        self.rule = rule
        self.ctx = ctx
        self.function = function
        self.gated: dict[str, str] = {}  # responses checked only under a condition that is not about them
        # names whose status travels on with the body (returned, stored, passed): someone else checks it
        self.status_handed_over = _status_handed_over(function)
        self.already_checked = {
            sub.func.value.id
            for sub in local_nodes(function)
            if isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "raise_for_status"
            and isinstance(sub.func.value, ast.Name)
        }
        self.tolerated: list[frozenset[str]] = []  # failure branches: reading the body there builds the error
        self.rest: list[list[ast.stmt]] = []  # what runs after the current statement, innermost block first

    def block(self, statements: list[ast.stmt], checked: frozenset[str], responses: dict[str, _Response]) -> tuple[frozenset[str], bool]:
        """Walk a block; returns the names checked at its end and whether it always leaves (return/raise)."""
        for position, stmt in enumerate(statements):
            following = [*statements[position + 1:], *(s for block in reversed(self.rest) for s in block)]
            checked = checked | self.checked_after_read(stmt, following, checked, responses)
            self.rest.append(statements[position + 1:])
            try:
                checked, leaves = self.statement(stmt, checked, responses)
            finally:
                self.rest.pop()
            if leaves:
                return checked, True
        return checked, False

    def branch(self, statements, checked, responses, tolerated: frozenset[str]) -> tuple[frozenset[str], bool]:
        self.tolerated.append(tolerated)
        try:
            return self.block(statements, checked, responses)
        finally:
            self.tolerated.pop()

    def statement(self, stmt: ast.stmt, checked: frozenset[str], responses: dict[str, _Response]) -> tuple[frozenset[str], bool]:
        if isinstance(stmt, NESTED_SCOPES):
            return checked, False
        if isinstance(stmt, ast.If):
            return self.if_statement(stmt, checked, responses)
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            self.reads(stmt.iter if isinstance(stmt, (ast.For, ast.AsyncFor)) else stmt.test, checked, responses)
            self.block(stmt.body, checked, responses)
            self.block(stmt.orelse, checked, responses)
            return checked, False
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self.reads(item.context_expr, checked, responses)
                self.bind(item.optional_vars, item.context_expr, stmt, responses)
            checked = checked - {_target(item.optional_vars) for item in stmt.items if _target(item.optional_vars)}
            return self.block(stmt.body, checked, responses)
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            return self.try_statement(stmt, checked, responses)
        if type(stmt).__name__ == "Match":  # ``match resp.status_code:``: every case is a status branch
            self.reads(stmt.subject, checked, responses)
            looked_at = frozenset(verdicts(ast.Compare(stmt.subject, [ast.Eq()], [ast.Constant(0)]), responses.__contains__))
            for case in stmt.cases:
                self.block(case.body, checked | looked_at, responses)
            return checked | looked_at, False
        if isinstance(stmt, ast.Assert):
            self.reads(stmt.test, checked, responses)
            return checked | frozenset(verdicts(stmt.test, responses.__contains__)), False
        # a simple statement: reads first, then what it binds or checks
        self.reads(stmt, checked, responses)
        checked = checked | _raise_for_status_names(stmt, responses) | _handed_over(stmt, responses)
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                name = _target(target)
                if name is not None:
                    checked = checked - {name}
                    self.bind(target, stmt.value, stmt, responses)
        return checked, isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break)) or exit_call(stmt)

    def if_statement(self, stmt: ast.If, checked, responses) -> tuple[frozenset[str], bool]:
        # ``if not resp.json()["ok"]: raise``: the API's error envelope, read in the test, is the check
        envelope = envelope_verdicts(stmt.test, lambda expr: direct_read(expr, responses))
        self.reads(stmt.test, checked | frozenset(envelope), responses)
        kinds = {**envelope, **verdicts(stmt.test, responses.__contains__)}
        good = frozenset(n for n, k in kinds.items() if k in (SUCCESS, GUARD))  # the true branch saw a good status
        bad = frozenset(n for n, k in kinds.items() if k == FAILURE)  # the true branch saw a bad status
        some = frozenset(n for n, k in kinds.items() if k == PARTIAL)  # the true branch saw one status
        body_checked, body_leaves = self.branch(stmt.body, checked | good, responses, bad | some)
        else_checked, else_leaves = self.branch(stmt.orelse, checked | bad, responses, good)
        if not stmt.orelse and not body_leaves:  # ``if self.strict: resp.raise_for_status()``
            if caller_option(stmt.test, self.function):
                return body_checked | good | bad, False  # the caller opts into the check: its decision, not a gap
            self.gated.update({name: ast.unparse(stmt.test) for name in body_checked - checked if name not in kinds})
        if body_leaves and else_leaves:
            return checked, True
        if body_leaves:  # what follows is the else path: a failure branch left, or what is left is the failure path
            return else_checked | good | bad, False
        if else_leaves:
            return body_checked | good | bad, False
        return body_checked & else_checked, False

    def try_statement(self, stmt: ast.AST, checked, responses) -> tuple[frozenset[str], bool]:
        body_checked, body_leaves = self.block(stmt.body, checked, responses)
        # a handler of the status error reads the body to build its report
        raised = frozenset(n for s in stmt.body for n in _raise_for_status_names(s, responses))
        handler_states = [self.branch(handler.body, checked, responses, raised) for handler in stmt.handlers]
        else_checked, else_leaves = self.block(stmt.orelse, body_checked, responses)
        self.block(stmt.finalbody, checked, responses)
        # what follows the try is reached from the body (then else) or from a handler that does not leave
        after = else_checked
        for handler_checked, handler_leaves in handler_states:
            if not handler_leaves:
                after = after & handler_checked
        leaves = (body_leaves or else_leaves) and all(leaves_h for _, leaves_h in handler_states)
        return after, leaves

    def checked_after_read(self, stmt: ast.stmt, following: list[ast.stmt], checked, responses) -> frozenset[str]:
        """``data = resp.json()`` then ``if resp.status_code != 200: raise ApiError(data)`` before ``data`` is
        used: the status is checked right after the read. So is the API's error envelope of a parsed body
        (``if "error" in data: raise``, ``if not data["ok"]: ...`` with the data used only on the other branch):
        a JSON error answer carries it, and a body that is not JSON fails at the parse."""
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or stmt.value is None:
            return frozenset()
        read = {
            sub.value.id
            for sub in local_nodes(stmt.value)
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id in responses
            and sub.value.id not in checked and _is_body_read(sub.attr, responses[sub.value.id].external)
        }
        if not read:
            return frozenset()
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        data = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        parsed = data if parses_json(stmt.value, read) else set()
        found = self.first_check(following, read, data, parsed, responses)
        return found or frozenset()

    def first_check(self, following, read, data, parsed, responses) -> frozenset[str] | None:
        """The responses in ``read`` checked before the data or the response is used again: a frozenset when a
        check comes first, an empty one when a use does, None when neither is mentioned."""
        watched = data | read
        for nxt in following:
            if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Call) and _is_log(nxt.value):
                continue  # ``log.debug(payload)``: logging the body is not using it as the result
            if isinstance(nxt, ast.If):
                kinds = verdicts(nxt.test, read.__contains__)
                named = {n for n, k in kinds.items() if k in (FAILURE, GUARD) and always_leaves(nxt.body)}
                named |= {n for n, k in kinds.items() if k == SUCCESS}
                if named:
                    return frozenset(named)
                envelope = envelope_verdicts(nxt.test, lambda expr: expr.id if isinstance(expr, ast.Name) and expr.id in parsed else None)
                if any(k == SUCCESS for k in envelope.values()) or any(
                    k == FAILURE and (always_leaves(nxt.body) or nxt.orelse) for k in envelope.values()
                ):
                    return frozenset(read)  # the error payload is told apart before the data is used
                if not any(isinstance(n, ast.Name) and n.id in watched for n in ast.walk(nxt.test)):
                    branches = [self.first_check(nxt.body, read, data, parsed, responses),
                                self.first_check(nxt.orelse, read, data, parsed, responses)]
                    if any(b is not None and not b for b in branches):
                        return frozenset()  # one branch uses the data unchecked
                    if any(branches):
                        return frozenset().union(*(b for b in branches if b))
                    continue
            if _raise_for_status_names(nxt, {n: responses[n] for n in read}):
                return frozenset(_raise_for_status_names(nxt, {n: responses[n] for n in read}))
            if any(isinstance(n, ast.Name) and n.id in watched for n in ast.walk(nxt)):
                return frozenset()  # the data (or the response) is used before any check
        return None

    def bind(self, target, value, stmt, responses) -> None:
        name = _target(target)
        if name is None:
            return
        responses.pop(name, None)
        self.gated.pop(name, None)
        call = value.value if isinstance(value, ast.Await) else value
        if not isinstance(call, ast.Call):
            return
        external = response_call(call, self.ctx)
        if external is not None:
            responses[name] = _Response(name, external, stmt)

    def reads(self, node: ast.AST, checked: frozenset[str], responses: dict[str, _Response]) -> None:
        tolerated = frozenset().union(*self.tolerated) if self.tolerated else frozenset()
        for sub in local_nodes(node):
            if not isinstance(sub, ast.Attribute) or not isinstance(sub.value, ast.Name):
                continue
            response = responses.get(sub.value.id)
            if response is None or response.reported or sub.value.id in checked or sub.value.id in tolerated:
                continue
            if sub.value.id in self.status_handed_over:
                continue  # the status travels on with the body (returned, stored, passed): someone else checks it
            if not _is_body_read(sub.attr, response.external):
                continue
            response.reported = True  # one finding per response; a strict parse in a reporting try checks it
            if fails_on_the_spot(sub, self.function, self.ctx.memo):
                continue
            self.report(sub, response)

    def report(self, read: ast.Attribute, response: _Response) -> None:
        name = response.name
        gate = self.gated.get(name)
        on_the_way = f"whose status is checked only when `{shorten_code(gate, 40)}`" if gate else "without a status check on the way"
        emptied = empty_default(read, self.function)
        if emptied:
            consequence = (
                f"an error answer (a 401, 429 or 503 body) becomes an empty result through `{shorten_code(emptied, 50)}`, "
                "with no error logged"
            )
        elif read.attr == "json" and response.external.interface.name == "aiohttp":
            consequence = (
                "a JSON error body (a 401's or 429's `{\"error\": ...}`) is returned as if it were the result; only an "
                "error page that is not JSON fails, at the parse (`ContentTypeError`)"
            )
        elif read.attr == "json":
            consequence = (
                "a JSON error body (a 401's or 429's `{\"error\": ...}`) is used as if it were the result, and an error "
                "page that is not JSON fails at the parse with a decode error that does not name the status"
            )
        else:
            consequence = "a 404 or 503 error page is used as if it were the body of the result"
        status = "status" if response.external.interface.name == "aiohttp" else "status_code"
        message = (
            f"`{name}.{read.attr}` reads the body of the `{response.external.name}()` response {on_the_way}"
            f": {'otherwise ' if gate else ''}{consequence}. "
            f"Call `{name}.raise_for_status()` first, or check `{name}.ok` / `{name}.{status}`."
        )
        fix = FixOffer("raise_for_status", f"Insert `{name}.raise_for_status()` after the request", Applicability.UNSAFE)
        fixes = [] if name in self.already_checked else [fix]
        line = response.statement.lineno
        self.ctx.report(self.rule, self.ctx.span(read), message, fixes=fixes, data={"name": name, "after_line": response.statement.end_lineno or line, "statement_line": line})


def _target(target) -> str | None:
    return target.id if isinstance(target, ast.Name) else None


def _is_body_read(attr: str, external: ExternalCall) -> bool:
    response = external.interface.response
    if response is None:
        return False
    return attr in response.body_methods or attr in response.body_attrs


def _raise_for_status_names(stmt: ast.AST, responses: dict[str, _Response]) -> frozenset[str]:
    names = set()
    for sub in local_nodes(stmt):
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and isinstance(sub.func.value, ast.Name)
            and sub.func.value.id in responses
        ):
            spec = responses[sub.func.value.id].external.interface.response
            if spec is not None and sub.func.attr in spec.check_methods:
                names.add(sub.func.value.id)
    return frozenset(names)


def _handed_over(stmt: ast.AST, responses: dict[str, _Response]) -> frozenset[str]:
    """A response passed to another function or returned: the callee or the caller may check it."""
    names = set()
    for sub in local_nodes(stmt):
        if isinstance(sub, ast.Call):
            for arg in [*sub.args, *(k.value for k in sub.keywords)]:
                if isinstance(arg, ast.Name) and arg.id in responses:
                    names.add(arg.id)
        if isinstance(sub, ast.Return) and isinstance(sub.value, ast.Name) and sub.value.id in responses:
            names.add(sub.value.id)
    return frozenset(names)


STATUS_ATTRS = frozenset({"status", "status_code", "ok", "is_success", "is_error", "reason", "reason_phrase"})


def _status_handed_over(function: ast.AST) -> set[str]:
    """Names whose status is returned, stored or passed on (``return body, resp.status``,
    ``Response(status_code=res.status)``), as opposed to tested in a condition."""
    names: set[str] = set()
    for sub in local_nodes(function):
        values: list[ast.AST] = []
        if isinstance(sub, ast.Return) and sub.value is not None:
            values.append(sub.value)
        elif isinstance(sub, ast.Assign):
            values.append(sub.value)
        elif isinstance(sub, ast.Call) and not _is_log(sub) and not _is_error(sub):
            values.extend([*sub.args, *(k.value for k in sub.keywords)])
        for value in values:
            for node in ast.walk(value):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr in STATUS_ATTRS
                    and isinstance(node.value, ast.Name)
                ):
                    names.add(node.value.id)
    return names


def _is_log(call: ast.Call) -> bool:
    """Logging the status is looking at it, not handing it on."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in LOG_METHODS or name == "print"


def _is_error(call: ast.Call) -> bool:
    """``raise ApiError(resp.status_code)`` / f-strings in an exception: a failure branch, not the status handed on."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name.endswith(("Error", "Exception", "Failed", "Failure", "Unavailable"))


def _raises_on_status(call: ast.Call) -> bool:
    """``session.get(url, raise_for_status=True)`` (aiohttp)."""
    return any(
        k.arg == "raise_for_status" and not (isinstance(k.value, ast.Constant) and k.value.value in (False, None))
        for k in call.keywords
    )


def _hooked(external: ExternalCall, ctx: ModuleContext) -> bool:
    """The request goes through a client that checks every response (``raise_for_status=True``, a raising hook)."""
    hooked, everywhere = _hooks(ctx)
    if everywhere:
        return True
    receiver = external.receiver
    if receiver is None:
        return False
    try:
        text = ast.unparse(receiver)
    except (ValueError, AttributeError, RecursionError):
        return False
    last = text.split(".")[-1]
    return text in hooked or any(last == name.split(".")[-1] for name in hooked)


def _hooks(ctx: ModuleContext) -> tuple[frozenset[str], bool]:
    """The clients of the module that check every response: aiohttp ``ClientSession(raise_for_status=True)``,
    httpx ``event_hooks=``, a requests response hook (``session.hooks["response"]``, ``hooks={"response": ...}``),
    by the name (or attribute) they are bound to; and whether one is made where no name can be told (then every
    response of the module is taken as checked)."""
    return ctx.fact("status-hooks", lambda: status_hooks(ctx.tree, ctx.source.text))
