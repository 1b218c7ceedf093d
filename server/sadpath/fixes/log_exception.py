"""Turn ``logger.error(...)`` into ``logger.exception(...)`` in a handler (SAD104, safe).

Planned with SAD105 on the same call: the ``required-log-fields`` the record lacks are added too when the code
has a value for them (a name in scope, or the project's ``current_correlation_id()``), so that the one log line
is fixed once, not by two fixes that each leave the other's finding."""

from __future__ import annotations

import libcst as cst

import ast

from sadpath.fixes.additions import ModuleAdditions
from sadpath.fixes.failure_context import failure_context, ids_in_scope, required_fields
from sadpath.fixes.nodes import fitted, imports_root, line_limit, with_fields, with_ids
from sadpath.fixes.place import extra_keys, without_falsy_exc_info
from sadpath.fixes.request import FixRequest
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.model import Edit


def build(req: FixRequest) -> list[Edit]:
    region = req.region()
    call = region.node_at(cst.Call, req.finding.span.line, req.finding.span.column)
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute) or call.func.attr.value != "error":
        raise FixRefused("the log call is not a logger.error(...) call")
    new = without_falsy_exc_info(call.with_changes(func=call.func.with_changes(attr=cst.Name("exception"))))
    if not imports_root(req.tree, "structlog"):
        new = with_ids(new, ids_in_scope(req, req.finding.span.line))  # the ids in scope tie the record to what failed
    additions = ModuleAdditions()
    fields = _required_fields(req, new, additions)
    new = fitted(with_fields(new, fields, imports_root(req.tree, "structlog")), region.positions[call].start.column, line_limit(req.source), region.module)
    module = region.module.deep_replace(call, new)
    return finish(req, region, module, additions)


def _required_fields(req: FixRequest, call: cst.Call, additions: ModuleAdditions) -> list[tuple[str, str]]:
    """The ``required-log-fields`` the call lacks that have a value here (SAD105 would report the rest)."""
    required = req.settings.required_log_fields
    if not required:
        return []
    present = extra_keys(call)
    if any(a.keyword is not None and a.keyword.value == "extra" and not isinstance(a.value, cst.Dict) for a in call.args):
        return []
    handler = next(
        (n for n in ast.walk(req.tree) if isinstance(n, ast.ExceptHandler) and n.lineno < req.finding.span.line <= (n.end_lineno or n.lineno)),
        None,
    )
    return required_fields(req, failure_context(req, handler, req.finding.span.line), present, additions)
