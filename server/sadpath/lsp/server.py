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

from lsprotocol import types as t
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from sadpath import __version__
from sadpath.engine import coverage_data
from sadpath.lsp import code_actions, hover, transport
from sadpath.lsp.convert import from_position, to_diagnostic
from sadpath.lsp.documents import DocumentState, Result, SettingsCache, Store, analyze, document_path
from sadpath.lsp.options import Options, add_server_arguments, parse_options
from sadpath.lsp.text import make_line_safe
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
        super().__init__("sadpath", __version__, text_document_sync_kind=t.TextDocumentSyncKind.Incremental)
        self.options = Options()
        self.store = Store()
        self.settings_cache = SettingsCache()
        self.pull = False
        self.resolve_lazily = False
        self.create_files = False  # the client applies CreateFile in workspace edits (generated tests)
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
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return False
        language = (document.language_id or "python").lower()
        return language in PYTHON_LANGUAGES and not uri.endswith(".ipynb")

    def current(self, uri: str) -> tuple[str, int | None] | None:
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return None
        return document.source, document.version

    def result_for(self, uri: str) -> Result | None:
        """The analysis of the document's current version (computed now if it is not cached)."""
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
        source = result.analysis.source
        return [
            to_diagnostic(f, source, uri, result.version, self.encoding, self.options.docs_url)
            for f in result.analysis.findings
        ]

    def publish(self, uri: str) -> None:
        current = self.current(uri)
        if current is None:
            return
        _, version = current
        result = self.result_for(uri)
        if self.current(uri) is None or self.current(uri)[1] != version:
            return  # the document moved on (or closed) while we worked: never publish an old version
        diagnostics = self.diagnostics(uri, result) if result is not None else []
        self.text_document_publish_diagnostics(
            t.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def clear(self, uri: str) -> None:
        self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def schedule(self, uri: str) -> None:
        """Analyse after ``debounceMs`` of quiet; a newer edit cancels the wait."""
        if not self.is_ours(uri):
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
        for uri in list(self.workspace.text_documents):
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

    def action_context(self, uri: str, result: Result) -> code_actions.ActionContext:
        return code_actions.ActionContext(
            uri=uri,
            version=result.version,
            source=result.analysis.source,
            encoding=self.encoding,
            settings=result.settings,
            unsafe_fixes=self.options.unsafe_fixes,
            tree=result.analysis.tree,
        )


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
    result = ls.result_for(uri)
    if result is None:
        return t.RelatedFullDocumentDiagnosticReport(items=[])
    if params.previous_result_id == result.result_id:
        return t.RelatedUnchangedDocumentDiagnosticReport(result_id=result.result_id)
    return t.RelatedFullDocumentDiagnosticReport(items=ls.diagnostics(uri, result), result_id=result.result_id)


@server.feature(t.WORKSPACE_DIAGNOSTIC)
def on_workspace_diagnostics(ls: SadpathServer, params: t.WorkspaceDiagnosticParams) -> t.WorkspaceDiagnosticReport:
    previous = {p.uri: p.value for p in params.previous_result_ids or []}
    items: list = []
    for uri in list(ls.workspace.text_documents):
        result = ls.result_for(uri)
        if result is None:
            continue
        if previous.get(uri) == result.result_id:
            items.append(
                t.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, version=result.version, result_id=result.result_id)
            )
        else:
            items.append(
                t.WorkspaceFullDocumentDiagnosticReport(
                    uri=uri, version=result.version, items=ls.diagnostics(uri, result), result_id=result.result_id
                )
            )
    return t.WorkspaceDiagnosticReport(items=items)


@server.feature(
    t.TEXT_DOCUMENT_CODE_ACTION,
    t.CodeActionOptions(
        code_action_kinds=[t.CodeActionKind.QuickFix, code_actions.FIX_ALL_KIND, code_actions.GENERATE_TESTS_KIND],
        resolve_provider=True,
    ),
)
def on_code_action(ls: SadpathServer, params: t.CodeActionParams) -> list[t.CodeAction] | None:
    uri = params.text_document.uri
    result = ls.result_for(uri)
    if result is None:
        return None
    ctx = ls.action_context(uri, result)
    wanted = params.context.only
    actions: list[t.CodeAction] = []
    if not wanted or any(k in (t.CodeActionKind.QuickFix, "quickfix") for k in wanted):
        ours = [d for d in ls.diagnostics(uri, result) if _overlaps(d.range, params.range)]
        for diagnostic in ours:
            data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
            for index in range(len(data.get("fixes", []))):
                action = code_actions.fix_action(ctx, diagnostic, index, ls.resolve_lazily)
                if action is not None:
                    actions.append(action)
        for diagnostic in ours:
            suppress = code_actions.suppression_action(ctx, diagnostic)
            if suppress is not None:
                actions.append(suppress)
    if wanted and any(k in (code_actions.FIX_ALL_KIND, t.CodeActionKind.SourceFixAll, t.CodeActionKind.Source) for k in wanted):
        if ls.options.fix_all:
            fix_all = code_actions.fix_all_action(ctx)
            if fix_all is not None:
                actions.append(fix_all)
    if ls.create_files and (not wanted or any(code_actions.GENERATE_TESTS_KIND.startswith(k) for k in wanted)):
        generate = code_actions.generate_tests_action(ctx, result.analysis, params.range.start.line)
        if generate is not None:
            actions.append(generate)
    return actions


@server.feature(t.CODE_ACTION_RESOLVE)
def on_code_action_resolve(ls: SadpathServer, action: t.CodeAction) -> t.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    uri = data.get("uri")
    result = ls.result_for(uri) if isinstance(uri, str) else None
    if result is None:
        return action
    resolved = code_actions.resolve_fix(ls.action_context(uri, result), action)
    if resolved is None:
        log.info("the fix %r no longer applies to %s", action.title, uri)
        return action
    return resolved


@server.feature(t.TEXT_DOCUMENT_HOVER)
def on_hover(ls: SadpathServer, params: t.HoverParams) -> t.Hover | None:
    uri = params.text_document.uri
    result = ls.result_for(uri)
    if result is None:
        return None
    source: SourceFile = result.analysis.source
    line, column = from_position(source, params.position, ls.encoding)
    markdown = hover.hover(result.analysis, line, column, ls.options.docs_url, result.settings)
    return hover.to_hover(markdown) if markdown else None


def _overlaps(diagnostic: t.Range, requested: t.Range) -> bool:
    """A diagnostic on any line of the requested range: a cursor anywhere on the line offers its fixes."""
    return diagnostic.start.line <= requested.end.line and requested.start.line <= diagnostic.end.line


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
