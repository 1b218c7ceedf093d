"""``sadpath server``: the pygls 2.x wiring. Each handler is thin; the work lives in the modules beside it."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types as t
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from sadpath import __version__
from sadpath.engine import coverage_data
from sadpath.lsp import action_requests, code_actions, debug_info, hover, transport
from sadpath.lsp.convert import from_position, to_diagnostic, unsupported_diagnostic
from sadpath.lsp.documents import DocumentState, Result, SettingsCache, Store, analyze, document_path
from sadpath.lsp.notebook import NOTEBOOK_SYNC, Cell, NotebookView, build_view
from sadpath.lsp.options import Options, add_server_arguments, parse_options
from sadpath.lsp.text import make_line_safe
from sadpath.model import SYNTAX_ERROR_CODE
from sadpath.registry import is_enabled
from sadpath.source import SourceFile

log = logging.getLogger("sadpath.lsp")
LEVELS = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}
MESSAGE_TYPES = {
    logging.ERROR: t.MessageType.Error,
    logging.WARNING: t.MessageType.Warning,
    logging.INFO: t.MessageType.Info,
    logging.DEBUG: t.MessageType.Log,
}
PYTHON_LANGUAGES = {"python"}
DEBUG_COMMAND = "sadpath.debugInformation"


class Located:
    """What a request's document is: a Python file, or a notebook cell (``view``, ``cell``) of the notebook
    whose cells were analysed together (``uri`` is then the notebook's)."""

    def __init__(self, uri: str, result: Result, view: NotebookView | None = None, cell: Cell | None = None) -> None:
        self.uri = uri
        self.result = result
        self.view = view
        self.cell = cell


class ClientLogHandler(logging.Handler):
    """Forwards the server's log records to the client as window/logMessage, at the configured level."""

    def __init__(self, server: LanguageServer) -> None:
        super().__init__()
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            kind = MESSAGE_TYPES.get(record.levelno, t.MessageType.Log)
            self.server.window_log_message(t.LogMessageParams(type=kind, message=message))
        except Exception:  # a log record must never take the server down; stderr is the last resort
            self.handleError(record)


class SadpathServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "sadpath",
            __version__,
            text_document_sync_kind=t.TextDocumentSyncKind.Incremental,
            notebook_document_sync=NOTEBOOK_SYNC,
        )
        self.options = Options()
        self.store = Store()
        self.settings_cache = SettingsCache()
        self.pull = False
        self.resolve_lazily = False
        self.create_files = False  # the client applies CreateFile in workspace edits (generated tests)
        self.disabled_support = False  # the client shows a disabled code action with its reason
        self.views: dict[str, NotebookView] = {}  # the last analysed view of each open notebook
        self.fix_failures_said: set[str] = set()  # eager fixes that failed, said once each
        self.watch_dynamic = False
        self.pending_messages: list[str] = []
        self.coverage_files: set[str] = set()  # coverage data files SAD302 reads (a change re-analyses)
        self.coverage_reported: set[str] = set()  # unreadable data files already reported

    # ----------------------------------------------------------------- transports
    def start_io(self, stdin=None, stdout=None) -> int:
        """Serve over stdio with sadpath's bounded, self-healing reader (``lsp.transport``); the exit status."""
        self._stop_event = threading.Event()
        source = stdin or sys.stdin.buffer
        read_some = getattr(source, "read1", None) or source.read
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

        async def read() -> bytes:
            return await asyncio.get_running_loop().run_in_executor(self.thread_pool, read_some, 65536)

        try:
            asyncio.run(transport.serve(read, self.protocol, self._stop_event))
        except BrokenPipeError:  # sadpath: ignore[SAD101] - the entry point's exit status says it
            log.error("the connection to the client is lost; the server stops")
            return 1
        except KeyboardInterrupt:
            return 130
        finally:
            self.shutdown()
        return 0

    def start_tcp(self, host: str, port: int) -> int:
        """Serve one client at a time on TCP, with the same reader as stdio; the exit status."""
        self._stop_event = stop = threading.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.protocol.set_writer(writer)
            await transport.serve(lambda: reader.read(65536), self.protocol, stop)
            self.shutdown()

        async def listen() -> None:
            self._server = await asyncio.start_server(connection, host, port)
            async with self._server:
                await self._server.serve_forever()

        try:
            asyncio.run(listen())
        except asyncio.CancelledError:  # sadpath: ignore[SAD102] - shutdown() closed the listener: how serve_forever() ends
            return 0
        except KeyboardInterrupt:
            return 130
        return 0

    # ----------------------------------------------------------------- helpers
    @property
    def encoding(self) -> str:
        return self.workspace.position_encoding or t.PositionEncodingKind.Utf16

    def apply_options(self, raw: Any, origin: str) -> None:
        options, problems = parse_options(raw)
        self.options = options
        logging.getLogger("sadpath").setLevel(LEVELS.get(options.log_level, logging.WARNING))
        if problems:
            message = f"sadpath: invalid {origin}: " + "; ".join(problems) + ". Using the defaults for those."
            self.pending_messages.append(message)
            log.warning(message)

    def show(self, message: str, kind: t.MessageType = t.MessageType.Warning) -> None:
        self.window_show_message(t.ShowMessageParams(type=kind, message=message))

    def flush_messages(self) -> None:
        while self.pending_messages:
            self.show(self.pending_messages.pop(0))

    def is_ours(self, uri: str) -> bool:
        """A Python text document (a notebook's cells are analysed through their notebook)."""
        if self.is_cell(uri):
            return False
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return False
        language = (document.language_id or "python").lower()
        return language in PYTHON_LANGUAGES and not uri.endswith(".ipynb")

    def is_cell(self, uri: str) -> bool:
        return self.workspace.get_notebook_document(cell_uri=uri) is not None

    def notebook_view(self, notebook: t.NotebookDocument) -> NotebookView:
        def text_of(cell_uri: str):
            document = self.workspace.text_documents.get(unquote(cell_uri))
            if document is None:
                return None
            return document.source, document.version, document.language_id

        return build_view(notebook, text_of)

    def current(self, uri: str) -> tuple[str, int | None] | None:
        notebook = self.workspace.get_notebook_document(notebook_uri=uri)
        if notebook is not None:
            return self.notebook_view(notebook).text, notebook.version
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return None
        return document.source, document.version

    def locate(self, uri: str) -> Located | None:
        """The analysis a request about ``uri`` reads: the file's, or the notebook's for a cell."""
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        if notebook is None:
            result = self.result_for(uri)
            return Located(uri, result) if result is not None else None
        result = self.result_for(notebook.uri)
        view = self.views.get(notebook.uri)
        if result is None or view is None:
            return None
        cell = next((c for c in view.cells if unquote(c.uri) == unquote(uri)), None)
        return Located(notebook.uri, result, view, cell) if cell is not None else None

    def result_for(self, uri: str) -> Result | None:
        """The analysis of the document's (or notebook's) current version (computed now if it is not cached)."""
        notebook = self.workspace.get_notebook_document(notebook_uri=uri)
        if notebook is not None:
            view = self.notebook_view(notebook)
            self.views[notebook.uri] = view
            text, version = view.text, notebook.version
        else:
            current = self.current(uri)
            if current is None or not self.is_ours(uri):
                return None
            text, version = current
        state = self.store.get(uri)
        if len(text) > self.options.max_file_size:
            if not state.too_large_reported:
                state.too_large_reported = True
                self.show(
                    f"sadpath: {document_path(uri)} has {len(text):,} characters, more than maxFileSize "
                    f"({self.options.max_file_size:,}); it is not analysed.",
                    t.MessageType.Info,
                )
            state.result = None
            return None
        settings, error = self.settings_cache.settings_for(document_path(uri), self.options, self.workspace.root_path)
        if error:
            self.show(error)
        self.check_coverage_data(settings, document_path(uri))
        result = analyze(uri, text, version, settings, state)
        for failure in result.analysis.rule_failures:
            log.error("rule %s crashed on %s: %s", failure.code, failure.path, failure.error)
        state.result = result
        return result

    def check_coverage_data(self, settings, path: str) -> None:
        """Says once, as a warning, that the configured coverage data cannot be read (SAD302 is then silent)."""
        data = coverage_data.data_path(settings)
        if data is None:
            return
        self.coverage_files.add(data)
        problem = coverage_data.problem(settings)
        if problem is None:
            self.coverage_reported.discard(data)  # readable again: a later failure is news
            return
        if data in self.coverage_reported or not is_enabled("SAD302", settings, path):
            return
        self.coverage_reported.add(data)
        self.show(f"sadpath: {problem.message}")

    def diagnostics(self, uri: str, result: Result) -> list[t.Diagnostic]:
        key = (uri, self.encoding, self.options.docs_url, self.options.show_syntax_errors)
        known = result.shown.get(key)
        if known is None:
            known = result.shown[key] = self._converted(uri, result)
        return list(known)

    def _converted(self, uri: str, result: Result) -> list[t.Diagnostic]:
        source = result.analysis.source
        shown = [
            to_diagnostic(f, source, uri, result.version, self.encoding, self.options.docs_url)
            for f in result.analysis.findings
            if self.options.show_syntax_errors or f.code != SYNTAX_ERROR_CODE
        ]
        if result.analysis.unsupported is not None:  # not analysed at all: say why, where the syntax is
            shown.append(unsupported_diagnostic(result.analysis.unsupported, source, self.encoding))
        return shown

    def located_diagnostics(self, located: Located) -> list[t.Diagnostic]:
        diagnostics = self.diagnostics(located.uri, located.result)
        if located.view is None or located.cell is None:
            return diagnostics
        return located.view.cell_diagnostics(located.cell, diagnostics)

    def publish(self, uri: str) -> None:
        current = self.current(uri)
        if current is None:
            return
        _, version = current
        result = self.result_for(uri)
        if self.current(uri) is None or self.current(uri)[1] != version:
            return  # the document moved on (or closed) while we worked: never publish an old version
        view = self.views.get(uri)
        if view is not None and self.workspace.get_notebook_document(notebook_uri=uri) is not None:
            found = self.diagnostics(uri, result) if result is not None else []
            for cell in view.cells:  # each cell has its own diagnostics, at its own lines and version
                self.text_document_publish_diagnostics(
                    t.PublishDiagnosticsParams(uri=cell.uri, diagnostics=view.cell_diagnostics(cell, found), version=cell.version)
                )
            return
        diagnostics = self.diagnostics(uri, result) if result is not None else []
        self.text_document_publish_diagnostics(
            t.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def clear(self, uri: str) -> None:
        self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def schedule(self, uri: str) -> None:
        """Analyse after ``debounceMs`` of quiet; a newer edit cancels the wait."""
        if not self.is_ours(uri) and self.workspace.get_notebook_document(notebook_uri=uri) is None:
            return
        state = self.store.get(uri)
        if state.pending is not None:
            state.pending.cancel()
        if self.pull:
            state.pending = None
            return  # the client pulls when it wants diagnostics
        state.pending = asyncio.get_running_loop().create_task(self._publish_later(uri, state))

    async def _publish_later(self, uri: str, state: DocumentState) -> None:
        delay = self.options.debounce_ms / 1000
        if delay:
            await asyncio.sleep(delay)
        if self.store.states.get(uri) is not state:
            return  # closed meanwhile
        try:
            self.publish(uri)
        except Exception:  # analysis bugs are reported, never fatal: the editor keeps working
            log.exception("sadpath could not analyse %s", uri)
        finally:
            if state.pending is asyncio.current_task():
                state.pending = None

    def reanalyze_all(self) -> None:
        for uri in [*self.workspace.text_documents, *self.workspace.notebook_documents]:
            if self.is_cell(uri):
                continue
            state = self.store.get(uri)
            state.result = None
            state.too_large_reported = False
            if self.pull:
                continue
            self.schedule(uri)
        if self.pull and self._supports_refresh():
            self.workspace_diagnostic_refresh(None)

    def _supports_refresh(self) -> bool:
        workspace = self.client_capabilities.workspace
        diagnostics = workspace.diagnostics if workspace else None
        return bool(diagnostics and diagnostics.refresh_support)

    def action_context(self, uri: str, result: Result, view: NotebookView | None = None) -> code_actions.ActionContext:
        return code_actions.ActionContext(
            uri=uri,
            version=result.version,
            source=result.analysis.source,
            encoding=self.encoding,
            settings=result.settings,
            unsafe_fixes=self.options.unsafe_fixes,
            tree=result.analysis.tree,
            notebook=view,
            disabled_support=self.disabled_support,
        )

    def say_fix_failed(self, title: str, reason: str, once: bool = False) -> None:
        """Tell the user a fix they chose (or were offered) cannot be built, and why."""
        message = f"sadpath: Could not build the fix \"{title}\": {reason}"
        log.warning(message)
        if once:
            if message in self.fix_failures_said:
                return
            self.fix_failures_said.add(message)
        self.show(message, t.MessageType.Error)


server = SadpathServer()


@server.feature(t.INITIALIZE)
def on_initialize(ls: SadpathServer, params: t.InitializeParams) -> None:
    make_line_safe(ls.workspace)
    ls.apply_options(params.initialization_options, "initialization options")
    capabilities = params.capabilities
    document = capabilities.text_document
    ls.pull = bool(document and document.diagnostic)
    action = document.code_action if document else None
    resolve = action.resolve_support if action else None
    ls.resolve_lazily = bool(
        action and action.code_action_literal_support and resolve and "edit" in (resolve.properties or [])
    )
    ls.disabled_support = bool(action and action.disabled_support)
    workspace = capabilities.workspace
    edits = workspace.workspace_edit if workspace else None
    ls.create_files = bool(edits and edits.document_changes and "create" in (edits.resource_operations or []))
    watched = workspace.did_change_watched_files if workspace else None
    ls.watch_dynamic = bool(watched and watched.dynamic_registration)


@server.feature(t.INITIALIZED)
async def on_initialized(ls: SadpathServer, params: t.InitializedParams) -> None:
    ls.flush_messages()
    if not ls.watch_dynamic:
        return
    registration = t.Registration(
        id="sadpath-pyproject",
        method=t.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=t.DidChangeWatchedFilesRegistrationOptions(
            watchers=[t.FileSystemWatcher(glob_pattern="**/pyproject.toml")]
        ),
    )
    coverage_names = {".coverage", Path(ls.options.coverage).name if ls.options.coverage else ".coverage"}
    coverage_watch = t.Registration(
        id="sadpath-coverage",
        method=t.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=t.DidChangeWatchedFilesRegistrationOptions(
            watchers=[t.FileSystemWatcher(glob_pattern=f"**/{name}") for name in sorted(coverage_names)]
        ),
    )
    try:
        await ls.client_register_capability_async(t.RegistrationParams(registrations=[registration, coverage_watch]))
    except Exception:  # the client refused: configuration changes then apply on the next edit
        log.warning("the client did not accept the pyproject.toml watcher", exc_info=True)


@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
def on_open(ls: SadpathServer, params: t.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
def on_change(ls: SadpathServer, params: t.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
def on_close(ls: SadpathServer, params: t.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    state = ls.store.drop(uri)
    if state is not None and state.pending is not None:
        state.pending.cancel()
    if not ls.pull:
        ls.clear(uri)


@server.feature(t.NOTEBOOK_DOCUMENT_DID_OPEN)
def on_notebook_open(ls: SadpathServer, params: t.DidOpenNotebookDocumentParams) -> None:
    ls.schedule(params.notebook_document.uri)


@server.feature(t.NOTEBOOK_DOCUMENT_DID_CHANGE)
def on_notebook_change(ls: SadpathServer, params: t.DidChangeNotebookDocumentParams) -> None:
    uri = params.notebook_document.uri
    structure = params.change.cells.structure if params.change.cells else None
    if structure and not ls.pull:
        for closed in structure.did_close or []:
            ls.clear(closed.uri)  # a deleted cell's squiggles go with it
    ls.schedule(uri)
    if ls.pull and ls._supports_refresh():
        ls.workspace_diagnostic_refresh(None)  # a change in one cell can change the findings of the others


@server.feature(t.NOTEBOOK_DOCUMENT_DID_CLOSE)
def on_notebook_close(ls: SadpathServer, params: t.DidCloseNotebookDocumentParams) -> None:
    uri = params.notebook_document.uri
    ls.views.pop(uri, None)
    state = ls.store.drop(uri)
    if state is not None and state.pending is not None:
        state.pending.cancel()
    if not ls.pull:
        for cell in params.cell_text_documents:
            ls.clear(cell.uri)


@server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
def on_configuration(ls: SadpathServer, params: t.DidChangeConfigurationParams) -> None:
    if params.settings is not None:
        ls.apply_options(params.settings, "settings")
        ls.flush_messages()
    ls.settings_cache.clear()
    ls.reanalyze_all()


@server.feature(t.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def on_watched_files(ls: SadpathServer, params: t.DidChangeWatchedFilesParams) -> None:
    if any(change.uri.endswith("pyproject.toml") for change in params.changes):
        ls.settings_cache.clear()
        ls.reanalyze_all()
    elif any(os.path.abspath(document_path(change.uri)) in ls.coverage_files for change in params.changes):
        ls.reanalyze_all()  # a new test run: SAD302 reads the new data


@server.feature(
    t.TEXT_DOCUMENT_DIAGNOSTIC,
    t.DiagnosticOptions(identifier="sadpath", inter_file_dependencies=True, workspace_diagnostics=True),
)
def on_pull_diagnostics(ls: SadpathServer, params: t.DocumentDiagnosticParams) -> t.DocumentDiagnosticReport:
    uri = params.text_document.uri
    located = ls.locate(uri)
    if located is None:
        return t.RelatedFullDocumentDiagnosticReport(items=[])
    result = located.result
    if params.previous_result_id == result.result_id:
        return t.RelatedUnchangedDocumentDiagnosticReport(result_id=result.result_id)
    return t.RelatedFullDocumentDiagnosticReport(items=ls.located_diagnostics(located), result_id=result.result_id)


@server.feature(t.WORKSPACE_DIAGNOSTIC)
def on_workspace_diagnostics(ls: SadpathServer, params: t.WorkspaceDiagnosticParams) -> t.WorkspaceDiagnosticReport:
    previous = {p.uri: p.value for p in params.previous_result_ids or []}
    items: list = []
    for uri in list(ls.workspace.text_documents):
        located = ls.locate(uri)
        if located is None:
            continue
        result = located.result
        version = located.cell.version if located.cell is not None else result.version
        uri = located.cell.uri if located.cell is not None else uri  # a cell as the client named it
        if previous.get(uri) == result.result_id:
            items.append(t.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, version=version, result_id=result.result_id))
        else:
            items.append(
                t.WorkspaceFullDocumentDiagnosticReport(
                    uri=uri, version=version, items=ls.located_diagnostics(located), result_id=result.result_id
                )
            )
    return t.WorkspaceDiagnosticReport(items=items)


@server.feature(
    t.TEXT_DOCUMENT_CODE_ACTION,
    t.CodeActionOptions(
        code_action_kinds=[
            t.CodeActionKind.QuickFix,
            code_actions.FIX_ALL_KIND,
            code_actions.NOTEBOOK_FIX_ALL_KIND,
            code_actions.GENERATE_TESTS_KIND,
        ],
        resolve_provider=True,
    ),
)
def on_code_action(ls: SadpathServer, params: t.CodeActionParams) -> list[t.CodeAction] | None:
    return action_requests.code_actions(ls, params)


@server.feature(t.CODE_ACTION_RESOLVE)
def on_code_action_resolve(ls: SadpathServer, action: t.CodeAction) -> t.CodeAction:
    return action_requests.resolve(ls, action)


@server.feature(t.TEXT_DOCUMENT_HOVER)
def on_hover(ls: SadpathServer, params: t.HoverParams) -> t.Hover | None:
    located = ls.locate(params.text_document.uri)
    if located is None:
        return None
    result = located.result
    position = params.position
    if located.cell is not None and located.view is not None:
        position = located.view.to_notebook(located.cell, position)
    source: SourceFile = result.analysis.source
    line, column = from_position(source, position, ls.encoding)
    markdown = hover.hover(result.analysis, line, column, ls.options.docs_url, result.settings, result.partial)
    if not markdown:
        return None
    answer = hover.to_hover(markdown)
    if located.cell is not None and located.view is not None and answer.range is not None:
        answer.range = located.view.to_cell_range(located.cell, answer.range)
    return answer


@server.command(DEBUG_COMMAND)
def on_debug_information(ls: SadpathServer, *args: Any) -> dict:
    """The versions, interpreter, bundle and options in force, and for a document (the first argument, a URI)
    the configuration file that applies to it: what "sadpath: Show Debug Information" shows."""
    uri = args[0] if args and isinstance(args[0], str) else None
    located = ls.locate(uri) if uri else None
    path = document_path(located.uri) if located is not None else (document_path(uri) if uri else None)
    return debug_info.collect(ls, path, located.result.settings if located is not None else None)


def main(argv: list[str] | None = None) -> int:
    """The server's own command line (the bundled editor shim's entry point): ``[--stdio | --tcp HOST:PORT]``."""
    parser = argparse.ArgumentParser(prog="sadpath server", description="The sadpath language server (stdio by default).")
    add_server_arguments(parser)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    return serve(args.tcp)


def serve(tcp: tuple[str, int] | None = None) -> int:
    """Run the server over stdio, or on ``tcp`` (host, port), until the client stops it."""
    handler = ClientLogHandler(server)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root = logging.getLogger("sadpath")
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    root.propagate = False
    return server.start_tcp(*tcp) if tcp is not None else server.start_io()
