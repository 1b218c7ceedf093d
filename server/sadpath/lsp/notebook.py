"""Notebooks: the code cells of a notebook analysed as one Python file, and positions mapped per cell.

A notebook's Python cells, in order, make one text (each cell's lines, then a line break), so that a name a
cell imports or defines is known in the cells below it, as when the notebook runs top to bottom. IPython
syntax that is not Python (``%magic``, ``!shell``, ``x = !ls``, a ``%%cell`` magic) is masked: the line
becomes ``pass`` at its indentation, so the rest of the cell still parses, and no edit may touch it.

Every finding then belongs to the cell that holds its first line; its range, its related locations and the
edits of its fixes are moved to that cell's own lines. An edit that would cross from one cell into the next
cannot be expressed and is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsprotocol import types as t

from sadpath.model import Edit, Span

NOTEBOOK_SYNC = t.NotebookDocumentSyncOptions(
    notebook_selector=[t.NotebookDocumentFilterWithCells(notebook="*", cells=[t.NotebookCellLanguage(language="python")])],
    save=True,
)
_LINE_MAGIC = re.compile(r"^(?P<indent>[ \t]*)(?:[%!]|[\w.,\s\[\]]+=[ \t]*[%!])")
_CELL_MAGIC = re.compile(r"^[ \t]*%%")


class CrossesCells(Exception):
    """An edit that would span two cells, or touch a masked IPython line."""


@dataclass(frozen=True)
class Cell:
    uri: str
    version: int | None
    first_line: int  # 1-based line of the cell's first line in the notebook's text
    line_count: int
    masked: frozenset[int]  # 1-based lines of the notebook's text that hold masked IPython syntax
    ends_with_newline: bool = True  # the cell's own text ends with a line break (the notebook's text always does)

    @property
    def last_line(self) -> int:
        return self.first_line + self.line_count - 1

    def holds(self, line: int) -> bool:
        return self.first_line <= line <= self.last_line


@dataclass(frozen=True)
class NotebookView:
    uri: str
    version: int
    cells: tuple[Cell, ...]
    text: str

    def line(self, line: int) -> str:
        """A 1-based line of the notebook's text, without its line break."""
        lines = self.text.split("\n")
        return lines[line - 1] if 1 <= line <= len(lines) else ""

    def cell(self, uri: str) -> Cell | None:
        return next((c for c in self.cells if c.uri == uri), None)

    def cell_at(self, line: int) -> Cell | None:
        """The cell that holds a 1-based line of the notebook's text."""
        return next((c for c in self.cells if c.holds(line)), None)

    # ---- positions -------------------------------------------------------------------------------------
    def to_notebook(self, cell: Cell, position: t.Position) -> t.Position:
        return t.Position(line=position.line + cell.first_line - 1, character=position.character)

    def to_cell_range(self, cell: Cell, rng: t.Range) -> t.Range:
        """A range of the notebook's text (0-based lines) in ``cell``'s lines, clipped to the cell."""
        start_line = rng.start.line - (cell.first_line - 1)
        end_line = rng.end.line - (cell.first_line - 1)
        end_character = rng.end.character
        if end_line >= cell.line_count:  # past the cell's last line: its end
            end_line, end_character = cell.line_count, 0
        return t.Range(
            start=t.Position(line=max(start_line, 0), character=rng.start.character),
            end=t.Position(line=max(end_line, 0), character=end_character),
        )

    def cell_diagnostics(self, cell: Cell, diagnostics: list[t.Diagnostic]) -> list[t.Diagnostic]:
        """The notebook's diagnostics that start in ``cell``, moved to its lines (related locations too)."""
        out = []
        for diagnostic in diagnostics:
            if not cell.holds(diagnostic.range.start.line + 1):
                continue
            related = None
            if diagnostic.related_information:
                related = []
                for info in diagnostic.related_information:
                    location = info.location
                    if location.uri == self.uri:
                        target = self.cell_at(location.range.start.line + 1)
                        if target is None:
                            continue
                        location = t.Location(uri=target.uri, range=self.to_cell_range(target, location.range))
                    related.append(t.DiagnosticRelatedInformation(location=location, message=info.message))
            out.append(
                t.Diagnostic(
                    range=self.to_cell_range(cell, diagnostic.range),
                    message=diagnostic.message,
                    severity=diagnostic.severity,
                    code=diagnostic.code,
                    code_description=diagnostic.code_description,
                    source=diagnostic.source,
                    related_information=related or None,
                    data=diagnostic.data,  # spans stay in the notebook's lines: the code actions read them there
                )
            )
        return out

    def split_edits(self, edits: list[Edit]) -> dict[str, tuple[Cell, list[Edit]]]:
        """Edits of the notebook's text grouped by cell (still in the notebook's lines: ``to_cell_range`` moves
        their ranges once they are in the client's encoding). Raises CrossesCells."""
        grouped: dict[str, tuple[Cell, list[Edit]]] = {}
        for edit in edits:
            span = edit.span
            cell = self.cell_at(span.line)
            if cell is None and self.cells and span.line == self.cells[-1].last_line + 1 and span.column == 0:
                cell = self.cells[-1]  # an insertion at the very end: the last cell's end
            if cell is None:
                raise CrossesCells(f"line {span.line} is in no cell")
            end_line, end_column = span.end_line, span.end_column
            text = edit.text
            if not cell.holds(end_line):
                if end_line != cell.last_line + 1 or end_column != 0:
                    raise CrossesCells(f"the edit of lines {span.line}-{span.end_line} spans two cells")
                # up to the start of the next cell: the end of this one, whose text may have no final line break
                if not cell.ends_with_newline and text.endswith("\n"):
                    end_line, end_column, text = cell.last_line, len(self.line(cell.last_line)), text[:-1]
            replaced = (span.line, span.column) != (end_line, end_column)
            last = end_line if end_column > 0 else end_line - 1
            if replaced and any(line in cell.masked for line in range(span.line, max(last, span.line) + 1)):
                raise CrossesCells("the edit touches an IPython line (a magic or a shell command)")
            kept = Edit(Span(span.line, span.column, end_line, end_column), text)
            grouped.setdefault(cell.uri, (cell, []))[1].append(kept)
        return grouped


def mask_ipython(text: str) -> tuple[str, set[int]]:
    """The cell's text with IPython-only lines replaced by ``pass``, and the 0-based indexes of those lines."""
    lines = text.split("\n")
    masked: set[int] = set()
    if lines and _CELL_MAGIC.match(lines[0]):  # a cell magic (%%bash, %%time, ...): the whole cell is not Python
        return "\n".join("" for _ in lines), set(range(len(lines)))
    for index, line in enumerate(lines):
        if index and lines[index - 1].rstrip().endswith("\\"):
            continue  # a continuation line belongs to the line above
        match = _LINE_MAGIC.match(line)
        if match and not line.lstrip().startswith("#"):
            lines[index] = match.group("indent") + "pass"
            masked.add(index)
    return "\n".join(lines), masked


def build_view(notebook: t.NotebookDocument, text_of) -> NotebookView:
    """The notebook's Python cells as one text. ``text_of(uri)`` gives a cell's (text, version, language),
    or None for a cell the server was not sent."""
    parts: list[str] = []
    cells: list[Cell] = []
    line = 1
    for notebook_cell in notebook.cells:
        if notebook_cell.kind != t.NotebookCellKind.Code:
            continue
        found = text_of(notebook_cell.document)
        if found is None:
            continue
        text, version, language = found
        if (language or "python").lower() != "python":
            continue
        body = text.replace("\r\n", "\n").replace("\r", "\n")
        masked_text, masked = mask_ipython(body)
        if not masked_text.endswith("\n"):
            masked_text += "\n"
        count = masked_text.count("\n")
        masked_lines = frozenset(line + i for i in masked)
        cells.append(Cell(notebook_cell.document, version, line, count, masked_lines, body.endswith("\n") or not body))
        parts.append(masked_text)
        line += count
    return NotebookView(notebook.uri, notebook.version, tuple(cells), "".join(parts))
