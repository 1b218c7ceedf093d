"""Code actions: every fix of every finding in the range, the suppression comment, and fix-all."""

from __future__ import annotations

import ast

import re
from dataclasses import dataclass

from lsprotocol import types as t

from sadpath.settings import Settings
from sadpath.linter import lint_fix
from sadpath.fixes import FixRefused, build_fix
from sadpath.fixes.region import line_edits
from sadpath.lsp.convert import finding_from_data, to_text_edits
from sadpath.model import Applicability, Edit, Span
from sadpath.source import SourceFile, split_lines

FIX_ALL_KIND = "source.fixAll.sadpath"
_IGNORE_COMMENT = re.compile(r"#\s*sadpath:\s*ignore\[(?P<codes>[^\]]*)\]")


@dataclass(frozen=True)
class ActionContext:
    uri: str
    version: int | None
    source: SourceFile
    encoding: str
    settings: Settings
    unsafe_fixes: bool
    tree: ast.Module | None = None  # the analysed tree of ``source``, when it parsed


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


def fix_action(ctx: ActionContext, diagnostic: t.Diagnostic, index: int, resolve_lazily: bool) -> t.CodeAction | None:
    finding = finding_from_data(diagnostic.data, diagnostic.message)
    if finding is None or index >= len(finding.fixes):
        return None
    offer = finding.fixes[index]
    if offer.applicability is Applicability.DISPLAY_ONLY:
        return None
    action = t.CodeAction(
        title=offer.title,
        kind=t.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=offer.applicability is Applicability.SAFE or offer.preferred,
        data={"uri": ctx.uri, "version": ctx.version, "finding": diagnostic.data, "fix": index, "message": diagnostic.message},
    )
    if resolve_lazily:
        return action
    return resolve_fix(ctx, action)


def resolve_fix(ctx: ActionContext, action: t.CodeAction) -> t.CodeAction | None:
    """Compute the edit of a quick fix (eagerly, or in codeAction/resolve). None when the fix refuses."""
    data = action.data if isinstance(action.data, dict) else {}
    finding = finding_from_data(data.get("finding"), str(data.get("message", "")))
    index = data.get("fix")
    if finding is None or not isinstance(index, int) or index >= len(finding.fixes):
        return None
    if data.get("version") != ctx.version:
        return None  # the document moved on: a fresh code action request will come
    try:
        fix = build_fix(ctx.source, finding, finding.fixes[index], ctx.settings, ctx.tree)
    except FixRefused:
        return None
    action.edit = versioned_edit(ctx, to_text_edits(fix.edits, ctx.source, ctx.encoding))
    return action


def suppression_action(ctx: ActionContext, diagnostic: t.Diagnostic) -> t.CodeAction | None:
    finding = finding_from_data(diagnostic.data, diagnostic.message)
    if finding is None:
        return None
    line = finding.span.line
    text = ctx.source.line(line)
    match = _IGNORE_COMMENT.search(text)
    if match:
        codes = [c.strip() for c in match.group("codes").split(",") if c.strip()]
        if finding.code in codes:
            return None
        new_line = text[: match.start("codes")] + ", ".join([*codes, finding.code]) + text[match.end("codes") :]
    else:
        new_line = f"{text.rstrip()}  # sadpath: ignore[{finding.code}]"
    edit = Edit(Span(line, 0, line, len(text)), new_line)
    return t.CodeAction(
        title=f"Disable {finding.code} for this line",
        kind=t.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=versioned_edit(ctx, to_text_edits([edit], ctx.source, ctx.encoding)),
    )


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


def fix_all_action(ctx: ActionContext) -> t.CodeAction | None:
    fixed = fix_all_text(ctx)
    if fixed == ctx.source.text:
        return None
    edits = line_edits(split_lines(ctx.source.text), split_lines(fixed), 1)
    return t.CodeAction(
        title="sadpath: fix all" + (" (including unsafe fixes)" if ctx.unsafe_fixes else " safe fixes"),
        kind=FIX_ALL_KIND,
        edit=versioned_edit(ctx, to_text_edits(edits, ctx.source, ctx.encoding)),
    )
