"""Fixes: one libcst transformer per fix kind, built lazily when a code action or ``--fix`` asks.

``build_fix`` is the only entry point. It re-parses the text with ``ast`` (cheap),
lets the fix kind work on the smallest enclosing function with libcst, adds any
module-level imports or definitions, checks that the result parses and returns
minimal edits. A fix that cannot prove its change raises ``FixRefused``.
"""

from __future__ import annotations

import ast

from sadpath.config import Settings
from sadpath.fixes import add_timeout, translate_external
from sadpath.fixes import chain_cause, log_exception, log_fields, log_structured, narrow_except, reraise, translate
from sadpath.fixes._base import FixRequest
from sadpath.fixes._region import FixRefused, apply_edits
from sadpath.model import Finding, Fix, FixOffer
from sadpath.source import SourceFile

BUILDERS = {
    "chain_cause": chain_cause.build,
    "reraise": reraise.build,
    "translate": translate.build,
    "narrow_except": narrow_except.build,
    "log_exception": log_exception.build,
    "log_structured": log_structured.build,
    "log_fields": log_fields.build,
    "translate_external": translate_external.build,
    "add_timeout": add_timeout.build,
}

__all__ = ["BUILDERS", "FixRefused", "apply_edits", "build_fix"]


def build_fix(source: SourceFile, finding: Finding, offer: FixOffer, settings: Settings | None = None) -> Fix:
    builder = BUILDERS.get(offer.kind)
    if builder is None:
        raise FixRefused(f"unknown fix kind {offer.kind!r}")
    try:
        tree = ast.parse(source.text)
    except SyntaxError as exc:
        raise FixRefused("the file does not parse") from exc
    request = FixRequest(source, tree, finding, offer, settings or Settings())
    edits = tuple(builder(request))
    if not edits:
        raise FixRefused("the fix would change nothing")
    new_text = apply_edits(source.text, edits)
    try:
        ast.parse(new_text)
    except SyntaxError as exc:
        raise FixRefused(f"the fixed code would not parse: {exc.msg} at line {exc.lineno}") from exc
    return Fix(offer.title, offer.applicability, edits, finding.code)
