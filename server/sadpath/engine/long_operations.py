"""Calls that take long by nature: an upload, a document to process or extract, a clone or a transfer.

SAD202 advises, and its fix writes, a generous default for them (a poll's 10 s would fail real work that succeeds
today); polls, status checks, searches and probes keep the short default. The judgement reads words, never
substrings: ``subprocess`` is not "process", ``check_call`` is not a status check.

A client built once and then used for transfers (``ftp = FTP(); ... ftp.storbinary(...)``) takes the generous bound
too: its one timeout covers every later command on it, the biggest transfer included.

Words come from the enclosing function's and class's names, the called method's name and the call's string
arguments (a URL path, a command line). Short words are read only from the names of the place and the URL: a
``check_call`` running ``docker push`` is a push.
"""

from __future__ import annotations

import ast

from sadpath.engine.naming import words

LONG_SECONDS = 300

# word prefixes of operations that take long: ``uploads``, ``processing``, ``extractor``, ``transcribe``, a crawl or a
# scrape, a document loader's fetch (``ExternalWebLoader.lazy_load``: a batch of pages fetched and extracted remotely)
_LONG = ("upload", "download", "extract", "process", "convert", "ocr", "transcri", "ingest", "render", "document", "tika", "pdf", "export", "crawl", "scrap", "loader")
# commands (an argument of a subprocess call) that transfer or build
_LONG_COMMANDS = frozenset({"clone", "rsync", "scp", "push", "pull", "install", "build", "ffmpeg", "pg_dump", "pg_restore", "mysqldump", "wkhtmltopdf"})
_SHORT = ("poll", "status", "search", "query", "health", "ping", "probe", "heartbeat", "lookup", "check")


def _strings(call: ast.Call) -> list[str]:
    return [n.value for n in ast.walk(call) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def takes_long(call: ast.Call, function: str = "", owner: str = "") -> bool:
    """The call uploads, processes, extracts or transfers: judged by the words of its place and arguments, or it
    sends a file's body (``put``/``post`` with ``files=`` or ``data=`` bound to a name)."""
    method = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    strings = _strings(call)
    place = words(function) + words(owner)
    urls = [w for s in strings if "/" in s for w in words(s)]
    if any(w.startswith(_SHORT) for w in place + urls):
        return False
    named = place + words(method) + [w for s in strings for w in words(s)]
    if any(w.startswith(_LONG) for w in named):
        return True
    if any(s in _LONG_COMMANDS for s in strings):
        return True
    return method in ("put", "post") and any(k.arg in ("files", "data") and isinstance(k.value, ast.Name) for k in call.keywords)


# methods that move a file's body over a client's connection: the client's one timeout must outlast the biggest
_TRANSFERS = frozenset({
    "storbinary", "retrbinary", "storlines", "retrlines", "upload_file", "download_file", "upload_fileobj",
    "download_fileobj", "putfo", "getfo", "sendfile",
})


def client_transfers(call: ast.Call, scope: ast.AST) -> bool:
    """The client the call builds is bound to a name (``ftp = FTP()``, ``self.ftp = FTP()``, ``with FTP() as ftp``)
    and a call on that name in ``scope`` (the class or module that uses it) moves a file's body (``storbinary``,
    ``upload_file``): the timeout set once on the client must outlast that transfer."""
    names = _bound_names(call, scope)
    if not names:
        return False
    for node in ast.walk(scope):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _TRANSFERS:
            receiver = node.func.value
            if (receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", None)) in names:
                return True
    return False


def _bound_names(call: ast.Call, scope: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(scope):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is call:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.withitem) and node.context_expr is call and node.optional_vars is not None:
            targets = [node.optional_vars]
        else:
            continue
        names |= {t.attr if isinstance(t, ast.Attribute) else t.id for t in targets if isinstance(t, (ast.Attribute, ast.Name))}
    return names
