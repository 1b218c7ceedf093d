"""Await a coroutine that was called without ``await`` (SAD207, unsafe)."""

from __future__ import annotations

import libcst as cst

from sadpath.fixes.request import FixRequest
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.model import Edit


def build(req: FixRequest) -> list[Edit]:
    span = req.finding.span
    region = req.region()
    call = region.node_at(cst.Call, span.line, span.column, end=(span.end_line, span.end_column))
    if not isinstance(call, cst.Call):
        raise FixRefused("no call at the finding")
    module = region.module.deep_replace(call, cst.Await(expression=call))
    return finish(req, region, module)
