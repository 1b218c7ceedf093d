"""Fixes: one libcst transformer per fix kind, built lazily when a code action or ``--fix`` asks.

``build_fix`` is the only entry point. It re-parses the text with ``ast`` (cheap),
lets the fix kind work on the smallest enclosing function with libcst, adds any
module-level imports or definitions, checks that the result parses and returns
minimal edits. A fix that cannot prove its change raises ``FixRefused``.
"""

from __future__ import annotations

import ast
import logging
from typing import Callable

from sadpath.fixes import (
    add_await,
    add_timeout,
    backoff_sleep,
    chain_cause,
    contract_handlers,
    keep_task,
    log_exception,
    log_fields,
    log_structured,
    narrow_except,
    raise_for_status,
    remove_suppression,
    reraise,
    retry_external,
    rollback_on_error,
    tenacity_limits,
    translate,
    translate_external,
)
from sadpath.fixes.region import FixRefused, apply_edits
from sadpath.fixes.request import FixRequest
from sadpath.fixes.scope import check_parses, pruned_tree
from sadpath.fixes.tidy import in_file_quotes
from sadpath.model import Finding, Fix, FixOffer
from sadpath.settings import Settings
from sadpath.source import SourceFile

log = logging.getLogger("sadpath.fixes")

# A fix kind is the name of the module that builds it: FixOffer("add_timeout") <-> fixes/add_timeout.py.
KINDS: dict[str, Callable[[FixRequest], list]] = {
    module.__name__.rsplit(".", 1)[1]: module.build
    for module in (
        add_await, add_timeout, backoff_sleep, chain_cause, contract_handlers, keep_task, log_exception, log_fields,
        log_structured, narrow_except, raise_for_status, remove_suppression, reraise, retry_external, rollback_on_error, tenacity_limits,
        translate, translate_external,
    )
}  # fmt: skip
# The public helper modules the builders share (no ``build``; not fix kinds).
HELPER_MODULES = (
    "additions", "domain_errors", "error_handler", "failure_context", "framework_answer", "nodes", "place", "region", "request",
    "scope", "tidy", "unwrap",
)

# The kinds whose builders touch only the function statement that holds the finding (the handler's ``try``, the
# logging call's statement) and look at the rest of the function through ``ast`` alone: they are built on that
# statement's libcst tree first (``region_for(narrow=True)``), and on the whole function when that refuses.
NARROW_KINDS = frozenset({"add_await", "chain_cause", "log_exception", "log_fields", "log_structured", "narrow_except", "reraise", "translate"})

__all__ = ["HELPER_MODULES", "KINDS", "NARROW_KINDS", "FixRefused", "apply_edits", "build_fix"]


def _from_recursion(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, RecursionError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _text_of(exc: BaseException, limit: int = 200) -> str:
    """An exception's message, cut to one line, from its string arguments only: ``str()`` of a libcst error can
    recurse through a whole tree."""
    text = " ".join(" ".join(arg for arg in exc.args if isinstance(arg, str)).split()) or "(no message)"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_fix(
    source: SourceFile, finding: Finding, offer: FixOffer, settings: Settings | None = None, tree: ast.Module | None = None
) -> Fix:
    """The edits of one fix. ``tree`` is ``ast.parse(source.text)`` when the caller has it already."""
    builder = KINDS.get(offer.kind)
    if builder is None:
        raise FixRefused(f"unknown fix kind {offer.kind!r}")
    if tree is None:
        try:
            tree = ast.parse(source.text)
        except SyntaxError as exc:
            raise FixRefused("the file does not parse") from exc
    pruned = pruned_tree(tree, finding.span.line, source)
    request = FixRequest(source, pruned, finding, offer, settings or Settings(), tree)
    where = f"{source.path}:{finding.span.line}"
    try:
        edits = None
        if offer.kind in NARROW_KINDS:
            narrow = FixRequest(source, pruned, finding, offer, settings or Settings(), tree, narrow=True)
            try:
                edits = tuple(builder(narrow))
            except Exception as exc:  # noqa: BLE001 - the statement alone does not show it: the whole function decides
                log.debug("fix %s on %s: rebuilt on the whole function (%s)", offer.kind, where, type(exc).__name__, exc_info=True)
            else:
                request = narrow
        if edits is None:
            edits = tuple(builder(request))
    except FixRefused:
        raise
    except Exception as exc:  # a bug in one fix must not take the run or the editor down: refuse, and say why
        if _from_recursion(exc):  # libcst recurses over the tree (and re-raises that as other errors)
            log.warning("fix %s for %s on %s refused: the code is nested too deeply for libcst", offer.kind, finding.code, where)
            raise FixRefused("the code is nested too deeply to rewrite") from None
        reason = f"{type(exc).__name__}: {_text_of(exc)}"
        log.warning("fix %s for %s on %s failed: %s", offer.kind, finding.code, where, reason)
        log.debug("the failing fix's traceback", exc_info=True)
        raise FixRefused(f"the {offer.kind} fix failed: {reason}") from exc
    if not edits:
        raise FixRefused("the fix would change nothing")
    edits = tuple(in_file_quotes(source.text, list(edits)))  # new literals in the file's own quotes
    check_parses(source, tree, edits)
    title = (request.title or offer.title) + (f" ({'; '.join(dict.fromkeys(request.notes))})" if request.notes else "")
    return Fix(title, offer.applicability, edits, finding.code)
