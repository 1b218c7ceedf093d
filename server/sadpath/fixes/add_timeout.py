"""Add a timeout to a call or a client constructor, or replace ``None`` with one (SAD202, unsafe but preferred)."""

from __future__ import annotations

import libcst as cst

from sadpath.fixes.request import FixRequest
from sadpath.fixes.region import FixRefused
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
        if args:
            last = args[-1]
            if last.comma is cst.MaybeSentinel.DEFAULT:
                args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args.append(
            cst.Arg(
                keyword=cst.Name(param),
                value=value,
                equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
            )
        )
    module = region.module.deep_replace(call, call.with_changes(args=args))
    return region.edits_for(module)
