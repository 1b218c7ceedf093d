"""Language-server latency on the corpus's largest files: open -> first diagnostics, edit -> diagnostics.

    python bench/lsp_latency.py CORPUS_DIR [--edits 40] [--json out.json]

Drives ``sadpath server`` (debounceMs=0) over stdio with pygls's client: opens each file, then sends
one-character edits in several places (a small function, a large class, module level) and measures the time
until the diagnostics of that version arrive. Also times a code action with its edit and a hover. Reports
medians and p95; the machines are noisy, so compare runs made side by side, not numbers across days.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types as t
from pygls.lsp.client import LanguageClient


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("sadpath-bench", "1")
        self.waiters: dict[tuple[str, int], asyncio.Future] = {}
        self.latest: dict[str, list] = {}

        @self.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(params: t.PublishDiagnosticsParams) -> None:
            self.latest[params.uri] = params.diagnostics
            future = self.waiters.pop((params.uri, params.version), None)
            if future is not None and not future.done():
                future.set_result(params.diagnostics)

    def expect(self, uri: str, version: int) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.waiters[(uri, version)] = future
        return future


def edit_points(text: str) -> list[tuple[int, str]]:
    """(0-based line, label): a line inside a small function, inside the largest class, and at module level."""
    import ast

    tree = ast.parse(text)
    points: list[tuple[int, str]] = []
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno < 15]
    if functions:
        points.append((functions[len(functions) // 2].body[0].lineno - 1, "small function"))
    classes = sorted((n for n in tree.body if isinstance(n, ast.ClassDef)), key=lambda n: n.end_lineno - n.lineno)
    if classes:
        big = classes[-1]
        points.append(((big.lineno + big.end_lineno) // 2 - 1, "large class"))
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    points.append(((imports[-1].end_lineno if imports else 0), "module level"))
    return points


async def measure(path: Path, edits: int, python: str) -> dict:
    client = Client()
    await client.start_io(python, "-m", "sadpath", "server")
    await client.initialize_async(
        t.InitializeParams(capabilities=t.ClientCapabilities(), initialization_options={"debounceMs": 0})
    )
    client.initialized(t.InitializedParams())
    text = path.read_text(encoding="utf-8")
    uri = path.resolve().as_uri()
    started = time.perf_counter()
    waiter = client.expect(uri, 1)
    client.text_document_did_open(
        t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )
    await asyncio.wait_for(waiter, 120)
    open_ms = (time.perf_counter() - started) * 1000
    timings: dict[str, list[float]] = {}
    version = 1
    for index in range(edits):
        line, label = edit_points(text)[index % len(edit_points(text))]
        version += 1
        # type a space at the start of the line and delete it again on the next round: the text stays valid
        insert = index % 2 == 0
        change = t.TextDocumentContentChangePartial(
            range=t.Range(t.Position(line, 0), t.Position(line, 0 if insert else 1)), text="#" if insert else ""
        )
        waiter = client.expect(uri, version)
        started = time.perf_counter()
        client.text_document_did_change(
            t.DidChangeTextDocumentParams(text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=[change])
        )
        await asyncio.wait_for(waiter, 120)
        timings.setdefault(label, []).append((time.perf_counter() - started) * 1000)
    diagnostics = client.latest.get(uri, [])
    action_ms = hover_ms = float("nan")
    if diagnostics:
        first = diagnostics[0]
        started = time.perf_counter()
        await client.text_document_code_action_async(
            t.CodeActionParams(text_document=t.TextDocumentIdentifier(uri=uri), range=first.range, context=t.CodeActionContext(diagnostics=[first]))
        )
        action_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        await client.text_document_hover_async(t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uri), position=first.range.start))
        hover_ms = (time.perf_counter() - started) * 1000
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    every = [v for values in timings.values() for v in values]
    return {
        "file": str(path),
        "lines": text.count("\n"),
        "open_ms": round(open_ms, 1),
        "edit_p50_ms": round(statistics.median(every), 1),
        "edit_p95_ms": round(percentile(every, 0.95), 1),
        "by_place": {k: {"p50": round(statistics.median(v), 1), "p95": round(percentile(v, 0.95), 1)} for k, v in timings.items()},
        "code_action_ms": round(action_ms, 1),
        "hover_ms": round(hover_ms, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    listing = args.corpus / "_bigfiles.txt"
    if not listing.is_file():
        print(f"{listing} not found: build the corpus with ../shared/bench/build_corpus.sh first", file=sys.stderr)
        return 2
    files = [args.corpus / line.split()[-1] for line in listing.read_text().splitlines() if line.strip()]
    results = [asyncio.run(measure(path, args.edits, args.python)) for path in files[:3]]
    print(f"{'file':55} {'lines':>7} {'open ms':>8} {'edit p50':>9} {'edit p95':>9} {'action':>7} {'hover':>6}")
    for r in results:
        name = str(Path(r["file"]).relative_to(args.corpus.resolve())) if Path(r["file"]).is_absolute() else r["file"]
        print(f"{name[-55:]:55} {r['lines']:>7} {r['open_ms']:>8} {r['edit_p50_ms']:>9} {r['edit_p95_ms']:>9} {r['code_action_ms']:>7} {r['hover_ms']:>6}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
