"""Findings survive a syntax error typed elsewhere (``lsp.resilient``): over the real server, and the unit
logic on its own."""

from __future__ import annotations

from lsprotocol import types as t

from helpers import change_document, open_document, wait_for_version
from sadpath.linter import lint
from sadpath.lsp.resilient import Good, blank_ranges, recover
from sadpath.source import SourceFile, split_lines

TWO_FUNCTIONS = (
    "import requests\n\n\n"
    "def get_rate(currency):\n"
    "    try:\n"
    "        return requests.get('https://fx.example/' + currency, timeout=5).json()\n"
    "    except Exception:\n"
    "        return None\n\n\n"
    "def total(items):\n"
    "    count = 0\n"
    "    for item in items:\n"
    "        count += item\n"
    "    return count\n"
)
CLASS = (
    "import requests\n\n\n"
    "class Client:\n"
    "    def get(self, url):\n"
    "        try:\n"
    "            return requests.get(url, timeout=5).json()\n"
    "        except Exception:\n"
    "            return None\n\n"
    "    def size(self):\n"
    "        return 1\n"
)


def codes_at(diagnostics) -> list[tuple[str, int]]:
    return sorted((str(d.code), d.range.start.line) for d in diagnostics)


async def test_a_finding_survives_a_syntax_error_typed_in_another_function(client, tmp_path):
    uri = (tmp_path / "rates.py").as_uri()
    open_document(client, uri, TWO_FUNCTIONS)
    before = await wait_for_version(client, uri, 1)
    swallowed = [d for d in before if d.code == "SAD101"]
    assert swallowed and swallowed[0].range.start.line == 6  # the except line of get_rate
    # an unfinished call typed in total(), below get_rate: get_rate's findings stay where they are
    change_document(
        client, uri, 2, [t.TextDocumentContentChangePartial(range=t.Range(t.Position(12, 0), t.Position(12, 0)), text="        log(\n")]
    )
    broken = await wait_for_version(client, uri, 2)
    assert [d.code for d in broken if d.code == "SAD000"] == ["SAD000"]
    assert [d.range.start.line for d in broken if d.code == "SAD000"] == [12]
    assert codes_at(d for d in broken if d.code != "SAD000") == codes_at(before)
    # a line typed above get_rate moves its findings down by one, and the error stays one SAD000
    change_document(
        client, uri, 3, [t.TextDocumentContentChangePartial(range=t.Range(t.Position(1, 0), t.Position(1, 0)), text="TIMEOUT = 5\n")]
    )
    moved = await wait_for_version(client, uri, 3)
    assert codes_at(d for d in moved if d.code != "SAD000") == [(code, line + 1) for code, line in codes_at(before)]
    assert [d.range.start.line for d in moved if d.code == "SAD000"] == [13]
    # no fix is offered while the file does not parse (a fix needs the whole tree), the suppression is
    actions = await client.text_document_code_action_async(
        t.CodeActionParams(
            text_document=t.TextDocumentIdentifier(uri=uri),
            range=t.Range(t.Position(7, 0), t.Position(7, 0)),
            context=t.CodeActionContext(diagnostics=[d for d in moved if d.code == "SAD101"]),
        )
    )
    assert actions and all("Disable" in a.title for a in actions)
    # the failure-mode hover still answers over get_rate's call
    hover = await client.text_document_hover_async(
        t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uri), position=t.Position(6, 27))
    )
    assert hover is not None and "failure mode" in hover.contents.value
    # the call finished: every finding is fresh again, the SAD000 gone
    change_document(
        client, uri, 4, [t.TextDocumentContentChangePartial(range=t.Range(t.Position(13, 0), t.Position(14, 0)), text="")]
    )
    fixed = await wait_for_version(client, uri, 4)
    assert codes_at(fixed) == [(code, line + 1) for code, line in codes_at(before)]


async def test_a_syntax_error_in_the_finding_s_own_function_hides_only_that_function(client, tmp_path):
    uri = (tmp_path / "client.py").as_uri()
    open_document(client, uri, CLASS)
    before = await wait_for_version(client, uri, 1)
    assert "SAD101" in {d.code for d in before}
    # x = ( typed in get(): the method's findings go, the SAD000 comes
    change_document(
        client, uri, 2, [t.TextDocumentContentChangePartial(range=t.Range(t.Position(5, 0), t.Position(5, 0)), text="        x = (\n")]
    )
    broken = await wait_for_version(client, uri, 2)
    assert [(d.code, d.range.start.line) for d in broken] == [("SAD000", 5)]


def analyse(text: str):
    return lint(SourceFile("m.py", text))


def test_a_method_blanked_with_pass_keeps_its_class_parseable():
    old = CLASS.replace("    def size(self):\n        return 1\n", "")
    good = Good(split_lines(old), analyse(old))
    new = old.replace("            return None\n", "            return (\n")
    error = analyse(new).syntax_error
    assert error is not None
    recovered = recover(good, SourceFile("m.py", new), error, analyse)
    assert recovered is not None and recovered.partial is not None
    assert [f.code for f in recovered.findings] == ["SAD000"]


def test_when_the_rest_does_not_parse_the_last_good_findings_stay_outside_the_edit():
    good = Good(split_lines(TWO_FUNCTIONS), analyse(TWO_FUNCTIONS))
    kept = sorted((f.code, f.span.line) for f in good.analysis.findings)
    assert kept
    # a line typed above everything, and an unclosed bracket in total() that swallows the rest of the file
    new = "TIMEOUT = 5\n" + TWO_FUNCTIONS.replace("    count = 0\n", "    count = [0,\n")
    error = analyse(new).syntax_error
    assert error is not None
    recovered = recover(good, SourceFile("m.py", new), error, analyse)
    assert recovered is not None
    assert sorted((f.code, f.span.line) for f in recovered.findings if f.code != "SAD000") == [(c, n + 1) for c, n in kept]
    assert blank_ranges(good, split_lines(TWO_FUNCTIONS)) == []


def test_nothing_is_kept_when_the_edit_spans_the_whole_file():
    good = Good(split_lines(TWO_FUNCTIONS), analyse(TWO_FUNCTIONS))
    new = "def broken(:\n"
    error = analyse(new).syntax_error
    assert recover(good, SourceFile("m.py", new), error, analyse) is None
