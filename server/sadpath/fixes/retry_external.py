"""Backoff retry around an external call (SAD201, unsafe).

Retries only the retryable failure modes (timeout, connection, and throttling or
5xx where the interface raises them), three attempts with exponential backoff and
jitter, re-raising the last error. When the project depends on tenacity (its
pyproject.toml or a requirements file says so) the statement is wrapped in
tenacity's ``for attempt in Retrying(...): with attempt:`` (``async for`` with
``AsyncRetrying`` in async code); otherwise in a small readable loop.
"""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst

from sadpath.fixes.request import FixRequest
from sadpath.fixes.additions import ModuleAdditions
from sadpath.fixes.tidy import finish
from sadpath.fixes.region import FixRefused
from sadpath.declared_dependencies import dependencies
from sadpath.fixes.nodes import most_specific_first, region_statement, spell, statement_at
from sadpath.knowledge import exception_hierarchy
from sadpath.knowledge import RETRYABLE_MODES
from sadpath.model import Edit

ATTEMPTS = 3


def uses_tenacity(path: str) -> bool:
    """The project depends on tenacity at runtime (test extras and dev requirements do not count)."""
    return "tenacity" in dependencies(Path(path), development=False)


def build(req: FixRequest) -> list[Edit]:
    data = req.finding.data
    raw = data.get("mode_exceptions") or {}
    retryable = set(data.get("retryable") or RETRYABLE_MODES)
    if not isinstance(raw, dict):
        raise FixRefused("malformed finding data")
    exceptions: list[str] = []
    for mode, names in raw.items():
        if mode in retryable and mode in RETRYABLE_MODES:
            exceptions.extend(str(n) for n in names if str(n) not in exceptions)
    if not exceptions:
        raise FixRefused("none of the failure modes is worth retrying")
    statement = statement_at(req.tree, req.finding.span.line, req.finding.span.column, req.source)
    func = req.enclosing_function(statement.lineno)
    is_async = isinstance(func, ast.AsyncFunctionDef)
    additions = ModuleAdditions()
    spelled = [spell(e, req, additions) for e in most_specific_first(exceptions, exception_hierarchy())]
    caught = spelled[0] if len(spelled) == 1 else "(" + ", ".join(spelled) + ")"
    region = req.region()
    column = req.source.char_col_from_utf8(statement.lineno, statement.col_offset)
    target = region_statement(region, statement.lineno, column)
    inner = target.with_changes(leading_lines=[])
    if uses_tenacity(req.source.path):
        kind = "AsyncRetrying" if is_async else "Retrying"
        header = (
            f"{'async ' if is_async else ''}for attempt in {kind}(\n"
            f"    stop=stop_after_attempt({ATTEMPTS}),\n"
            f"    wait=wait_random_exponential(multiplier=0.5, max=30),\n"
            f"    retry=retry_if_exception_type({caught}),\n"
            f"    reraise=True,\n"
            f"):\n"
            f"    with attempt:\n"
            f"        pass\n"
        )
        loop = cst.parse_statement(header)
        with_node = loop.body.body[0]
        new_with = with_node.with_changes(body=with_node.body.with_changes(body=[inner]))
        wrapped = loop.with_changes(body=loop.body.with_changes(body=[new_with]), leading_lines=target.leading_lines)
        for name in (kind, "retry_if_exception_type", "stop_after_attempt", "wait_random_exponential"):
            if not _imported(req.tree, name):
                additions.imports.append(("tenacity", name))
    else:
        sleep = "await asyncio.sleep" if is_async else "time.sleep"
        code = (
            f"for attempt in range({ATTEMPTS}):\n"
            f"    try:\n"
            f"        pass\n"
            f"        break\n"
            f"    except {caught}:\n"
            f"        if attempt == {ATTEMPTS - 1}:\n"
            f"            raise\n"
            f"        {sleep}(min(30.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.5))\n"
        )
        loop = cst.parse_statement(code)
        try_node = loop.body.body[0]
        body = list(try_node.body.body)
        new_try = try_node.with_changes(body=try_node.body.with_changes(body=[inner, body[1]]))
        wrapped = loop.with_changes(body=loop.body.with_changes(body=[new_try]), leading_lines=target.leading_lines)
        additions.imports.extend([("random", None), ("asyncio", None) if is_async else ("time", None)])
    module = region.module.deep_replace(target, wrapped)
    return finish(req, region, module, additions)


def _imported(tree: ast.Module, name: str) -> bool:
    return any(isinstance(n, ast.ImportFrom) and any(a.name == name for a in n.names) for n in tree.body)
