"""Add the required structured fields to a log call in a handler (SAD105, unsafe).

Each missing field gets the value the code has for it: a name in scope, a ``current_<field>()`` the module can
call, or the expression the module's other log calls already use (``current_correlation_id()``). The fields
go into ``extra={...}`` in the dict's own layout, or become structlog keyword arguments."""

from __future__ import annotations

import ast

import libcst as cst

from sadpath.fixes.additions import ModuleAdditions
from sadpath.fixes.request import FixRequest
from sadpath.fixes.failure_context import failure_context, field_value
from sadpath.fixes.region import FixRefused
from sadpath.fixes.nodes import fitted, imports_root, line_limit, with_fields
from sadpath.fixes.tidy import finish
from sadpath.model import Edit


def build(req: FixRequest) -> list[Edit]:
    missing = [str(m) for m in req.finding.data.get("missing", []) if str(m).isidentifier()]
    if not missing:
        raise FixRefused("no missing fields to add")
    region = req.region()
    call = region.node_at(cst.Call, req.finding.span.line, req.finding.span.column)
    if not isinstance(call, cst.Call):
        raise FixRefused("no call at the finding")
    handler = next(
        (n for n in ast.walk(req.tree) if isinstance(n, ast.ExceptHandler) and n.lineno < req.finding.span.line <= (n.end_lineno or n.lineno)),
        None,
    )
    context = failure_context(req, handler, req.finding.span.line)
    fields = []
    additions = ModuleAdditions()
    for name in missing:
        value = field_value(req, context, name, additions)
        if value is None:
            raise FixRefused(f"nothing in scope gives `{name}`")
        fields.append((name, value))
    structlog = imports_root(req.tree, "structlog")
    extra = next((a for a in call.args if a.keyword is not None and a.keyword.value == "extra"), None)
    if not structlog and extra is not None and not isinstance(extra.value, cst.Dict):
        raise FixRefused("extra= is not a literal dict")
    new = fitted(with_fields(call, fields, structlog), region.positions[call].start.column, line_limit(req.source), region.module)
    module = region.module.deep_replace(call, new)
    return finish(req, region, module, additions)
