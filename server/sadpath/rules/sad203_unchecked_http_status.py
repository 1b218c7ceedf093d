"""# SAD203 unchecked-http-status

## What it does

Flags reading an HTTP response's body (`.json()`, `.text`, `.content`, aiohttp's
`await resp.json()`/`.text()`/`.read()`) when no status check happens on the way
from the call to the read: no `resp.raise_for_status()`, no `if not resp.ok:
raise`/`return`, no `if resp.status_code != 200: ...` that leaves, no `assert` on the
status. The check is path-sensitive: a `raise_for_status()` in one branch of an
`if` does not cover a read after it, while a read inside `if resp.ok:` or
`if resp.status_code == 200:` is covered. A chained `requests.get(url).json()` is
flagged too.

It stays quiet when the response is handed to another function before the read
(`return resp`, `handle(resp)`: the callee may check it), when its status travels
on with the body (`return await resp.json(), resp.status`,
`Response(body, status_code=resp.status_code)`), when the session or call
checks every response (aiohttp `raise_for_status=True`, a `requests` response hook
or httpx `event_hooks` that raises), and for reads of the status or headers only.

## Why is this bad?

A 404, 401 or 503 is a normal answer over HTTP, not an exception: without a
status check the error page is parsed as if it were the result, fails later with
a `JSONDecodeError` or a `KeyError` far from the cause, or worse, goes through as
data.

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

from sadpath.engine.context import ModuleContext
from sadpath.engine.external import ExternalCall, external_call
from sadpath.engine.walker import NESTED_SCOPES, local_nodes
from sadpath.knowledge.interfaces import interface_index
from sadpath.model import Applicability, FixOffer
from sadpath.engine.logcalls import LOG_METHODS
from sadpath.rules.base import Rule

EXITS = (ast.Return, ast.Raise, ast.Continue, ast.Break)


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
        return "status-hook" if _checks_everywhere(ctx) else ""  # a session-wide hook checks every response

    def visit_FunctionDef(self, node: ast.AST, ctx: ModuleContext) -> None:
        index = interface_index(ctx.settings.interfaces)
        if not ctx.fact("names-http", lambda: any(root in ctx.source.text for root in index.http_roots)):
            return  # no HTTP client is named in this module: no response to check
        text = ctx.source.lines_text(node.lineno, node.end_lineno or node.lineno)
        if not any(read in text for read in index.body_reads) or _checks_everywhere(ctx):
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
        external = external_call(func.value, ctx)
        if external is None or not _is_body_read(func.attr, external, method=True) or _checks_everywhere(ctx):
            return
        if _raises_on_status(func.value):
            return
        message = (
            f"`{ast.unparse(node)[:60]}` reads the body of the `{external.name}()` response without checking its status: "
            "a 404 or 503 is parsed as if it were the result, and fails later far from the cause. "
            "Keep the response and call `raise_for_status()` (or check `.ok`) before reading it."
        )
        ctx.report(self, ctx.span(node), message)


class _Flow:
    """A walk of one function body that knows which responses are status-checked on every path so far."""

    def __init__(self, rule: UncheckedHttpStatus, ctx: ModuleContext, function: ast.AST) -> None:
        self.rule = rule
        self.ctx = ctx
        # names on which the function already calls raise_for_status(): another one would not help
        self.status_handed_over = _status_handed_over(function)
        self.already_checked = {
            sub.func.value.id
            for sub in local_nodes(function)
            if isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "raise_for_status"
            and isinstance(sub.func.value, ast.Name)
        }

    def block(self, statements: list[ast.stmt], checked: frozenset[str], responses: dict[str, _Response]) -> tuple[frozenset[str], bool]:
        """Walk a block; returns the names checked at its end and whether it always leaves (return/raise)."""
        for stmt in statements:
            checked, leaves = self.statement(stmt, checked, responses)
            if leaves:
                return checked, True
        return checked, False

    def statement(self, stmt: ast.stmt, checked: frozenset[str], responses: dict[str, _Response]) -> tuple[frozenset[str], bool]:
        if isinstance(stmt, NESTED_SCOPES):
            return checked, False
        if isinstance(stmt, ast.If):
            self.reads(stmt.test, checked, responses)
            guarded = _status_names(stmt.test, responses)
            negated = _negated(stmt.test)  # `if not resp.ok:` -> the body is the failure branch
            body_checked, body_leaves = self.block(stmt.body, checked if negated else checked | guarded, responses)
            else_checked, else_leaves = self.block(stmt.orelse, checked | guarded if negated else checked, responses)
            if body_leaves and else_leaves:
                return checked, True
            if body_leaves and guarded:
                return checked | guarded | else_checked, False  # the failing branch left: what follows saw a good status
            if else_leaves:
                return body_checked, False
            if body_leaves:
                return else_checked, False
            return body_checked & else_checked, False
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            self.reads(stmt.iter if isinstance(stmt, (ast.For, ast.AsyncFor)) else stmt.test, checked, responses)
            self.block(stmt.body, checked, responses)
            self.block(stmt.orelse, checked, responses)
            return checked, False
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self.reads(item.context_expr, checked, responses)
                self.bind(item.optional_vars, item.context_expr, stmt, responses, checked)
            checked = checked - {_target(item.optional_vars) for item in stmt.items if _target(item.optional_vars)}
            inner, leaves = self.block(stmt.body, checked | self.prechecked(stmt, responses), responses)
            return inner, leaves
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            body_checked, body_leaves = self.block(stmt.body, checked, responses)
            handler_states = [self.block(handler.body, checked, responses) for handler in stmt.handlers]
            else_checked, else_leaves = self.block(stmt.orelse, body_checked, responses)
            self.block(stmt.finalbody, checked, responses)
            # what follows the try is reached from the body (then else) or from a handler that does not leave
            after = else_checked
            for handler_checked, handler_leaves in handler_states:
                if not handler_leaves:
                    after = after & handler_checked
            leaves = (body_leaves or else_leaves) and all(leaves_h for _, leaves_h in handler_states)
            return after, leaves
        if isinstance(stmt, ast.Assert):
            self.reads(stmt.test, checked, responses)
            return checked | _status_names(stmt.test, responses), False
        # a simple statement: reads first, then what it binds or checks
        self.reads(stmt, checked, responses, skip_bound=isinstance(stmt, (ast.Assign, ast.AnnAssign)))
        checked = checked | _raise_for_status_names(stmt, responses) | _handed_over(stmt, responses)
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                name = _target(target)
                if name is not None:
                    checked = checked - {name}
                    self.bind(target, stmt.value, stmt, responses, checked)
                    if name in responses and _raises_on_status(responses[name].external.call):
                        checked = checked | {name}
        return checked, isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break))

    def prechecked(self, stmt: ast.AST, responses: dict[str, _Response]) -> frozenset[str]:
        names = set()
        for item in getattr(stmt, "items", []):
            name = _target(item.optional_vars)
            if name in responses and _raises_on_status(responses[name].external.call):
                names.add(name)
        return frozenset(names)

    def bind(self, target, value, stmt, responses, checked) -> None:
        name = _target(target)
        if name is None:
            return
        responses.pop(name, None)
        call = value.value if isinstance(value, ast.Await) else value
        if not isinstance(call, ast.Call):
            return
        external = external_call(call, self.ctx)
        if external is not None and external.interface.kind == "http" and external.interface.response is not None:
            responses[name] = _Response(name, external, stmt)

    def reads(self, node: ast.AST, checked: frozenset[str], responses: dict[str, _Response], skip_bound: bool = False) -> None:
        for sub in local_nodes(node):
            if not isinstance(sub, ast.Attribute) or not isinstance(sub.value, ast.Name):
                continue
            response = responses.get(sub.value.id)
            if response is None or response.reported or sub.value.id in checked:
                continue
            if sub.value.id in self.status_handed_over:
                continue  # the status travels on with the body (returned, stored, passed): someone else checks it
            if not _is_body_read(sub.attr, response.external, method=None):
                continue
            response.reported = True
            self.report(sub, response)

    def report(self, read: ast.Attribute, response: _Response) -> None:
        name = response.name
        message = (
            f"`{name}.{read.attr}` reads the body of the `{response.external.name}()` response without a status check "
            f"on the way: a 404 or 503 is read as if it were the result, and fails later far from the cause. "
            f"Call `{name}.raise_for_status()` first, or check `{name}.ok` / `{name}.status_code`."
        )
        fix = FixOffer("raise_for_status", f"Insert `{name}.raise_for_status()` after the request", Applicability.UNSAFE)
        fixes = [] if name in self.already_checked else [fix]
        line = response.statement.lineno
        self.ctx.report(self.rule, self.ctx.span(read), message, fixes=fixes, data={"name": name, "after_line": response.statement.end_lineno or line, "statement_line": line})


def _target(target) -> str | None:
    return target.id if isinstance(target, ast.Name) else None


def _is_body_read(attr: str, external: ExternalCall, method: bool | None) -> bool:
    response = external.interface.response
    if response is None:
        return False
    return attr in response.body_methods or attr in response.body_attrs


def _status_names(test: ast.AST, responses: dict[str, _Response]) -> frozenset[str]:
    """Responses whose status the condition looks at (``resp.ok``, ``resp.status_code == 200``, ``if resp:``)."""
    names = set()
    for sub in ast.walk(test):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id in responses:
            spec = responses[sub.value.id].external.interface.response
            if spec is not None and sub.attr in spec.check_attrs:
                names.add(sub.value.id)
        if isinstance(sub, ast.Name) and sub.id in responses and _bare_truth(test, sub):
            names.add(sub.id)
    return frozenset(names)


def _bare_truth(test: ast.AST, name: ast.Name) -> bool:
    """``if resp:`` / ``if not resp:``: a requests Response is true when its status is below 400."""
    return test is name or (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and test.operand is name)


def _negated(test: ast.AST) -> bool:
    return isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)


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
        elif isinstance(sub, ast.Call) and not _is_log(sub):
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


def _raises_on_status(call: ast.Call) -> bool:
    """``session.get(url, raise_for_status=True)`` (aiohttp)."""
    return any(
        k.arg == "raise_for_status" and not (isinstance(k.value, ast.Constant) and k.value.value in (False, None))
        for k in call.keywords
    )


def _checks_everywhere(ctx: ModuleContext) -> bool:
    """A session-wide check: aiohttp ``ClientSession(raise_for_status=True)``, httpx ``event_hooks=``, a requests
    response hook (``session.hooks["response"]``, ``hooks={"response": ...}``). Then every response in the
    module is taken as checked (the hook raises before the body is read)."""
    return ctx.fact("status-hooks", lambda: _status_hooks(ctx))


def _status_hooks(ctx: ModuleContext) -> bool:
    cached = False
    text = ctx.source.text
    if any(marker in text for marker in ("raise_for_status=", "event_hooks", "hooks[", "hooks=")):
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.Call):
                callee = ast.unparse(node.func)
                if callee.endswith(("ClientSession", "Client", "AsyncClient", "Session")) and any(
                    k.arg in ("raise_for_status", "event_hooks", "hooks") for k in node.keywords
                ):
                    cached = True
                    break
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "hooks":
                cached = True
                break
    return cached
