"""Random incremental edits (multi-line, non-ASCII) never crash the server, and the final diagnostics
equal a fresh analysis of the final text."""

from __future__ import annotations

import asyncio

import pytest_lsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import SERVER, start
from helpers import apply_text_edits, change_document, open_document, wait_for_version
from sadpath.linter import lint
from sadpath.source import SourceFile

BASE = (
    "import logging\nimport requests\n\nlogger = logging.getLogger(__name__)\n\n\n"
    "def fetch(url):\n    try:\n        return requests.get(url, timeout=5).json()\n"
    "    except Exception as e:\n        logger.error('fetch failed: %s', e)\n        return None\n\n\n"
    "def translate(api):\n    try:\n        api.call()\n    except KeyError:\n        raise ValueError('missing')\n"
)
SNIPPETS = [
    "",
    "x",
    "é",
    "日本語",
    "🎉",
    "\n",
    "    pass\n",
    "try:\n    f()\nexcept:\n    pass\n",
    "        print(e)\n",
    "(",
    ")",
    "'",
    "\n    except Exception:\n        pass\n",
    "raise RuntimeError('x')",
]


@st.composite
def edits(draw):
    """A list of (start fraction, end fraction, replacement) applied one after the other."""
    count = draw(st.integers(min_value=1, max_value=8))
    return [
        (
            draw(st.floats(min_value=0, max_value=1)),
            draw(st.floats(min_value=0, max_value=0.2)),
            draw(st.sampled_from(SNIPPETS) | st.text(alphabet="ab(:)\n 'é🎉", max_size=6)),
        )
        for _ in range(count)
    ]


def to_range(text: str, start: int, end: int) -> t.Range:
    """UTF-16 positions of two character offsets."""

    def position(offset: int) -> t.Position:
        before = text[:offset]
        line = before.count("\n")
        column_text = before[before.rfind("\n") + 1 :]
        return t.Position(line=line, character=len(column_text.encode("utf-16-le")) // 2)

    return t.Range(start=position(start), end=position(end))


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def fuzz_client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, tmp_path)
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_random_edit_sequences(fuzz_client, tmp_path):
    uri = (tmp_path / "fuzz.py").as_uri()
    state = {"text": BASE, "version": 1}
    open_document(fuzz_client, uri, BASE)
    await wait_for_version(fuzz_client, uri, 1)
    main_loop = asyncio.get_running_loop()

    async def apply(sequence):
        for start_fraction, length_fraction, replacement in sequence:
            text = state["text"]
            start = int(start_fraction * len(text))
            end = min(len(text), start + int(length_fraction * len(text)))
            rng = to_range(text, start, end)
            state["version"] += 1
            state["text"] = apply_text_edits(text, [t.TextEdit(range=rng, new_text=replacement)])
            change_document(
                fuzz_client, uri, state["version"], [t.TextDocumentContentChangePartial(range=rng, text=replacement)]
            )
        return await wait_for_version(fuzz_client, uri, state["version"])

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(edits())
    def run(sequence):
        # hypothesis drives examples synchronously from a worker thread; the client lives on the test's loop
        received = asyncio.run_coroutine_threadsafe(apply(sequence), main_loop).result(timeout=60)
        analysis = lint(SourceFile(str(tmp_path / "fuzz.py"), state["text"]))
        expected = analysis.findings
        got = sorted((d.code, d.range.start.line + 1, d.message) for d in received)
        want = sorted((f.code, f.span.line, f.message) for f in expected)
        if analysis.unsupported is not None:
            # syntax newer than this Python (an edit can make ``t"..."``): one line saying so, and no findings
            assert [(line, message) for code, line, message in got] == [
                (analysis.unsupported.line, f"sadpath cannot analyse this file: {analysis.unsupported.message}")
            ]
            return
        if any(f.code == "SAD000" for f in expected):
            # a syntax error: the same single SAD000; the findings kept from the last text that parsed
            # (lsp.resilient) are never on its line, and lie inside the document
            assert [g for g in got if g[0] == "SAD000"] == want
            error_line = want[0][1]
            lines = max(state["text"].count("\n") + 1, 1)
            assert all(line != error_line and 1 <= line <= lines for code, line, _ in got if code != "SAD000")
            return
        assert got == want

    await main_loop.run_in_executor(None, run)
