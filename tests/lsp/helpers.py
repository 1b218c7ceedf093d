"""Client-side helpers for the end-to-end tests: open documents, wait for diagnostics, apply edits."""

from __future__ import annotations

import asyncio

from lsprotocol import types as t

from sadpath.source import SourceFile


def open_document(client, uri: str, text: str, version: int = 1, language: str = "python") -> None:
    client.text_document_did_open(
        t.DidOpenTextDocumentParams(
            text_document=t.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)
        )
    )


def change_document(client, uri: str, version: int, changes: list) -> None:
    client.text_document_did_change(
        t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=changes
        )
    )


async def wait_for_version(client, uri: str, version: int, timeout: float = 20.0) -> list[t.Diagnostic]:
    """Wait until diagnostics for exactly this version of the document arrived."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if client.diagnostic_versions.get(uri) == version:
            return list(client.diagnostics.get(uri, []))
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(f"no diagnostics for {uri} version {version}")
        try:
            await asyncio.wait_for(client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), remaining)
        except asyncio.TimeoutError:
            continue


def apply_text_edits(text: str, edits: list[t.TextEdit], encoding: str = t.PositionEncodingKind.Utf16) -> str:
    source = SourceFile("x.py", text)

    def offset(position: t.Position) -> int:
        line = position.line + 1
        if line > source.line_count:
            return len(text)
        if encoding == t.PositionEncodingKind.Utf8:
            column = source.char_col_from_utf8(line, position.character)
        else:
            column = source.char_col_from_utf16(line, position.character)
        return source.offset(line, column)

    result = text
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        result = result[:start] + edit.new_text + result[end:]
    return result


def apply_workspace_edit(text: str, uri: str, edit: t.WorkspaceEdit, encoding: str = t.PositionEncodingKind.Utf16) -> str:
    edits: list[t.TextEdit] = []
    for change in edit.document_changes or []:
        assert change.text_document.uri == uri
        edits.extend(change.edits)
    for change_uri, change_edits in (edit.changes or {}).items():
        assert change_uri == uri
        edits.extend(change_edits)
    return apply_text_edits(text, edits, encoding)
