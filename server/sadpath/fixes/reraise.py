"""Re-raise after the existing handling (SAD101, SAD102): ``raise`` replaces a trailing pass/continue/return."""

from __future__ import annotations

from sadpath.fixes.request import FixRequest, handler_in_region, handler_statements, simple_line, strip_terminal, with_statements
from sadpath.model import Edit


def build(req: FixRequest) -> list[Edit]:
    region = req.region()
    handler = handler_in_region(req, region, req.ast_handler())
    statements = strip_terminal(handler_statements(handler))
    statements.append(simple_line("raise"))
    module = region.module.deep_replace(handler, with_statements(handler, statements))
    return region.edits_for(module)
