"""The editor experience over the real server: quick-fix titles, the fix-all entry, merged suppression comments,
fixes that cannot be built said to the user, the editor-only settings, and the debug information."""

from __future__ import annotations

import os
import sys
import textwrap

import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import SERVER, start
from helpers import apply_workspace_edit, open_document, wait_for_version
from test_server import SWALLOW, UNCHAINED, code_actions, full_range

from sadpath.config import resolve_settings
from sadpath.linter import lint_fix
from sadpath.source import SourceFile


async def test_titles_name_the_tool_the_rule_and_unsafe_fixes(client, tmp_path):
    uri = (tmp_path / "app.py").as_uri()
    open_document(client, uri, SWALLOW)
    diagnostics = await wait_for_version(client, uri, 1)
    actions = await code_actions(client, uri, full_range(SWALLOW), diagnostics)
    titles = [a.title for a in actions]
    fixes = [a for a in actions if a.title.startswith("sadpath (SAD1") and "Disable" not in a.title]
    assert fixes, titles
    for action in fixes:
        finding = action.diagnostics[0].data
        offer = next(o for o in finding["fixes"] if action.title.startswith(f"sadpath ({finding['code']}): {o['title']}"))
        assert action.title.endswith(" (unsafe)") == (offer["applicability"] == "unsafe"), action.title
    assert any(title.endswith(" (unsafe)") for title in titles), titles
    # one fix-all entry in the quick-fix menu, which applies the safe fixes only (chaining the cause here)
    path = tmp_path / "both.py"
    text = UNCHAINED + "\n\n" + SWALLOW
    open_document(client, path.as_uri(), text)
    diagnostics = await wait_for_version(client, path.as_uri(), 1)
    actions = await code_actions(client, path.as_uri(), full_range(text), diagnostics)
    (entry,) = [a for a in actions if a.title == "sadpath: Fix all safe problems"]
    assert entry.kind == t.CodeActionKind.QuickFix
    fixed = apply_workspace_edit(text, path.as_uri(), entry.edit)
    assert "from exc" in fixed and fixed == lint_fix(SourceFile(str(path), text), resolve_settings(path), False)[0]


async def test_no_fix_all_entry_without_a_safe_fix(client, tmp_path):
    uri = (tmp_path / "app.py").as_uri()
    text = "def f(api):\n    try:\n        api.call()\n    except Exception:\n        pass\n"
    open_document(client, uri, text)
    diagnostics = await wait_for_version(client, uri, 1)
    assert diagnostics
    actions = await code_actions(client, uri, full_range(text), diagnostics)
    safe = [o for d in diagnostics for o in d.data["fixes"] if o["applicability"] == "safe"]
    has_entry = any(a.title == "sadpath: Fix all safe problems" for a in actions)
    assert has_entry == bool(safe)


async def test_disable_merges_with_an_existing_comment(client, tmp_path):
    for comment, merged in [
        ("# noqa: E722", "# noqa: E722, SAD103"),
        ("# noqa:BLE001,E722", "# noqa:BLE001, E722, SAD103"),
        ("# sadpath: ignore[SAD104]", "# sadpath: ignore[SAD104, SAD103]"),
        ("# type: ignore", "# type: ignore  # sadpath: ignore[SAD103]"),
    ]:
        text = UNCHAINED.replace("raise GatewayError('charge failed')", f"raise GatewayError('charge failed')  {comment}")
        uri = (tmp_path / f"app{abs(hash(comment))}.py").as_uri()
        open_document(client, uri, text)
        diagnostics = await wait_for_version(client, uri, 1)
        target = next(d for d in diagnostics if d.code == "SAD103")
        actions = await code_actions(client, uri, target.range, [target])
        (suppress,) = [a for a in actions if a.title == "sadpath (SAD103): Disable SAD103 for this line"]
        fixed = apply_workspace_edit(text, uri, suppress.edit)
        line = fixed.split("\n")[target.range.start.line]
        assert line.endswith(merged), (comment, line)
        assert line.count("#") == comment.count("#") + (1 if "type:" in comment else 0)


BLOCK_LIBCST = textwrap.dedent(
    """
    import sys

    class _Refuse:
        def find_spec(self, name, path=None, target=None):
            if name == "libcst.native":
                raise ImportError("cannot import name 'native' from 'libcst' (planted by the test)")
            return None

    sys.meta_path.insert(0, _Refuse())
    """
)


def _broken_libcst_server(tmp_path_factory) -> ClientServerConfig:
    """The real server, in an interpreter where ``from libcst import native`` fails (a sitecustomize)."""
    folder = tmp_path_factory.mktemp("nolibcst")
    (folder / "sitecustomize.py").write_text(BLOCK_LIBCST, encoding="utf-8")
    return ClientServerConfig(server_command=SERVER, server_env={**os.environ, "PYTHONPATH": str(folder)})


def _messages(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if m.type == t.MessageType.Error]


async def test_a_fix_that_cannot_be_built_is_said(tmp_path, tmp_path_factory):
    """With libcst's native module unloadable (a bundle built for another Python), choosing a fix says so."""
    config = _broken_libcst_server(tmp_path_factory)
    for lazy in (True, False):
        client = await config.start()
        try:
            await start(client, tmp_path, resolve=lazy)
            uri = (tmp_path / f"app{lazy}.py").as_uri()
            open_document(client, uri, UNCHAINED)
            diagnostics = await wait_for_version(client, uri, 1)
            target = next(d for d in diagnostics if d.code == "SAD103")
            actions = await code_actions(client, uri, target.range, [target])
            if lazy:
                chain = next(a for a in actions if "Chain the cause" in a.title)
                resolved = await client.code_action_resolve_async(chain)
                assert resolved.edit is None
            else:  # computed eagerly: dropped from the menu, and said once
                assert not any("Chain the cause" in a.title for a in actions)
            for _ in range(50):
                if any("Could not build the fix" in m for m in _messages(client)):
                    break
                await client.wait_for_notification(t.WINDOW_SHOW_MESSAGE)
            said = [m for m in _messages(client) if "Could not build the fix" in m]
            assert said and "Chain the cause" in said[0] and "native" in said[0], _messages(client)
            # the suppression comment still works: it needs no libcst
            assert any(a.title == "sadpath (SAD103): Disable SAD103 for this line" and a.edit for a in actions)
        finally:
            await client.shutdown_session()
            await client.stop()


async def test_a_disabled_fix_carries_the_reason(tmp_path, tmp_path_factory):
    client = await _broken_libcst_server(tmp_path_factory).start()
    try:
        caps_client = client
        record = {"debounceMs": 0}
        caps = t.ClientCapabilities(
            text_document=t.TextDocumentClientCapabilities(
                code_action=t.CodeActionClientCapabilities(
                    code_action_literal_support=t.ClientCodeActionLiteralOptions(
                        code_action_kind=t.ClientCodeActionKindOptions(value_set=["quickfix"])
                    ),
                    disabled_support=True,
                )
            )
        )
        from conftest import record_versions

        record_versions(caps_client)
        await caps_client.initialize_session(t.InitializeParams(capabilities=caps, root_uri=tmp_path.as_uri(), initialization_options=record))
        uri = (tmp_path / "app.py").as_uri()
        open_document(caps_client, uri, UNCHAINED)
        diagnostics = await wait_for_version(caps_client, uri, 1)
        target = next(d for d in diagnostics if d.code == "SAD103")
        actions = await code_actions(caps_client, uri, target.range, [target])
        chain = next(a for a in actions if "Chain the cause" in a.title)
        assert chain.edit is None and chain.disabled is not None
        assert chain.disabled.reason.startswith("Could not build the fix: ") and "native" in chain.disabled.reason
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_a_resolve_after_an_edit_is_said(pull_client, tmp_path):
    from helpers import change_document

    uri = (tmp_path / "app.py").as_uri()
    open_document(pull_client, uri, UNCHAINED)
    report = await pull_client.text_document_diagnostic_async(
        t.DocumentDiagnosticParams(text_document=t.TextDocumentIdentifier(uri=uri))
    )
    target = next(d for d in report.items if d.code == "SAD103")
    actions = await code_actions(pull_client, uri, target.range, [target])
    chain = next(a for a in actions if "Chain the cause" in a.title)
    change_document(pull_client, uri, 2, [t.TextDocumentContentChangeWholeDocument(text=UNCHAINED + "\nx = 1\n")])
    resolved = await pull_client.code_action_resolve_async(chain)
    assert resolved.edit is None  # the message went out before the answer
    said = [m for m in _messages(pull_client) if "Could not build the fix" in m]
    assert said and "changed since the fix was offered" in said[0], _messages(pull_client)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def quiet_client(lsp_client: LanguageClient, tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "pyproject.toml").write_text('[tool.sadpath]\nselect = ["SAD103"]\n', encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.sadpath]\nselect = ["SAD104"]\n', encoding="utf-8")
    await start(
        lsp_client,
        tmp_path,
        {"showSyntaxErrors": False, "configuration": "other/pyproject.toml", "extendSelect": ["SAD101"]},
    )
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_editor_settings(quiet_client, tmp_path):
    client = quiet_client
    # a syntax error publishes no SAD000 when showSyntaxErrors is false
    broken = (tmp_path / "broken.py").as_uri()
    open_document(client, broken, "def f(:\n    pass\n")
    assert [d.code for d in await wait_for_version(client, broken, 1)] == []
    # `configuration` (SAD103 alone) replaces the nearest pyproject.toml (SAD104 alone); extendSelect adds SAD101
    uri = (tmp_path / "app.py").as_uri()
    text = UNCHAINED + "\n\n" + SWALLOW
    open_document(client, uri, text)
    codes = {d.code for d in await wait_for_version(client, uri, 1)}
    assert codes == {"SAD101", "SAD103"}, codes
    info = await client.workspace_execute_command_async(
        t.ExecuteCommandParams(command="sadpath.debugInformation", arguments=[uri])
    )
    assert info["configurationFile"] == str((tmp_path / "other" / "pyproject.toml").resolve())
    assert info["sadpath"] and info["python"] == "%d.%d.%d" % sys.version_info[:3]
    assert info["options"]["showSyntaxErrors"] is False and info["options"]["extendSelect"] == ["SAD101"]
    assert "configuration file in force: " + str((tmp_path / "other" / "pyproject.toml").resolve()) in info["text"]
    assert info["libcstNative"] == "loads"


async def test_debug_information_names_the_nearest_configuration(client, tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "pyproject.toml").write_text('[tool.sadpath]\nignore = ["SAD104"]\n', encoding="utf-8")
    uri = (tmp_path / "pkg" / "app.py").as_uri()
    open_document(client, uri, SWALLOW)
    await wait_for_version(client, uri, 1)
    info = await client.workspace_execute_command_async(t.ExecuteCommandParams(command="sadpath.debugInformation", arguments=[uri]))
    assert info["configurationFile"] == str((tmp_path / "pkg" / "pyproject.toml").resolve())
    loose = (tmp_path / "loose.py").as_uri()
    open_document(client, loose, "x = 1\n")
    await wait_for_version(client, loose, 1)
    info = await client.workspace_execute_command_async(t.ExecuteCommandParams(command="sadpath.debugInformation", arguments=[loose]))
    assert info["configurationFile"] is None and "none: the default settings" in info["text"]


THREE_STATES = (
    "import requests\n\n\n"
    "def get_rate(currency):\n"
    "    try:\n"
    "        return requests.get('https://fx.example/' + currency, timeout=5).json()\n"
    "    except requests.Timeout:\n"
    "        raise\n"
    "    except requests.ConnectionError:\n"
    "        pass\n"
)


async def test_the_hover_leads_with_the_three_state_failure_table(client, tmp_path):
    uri = (tmp_path / "rates.py").as_uri()
    open_document(client, uri, THREE_STATES)
    found = await wait_for_version(client, uri, 1)
    on_call = await client.text_document_hover_async(
        t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uri), position=t.Position(5, 26))
    )
    value = on_call.contents.value
    assert value.startswith("**requests.get()** · requests (http)")  # the table first, before any rule
    assert "| timeout | `requests.exceptions.Timeout` | ✔ re-raised: `except requests.Timeout` (line 7) |" in value
    assert "| connection | `requests.exceptions.ConnectionError` | ⚠ swallowed by `except requests.ConnectionError` (line 9) |" in value
    assert "| server-error | `requests.exceptions.HTTPError` | ✘ unhandled |" in value
    assert "⚠ Swallowed here: connection" in value and "SAD101 reports it" in value
    assert "✘ Unhandled here: server-error" in value and "Every failure mode is handled" not in value
    # over the SAD101 of the swallowing handler: the why, the fixes and the link, not the message again
    (swallowed,) = [d for d in found if d.code == "SAD101"]
    on_finding = await client.text_document_hover_async(
        t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uri), position=swallowed.range.start)
    )
    text = on_finding.contents.value
    assert text.startswith("**SAD101 silent-except**") and "*Why it matters:*" in text and "Fixes:" in text
    assert "[Documentation](" in text and swallowed.message not in text
