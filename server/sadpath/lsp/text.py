"""Open documents whose lines are the lines the client counts.

pygls's ``TextDocument`` splits its text with ``str.splitlines()``, which also breaks at form feeds,
``\\x0b``, ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028`` and ``\\u2029``. Python's tokenizer and every LSP client
count only ``\\n``, ``\\r\\n`` and ``\\r``: with a form feed in a file, incremental edits would land on the wrong
line and the server would analyse a text the user does not have. These subclasses split as the client does.
"""

from __future__ import annotations

from typing import Sequence

from pygls.workspace import TextDocument, Workspace

from sadpath.source import split_lines


class LineSafeTextDocument(TextDocument):
    @property
    def lines(self) -> Sequence[str]:
        return tuple(split_lines(self.source))


class LineSafeWorkspace(Workspace):
    """A workspace whose text documents (notebook cells included) are ``LineSafeTextDocument``s."""

    def _create_text_document(self, doc_uri, source=None, version=None, language_id=None) -> TextDocument:
        return LineSafeTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self.position_codec,
        )


def make_line_safe(workspace: Workspace) -> None:
    """Turn the workspace pygls created at ``initialize`` into a ``LineSafeWorkspace`` (it has no documents
    yet: the client opens none before the server has answered ``initialize``)."""
    if not isinstance(workspace, LineSafeWorkspace):
        workspace.__class__ = LineSafeWorkspace
