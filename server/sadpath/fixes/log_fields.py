"""Add the required structured fields to a log call in a handler (SAD105, unsafe)."""

from __future__ import annotations

import libcst as cst

from sadpath.fixes.request import FixRequest, py_string
from sadpath.fixes.region import FixRefused
from sadpath.fixes.nodes import imports_root
from sadpath.model import Edit


def build(req: FixRequest) -> list[Edit]:
    missing = [str(m) for m in req.finding.data.get("missing", []) if str(m).isidentifier()]
    if not missing:
        raise FixRefused("no missing fields to add")
    region = req.region()
    call = region.node_at(cst.Call, req.finding.span.line, req.finding.span.column)
    if not isinstance(call, cst.Call):
        raise FixRefused("no call at the finding")
    if imports_root(req.tree, "structlog"):
        args = list(call.args)
        for name in missing:
            args.append(cst.Arg(keyword=cst.Name(name), value=cst.Name(name), equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))))
        new = call.with_changes(args=_commas(args))
    else:
        extra = next((a for a in call.args if a.keyword is not None and a.keyword.value == "extra"), None)
        elements = [cst.DictElement(cst.SimpleString(py_string(name)), cst.Name(name)) for name in missing]
        if extra is None:
            args = list(call.args) + [
                cst.Arg(keyword=cst.Name("extra"), value=cst.Dict(elements), equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))
            ]
            new = call.with_changes(args=_commas(args))
        elif isinstance(extra.value, cst.Dict):
            merged = _commas_dict(list(extra.value.elements) + elements)
            new = call.deep_replace(extra.value, extra.value.with_changes(elements=merged))
        else:
            raise FixRefused("extra= is not a literal dict")
    module = region.module.deep_replace(call, new)
    return region.edits_for(module)


def _commas(args: list[cst.Arg]) -> list[cst.Arg]:
    out = []
    for index, arg in enumerate(args):
        last = index == len(args) - 1
        if not last and arg.comma is cst.MaybeSentinel.DEFAULT:
            arg = arg.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        if last and not isinstance(arg.comma, cst.MaybeSentinel):
            arg = arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        out.append(arg)
    return out


def _commas_dict(elements: list) -> list:
    out = []
    for index, el in enumerate(elements):
        last = index == len(elements) - 1
        if not last and el.comma is cst.MaybeSentinel.DEFAULT:
            el = el.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        if last and not isinstance(el.comma, cst.MaybeSentinel):
            el = el.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        out.append(el)
    return out
