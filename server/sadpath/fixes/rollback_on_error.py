"""Roll back on failure (SAD206, unsafe), along the one rollback path the rule found for every commit its message
names (the finding's data; nothing is re-derived here):

- ``except_line``: the function's shared broad ``except``, whose ``try`` holds all the commits, gets
  ``<handle>.rollback()`` first;
- ``first_line``/``last_line``: the statements from the writes before the first commit to the last commit, in the
  innermost block holding them all, are wrapped in ``try``/``except Exception:`` that rolls back and re-raises
  (never more than ``WRAP_LINES`` lines: a function body is not re-indented wholesale).
"""

from __future__ import annotations

import libcst as cst

from sadpath.fixes.request import FixRequest
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.model import Edit

WRAP_LINES = 40  # never re-indent more than a small block under a new `try`


def build(req: FixRequest) -> list[Edit]:
    data = req.finding.data
    name = str(data.get("name") or "")
    if not name.isidentifier():
        raise FixRefused("no handle to roll back")
    if isinstance(data.get("except_line"), int):
        return _in_shared_except(req, name, data["except_line"])
    first, last = data.get("first_line"), data.get("last_line")
    if not (isinstance(first, int) and isinstance(last, int)):
        raise FixRefused("no rollback path covers every commit")
    return _wrapped(req, name, first, last)


def _in_shared_except(req: FixRequest, name: str, line: int) -> list[Edit]:
    region = req.region()
    handler = region.node_at(cst.ExceptHandler, line)
    if not isinstance(handler.body, cst.IndentedBlock):
        raise FixRefused("the shared except is on one line")
    rollback = cst.parse_statement(f"{name}.rollback()\n")
    body = handler.body
    new_handler = handler.with_changes(body=body.with_changes(body=[rollback, *body.body]))
    return finish(req, region, region.module.deep_replace(handler, new_handler))


def _wrapped(req: FixRequest, name: str, first: int, last: int) -> list[Edit]:
    region = req.region()
    first_node, last_node = _statement_at(region, first), _statement_at(region, last)
    container = None
    for node in region.positions:
        if isinstance(node, cst.IndentedBlock) and any(s is first_node for s in node.body):
            container = node
            break
    if container is None or not any(s is last_node for s in container.body):
        raise FixRefused("the commits are not in one indented block")
    body = list(container.body)
    start = next(i for i, s in enumerate(body) if s is first_node)
    end = next(i for i, s in enumerate(body) if s is last_node)
    wrapped = body[start : end + 1]
    lines = region.positions[wrapped[-1]].end.line - region.positions[wrapped[0]].start.line + 1
    if lines > WRAP_LINES:
        raise FixRefused(f"the wrap would re-indent {lines} lines")
    handler = cst.parse_statement(f"try:\n    pass\nexcept Exception:\n    {name}.rollback()\n    raise\n").handlers[0]
    leading = wrapped[0].leading_lines
    wrapped[0] = wrapped[0].with_changes(leading_lines=[])
    try_node = cst.Try(body=cst.IndentedBlock(body=wrapped), handlers=[handler], leading_lines=leading)
    new_body = [*body[:start], try_node, *body[end + 1 :]]
    module = region.module.deep_replace(container, container.with_changes(body=new_body))
    return finish(req, region, module)


def _statement_at(region, line: int) -> cst.CSTNode:
    """The statement (a simple line, or a compound one: ``for``, ``with``, ``try``) that starts at ``line``."""
    try:
        return region.node_at(cst.SimpleStatementLine, line)
    except FixRefused:
        return region.node_at(cst.BaseCompoundStatement, line)
