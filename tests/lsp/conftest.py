"""pytest-lsp fixtures: the real server over stdio (``python -m sadpath server``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER = [sys.executable, "-m", "sadpath", "server"]
ROOT = Path(__file__).resolve().parents[2]


def capabilities(pull: bool = False, resolve: bool = False, utf8: bool = False, create_files: bool = False) -> t.ClientCapabilities:
    return t.ClientCapabilities(
        workspace=t.WorkspaceClientCapabilities(
            workspace_edit=t.WorkspaceEditClientCapabilities(document_changes=True, resource_operations=[t.ResourceOperationKind.Create])
        )
        if create_files
        else None,
        general=t.GeneralClientCapabilities(position_encodings=[t.PositionEncodingKind.Utf8]) if utf8 else None,
        text_document=t.TextDocumentClientCapabilities(
            diagnostic=t.DiagnosticClientCapabilities() if pull else None,
            code_action=t.CodeActionClientCapabilities(
                code_action_literal_support=t.ClientCodeActionLiteralOptions(
                    code_action_kind=t.ClientCodeActionKindOptions(value_set=["quickfix", "source.fixAll"])
                ),
                resolve_support=t.ClientCodeActionResolveOptions(properties=["edit"]) if resolve else None,
            ),
        ),
    )


def record_versions(client: LanguageClient) -> None:
    """Remember the document version of every publishDiagnostics (the default handler keeps only the items)."""
    features = client.protocol.fm.features
    original = features[t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]
    client.diagnostic_versions = {}

    def publish(params: t.PublishDiagnosticsParams):
        client.diagnostic_versions[params.uri] = params.version
        return original(params)

    features[t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish


async def start(lsp_client: LanguageClient, root: Path, options: dict | None = None, **caps) -> None:
    record_versions(lsp_client)
    await lsp_client.initialize_session(
        t.InitializeParams(
            capabilities=capabilities(**caps),
            root_uri=root.as_uri(),
            initialization_options={"debounceMs": 0, **(options or {})},
        )
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, tmp_path)
    yield lsp_client
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def pull_client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, tmp_path, pull=True, resolve=True, utf8=True)
    yield lsp_client
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def files_client(lsp_client: LanguageClient, tmp_path):
    """A client that applies CreateFile operations (VS Code does): offered the generate-tests action."""
    await start(lsp_client, tmp_path, create_files=True)
    yield lsp_client
    await lsp_client.shutdown_session()
