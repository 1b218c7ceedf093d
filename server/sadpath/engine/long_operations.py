"""Calls that take long by nature: an upload, a document to process or extract, a clone or a transfer.

SAD202 advises, and its fix writes, a generous default for them (a poll's 10 s would fail real work that succeeds
today); polls, status checks, searches and probes keep the short default. The judgement reads words, never
substrings: ``subprocess`` is not "process", ``check_call`` is not a status check.

Words come from the enclosing function's and class's names, the called method's name and the call's string
arguments (a URL path, a command line). Short words are read only from the names of the place and the URL: a
``check_call`` running ``docker push`` is a push.
"""

from __future__ import annotations

import ast

from sadpath.engine.naming import words

LONG_SECONDS = 300

# word prefixes of operations that take long: ``uploads``, ``processing``, ``extractor``, ``transcribe``
_LONG = ("upload", "download", "extract", "process", "convert", "ocr", "transcri", "ingest", "render", "document", "tika", "pdf", "export")
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
