"""End to end against ``python -m sadpath server`` over stdio, as an editor drives it."""

from __future__ import annotations

import ast
import asyncio

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import ROOT, SERVER, start
from helpers import apply_workspace_edit, change_document, open_document, wait_for_version
from sadpath.config import resolve_settings
from sadpath.linter import lint
from sadpath.source import SourceFile

SWALLOW = (
    "import requests\n\n\ndef get_rate(currency):\n    try:\n"
    "        return requests.get('https://fx.example/' + currency, timeout=5)\n"
    "    except Exception as e:\n        print(e)\n        return 'UNKNOWN'\n\n\n"
    "def refresh(failed):\n    try:\n        requests.post('https://fx.example/refresh', timeout=5).raise_for_status()\n"
    "    except requests.RequestException as e:\n        print(e)\n        failed.append('refresh')\n    return failed\n"
)
UNCHAINED = (
    "class GatewayError(Exception):\n    pass\n\n\ndef charge(api):\n    try:\n        api.charge()\n"
    "    except KeyError:\n        raise GatewayError('charge failed')\n"
)
EXAMPLE = ROOT / "examples" / "orders_service" / "payments.py"


def full_range(text: str) -> t.Range:
    lines = text.splitlines()
    return t.Range(start=t.Position(0, 0), end=t.Position(len(lines), 0))


async def code_actions(client, uri: str, rng: t.Range, diagnostics, only=None):
    return await client.text_document_code_action_async(
        t.CodeActionParams(
            text_document=t.TextDocumentIdentifier(uri=uri),
            range=rng,
            context=t.CodeActionContext(diagnostics=diagnostics, only=only),
        )
    )


async def test_open_change_close(client, tmp_path):
    uri = (tmp_path / "app.py").as_uri()
    open_document(client, uri, SWALLOW)
    diagnostics = await wait_for_version(client, uri, 1)
    assert {d.code for d in diagnostics} == {"SAD101", "SAD104"}
    first = next(d for d in diagnostics if d.code == "SAD101")
    assert first.source == "sadpath"
    assert first.severity == t.DiagnosticSeverity.Warning
    assert first.code_description.href.endswith("docs/rules/SAD101-silent-except.md")
    assert first.range.start == t.Position(line=6, character=4)
    assert first.data["fixes"] and first.data["version"] == 1
    # replace the handler body with a re-raise: its finding goes away, and main()'s stays
    change_document(
        client,
        uri,
        2,
        [t.TextDocumentContentChangePartial(range=t.Range(t.Position(7, 8), t.Position(8, 24)), text="raise")],
    )
    assert [d.code for d in await wait_for_version(client, uri, 2)] == ["SAD104"]
    client.text_document_did_close(t.DidCloseTextDocumentParams(text_document=t.TextDocumentIdentifier(uri=uri)))
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics[uri]) == []


async def test_diagnostics_equal_the_cli(client):
    text = EXAMPLE.read_text(encoding="utf-8")
    uri = EXAMPLE.as_uri()
    open_document(client, uri, text)
    diagnostics = await wait_for_version(client, uri, 1)
    expected = lint(SourceFile(str(EXAMPLE), text), resolve_settings(EXAMPLE)).findings
    assert expected, "the example must have findings"
    got = sorted((d.code, d.range.start.line + 1, d.range.start.character, d.message) for d in diagnostics)
    want = sorted((f.code, f.span.line, f.span.column, f.message) for f in expected)
    assert got == want


async def test_every_code_action_applies_and_parses(client, tmp_path):
    uri = (tmp_path / "app.py").as_uri()
    text = UNCHAINED + "\n\n" + SWALLOW
    open_document(client, uri, text)
    diagnostics = await wait_for_version(client, uri, 1)
    actions = await code_actions(client, uri, full_range(text), diagnostics)
    titles = [a.title for a in actions]
    assert "sadpath (SAD103): Chain the cause: add `from exc`" in titles  # the tool, the rule, the fix
    translations = [title for title in titles if title.startswith("sadpath (SAD101): Translate the error into")]
    assert translations and all(title.endswith(" (unsafe)") for title in translations)
    assert "sadpath (SAD101): Disable SAD101 for this line" in titles
    assert titles.count("sadpath: Fix all safe problems") == 1
    preferred = {a.title for a in actions if a.is_preferred}
    assert "sadpath (SAD103): Chain the cause: add `from exc`" in preferred  # the safe fix
    assert not any("Translate the error" in title for title in preferred)  # unsafe ones are not
    for action in actions:
        assert action.edit is not None, action.title
        fixed = apply_workspace_edit(text, uri, action.edit)
        ast.parse(fixed)
        assert fixed != text
        change = action.edit.document_changes[0]
        assert change.text_document.version == 1


async def test_suppression_action_silences_the_finding(client, tmp_path):
    uri = (tmp_path / "app.py").as_uri()
    open_document(client, uri, SWALLOW)
    diagnostics = await wait_for_version(client, uri, 1)
    target = next(d for d in diagnostics if d.code == "SAD101")
    actions = await code_actions(client, uri, target.range, [target])
    suppress = next(a for a in actions if a.title == "sadpath (SAD101): Disable SAD101 for this line")
    fixed = apply_workspace_edit(SWALLOW, uri, suppress.edit)
    assert "except Exception as e:  # sadpath: ignore[SAD101]" in fixed
    change_document(client, uri, 2, [t.TextDocumentContentChangeWholeDocument(text=fixed)])
    after = await wait_for_version(client, uri, 2)
    assert [d.code for d in after] == ["SAD104"]


async def test_fix_all_applies_safe_fixes_only(client, tmp_path):
    uri = (tmp_path / "app.py").as_uri()
    text = UNCHAINED + "\n\n" + SWALLOW
    open_document(client, uri, text)
    await wait_for_version(client, uri, 1)
    actions = await code_actions(client, uri, full_range(text), [], only=["source.fixAll.sadpath"])
    (fix_all,) = actions
    assert fix_all.kind == "source.fixAll.sadpath"
    fixed = apply_workspace_edit(text, uri, fix_all.edit)
    assert "raise GatewayError('charge failed') from exc" in fixed
    assert "return 'UNKNOWN'" in fixed  # unsafe fixes stay out unless unsafeFixes is set
    change_document(client, uri, 2, [t.TextDocumentContentChangeWholeDocument(text=fixed)])
    after = await wait_for_version(client, uri, 2)
    assert "SAD103" not in {d.code for d in after}
    again = await code_actions(client, uri, full_range(fixed), [], only=["source.fixAll.sadpath"])
    assert not again  # nothing left to fix safely


async def test_hover_over_a_finding_and_an_external_call(client, tmp_path):
    uri = (tmp_path / "app.py").as_uri()
    open_document(client, uri, SWALLOW)
    await wait_for_version(client, uri, 1)
    on_finding = await client.text_document_hover_async(
        t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uri), position=t.Position(6, 8))
    )
    assert "**SAD101 silent-except**" in on_finding.contents.value
    assert "Why it matters" in on_finding.contents.value
    assert "Re-raise the error after the existing handling (unsafe)" in on_finding.contents.value
    (swallowed,) = [d for d in client.diagnostics[uri] if d.code == "SAD101"]
    assert swallowed.message not in on_finding.contents.value  # the editor shows the message already
    on_call = await client.text_document_hover_async(
        t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uri), position=t.Position(5, 26))
    )
    value = on_call.contents.value
    assert "**requests.get()** · requests (http)" in value
    # the table leads; `except Exception: print(e); return 'UNKNOWN'` swallows what it catches (SAD101)
    assert value.startswith("**requests.get()**")
    assert "| timeout | `requests.exceptions.Timeout` | ⚠ swallowed by `except Exception` (line 7) |" in value
    assert "✔" not in value.split("---")[0] and "Every failure mode is handled" not in value
    nothing = await client.text_document_hover_async(
        t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uri), position=t.Position(1, 0))
    )
    assert nothing is None


async def test_settings_change_reanalyses(client, tmp_path):
    uri = (tmp_path / "app.py").as_uri()
    open_document(client, uri, SWALLOW)
    assert {d.code for d in await wait_for_version(client, uri, 1)} == {"SAD101", "SAD104"}
    client.workspace_did_change_configuration(
        t.DidChangeConfigurationParams(settings={"sadpath": {"ignore": ["SAD104"], "debounceMs": 0}})
    )
    for _ in range(10):
        await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if {d.code for d in client.diagnostics[uri]} == {"SAD101"}:
            break
    assert {d.code for d in client.diagnostics[uri]} == {"SAD101"}


async def test_syntax_error_while_typing_recovers(client, tmp_path):
    uri = (tmp_path / "app.py").as_uri()
    open_document(client, uri, SWALLOW)
    before = await wait_for_version(client, uri, 1)
    # type an unfinished call on a new line inside get_rate's handler: get_rate's findings go, main's stay
    change_document(
        client, uri, 2, [t.TextDocumentContentChangePartial(range=t.Range(t.Position(8, 0), t.Position(8, 0)), text="        log(\n")]
    )
    broken = await wait_for_version(client, uri, 2)
    in_main = sorted((d.code, d.range.start.line + 1) for d in before if d.range.start.line >= 11)
    assert [d.code for d in broken if d.code == "SAD000"] == ["SAD000"]
    assert sorted((d.code, d.range.start.line) for d in broken if d.code != "SAD000") == in_main
    assert [d for d in broken if d.code == "SAD000"][0].severity == t.DiagnosticSeverity.Error
    change_document(
        client, uri, 3, [t.TextDocumentContentChangePartial(range=t.Range(t.Position(8, 0), t.Position(9, 0)), text="")]
    )
    assert {d.code for d in await wait_for_version(client, uri, 3)} == {"SAD101", "SAD104"}


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def small_client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, tmp_path, {"maxFileSize": 50, "logLevel": "loud", "select": ["SAD1"]})
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_limits_invalid_options_and_other_languages(small_client, tmp_path):
    # one showMessage names the wrong key, the rest of the options apply
    for _ in range(20):
        if small_client.messages:
            break
        await asyncio.sleep(0.05)
    assert any("logLevel" in m.message for m in small_client.messages)
    big = (tmp_path / "big.py").as_uri()
    open_document(small_client, big, SWALLOW)
    assert await wait_for_version(small_client, big, 1) == []
    await asyncio.sleep(0.1)
    assert any("maxFileSize" in m.message for m in small_client.messages)
    text_uri = (tmp_path / "notes.txt").as_uri()
    open_document(small_client, text_uri, "except: pass\n", language="plaintext")
    hover = await small_client.text_document_hover_async(
        t.HoverParams(text_document=t.TextDocumentIdentifier(uri=text_uri), position=t.Position(0, 1))
    )
    assert hover is None and text_uri not in small_client.diagnostics


async def test_unknown_request_does_not_hurt(client, tmp_path):
    with pytest.raises(Exception):
        await client.protocol.send_request_async("sadpath/doesNotExist", {})
    uri = (tmp_path / "app.py").as_uri()
    open_document(client, uri, SWALLOW)
    assert await wait_for_version(client, uri, 1)


async def test_pull_diagnostics_and_utf8_positions(pull_client, tmp_path):
    text = "def f(t):\n    try:\n        return t['日本']\n    except KeyError:\n        s = 'é🎉'; raise ValueError(s)\n"
    uri = (tmp_path / "u.py").as_uri()
    open_document(pull_client, uri, text)
    report = await pull_client.text_document_diagnostic_async(
        t.DocumentDiagnosticParams(text_document=t.TextDocumentIdentifier(uri=uri))
    )
    (diagnostic,) = report.items
    assert diagnostic.code == "SAD103"
    line = text.splitlines()[4]
    assert diagnostic.range.start.character == len(line[: line.index("raise")].encode("utf-8"))
    unchanged = await pull_client.text_document_diagnostic_async(
        t.DocumentDiagnosticParams(text_document=t.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id)
    )
    assert unchanged.kind == "unchanged" and unchanged.result_id == report.result_id
    workspace = await pull_client.workspace_diagnostic_async(t.WorkspaceDiagnosticParams(previous_result_ids=[]))
    assert [item.uri for item in workspace.items] == [uri]
    # lazily resolved code action carries its edit only after codeAction/resolve
    actions = await code_actions(pull_client, uri, diagnostic.range, [diagnostic])
    chain = next(a for a in actions if a.title.startswith("sadpath (SAD103): Chain the cause"))
    assert chain.edit is None
    resolved = await pull_client.code_action_resolve_async(chain)
    fixed = apply_workspace_edit(text, uri, resolved.edit, t.PositionEncodingKind.Utf8)
    assert "raise ValueError(s) from exc" in fixed and "except KeyError as exc:" in fixed
    assert not pull_client.diagnostics.get(uri)  # pull clients get no pushes


CONTRACTED = (
    "import requests\n\n\nclass GatewayTimeout(Exception):\n    status = 503\n\n\n"
    "def charge(amount: int):\n    return requests.post('https://pay.example/charges', json={'amount': amount}, timeout=5)\n"
)


async def test_generate_tests_action_creates_the_test_module(files_client, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sadpath]\n[tool.sadpath.contracts.pay]\ncalls = ["requests"]\n'
        '[tool.sadpath.contracts.pay.modes]\ntimeout = { translate = "GatewayTimeout", status = 503 }\n'
    )
    path = tmp_path / "billing.py"
    path.write_text(CONTRACTED)
    uri = path.as_uri()
    open_document(files_client, uri, CONTRACTED)
    await wait_for_version(files_client, uri, 1)
    line = CONTRACTED.splitlines().index("def charge(amount: int):")
    actions = await code_actions(files_client, uri, t.Range(t.Position(line + 1, 4), t.Position(line + 1, 4)), [])
    generate = [a for a in actions or [] if a.kind == "source.generateTests.sadpath"]
    assert [a.title for a in generate] == ["Generate failure-injection tests for `charge()`"]
    create, insert = generate[0].edit.document_changes
    assert create.uri == (tmp_path / "tests" / "test_failures_charge.py").as_uri() and create.options.overwrite
    text = insert.edits[0].new_text
    assert "def test_1_requests_post_timeout_translate(caplog):" in text
    compile(text, "test_failures_charge.py", "exec")
    # outside any function, and without the capability, nothing is offered
    assert not [a for a in await code_actions(files_client, uri, t.Range(t.Position(0, 0), t.Position(0, 0)), []) or [] if a.kind == "source.generateTests.sadpath"]


async def test_no_generate_tests_action_without_create_file_support(client, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sadpath]\n[tool.sadpath.contracts.pay]\ncalls = ["requests"]\n[tool.sadpath.contracts.pay.modes]\ntimeout = "propagate"\n'
    )
    path = tmp_path / "billing.py"
    path.write_text(CONTRACTED)
    open_document(client, path.as_uri(), CONTRACTED)
    await wait_for_version(client, path.as_uri(), 1)
    actions = await code_actions(client, path.as_uri(), t.Range(t.Position(8, 4), t.Position(8, 4)), [])
    assert not [a for a in actions or [] if a.kind == "source.generateTests.sadpath"]
