"""Code actions: every fix of every finding in the range, the suppression comment, and fix-all."""

from __future__ import annotations

import ast
import logging
import re
from dataclasses import dataclass

from lsprotocol import types as t

from sadpath.settings import Settings
from sadpath.linter import lint_fix
from sadpath.fixes import FixRefused, build_fix
from sadpath.fixes.region import line_edits
from sadpath.lsp.convert import finding_from_data, to_text_edits
from sadpath.lsp.notebook import CrossesCells, NotebookView
from sadpath.model import SYNTAX_ERROR_CODE, Applicability, Edit, Span
from sadpath.source import SourceFile, split_lines

log = logging.getLogger("sadpath.lsp")

FIX_ALL_KIND = "source.fixAll.sadpath"
NOTEBOOK_FIX_ALL_KIND = "notebook.source.fixAll.sadpath"  # VS Code asks it of a notebook's first cell on save
FIX_ALL_TITLE = "sadpath: Fix all safe problems"
_IGNORE_COMMENT = re.compile(r"#\s*sadpath:\s*ignore\[(?P<codes>[^\]]*)\]")
_NOQA_CODES = re.compile(r"#\s*noqa:\s*(?P<codes>[A-Za-z]+[0-9]+(?:[ \t]*,[ \t]*[A-Za-z]+[0-9]+)*)", re.IGNORECASE)


class FixFailed(Exception):
    """A quick fix whose edit cannot be built: the reason is for the user ("Could not build the fix: ...")."""


def fix_title(code: str, title: str, applicability: Applicability | str) -> str:
    """``sadpath (SAD101): Re-raise after the existing handling (unsafe)``: the tool, the rule, the fix."""
    unsafe = str(applicability) == str(Applicability.UNSAFE)
    return f"sadpath ({code}): {title}" + (" (unsafe)" if unsafe else "")


@dataclass(frozen=True)
class ActionContext:
    uri: str
    version: int | None
    source: SourceFile
    encoding: str
    settings: Settings
    unsafe_fixes: bool
    tree: ast.Module | None = None  # the analysed tree of ``source``, when it parsed
    notebook: NotebookView | None = None  # ``source`` is this notebook's cells; ``uri`` is the notebook's
    disabled_support: bool = False  # the client shows a disabled action with its reason


def versioned_edit(ctx: ActionContext, edits: list[t.TextEdit]) -> t.WorkspaceEdit:
    """An edit the client rejects if the document moved on since the version it was computed for."""
    return t.WorkspaceEdit(
        document_changes=[
            t.TextDocumentEdit(
                text_document=t.OptionalVersionedTextDocumentIdentifier(uri=ctx.uri, version=ctx.version),
                edits=edits,
            )
        ]
    )


def workspace_edit(ctx: ActionContext, edits: list[Edit] | tuple[Edit, ...], only_cell: str | None = None) -> t.WorkspaceEdit:
    """The workspace edit of edits to ``ctx.source``: one document, or for a notebook one edit per cell (each
    with the cell's version). ``only_cell``: keep that cell's edits alone. Raises FixFailed when an edit
    cannot be expressed in the notebook's cells."""
    if ctx.notebook is None:
        return versioned_edit(ctx, to_text_edits(list(edits), ctx.source, ctx.encoding))
    view = ctx.notebook
    try:
        grouped = view.split_edits(list(edits))
    except CrossesCells as exc:
        raise FixFailed(str(exc)) from None
    changes = []
    for uri, (cell, cell_edits) in grouped.items():
        if only_cell is not None and uri != only_cell:
            continue
        text_edits = [
            t.TextEdit(range=view.to_cell_range(cell, e.range), new_text=e.new_text)
            for e in to_text_edits(cell_edits, ctx.source, ctx.encoding)
        ]
        changes.append(
            t.TextDocumentEdit(
                text_document=t.OptionalVersionedTextDocumentIdentifier(uri=uri, version=cell.version), edits=text_edits
            )
        )
    return t.WorkspaceEdit(document_changes=changes)


def fix_action(ctx: ActionContext, diagnostic: t.Diagnostic, index: int, resolve_lazily: bool) -> t.CodeAction | None:
    finding = finding_from_data(diagnostic.data, diagnostic.message)
    if finding is None or index >= len(finding.fixes):
        return None
    offer = finding.fixes[index]
    if offer.applicability is Applicability.DISPLAY_ONLY:
        return None
    action = t.CodeAction(
        title=fix_title(finding.code, offer.title, offer.applicability),
        kind=t.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=offer.applicability is Applicability.SAFE or offer.preferred,
        data={"uri": ctx.uri, "version": ctx.version, "finding": diagnostic.data, "fix": index, "message": diagnostic.message},
    )
    return action if resolve_lazily else _resolved_or_disabled(ctx, action, resolve_fix)



def _resolved_or_disabled(ctx: ActionContext, action: t.CodeAction, resolve) -> t.CodeAction:
    """The action with its edit; when the fix cannot be built, shown disabled with the reason (where the client
    supports that), else the failure goes to the caller."""
    try:
        return resolve(ctx, action)
    except FixFailed as exc:
        if not ctx.disabled_support:
            raise
        action.disabled = t.CodeActionDisabled(reason=f"Could not build the fix: {exc}")
        return action

def resolve_fix(ctx: ActionContext, action: t.CodeAction) -> t.CodeAction:
    """Compute the edit of a quick fix (eagerly, or in codeAction/resolve). Raises FixFailed, with the reason,
    when it cannot: the fix refused, its code failed (a bundle whose libcst cannot load), or the document
    changed since the fix was offered."""
    data = action.data if isinstance(action.data, dict) else {}
    if data.get("fixAll"):
        return resolve_fix_all(ctx, action)
    finding = finding_from_data(data.get("finding"), str(data.get("message", "")))
    index = data.get("fix")
    if finding is None or not isinstance(index, int) or index >= len(finding.fixes):
        raise FixFailed("the code action is not one sadpath made")
    if data.get("version") != ctx.version:
        raise FixFailed("the file changed since the fix was offered; ask for the fixes again")
    try:
        fix = build_fix(ctx.source, finding, finding.fixes[index], ctx.settings, ctx.tree)
    except FixRefused as exc:
        raise FixFailed(str(exc)) from None
    except Exception as exc:  # build_fix turns a fix's own failure into FixRefused; anything else is said too
        log.exception("the fix %r failed", action.title)
        raise FixFailed(f"{type(exc).__name__}: {exc}") from None
    action.edit = workspace_edit(ctx, fix.edits)
    return action


def has_safe_fix(findings) -> bool:
    return any(o.applicability is Applicability.SAFE for f in findings for o in f.fixes)


def fix_all_quick_fix(ctx: ActionContext, resolve_lazily: bool) -> t.CodeAction | None:
    """The quick-fix menu's "sadpath: Fix all safe problems": every safe fix of the file (or notebook)."""
    action = t.CodeAction(
        title=FIX_ALL_TITLE,
        kind=t.CodeActionKind.QuickFix,
        data={"uri": ctx.uri, "version": ctx.version, "fixAll": "safe"},
    )
    return action if resolve_lazily else _resolved_or_disabled(ctx, action, resolve_fix_all)


def resolve_fix_all(ctx: ActionContext, action: t.CodeAction) -> t.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    if data.get("version") != ctx.version:
        raise FixFailed("the file changed since the fix was offered; ask for the fixes again")
    try:
        fixed = lint_fix(ctx.source, ctx.settings, False)[0]
    except Exception as exc:  # a failing fix-all is said, never a menu entry that does nothing
        log.exception("fix-all failed on %s", ctx.uri)
        raise FixFailed(f"{type(exc).__name__}: {exc}") from None
    if fixed == ctx.source.text:
        raise FixFailed("no safe fix applies any more")
    action.edit = workspace_edit(ctx, line_edits(split_lines(ctx.source.text), split_lines(fixed), 1))
    return action


def suppression_action(ctx: ActionContext, diagnostic: t.Diagnostic) -> t.CodeAction | None:
    finding = finding_from_data(diagnostic.data, diagnostic.message)
    if finding is None:
        return None
    if finding.code == SYNTAX_ERROR_CODE:
        return None  # a syntax error is fixed, not silenced
    line = finding.span.line
    text = ctx.source.line(line)
    new_line = suppressed_line(text, finding.code)
    if new_line is None:
        return None
    edit = Edit(Span(line, 0, line, len(text)), new_line)
    try:
        change = workspace_edit(ctx, [edit])
    except FixFailed:
        return None  # a masked IPython line in a notebook: no comment can go there
    return t.CodeAction(
        title=f"sadpath ({finding.code}): Disable {finding.code} for this line",
        kind=t.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=change,
    )


def suppressed_line(text: str, code: str) -> str | None:
    """The line with ``code`` added to its suppression comment: merged into an existing
    ``# sadpath: ignore[...]``, else into an existing ``# noqa: X1, Y2``, else a new ``# sadpath: ignore[code]``.
    None when the line already names the code."""
    match = _IGNORE_COMMENT.search(text)
    if match:
        codes = [c.strip() for c in match.group("codes").split(",") if c.strip()]
        if code in codes:
            return None
        return text[: match.start("codes")] + ", ".join([*codes, code]) + text[match.end("codes") :]
    noqa = _NOQA_CODES.search(text)
    if noqa:
        codes = [c.strip() for c in noqa.group("codes").split(",") if c.strip()]
        if code.upper() in (c.upper() for c in codes):
            return None
        return text[: noqa.start("codes")] + ", ".join([*codes, code]) + text[noqa.end("codes") :]
    return f"{text.rstrip()}  # sadpath: ignore[{code}]"


GENERATE_TESTS_KIND = "source.generateTests.sadpath"


def generate_tests_action(ctx: ActionContext, analysis, line: int) -> t.CodeAction | None:
    """Write failure-injection tests for the function at ``line`` (0-based), when a contract covers its calls."""
    from pathlib import Path

    from sadpath.gentests import GenerateError, default_output, function_at, generate_for

    if analysis.tree is None or not getattr(ctx.settings, "contracts", ()):
        return None
    function = function_at(analysis.tree, line + 1)
    if function is None:
        return None
    try:
        target, text = generate_for(analysis, Path(ctx.source.path), function, ctx.settings)
    except GenerateError:
        return None  # no covered call here: nothing to offer
    output = default_output(target, ctx.settings).resolve().as_uri()
    edit = t.WorkspaceEdit(
        document_changes=[
            t.CreateFile(uri=output, options=t.CreateFileOptions(overwrite=True)),
            t.TextDocumentEdit(
                text_document=t.OptionalVersionedTextDocumentIdentifier(uri=output, version=None),
                edits=[t.TextEdit(range=t.Range(t.Position(0, 0), t.Position(0, 0)), new_text=text)],
            ),
        ]
    )
    return t.CodeAction(title=f"Generate failure-injection tests for `{function}()`", kind=GENERATE_TESTS_KIND, edit=edit)


def fix_all_text(ctx: ActionContext) -> str:
    """The document with every applicable fix applied, repeated until nothing more applies."""
    return lint_fix(ctx.source, ctx.settings, ctx.unsafe_fixes)[0]


def fix_all_action(ctx: ActionContext, kind: str = FIX_ALL_KIND, only_cell: str | None = None) -> t.CodeAction | None:
    """source.fixAll.sadpath (or, for a whole notebook, notebook.source.fixAll.sadpath): every applicable fix,
    the unsafe ones too when ``unsafeFixes`` is on. ``only_cell``: the edits of that notebook cell alone (VS Code
    runs a cell's source actions on each cell by itself)."""
    fixed = fix_all_text(ctx)
    if fixed == ctx.source.text:
        return None
    edits = line_edits(split_lines(ctx.source.text), split_lines(fixed), 1)
    try:
        change = workspace_edit(ctx, edits, only_cell)
    except FixFailed as exc:  # a refusal with its reason (an edit across two cells), not a bug: no traceback to keep
        log.warning("fix-all on %s is not offered: %s", ctx.uri, exc)  # sadpath: ignore[SAD104]
        return None
    if not change.document_changes:
        return None
    return t.CodeAction(
        title="sadpath: Fix all problems (including unsafe fixes)" if ctx.unsafe_fixes else FIX_ALL_TITLE,
        kind=kind,
        edit=change,
    )
