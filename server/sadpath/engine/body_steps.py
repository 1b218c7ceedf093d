"""What a SAD104 message names when a ``try`` spans several steps: the steps whose errors do not say where they
come from (and, through ``relogged_steps``, a step that logs only its error's text before re-raising it).

A request's error names its URL (``requests``' "HTTPSConnectionPool(host=...)"), a pydantic model's names the
model and the field: those steps identify themselves. The failures a record without the traceback cannot place
are the reads of a response body nobody checked the status of: ``response.json()`` on an error page ("Expecting
value: line 1 column 1 (char 0)") and the fields then read from it (``KeyError: 'content'``). When the ``try``
does that, the message names those reads, not the calls that carry their own story. (SAD203 reports the unchecked
status on the same ``try``; SAD104 stays, since SAD203's fix, a status check, leaves the record without the body.)
"""

from __future__ import annotations

import ast

from sadpath.engine import relogged_steps, step_sources
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call

_STATUS_READS = frozenset({"raise_for_status", "ok", "status_code", "status", "is_success", "is_error"})
_PARSES = frozenset({"json"})


def steps_message(steps: list[str], try_node: ast.AST | None, ctx: ModuleContext) -> str:
    """The message for a record without the traceback of a ``try`` of several steps."""
    reads = unchecked_body_reads(try_node, ctx) if try_node is not None else None
    if reads is not None:
        parse, field = reads
        return (
            f"drops the traceback of a `try` that parses a response body whose status nobody checked (`{parse}`) and"
            f" reads fields of it (`{field}`): a decode error or a `KeyError` in the record cannot say which read failed"
        )
    found = ctx.memo.get(("sad104-found", id(try_node)), []) if try_node is not None else []
    relogged = relogged_steps.relogging_step(found, ctx)
    if relogged is not None:
        label, inner = relogged
        calls = ", ".join(f"`{c}`" for c in inner[:3]) + (", ..." if len(inner) > 3 else "")
        return (
            f"drops the traceback of a `try` whose step `{label}` runs {len(inner)} calls ({calls}) and logs only the"
            " text of their error before re-raising it: no record in the chain carries the traceback that says which failed"
        )
    listed = ", ".join(f"`{s}`" for s in steps[:3]) + (", ..." if len(steps) > 3 else "")
    traced = relogged_steps.dropped_traced(try_node, ctx)
    if traced:
        return (
            f"drops the traceback of a `try` whose steps besides {_listed(traced)} (which logs its own failure with the"
            f" traceback) are {len(steps)} ({listed}): for a failure of these the record cannot say which one failed"
        )
    if step_sources.self_describing_raises(found, ctx):
        return (
            f"drops the traceback of a `try` that spans {len(steps)} steps ({listed}): the project's own errors say"
            " what was wrong, but for unexpected errors (a `KeyError`, a `ZeroDivisionError`) the record cannot say which step failed"
        )
    return f"drops the traceback of a `try` that spans {len(steps)} steps ({listed}): the record cannot say which one failed"


def left_beside_traced(steps: list[str], try_node: ast.AST | None, ctx: ModuleContext) -> str | None:
    """The one step left of a ``try`` whose other steps log their own failure with the traceback: a message naming
    it when it does I/O of its own (a DB update after the indexing), "" (nothing to report) when it is a lookup
    (a factory reading settings), None when no step was dropped that way."""
    traced = relogged_steps.dropped_traced(try_node, ctx)
    if not traced:
        return None
    label = steps[0].split(":", 1)[1] if steps[0].startswith(("project:", "stdlib:")) else steps[0]
    found = ctx.memo.get(("sad104-found", id(try_node)), [])
    call = next((c for shown, c in found if shown == label), None)
    if call is None or not (relogged_steps.io_step(call, ctx) or external_call(call, ctx) is None and _awaited(call, try_node)):
        return ""
    return (
        f"drops the traceback of the step `{label}` that runs beside {_listed(traced)} (which logs its own failure with"
        " the traceback): a failure of that step reaches the log as its text alone, which cannot say where it happened"
    )


def _listed(labels: list[str]) -> str:
    return ", ".join(f"`{c}`" for c in labels[:2]) + (", ..." if len(labels) > 2 else "")


def _awaited(call: ast.Call, try_node: ast.AST) -> bool:
    return any(isinstance(n, ast.Await) and n.value is call for n in ast.walk(try_node))


def unchecked_body_reads(try_node: ast.AST, ctx: ModuleContext) -> tuple[str, str] | None:
    """``response = requests.post(...)``, ``data = response.json()``, then ``data["choices"][0]["message"]`` with no
    status check on ``response`` in the ``try``: the parse and the longest field read, shown as written."""
    found = _unchecked_reads(try_node, ctx)
    if found is None:
        return None
    parse, field = found
    text = ast.unparse(field)
    return ast.unparse(parse), (text if len(text) <= 60 else text[:57] + "...")


def _unchecked_reads(try_node: ast.AST, ctx: ModuleContext) -> tuple[ast.AST, ast.AST] | None:
    body = [n for stmt in getattr(try_node, "body", []) for n in ast.walk(stmt)]
    responses = {
        n.targets[0].id for n in body
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
        and _http_call(n.value.value if isinstance(n.value, ast.Await) else n.value, ctx)
    }  # fmt: skip
    if not responses or any(_status_read(n, responses) for n in body):
        return None
    parses = [
        n for n in body
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) and _parse_of(n.value, responses)
    ]  # fmt: skip
    if not parses:
        return None
    derived = {p.targets[0].id for p in parses}
    for _ in range(3):  # ``citations = data.get("citations")``, ``for result in results``: values read from the body
        for n in body:
            if isinstance(n, ast.Assign) and _mentions(n.value, derived):
                derived |= {t.id for t in n.targets if isinstance(t, ast.Name)}
            elif isinstance(n, (ast.For, ast.comprehension)) and _mentions(n.iter, derived) and isinstance(n.target, ast.Name):
                derived.add(n.target.id)
    inner = {id(n.value) for n in body if isinstance(n, ast.Subscript)}
    fields = [
        n for n in body
        if isinstance(n, ast.Subscript) and id(n) not in inner and _field_read(n, derived)
    ]  # fmt: skip
    if not fields:
        return None
    return parses[0].value, max(fields, key=lambda n: (_depth(n), -n.lineno))


def _http_call(expr: ast.AST, ctx: ModuleContext) -> bool:
    if not isinstance(expr, ast.Call):
        return False
    found = external_call(expr, ctx)
    return found is not None and getattr(found.interface, "kind", "") == "http"


def _status_read(node: ast.AST, responses: set[str]) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in _STATUS_READS and isinstance(node.value, ast.Name) and node.value.id in responses


def _parse_of(expr: ast.AST, responses: set[str]) -> bool:
    expr = expr.value if isinstance(expr, ast.Await) else expr
    return (
        isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in _PARSES
        and isinstance(expr.func.value, ast.Name) and expr.func.value.id in responses
    )  # fmt: skip


def _mentions(expr: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(expr))


def _field_read(node: ast.Subscript, derived: set[str]) -> bool:
    """A chain of item reads rooted at a value of the body, with a string key somewhere (``data["items"][0]``)."""
    keys = []
    root: ast.AST = node
    while isinstance(root, ast.Subscript):
        keys.append(root.slice)
        root = root.value
    return (
        isinstance(root, ast.Name) and root.id in derived and isinstance(node.ctx, ast.Load)
        and any(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in keys)
    )  # fmt: skip


def _depth(node: ast.AST) -> int:
    depth = 0
    while isinstance(node, ast.Subscript):
        depth += 1
        node = node.value
    return depth
