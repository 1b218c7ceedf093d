"""Roll back on failure: wrap the writes and the commit in try/except that rolls back and re-raises (SAD206, unsafe)."""

from __future__ import annotations

import ast

import libcst as cst

from sadpath.fixes.request import FixRequest
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.model import Edit


def build(req: FixRequest) -> list[Edit]:
    name = str(req.finding.data.get("name") or "")
    if not name.isidentifier():
        raise FixRefused("no handle to roll back")
    block, first, last = _statements(req.tree, req.finding.span.line, name)
    region = req.region()
    first_node = _statement_node(region, block[first])
    last_node = _statement_node(region, block[last])
    container = None
    for node in region.positions:
        if isinstance(node, cst.IndentedBlock) and any(s is first_node for s in node.body):
            container = node
            break
    if container is None:
        raise FixRefused("the commit is not in an indented block")
    body = list(container.body)
    start = next(i for i, s in enumerate(body) if s is first_node)
    end = next(i for i, s in enumerate(body) if s is last_node)
    wrapped = body[start : end + 1]
    handler = cst.parse_statement(f"try:\n    pass\nexcept Exception:\n    {name}.rollback()\n    raise\n").handlers[0]
    leading = wrapped[0].leading_lines
    wrapped[0] = wrapped[0].with_changes(leading_lines=[])
    try_node = cst.Try(body=cst.IndentedBlock(body=wrapped), handlers=[handler], leading_lines=leading)
    new_body = [*body[:start], try_node, *body[end + 1 :]]
    module = region.module.deep_replace(container, container.with_changes(body=new_body))
    return finish(req, region, module)


def _statements(tree: ast.Module, line: int, name: str) -> tuple[list[ast.stmt], int, int]:
    """The block holding the commit, and the range from the first statement using the handle to the commit."""
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
                continue
            for index, stmt in enumerate(block):
                if stmt.lineno == line and isinstance(stmt, (ast.Expr, ast.Assign)):
                    first = index
                    for earlier in range(index - 1, -1, -1):
                        mentions = any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(block[earlier]))
                        binds = isinstance(block[earlier], ast.Assign) and any(
                            isinstance(t, ast.Name) and t.id == name for t in block[earlier].targets
                        )
                        if binds or not mentions:
                            break
                        first = earlier
                    return block, first, index
    raise FixRefused(f"no commit statement at line {line}")


def _statement_node(region, stmt: ast.stmt) -> cst.CSTNode:
    node_type = cst.SimpleStatementLine if isinstance(stmt, (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete, ast.Pass)) else cst.BaseCompoundStatement
    return region.node_at(node_type, stmt.lineno)
