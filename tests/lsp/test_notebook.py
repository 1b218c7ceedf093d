"""Notebooks over the real server: notebookDocument/* sync, diagnostics per cell at the cell's own lines, hover and
quick fixes in a cell, notebook.source.fixAll.sadpath across the cells, and a cell edit that changes another's."""

from __future__ import annotations

import ast

from lsprotocol import types as t

from helpers import apply_text_edits, wait_for_version

IMPORTS = "%matplotlib inline\nimport requests\n"
MARKDOWN = "# Rates\nWhat the fx service says."
RATE = (
    "def get_rate(currency):\n    try:\n"
    "        return requests.get('https://fx.example/' + currency, timeout=5)\n"
    "    except Exception as e:\n        print(e)\n        return 'UNKNOWN'"
)
UNCHAINED = (
    "!pip install requests\nclass GatewayError(Exception):\n    pass\n\n\ndef charge(api):\n    try:\n        api.charge()\n"
    "    except KeyError:\n        raise GatewayError('charge failed')\n"
)


def cell_uri(notebook, index: int) -> str:
    return f"vscode-notebook-cell:{notebook.as_posix()}#W{index}sZmlsZQ%3D%3D"  # quoted '=' as VS Code sends them


def open_notebook(client, tmp_path):
    notebook = tmp_path / "rates.ipynb"
    cells = [(IMPORTS, t.NotebookCellKind.Code, "python"), (MARKDOWN, t.NotebookCellKind.Markup, "markdown"),
             (RATE, t.NotebookCellKind.Code, "python"), (UNCHAINED, t.NotebookCellKind.Code, "python")]
    uris = [cell_uri(notebook, i) for i in range(len(cells))]
    client.notebook_document_did_open(
        t.DidOpenNotebookDocumentParams(
            notebook_document=t.NotebookDocument(
                uri=notebook.as_uri(),
                notebook_type="jupyter-notebook",
                version=1,
                cells=[t.NotebookCell(kind=kind, document=uri) for (_, kind, _), uri in zip(cells, uris)],
            ),
            cell_text_documents=[
                t.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
                for (text, _, language), uri in zip(cells, uris)
            ],
        )
    )
    return notebook, uris


async def test_notebook_cells_get_diagnostics_hover_and_fixes(client, tmp_path):
    notebook, uris = open_notebook(client, tmp_path)
    rate = await wait_for_version(client, uris[2], 1)
    unchained = await wait_for_version(client, uris[3], 1)
    # findings at each cell's own lines: the handler of RATE is its line 3, the raise of UNCHAINED its line 9
    assert ("SAD101", 3) in {(d.code, d.range.start.line) for d in rate}
    assert all(d.range.end.line <= 5 for d in rate)
    assert [(d.code, d.range.start.line) for d in unchained] == [("SAD103", 9)]
    # the import in the first cell is known in the third: requests.get is an external call, and the magic is masked
    assert await wait_for_version(client, uris[0], 1) == []
    assert uris[1] not in client.diagnostics  # markdown cells are not Python

    hover = await client.text_document_hover_async(
        t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uris[2]), position=t.Position(line=2, character=25))
    )
    assert hover is not None and "requests.get" in hover.contents.value

    target = unchained[0]
    actions = await client.text_document_code_action_async(
        t.CodeActionParams(
            text_document=t.TextDocumentIdentifier(uri=uris[3]), range=target.range,
            context=t.CodeActionContext(diagnostics=[target]),
        )
    )
    chain = next(a for a in actions if a.title == "sadpath (SAD103): Chain the cause: add `from exc`")
    assert chain.diagnostics[0].range == target.range  # in the cell's lines
    (change,) = chain.edit.document_changes
    assert change.text_document.uri == uris[3] and change.text_document.version == 1
    fixed = apply_text_edits(UNCHAINED, change.edits)
    assert "except KeyError as exc:" in fixed and "raise GatewayError('charge failed') from exc" in fixed
    assert fixed.startswith("!pip install requests\n")  # the shell line is left alone

    suppress = next(a for a in actions if a.title == "sadpath (SAD103): Disable SAD103 for this line")
    (change,) = suppress.edit.document_changes
    assert apply_text_edits(UNCHAINED, change.edits).split("\n")[9].endswith("# sadpath: ignore[SAD103]")


async def test_notebook_fix_all_on_save_edits_every_cell(client, tmp_path):
    notebook, uris = open_notebook(client, tmp_path)
    await wait_for_version(client, uris[3], 1)
    # VS Code asks the notebook-wide kind of the first cell, with the whole cell as the range
    actions = await client.text_document_code_action_async(
        t.CodeActionParams(
            text_document=t.TextDocumentIdentifier(uri=uris[0]),
            range=t.Range(t.Position(0, 0), t.Position(2, 0)),
            context=t.CodeActionContext(diagnostics=[], only=["notebook.source.fixAll"], trigger_kind=t.CodeActionTriggerKind.Invoked),
        )
    )
    (fix_all,) = actions
    assert fix_all.kind == "notebook.source.fixAll.sadpath"
    texts = {uris[0]: IMPORTS, uris[2]: RATE, uris[3]: UNCHAINED}
    for change in fix_all.edit.document_changes:
        assert change.text_document.version == 1
        texts[change.text_document.uri] = apply_text_edits(texts[change.text_document.uri], change.edits)
    assert "raise GatewayError('charge failed') from exc" in texts[uris[3]]
    assert texts[uris[0]].startswith("%matplotlib inline\n") and texts[uris[3]].startswith("!pip install requests\n")
    for uri in (uris[2], uris[3]):
        ast.parse(texts[uri].replace("!pip install requests", "pass"))
    # the per-cell source.fixAll edits its own cell alone
    actions = await client.text_document_code_action_async(
        t.CodeActionParams(
            text_document=t.TextDocumentIdentifier(uri=uris[2]),
            range=t.Range(t.Position(0, 0), t.Position(6, 0)),
            context=t.CodeActionContext(diagnostics=[], only=["source.fixAll"]),
        )
    )
    for action in actions:
        assert {c.text_document.uri for c in action.edit.document_changes} <= {uris[2]}


async def test_a_cell_edit_reaches_the_other_cells(client, tmp_path):
    notebook, uris = open_notebook(client, tmp_path)
    assert "SAD101" in {d.code for d in await wait_for_version(client, uris[2], 1)}
    # re-raise in the handler of the third cell: its findings go; then a cell is deleted
    client.notebook_document_did_change(
        t.DidChangeNotebookDocumentParams(
            notebook_document=t.VersionedNotebookDocumentIdentifier(uri=notebook.as_uri(), version=2),
            change=t.NotebookDocumentChangeEvent(
                cells=t.NotebookDocumentCellChanges(
                    text_content=[
                        t.NotebookDocumentCellContentChanges(
                            document=t.VersionedTextDocumentIdentifier(uri=uris[2], version=2),
                            changes=[t.TextDocumentContentChangePartial(range=t.Range(t.Position(4, 8), t.Position(5, 24)), text="raise")],
                        )
                    ]
                )
            ),
        )
    )
    assert await wait_for_version(client, uris[2], 2) == []
    client.notebook_document_did_change(
        t.DidChangeNotebookDocumentParams(
            notebook_document=t.VersionedNotebookDocumentIdentifier(uri=notebook.as_uri(), version=3),
            change=t.NotebookDocumentChangeEvent(
                cells=t.NotebookDocumentCellChanges(
                    structure=t.NotebookDocumentCellChangeStructure(
                        array=t.NotebookCellArrayChange(start=3, delete_count=1),
                        did_close=[t.TextDocumentIdentifier(uri=uris[3])],
                    )
                )
            ),
        )
    )
    assert await wait_for_version(client, uris[3], None) == []
    client.notebook_document_did_close(
        t.DidCloseNotebookDocumentParams(
            notebook_document=t.NotebookDocumentIdentifier(uri=notebook.as_uri()),
            cell_text_documents=[t.TextDocumentIdentifier(uri=u) for u in uris[:3]],
        )
    )


async def test_pulled_cell_diagnostics(pull_client, tmp_path):
    notebook, uris = open_notebook(pull_client, tmp_path)
    report = await pull_client.text_document_diagnostic_async(
        t.DocumentDiagnosticParams(text_document=t.TextDocumentIdentifier(uri=uris[3]))
    )
    assert [(d.code, d.range.start.line) for d in report.items] == [("SAD103", 9)]
    workspace = await pull_client.workspace_diagnostic_async(t.WorkspaceDiagnosticParams(previous_result_ids=[]))
    by_uri = {item.uri: item for item in workspace.items}
    assert [d.code for d in by_uri[uris[3]].items] == ["SAD103"] and list(by_uri[uris[0]].items) == []
