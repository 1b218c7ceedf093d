"""Turn ``logger.error(...)`` into ``logger.exception(...)`` in a handler (SAD104, safe)."""

from __future__ import annotations

import libcst as cst

from sadpath.fixes.request import FixRequest
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.model import Edit


def build(req: FixRequest) -> list[Edit]:
    region = req.region()
    call = region.node_at(cst.Call, req.finding.span.line, req.finding.span.column)
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute) or call.func.attr.value != "error":
        raise FixRefused("the log call is not a logger.error(...) call")
    args = [
        arg
        for arg in call.args
        if not (arg.keyword is not None and arg.keyword.value == "exc_info" and _falsy(arg.value))
    ]
    if args and args[-1].comma is not cst.MaybeSentinel.DEFAULT and len(args) < len(call.args):
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    new = call.with_changes(func=call.func.with_changes(attr=cst.Name("exception")), args=args)
    module = region.module.deep_replace(call, new)
    return finish(req, region, module)


def _falsy(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value in ("False", "None") or (
        isinstance(expr, cst.Integer) and expr.value == "0"
    )
