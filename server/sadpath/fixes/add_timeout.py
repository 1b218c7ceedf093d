"""Add a timeout to a call or a client constructor, or replace ``None`` with one (SAD202, unsafe but preferred)."""

from __future__ import annotations

import libcst as cst

from sadpath.fixes.request import FixRequest
from sadpath.fixes.nodes import keyword_arg, with_arguments
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.model import Edit


def build(req: FixRequest) -> list[Edit]:
    param = str(req.finding.data.get("param") or "")
    seconds = req.finding.data.get("seconds")
    if not param.isidentifier() or not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds <= 0:
        raise FixRefused("no timeout parameter to set")
    region = req.region()
    span = req.finding.span
    call = region.node_at(cst.Call, span.line, span.column, end=(span.end_line, span.end_column))
    if not isinstance(call, cst.Call):
        raise FixRefused("no call at the finding")
    value = cst.parse_expression(repr(seconds))
    args = list(call.args)
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == param:
            if not (isinstance(arg.value, cst.Name) and arg.value.value == "None"):
                raise FixRefused(f"{param} is already set")
            args[index] = arg.with_changes(value=value)
            break
    else:
        if any(arg.star for arg in args):
            raise FixRefused("the call passes *args or **kwargs")
        module = region.module.deep_replace(call, with_arguments(call, [keyword_arg(param, value)]))
        return finish(req, region, module)
    module = region.module.deep_replace(call, call.with_changes(args=args))
    return finish(req, region, module)
