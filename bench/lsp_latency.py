"""Language-server latency on the corpus's largest files, sadpath side by side with ruff's server.

    python bench/lsp_latency.py CORPUS_DIR [--edits 40] [--files 3] [--json out.json] [--skip-ruff] [--ruff PATH]

The corpus is built by ``bash ../shared/bench/build_corpus.sh CORPUS_DIR`` (it writes ``_bigfiles.txt``).
For each of the ``--files`` largest files, drives ``sadpath server`` (debounceMs=0) and ``ruff server`` (the
failure-handling selection, RUFF_SELECT) over stdio with pygls's client and the SAME script of one-character
edits in four places: an identifier inside a small function, an identifier in the middle of the largest class,
``#`` typed before (then deleted from) the most used import line, so that an import change invalidates what
depends on it, and Enter pressed at the end of the first import statement (then the newline deleted again), so
that every position below it moves. The places take turns; each types on one turn and deletes on its next, and
the edits below an inserted newline are sent one line lower. Each edit waits for the diagnostics of its version
(one change outstanding at a time) before the next. Reports open -> first diagnostics and edit -> diagnostics
p50/p95 (overall and per place) for both servers and their ratio (sadpath / ruff, same run); for sadpath also codeAction latency (with codeAction/resolve when the first action has no edit)
and hover latency on up to 20 diagnostics (of each file, and of the 20-file run, since the largest files have
few findings); and each server's VmRSS/VmHWM with the corpus's 20 largest files open. Times run to the moment a
message has been read and JSON-decoded, before pygls converts it (a cost of this Python client, not the server's).

ruff is installed, pinned to RUFF_VERSION, into ~/.cache/sadpath-bench/lsp-peers-venv unless --ruff is given.
The client does not advertise pull diagnostics, so both servers push textDocument/publishDiagnostics.
The machines are noisy: compare runs made side by side, not numbers across days.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import collections
import fcntl
import json
import keyword
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient

RUFF_VERSION = "0.17.6"
RUFF_SELECT = ["TRY", "BLE", "S110", "S112", "S113", "E722", "B904", "LOG", "G", "ASYNC", "RUF006"]
PEERS_VENV = Path.home() / ".cache" / "sadpath-bench" / "lsp-peers-venv"
BUILD_HINT = "bash ../shared/bench/build_corpus.sh"
PLACES = ("small function", "large class", "import line", "enter after imports")
MEMORY_FILES = 20
REQUESTS = 20


class BenchError(Exception):
    """A failure to report in one sentence (a missing tool or file, a server that died), not as a traceback."""


@dataclass(frozen=True)
class ServerSpec:
    name: str
    command: list[str]
    init_options: dict


@dataclass(frozen=True)
class EditPoint:
    label: str
    line: int  # 0-based
    column: int  # 0-based; the lines edited are ASCII up to the column, so UTF-16 == code points
    char: str  # typed at (line, column), deleted again on the point's next turn; "\n" for Enter
    what: str  # for the report: what the edit does
    statement_lines: int  # size of the top-level statement around the edit (what incremental analysis redoes)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "p50": None, "p95": None}
    return {"n": len(values), "p50": round(statistics.median(values), 1), "p95": round(percentile(values, 0.95), 1)}


def spread(items: list, count: int) -> list:
    """Up to ``count`` items taken evenly across the list (different diagnostics, not the first few)."""
    if len(items) <= count:
        return list(items)
    return [items[i * len(items) // count] for i in range(count)]


# ----------------------------------------------------------------------------------------------- the client
class Client(LanguageClient):
    """Waits for the diagnostics of one document version at a time and counts what the server publishes."""

    def __init__(self, name: str) -> None:
        super().__init__("sadpath-bench", "1")
        self.name = name
        self.waiters: dict[str, tuple[int, asyncio.Future]] = {}
        self.latest: dict[str, list[t.Diagnostic]] = {}
        self.publishes: collections.Counter[str] = collections.Counter()
        self.unversioned = 0
        self.stale = 0
        self.messages: list[str] = []
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=30)
        self.drain: asyncio.Task | None = None
        self.convert_ms: list[float] = []  # per publish: from read to handled (pygls's conversion)
        self.arrivals: dict = {}  # (uri, version) of a publish, or a response's id -> when it was read
        structure = self.protocol.structure_message

        def stamped(data: dict):
            """Time a message when it has been read and JSON-decoded, before pygls turns it into lsprotocol objects:
            that conversion is the Python client's cost (see convert_ms in the report), which an editor does not pay."""
            if "jsonrpc" in data:
                params = data.get("params")
                if data.get("method") == t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS and isinstance(params, dict):
                    self.arrivals[(params.get("uri"), params.get("version"))] = time.perf_counter()
                elif "id" in data and "method" not in data:
                    self.arrivals[data["id"]] = time.perf_counter()
            return structure(data)

        self.protocol.structure_message = stamped

        @self.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(params: t.PublishDiagnosticsParams) -> None:
            self.on_publish(params)

        @self.feature(t.WINDOW_SHOW_MESSAGE)
        def on_show(params: t.ShowMessageParams) -> None:
            self.messages.append(f"{params.type.name}: {params.message}")

        @self.feature(t.WINDOW_LOG_MESSAGE)
        def on_log(params: t.LogMessageParams) -> None:
            if params.type in (t.MessageType.Error, t.MessageType.Warning):
                self.messages.append(f"{params.type.name}: {params.message}")

    def on_publish(self, params: t.PublishDiagnosticsParams) -> None:
        uri = params.uri
        self.publishes[uri] += 1
        arrived = self.arrivals.pop((uri, params.version), None) or time.perf_counter()
        self.convert_ms.append((time.perf_counter() - arrived) * 1000)
        if params.version is None:
            self.unversioned += 1
        waiter = self.waiters.get(uri)
        if waiter is None:
            return  # nothing outstanding (e.g. an extra publish): counted, not timed
        version, future = waiter
        if params.version is not None and params.version != version:
            self.stale += 1  # an older version's diagnostics: never taken for the one awaited
            return
        # no version field: with one change outstanding at a time, the publish arriving after it is its answer
        del self.waiters[uri]
        self.latest[uri] = params.diagnostics
        if not future.done():
            future.set_result(arrived)

    def expect(self, uri: str, version: int) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.waiters[uri] = (version, future)
        return future

    async def drain_stderr(self, stream: asyncio.StreamReader) -> None:
        """The server's stderr is a pipe: read it, or a chatty server blocks once the pipe is full."""
        while line := await stream.readline():
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    async def server_exit(self, server: asyncio.subprocess.Process) -> None:
        if self.drain is not None:
            await asyncio.wait([self.drain], timeout=1)
        error = BenchError(f"{self.name} server exited with code {server.returncode}{self.stderr_excerpt()}")
        for _, future in self.waiters.values():
            if not future.done():
                future.set_exception(error)
        self.waiters.clear()

    def stderr_excerpt(self) -> str:
        return (":\n    " + "\n    ".join(list(self.stderr_tail)[-12:])) if self.stderr_tail else ""


def capabilities() -> t.ClientCapabilities:
    """What an editor like VS Code advertises for these features, minus pull diagnostics (so both servers push)."""
    return t.ClientCapabilities(
        text_document=t.TextDocumentClientCapabilities(
            synchronization=t.TextDocumentSyncClientCapabilities(did_save=True),
            publish_diagnostics=t.PublishDiagnosticsClientCapabilities(
                version_support=True, related_information=True, data_support=True, code_description_support=True
            ),
            code_action=t.CodeActionClientCapabilities(
                code_action_literal_support=t.ClientCodeActionLiteralOptions(
                    code_action_kind=t.ClientCodeActionKindOptions(
                        value_set=[t.CodeActionKind.QuickFix, t.CodeActionKind.Source, t.CodeActionKind.SourceFixAll]
                    )
                ),
                data_support=True,
                is_preferred_support=True,
                resolve_support=t.ClientCodeActionResolveOptions(properties=["edit"]),
            ),
            hover=t.HoverClientCapabilities(content_format=[t.MarkupKind.Markdown, t.MarkupKind.PlainText]),
        )
    )


async def request(client: Client, method: str, params, timeout: float, raw: bool = False):
    """(result, ms until the response was read). ``raw`` keeps the result as plain JSON: pygls's converter cannot
    structure every server's answer (ruff's initialize result: its notebookDocumentSync filters)."""
    msg_id = str(uuid.uuid4())
    started = time.perf_counter()
    future = client.protocol.send_request_async(method, params, msg_id=msg_id)
    if raw:
        client.protocol._result_types[msg_id] = None  # the response is read later on this loop, never before this
    try:
        result = await asyncio.wait_for(future, timeout)
    except asyncio.TimeoutError:
        raise BenchError(f"{client.name}: no answer to {method} within {timeout:.0f} s") from None
    except JsonRpcException as exc:
        raise BenchError(f"{client.name}: {method} failed: {exc}") from None
    except RuntimeError as exc:  # pygls fails the pending requests of a server that exited
        raise BenchError(f"{client.name}: {method}: {exc}{client.stderr_excerpt()}") from None
    arrived = client.arrivals.pop(msg_id, None) or time.perf_counter()
    return result, (arrived - started) * 1000


async def start(spec: ServerSpec, root: Path, timeout: float) -> Client:
    client = Client(spec.name)
    try:
        await client.start_io(*spec.command)
    except OSError as exc:
        raise BenchError(f"cannot start {spec.name} server ({' '.join(spec.command)}): {exc}") from None
    client.drain = asyncio.create_task(client.drain_stderr(client._server.stderr))
    params = t.InitializeParams(
        capabilities=capabilities(),
        process_id=os.getpid(),
        root_uri=root.as_uri(),
        workspace_folders=[t.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options=spec.init_options,
    )
    try:
        await request(client, t.INITIALIZE, params, timeout, raw=True)
    except BenchError as exc:
        await stop(client)
        raise BenchError(f"{spec.name} server did not initialize: {exc}") from None
    client.initialized(t.InitializedParams())
    return client


async def stop(client: Client) -> None:
    server = client._server
    if server is not None and server.returncode is None:
        try:
            await asyncio.wait_for(client.shutdown_async(None), 10)
            client.exit(None)
            await asyncio.wait_for(server.wait(), 10)
        except (RuntimeError, asyncio.TimeoutError):
            if server.returncode is None:
                server.kill()
    try:
        await asyncio.wait_for(client.stop(), 10)
    except asyncio.TimeoutError:
        pass
    if client.drain is not None:
        client.drain.cancel()


# -------------------------------------------------------------------------------------------- the edit script
def _name_sites(nodes: list[ast.AST], lines: list[str]) -> list[tuple[int, int, str]]:
    """(0-based line, column after the name, name) of the loaded or stored names under the nodes, in order."""
    sites = set()
    for root in nodes:
        for node in ast.walk(root):
            if not isinstance(node, ast.Name) or node.lineno != node.end_lineno:
                continue
            line, col = node.lineno - 1, node.col_offset
            text = lines[line]
            # positions are UTF-8 offsets (and f-string parts are unreliable on 3.11): keep exact ASCII matches
            if text[:col].isascii() and text[col : col + len(node.id)] == node.id:
                sites.add((line, col + len(node.id), node.id))
    return sorted(sites)


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def apply(lines: list[str], point: EditPoint, typed: bool) -> None:
    """Type (or delete again) the point's character in a list of lines (keepends). An inserted newline stays in the
    same list item, so the other points' indexes into the list stay valid (their document lines: see shift_of)."""
    text = lines[point.line]
    if typed:
        lines[point.line] = text[: point.column] + text[point.column + len(point.char) :]
    else:
        lines[point.line] = text[: point.column] + point.char + text[point.column :]


def _rename_point(label: str, sites, lines, statement_lines: int, taken: set[int]) -> EditPoint | None:
    """Type an ``x`` after an identifier (``name`` -> ``namex``): the text stays valid, the meaning changes."""
    for line, column, name in sites:
        if line in taken or keyword.iskeyword(name + "x"):
            continue
        point = EditPoint(label, line, column, "x", f"L{line + 1} `{name}` -> `{name}x`", statement_lines)
        edited = list(lines)
        apply(edited, point, typed=False)
        if _parses("".join(edited)):
            return point
    return None


def _import_point(tree: ast.Module, lines: list[str], taken: set[int]) -> EditPoint | None:
    """``#`` before the single-line top-level import whose names the file uses most."""
    uses = collections.Counter(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
    uses.update(n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name))
    candidates = []
    for node in tree.body:
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or node.lineno != node.end_lineno or node.col_offset:
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        names = [a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"]
        candidates.append((-sum(uses[n] for n in names), node.lineno - 1, names))
    for score, line, names in sorted(candidates):
        if line in taken:
            continue
        what = f"import line: L{line + 1} `#` before the import of {', '.join(names)} ({-score} uses)"
        point = EditPoint("import line", line, 0, "#", what, 1)
        edited = list(lines)
        apply(edited, point, typed=False)
        if _parses("".join(edited)):
            return point
    return None


def _enter_point(tree: ast.Module, lines: list[str], taken: set[int]) -> EditPoint | None:
    """Enter at the end of the first top-level import statement (``from __future__`` included) whose last line is
    not already edited: a newline that moves every position below it."""
    for node in tree.body:
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or node.col_offset:
            continue
        line = node.end_lineno - 1
        text = lines[line].rstrip("\r\n")
        if line in taken or not text.isascii():  # ASCII: the column in code points is the UTF-16 one
            continue
        what = f"enter after imports: L{line + 1} Enter at the end of `{text.strip()[:60]}`"
        point = EditPoint("enter after imports", line, len(text), "\n", what, node.end_lineno - node.lineno + 1)
        edited = list(lines)
        apply(edited, point, typed=False)
        if _parses("".join(edited)):
            return point
    return None


def edit_points(text: str) -> list[EditPoint]:
    """An identifier in a small function, one in the middle of the largest class, the most used import line, and
    Enter after the first import statement, each on its own line."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    size = {}  # top-level statement around each line: what sadpath's incremental analysis has to redo
    for node in tree.body:
        for line in range(node.lineno - 1, node.end_lineno):
            size[line] = node.end_lineno - node.lineno + 1
    classes = sorted((n for n in tree.body if isinstance(n, ast.ClassDef)), key=lambda n: n.end_lineno - n.lineno)
    big = classes[-1] if classes else None
    points: list[EditPoint] = []
    taken: set[int] = set()

    def add(point: EditPoint | None) -> None:
        if point is not None:
            points.append(point)
            taken.add(point.line)

    functions = [
        n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno < 15
    ]
    # prefer a small function outside the largest class, so that the two places measure different things
    outside = [f for f in functions if big is None or not (big.lineno <= f.lineno <= big.end_lineno)] or functions
    middle = len(outside) // 2
    for function in outside[middle:] + outside[:middle]:
        sites = _name_sites(function.body, lines)
        point = _rename_point("small function", sites, lines, size.get(function.lineno - 1, 0), taken)
        if point is not None:
            add(point)
            break
    if big is not None:
        centre = (big.lineno + big.end_lineno) // 2 - 1
        sites = _name_sites(big.body, lines)
        sites = [s for s in sites if s[0] >= centre] + [s for s in sites if s[0] < centre]
        add(_rename_point("large class", sites, lines, big.end_lineno - big.lineno + 1, taken))
    add(_import_point(tree, lines, taken))
    add(_enter_point(tree, lines, taken))
    return points


def shift_of(point: EditPoint, points: list[EditPoint], typed: dict[EditPoint, bool]) -> int:
    """How many lines the point's line has moved down: the newlines typed (and not yet deleted) above it."""
    return sum(p.char.count("\n") for p in points if typed[p] and p is not point and p.line < point.line)


def edit_script(text: str, points: list[EditPoint], edits: int) -> list[tuple[EditPoint, bool, int]]:
    """(point, typed-before, line shift) per edit: the points take turns, each typing its character, then deleting
    it on its next turn; the shift is what the newlines typed above the point add to its line. Every state of the
    script is checked to parse, so neither server sees a syntax error."""
    if len({p.line for p in points}) != len(points):
        raise BenchError("two edit points share a line")  # a column would move under another point's edit
    script = []
    typed = {p: False for p in points}
    lines = text.splitlines(keepends=True)
    for index in range(edits):
        point = points[index % len(points)]
        script.append((point, typed[point], shift_of(point, points, typed)))
        if index < 2 * len(points):  # the states repeat after every point has typed and deleted once
            apply(lines, point, typed[point])
            if not _parses("".join(lines)):
                raise BenchError(f"the edit script breaks the syntax at edit {index + 1} ({point.what})")
        typed[point] = not typed[point]
    return script


def change_of(point: EditPoint, typed: bool, shift: int = 0) -> t.TextDocumentContentChangePartial:
    """The change typing (or, when ``typed``, deleting) the point's character, ``shift`` lines below its place."""
    line = point.line + shift
    start = t.Position(line, point.column)
    if typed:
        newlines = point.char.count("\n")
        end_column = len(point.char.rsplit("\n", 1)[-1]) + (0 if newlines else point.column)
        end = t.Position(line + newlines, end_column)
        return t.TextDocumentContentChangePartial(range=t.Range(start, end), text="")
    return t.TextDocumentContentChangePartial(range=t.Range(start, start), text=point.char)


# ------------------------------------------------------------------------------------------------ measuring
async def open_document(client: Client, path: Path, timeout: float) -> tuple[str, float]:
    text = path.read_text(encoding="utf-8")
    uri = path.resolve().as_uri()
    waiter = client.expect(uri, 1)
    started = time.perf_counter()
    client.text_document_did_open(
        t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )
    try:
        arrived = await asyncio.wait_for(waiter, timeout)
    except asyncio.TimeoutError:
        raise BenchError(f"{client.name}: no diagnostics for {path} within {timeout:.0f} s of opening it") from None
    return uri, (arrived - started) * 1000


async def run_edits(client: Client, uri: str, script, timeout: float) -> tuple[dict[str, list[float]], list[int]]:
    """Edit -> diagnostics time per place; the versions whose diagnostics never came (waited ``timeout`` each)."""
    timings: dict[str, list[float]] = {p: [] for p in dict.fromkeys(point.label for point, _, _ in script)}
    missing: list[int] = []
    version = 1
    for point, typed, shift in script:
        version += 1
        waiter = client.expect(uri, version)
        started = time.perf_counter()
        client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change_of(point, typed, shift)],
            )
        )
        try:
            arrived = await asyncio.wait_for(waiter, timeout)
        except asyncio.TimeoutError:
            client.waiters.pop(uri, None)
            missing.append(version)
            continue
        timings[point.label].append((arrived - started) * 1000)
    return timings, missing


def _has_fix(diagnostic: t.Diagnostic) -> bool:
    return isinstance(diagnostic.data, dict) and bool(diagnostic.data.get("fixes"))


def targets_of(client: Client) -> list[tuple[str, t.Diagnostic]]:
    """(uri, diagnostic) of the latest diagnostics of every open document."""
    return [(uri, d) for uri, diagnostics in client.latest.items() for d in diagnostics]


async def time_code_actions(client: Client, targets: list[tuple[str, t.Diagnostic]], timeout: float) -> dict:
    """codeAction on ~20 different diagnostics (those with fixes first), resolving the first action when it has no
    edit: the time until the editor could apply the fix."""
    with_fix = [(u, d) for u, d in targets if _has_fix(d)]
    chosen = spread(with_fix, REQUESTS)
    chosen += spread([(u, d) for u, d in targets if not _has_fix(d)], REQUESTS - len(chosen))
    timings, actions_only, resolves, empty, refused = [], [], [], 0, 0
    for uri, diagnostic in chosen:
        params = t.CodeActionParams(
            text_document=t.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=t.CodeActionContext(diagnostics=[diagnostic], trigger_kind=t.CodeActionTriggerKind.Invoked),
        )
        actions, elapsed = await request(client, t.TEXT_DOCUMENT_CODE_ACTION, params, timeout)
        actions_only.append(elapsed)
        literal = [a for a in actions or [] if isinstance(a, t.CodeAction)]
        if literal and literal[0].edit is None and literal[0].command is None:
            action, more = await request(client, t.CODE_ACTION_RESOLVE, literal[0], timeout)
            resolves.append(more)
            elapsed += more
            refused += action.edit is None
        timings.append(elapsed)
        empty += not literal
    return {
        **summary(timings),
        "code_action_only": summary(actions_only),
        "resolve_only": summary(resolves),
        "with_fix": min(len(with_fix), REQUESTS),
        "resolved": len(resolves),
        "no_actions": empty,
        "resolved_without_edit": refused,
        "diagnostics": len(targets),
    }


async def time_hovers(client: Client, targets: list[tuple[str, t.Diagnostic]], timeout: float) -> dict:
    timings, answered = [], 0
    for uri, diagnostic in spread(targets, REQUESTS):
        params = t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uri), position=diagnostic.range.start)
        result, elapsed = await request(client, t.TEXT_DOCUMENT_HOVER, params, timeout)
        timings.append(elapsed)
        answered += result is not None
    return {**summary(timings), "with_content": answered}


def _codes(diagnostics: list[t.Diagnostic]) -> dict[str, int]:
    return dict(sorted(collections.Counter(str(d.code) for d in diagnostics).items()))


async def measure_file(spec: ServerSpec, path: Path, root: Path, script, args) -> dict:
    client = await start(spec, root, args.timeout)
    try:
        uri, open_ms = await open_document(client, path, args.timeout)
        opened = client.latest.get(uri, [])
        timings, missing = await run_edits(client, uri, script, args.timeout)
        result = {
            "server": spec.name,
            "file": str(path),
            "lines": path.read_text(encoding="utf-8").count("\n"),
            "open_ms": round(open_ms, 1),
            "diagnostics_at_open": len(opened),
            "codes_at_open": _codes(opened),
            "edit": summary([v for values in timings.values() for v in values]),
            "by_place": {label: summary(values) for label, values in timings.items()},
            "timings_ms": {label: [round(v, 2) for v in values] for label, values in timings.items()},
            "missing_versions": missing,
        }
        if spec.name == "sadpath":
            result["code_action"] = await time_code_actions(client, targets_of(client), args.timeout)
            result["hover"] = await time_hovers(client, targets_of(client), args.timeout)
        await asyncio.sleep(0.2)  # let a late duplicate publish arrive before counting
        result["publishes"] = client.publishes[uri]
        result["versions_sent"] = 1 + len(script)
        result["unversioned_publishes"] = client.unversioned
        result["stale_publishes"] = client.stale
        result["messages"] = client.messages[:10]
        result["client_convert_ms"] = summary(client.convert_ms)
        return result
    finally:
        await stop(client)


def largest_files(corpus: Path, count: int) -> list[tuple[Path, int]]:
    sized = []
    for path in corpus.rglob("*.py"):
        if "_wheels" in path.relative_to(corpus).parts or not path.is_file():
            continue
        sized.append((-path.read_bytes().count(b"\n"), str(path)))
    return [(Path(p), -n) for n, p in sorted(sized)[:count]]


def memory_of(pid: int) -> dict:
    """VmRSS/VmHWM (MB) of the server process, and the RSS of any processes it started."""
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = round(int(value.split()[0]) / 1024, 1)
    except OSError as exc:
        raise BenchError(f"cannot read /proc/{pid}/status: {exc.strerror or exc}") from None
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = children.read_text().split() if children.exists() else []
    fields["children"] = len(kids)
    return fields


async def measure_memory(spec: ServerSpec, files: list[tuple[Path, int]], root: Path, timeout: float) -> dict:
    client = await start(spec, root, timeout)
    try:
        pid = client._server.pid
        await asyncio.sleep(0.5)
        idle = memory_of(pid)
        waiters = []
        started = time.perf_counter()
        for path, _ in files:
            uri = path.resolve().as_uri()
            waiters.append(client.expect(uri, 1))
            text = path.read_text(encoding="utf-8")
            client.text_document_did_open(
                t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
            )
        try:
            await asyncio.wait_for(asyncio.gather(*waiters), timeout * len(files))
        except asyncio.TimeoutError:
            raise BenchError(f"{spec.name}: not all {len(files)} files had diagnostics after {timeout * len(files):.0f} s") from None
        all_ms = (time.perf_counter() - started) * 1000
        loaded = memory_of(pid)
        requests = {}
        if spec.name == "sadpath":  # the largest files have few findings: these requests spread over all 20 files
            requests["code_action"] = await time_code_actions(client, targets_of(client), timeout)
            requests["hover"] = await time_hovers(client, targets_of(client), timeout)
        return {
            **requests,
            "server": spec.name,
            "pid": pid,
            "files": len(files),
            "lines": sum(n for _, n in files),
            "all_diagnostics_ms": round(all_ms, 1),
            "idle_rss_mb": idle.get("VmRSS"),
            "rss_mb": loaded.get("VmRSS"),
            "hwm_mb": loaded.get("VmHWM"),
            "children": loaded["children"],
        }
    finally:
        await stop(client)


# ------------------------------------------------------------------------------------------------ ruff
def ruff_version(ruff: str) -> str:
    try:
        out = subprocess.run([ruff, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise BenchError(f"{ruff} --version failed: {exc}") from None
    return out.split()[-1] if out.split() else "?"


def ensure_ruff(given: str | None) -> tuple[str, str]:
    """The ruff to run and its version: --ruff PATH as given, else RUFF_VERSION in its own venv (installed once)."""
    if given:
        if not (os.path.isfile(given) and os.access(given, os.X_OK)):
            raise BenchError(f"--ruff {given}: not an executable file")
        return given, ruff_version(given)
    ruff = PEERS_VENV / "bin" / "ruff"
    PEERS_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(PEERS_VENV.parent / "lsp-peers-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another bench may be creating the same venv right now
        if ruff.exists() and ruff_version(str(ruff)) == RUFF_VERSION:
            return str(ruff), RUFF_VERSION
        print(f"installing ruff=={RUFF_VERSION} into {PEERS_VENV} ...", file=sys.stderr)
        steps = [[sys.executable, "-m", "venv", str(PEERS_VENV)]] if not (PEERS_VENV / "bin" / "python").exists() else []
        steps.append([str(PEERS_VENV / "bin" / "python"), "-m", "pip", "install", "-q", f"ruff=={RUFF_VERSION}"])
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=True, text=True, check=False)
            except OSError as exc:
                raise BenchError(f"cannot run {step[0]}: {exc.strerror or exc}") from exc
            if done.returncode:
                tail = "\n    ".join((done.stderr or done.stdout).strip().splitlines()[-8:])
                raise BenchError(f"{' '.join(step)} failed (pass --ruff PATH or --skip-ruff):\n    {tail}")
    return str(ruff), ruff_version(str(ruff))


# ------------------------------------------------------------------------------------------------ report
def _ms(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _pair(stats: dict | None) -> str:
    return "-" if not stats or not stats.get("n") else f"{_ms(stats['p50'])} / {_ms(stats['p95'])}"


def _ratio(a, b) -> str:
    return "-" if a is None or b in (None, 0) else f"{a / b:.1f}×"


def pooled(results: list[dict]) -> dict:
    """Every file's edit timings together, overall and per place."""
    by_place: dict[str, list[float]] = {}
    for r in results:
        for label, values in r["timings_ms"].items():
            by_place.setdefault(label, []).extend(values)
    return {
        "open_ms": round(statistics.median([r["open_ms"] for r in results]), 1),
        "edit": summary([v for values in by_place.values() for v in values]),
        "by_place": {label: summary(values) for label, values in by_place.items()},
    }


def markdown(report: dict, corpus: Path) -> str:
    def name(path: str) -> str:
        try:
            return str(Path(path).relative_to(corpus))
        except ValueError:
            return path

    servers = report["servers"]
    out = [f"### Edit → diagnostics, {report['edits']} one-character edits per file (ms, p50 / p95)", ""]
    out.append("| file | lines | server | open → diags | edit p50 | edit p95 | " + " | ".join(PLACES) + " | diags at open |")
    out.append("|---|---:|---|---:|---:|---:|" + "---:|" * len(PLACES) + "---:|")
    for index, path in enumerate(report["files"]):
        for server, data in servers.items():
            r = data["files"][index]
            places = " | ".join(_pair(r["by_place"].get(p)) for p in PLACES)
            missing = f" ({len(r['missing_versions'])} missing)" if r["missing_versions"] else ""
            out.append(
                f"| {name(path)} | {r['lines']} | {server} | {_ms(r['open_ms'])} | {_ms(r['edit']['p50'])}{missing} | "
                f"{_ms(r['edit']['p95'])} | {places} | {r['diagnostics_at_open']} |"
            )
    for server, data in servers.items():
        p = data["pooled"]
        places = " | ".join(_pair(p["by_place"].get(q)) for q in PLACES)
        out.append(f"| **all files** | | {server} | {_ms(p['open_ms'])} (median) | {_ms(p['edit']['p50'])} | {_ms(p['edit']['p95'])} | {places} | |")
    if "ruff" in servers and "sadpath" in servers:
        out += ["", "### sadpath / ruff, same run", "", "| file | open → first diags | edit p50 | edit p95 | " + " | ".join(f"{p} p50 / p95" for p in PLACES) + " |"]
        out.append("|---|---:|---:|---:|" + "---:|" * len(PLACES))
        rows = [(name(f), servers["sadpath"]["files"][i], servers["ruff"]["files"][i]) for i, f in enumerate(report["files"])]
        rows.append(("**all files**", servers["sadpath"]["pooled"], servers["ruff"]["pooled"]))
        for label, s, r in rows:
            places = []
            for place in PLACES:
                a, b = s["by_place"].get(place) or {}, r["by_place"].get(place) or {}
                places.append(f"{_ratio(a.get('p50'), b.get('p50'))} / {_ratio(a.get('p95'), b.get('p95'))}")
            out.append(
                f"| {label} | {_ratio(s['open_ms'], r['open_ms'])} | {_ratio(s['edit']['p50'], r['edit']['p50'])} | "
                f"{_ratio(s['edit']['p95'], r['edit']['p95'])} | " + " | ".join(places) + " |"
            )
    if "sadpath" in servers:
        out += ["", f"### sadpath requests on up to {REQUESTS} different diagnostics (ms)", ""]
        out.append(
            "| documents | diagnostics | codeAction (+resolve) p50 | p95 | codeAction alone p50 / p95 | resolve alone p50 / p95 "
            "| requests | resolved | with a fix | hover p50 | p95 | requests | with content |"
        )
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        rows = [(name(path), servers["sadpath"]["files"][i]) for i, path in enumerate(report["files"])]
        memory = servers["sadpath"].get("memory")
        if memory and "code_action" in memory:
            rows.append((f"the {memory['files']} largest files open", memory))
        for label, r in rows:
            a, h = r["code_action"], r["hover"]
            out.append(
                f"| {label} | {a['diagnostics']} | {_ms(a['p50'])} | {_ms(a['p95'])} | {_pair(a['code_action_only'])} "
                f"| {_pair(a['resolve_only'])} | {a['n']} | {a['resolved']} | {a['with_fix']} "
                f"| {_ms(h['p50'])} | {_ms(h['p95'])} | {h['n']} | {h['with_content']} |"
            )
    if any("memory" in data for data in servers.values()):
        first = next(data["memory"] for data in servers.values() if "memory" in data)
        out += ["", f"### Memory with the corpus's {first['files']} largest files open ({first['lines']} lines)", ""]
        out.append("| server | VmRSS MB | VmHWM MB | RSS after initialize MB | open → all diagnostics ms |")
        out.append("|---|---:|---:|---:|---:|")
        for server, data in servers.items():
            m = data.get("memory")
            if m:
                kids = f" (+{m['children']} child processes not counted)" if m["children"] else ""
                out.append(f"| {server} | {_ms(m['rss_mb'])}{kids} | {_ms(m['hwm_mb'])} | {_ms(m['idle_rss_mb'])} | {_ms(m['all_diagnostics_ms'])} |")
    out += ["", "### Notes", ""]
    out.append(f"- ruff {report.get('ruff_version', 'skipped')}, select {','.join(RUFF_SELECT)}; sadpath debounceMs=0.")
    out.append(f"- load average (1 min) at start {report['load'][0]:.2f}, at the end {report['load'][1]:.2f} on {os.cpu_count()} CPUs.")
    for index, path in enumerate(report["files"]):
        points = "; ".join(
            p["what"] if p["label"] in ("import line", "enter after imports") else f"{p['label']}: {p['what']} (top-level statement {p['statement_lines']} lines)"
            for p in report["edit_points"][index]
        )
        out.append(f"- {name(path)} edits: {points}.")
    for server, data in servers.items():
        for r in data["files"]:
            notes = [f"{r['publishes']} publishes for {r['versions_sent']} versions"]
            if r["unversioned_publishes"]:
                notes.append(f"{r['unversioned_publishes']} without a version (matched by arrival)")
            if r["stale_publishes"]:
                notes.append(f"{r['stale_publishes']} for an older version")
            if r["missing_versions"]:
                notes.append(f"NO diagnostics for versions {r['missing_versions']}")
            action = r.get("code_action") or {}
            if action.get("no_actions"):
                notes.append(f"{action['no_actions']} codeAction requests answered with no action")
            if action.get("resolved_without_edit"):
                notes.append(f"{action['resolved_without_edit']} resolves came back without an edit")
            notes.append(f"pygls conversion per publish {_pair(r['client_convert_ms'])} ms (not counted)")
            notes.append("codes at open " + ", ".join(f"{c}×{n}" for c, n in r["codes_at_open"].items()))
            notes += [f"message: {m}" for m in r["messages"][:3]]
            out.append(f"- {server}, {name(r['file'])}: " + "; ".join(notes) + ".")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------ main
async def run(args, corpus: Path, files: list[Path], specs: list[ServerSpec]) -> dict:
    report: dict = {"load": [os.getloadavg()[0]], "corpus": str(corpus), "edits": args.edits, "files": [str(f) for f in files], "edit_points": [], "servers": {}}
    scripts = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        points = edit_points(text)
        if not points:
            raise BenchError(f"found nowhere to edit in {path}")
        scripts.append(edit_script(text, points, args.edits))
        report["edit_points"].append([p.__dict__ for p in points])
    biggest = largest_files(corpus, MEMORY_FILES)
    for spec in specs:
        data: dict = {"files": []}
        for path, script in zip(files, scripts, strict=True):
            print(f"{spec.name}: {path.relative_to(corpus)} ...", file=sys.stderr)
            data["files"].append(await measure_file(spec, path, corpus, script, args))
        data["pooled"] = pooled(data["files"])
        print(f"{spec.name}: memory with {len(biggest)} files open ...", file=sys.stderr)
        data["memory"] = await measure_memory(spec, biggest, corpus, args.timeout)
        report["servers"][spec.name] = data
    report["load"].append(os.getloadavg()[0])
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--edits", type=int, default=40, help="one-character edits per file (default 40)")
    parser.add_argument("--files", type=int, default=3, help="how many of _bigfiles.txt's files (default 3)")
    parser.add_argument("--json", type=Path, help="also write the results, with every timing, to this file")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs `-m sadpath server`")
    parser.add_argument("--ruff", help=f"the ruff executable to compare with (default: ruff=={RUFF_VERSION} in {PEERS_VENV})")
    parser.add_argument("--skip-ruff", action="store_true", help="measure sadpath only")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for one version's diagnostics")
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    listing = corpus / "_bigfiles.txt"
    if not listing.is_file():
        print(f"{listing} not found: build the corpus first with `{BUILD_HINT} {args.corpus}`", file=sys.stderr)
        return 2
    if args.edits < 1 or args.files < 1:
        print("--edits and --files must be at least 1", file=sys.stderr)
        return 2
    files = [corpus / line.strip() for line in listing.read_text().splitlines() if line.strip()][: args.files]
    absent = [str(f) for f in files if not f.is_file()]
    if absent:
        print(f"{', '.join(absent)} listed in {listing} but missing: rebuild with `{BUILD_HINT} {args.corpus}`", file=sys.stderr)
        return 2
    specs = [ServerSpec("sadpath", [args.python, "-m", "sadpath", "server"], {"debounceMs": 0})]
    try:
        report_extra = {}
        if not args.skip_ruff:
            ruff, version = ensure_ruff(args.ruff)
            report_extra = {"ruff": ruff, "ruff_version": version, "ruff_select": RUFF_SELECT}
            settings = {"lint": {"select": RUFF_SELECT}, "logLevel": "warn"}
            specs.append(ServerSpec("ruff", [ruff, "server"], {"settings": settings}))
        report = {**asyncio.run(run(args, corpus, files, specs)), **report_extra}
    except BenchError as exc:
        print(f"lsp_latency: {exc}", file=sys.stderr)
        return 1
    print(markdown(report, corpus))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
