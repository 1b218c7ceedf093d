"""The code-action requests: the quick fixes, the fix-all entries and the suppression of the findings in a range
(of a file, or of a notebook cell), and codeAction/resolve. The edits themselves are built in ``code_actions``."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types as t

from sadpath.lsp import code_actions as _ca

log = logging.getLogger("sadpath.lsp")


def code_actions(ls: Any, params: t.CodeActionParams) -> list[t.CodeAction] | None:
    """The actions for a range: the server (``ls``) knows the documents and the client's capabilities."""
    located = ls.locate(params.text_document.uri)
    if located is None:
        return None
    result = located.result
    uri = located.uri
    ctx = ls.action_context(uri, result, located.view)
    wanted = params.context.only
    requested = params.range
    if located.cell is not None and located.view is not None:  # the cell's lines in the notebook's text
        view, cell = located.view, located.cell
        requested = t.Range(view.to_notebook(cell, requested.start), view.to_notebook(cell, requested.end))
    actions: list[t.CodeAction] = []
    if not wanted or any(_contains(k, t.CodeActionKind.QuickFix) for k in wanted):
        ours = [d for d in ls.diagnostics(uri, result) if overlaps(d.range, requested)]
        parsed = result.analysis.tree is not None  # findings kept through a syntax error: fixed once it parses
        for diagnostic in ours if parsed else []:
            data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
            for index in range(len(data.get("fixes", []))):
                try:
                    action = _ca.fix_action(ctx, diagnostic, index, ls.resolve_lazily)
                except _ca.FixFailed as exc:
                    ls.say_fix_failed(_fix_title(diagnostic, index), str(exc), once=True)
                    continue
                if action is not None:
                    actions.append(action)
        if ours and parsed and ls.options.fix_all and _ca.has_safe_fix(result.analysis.findings):
            try:
                entry = _ca.fix_all_quick_fix(ctx, ls.resolve_lazily)
            except _ca.FixFailed as exc:
                log.info("no fix-all entry for %s: %s", uri, exc)
                entry = None
            if entry is not None:
                actions.append(entry)
        for diagnostic in ours:
            suppress = _ca.suppression_action(ctx, diagnostic)
            if suppress is not None:
                actions.append(suppress)
    if wanted and ls.options.fix_all:
        if located.view is not None and any(_contains(k, _ca.NOTEBOOK_FIX_ALL_KIND) for k in wanted):
            fix_all = _ca.fix_all_action(ctx, _ca.NOTEBOOK_FIX_ALL_KIND)  # the whole notebook
            if fix_all is not None:
                actions.append(fix_all)
        if any(_contains(k, _ca.FIX_ALL_KIND) for k in wanted):
            only_cell = located.cell.uri if located.cell is not None else None  # a cell's own action edits it alone
            fix_all = _ca.fix_all_action(ctx, _ca.FIX_ALL_KIND, only_cell)
            if fix_all is not None:
                actions.append(fix_all)
    if located.cell is not None and located.view is not None:  # the diagnostics an action fixes, in the cell's lines
        for action in actions:
            if action.diagnostics:
                action.diagnostics = located.view.cell_diagnostics(located.cell, list(action.diagnostics))
    generate_wanted = not wanted or any(_ca.GENERATE_TESTS_KIND.startswith(k) for k in wanted)
    if located.view is None and ls.create_files and generate_wanted:
        generate = _ca.generate_tests_action(ctx, result.analysis, params.range.start.line)
        if generate is not None:
            actions.append(generate)
    return actions


def _contains(requested: str, kind: str) -> bool:
    """Whether asking for ``requested`` covers ``kind`` (``source`` covers ``source.fixAll.sadpath``)."""
    return kind == requested or kind.startswith(requested + ".")


def _fix_title(diagnostic: t.Diagnostic, index: int) -> str:
    data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
    try:
        offer = data["fixes"][index]
        return _ca.fix_title(str(data["code"]), str(offer["title"]), str(offer["applicability"]))
    except (KeyError, IndexError, TypeError):
        return "a quick fix"


def resolve(ls: Any, action: t.CodeAction) -> t.CodeAction:
    """codeAction/resolve: the edit, or the reason it cannot be built said to the user (the action unchanged)."""
    data = action.data if isinstance(action.data, dict) else {}
    uri = data.get("uri")
    if not isinstance(uri, str):
        return action  # not one of ours: nothing to add
    result = ls.result_for(uri)
    if result is None:
        ls.say_fix_failed(action.title, "the file is no longer open, or no longer analysed")
        return action
    try:
        return _ca.resolve_fix(ls.action_context(uri, result, ls.views.get(uri)), action)
    except _ca.FixFailed as exc:
        ls.say_fix_failed(action.title, str(exc))
        return action


def overlaps(diagnostic: t.Range, requested: t.Range) -> bool:
    """A diagnostic on any line of the requested range: a cursor anywhere on the line offers its fixes."""
    return diagnostic.start.line <= requested.end.line and requested.start.line <= diagnostic.end.line
