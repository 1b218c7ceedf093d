"""Insert ``resp.raise_for_status()`` right after the request (SAD203, unsafe)."""

from __future__ import annotations

import libcst as cst

from sadpath.fixes.request import FixRequest
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.model import Edit


def build(req: FixRequest) -> list[Edit]:
    name = str(req.finding.data.get("name") or "")
    line = req.finding.data.get("statement_line")
    if not name.isidentifier() or not isinstance(line, int):
        raise FixRefused("no response variable to check")
    region = req.region()
    target = None
    for node_type in (cst.SimpleStatementLine, cst.With):
        try:
            target = region.node_at(node_type, line)
            break
        except FixRefused:
            continue
    if target is None:
        raise FixRefused(f"no statement at line {line}")
    check = cst.parse_statement(f"{name}.raise_for_status()\n")
    if isinstance(target, cst.With):
        body = target.body
        if not isinstance(body, cst.IndentedBlock):
            raise FixRefused("a one-line with block")
        new = target.with_changes(body=body.with_changes(body=[check, *body.body]))
        module = region.module.deep_replace(target, new)
    else:
        module = region.module.deep_replace(target, cst.FlattenSentinel([target, check]))
    return finish(req, region, module)
