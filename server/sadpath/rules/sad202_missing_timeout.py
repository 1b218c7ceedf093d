"""# SAD202 missing-timeout

## What it does

Flags network calls that can wait forever: a call without a timeout where the
library's default is none (`requests.get(url)`, `session.post(...)` on a
`requests.Session`, `urllib.request.urlopen(url)`, `socket.create_connection(addr)`),
an explicit `timeout=None` on any client (`httpx.get(url, timeout=None)`,
`httpx.Client(timeout=None)`, `aiohttp.ClientSession(timeout=None)`), an
`aiohttp.ClientTimeout()` without a total, and clients built without a timeout so
that every call on them has none: `redis.Redis(...)` without `socket_timeout` (quiet when the project's runtime requirements allow only redis-py 8 or later, whose default is 5 s; otherwise the message says the claim holds before 8.0),
`smtplib.SMTP(host)` and `ftplib.FTP(host)` without `timeout`, `urllib3.PoolManager()`
without `timeout`, and the blocking clients whose connect and every later command
wait forever by default (`imaplib.IMAP4_SSL(host)`, `poplib.POP3`, `telnetlib.Telnet(host)`,
`http.client.HTTPSConnection`, `imap_tools.MailBox(host)`, websocket-client's
`create_connection(url)`). A subprocess whose command talks to the network (`git
fetch`/`pull`/`push`/`clone`, `docker push`/`pull`, `ssh`, `scp`, `rsync` to a host,
`curl`) without `timeout` is flagged wherever it runs; any other
`subprocess.run/check_output/check_call/call` without `timeout` only inside request
handlers, tasks and consumers, where a hung child holds the worker.

A `**kwargs` splat counts when the function visibly never puts the timeout in it: a
dict built in the function from literal keys, or the function's own `**kwargs` that
it fills with other keys (`kwargs.setdefault("headers", ...)`) while no call of the
function in the module passes a timeout. Names are followed through project modules
that re-export a client (`from app.http import requests_or_advocate as requests`,
`from app.clients import session`).

It stays quiet when the timeout comes from elsewhere: `**kwargs` that may carry
it (a caller passes `timeout=`, or the dict comes from outside), a `connection_pool=` that carries the socket settings, the methods of a
client whose constructor is the place to set it (reported there), socket methods
(their timeout is `settimeout()`), a positional timeout (`urlopen(url, data, 10)`), a non-None expression
(`timeout=settings.HTTP_TIMEOUT`), `socket.setdefaulttimeout(...)` in the module
(for socket, urllib, smtplib, ftplib and the blocking clients), a session whose requests get a default
timeout in the same module (an `HTTPAdapter` subclass that sets one, a `partial()` that binds one; a
`Session` subclass covers only its own instances), a default the project installs for every call at start-up by
patching the client's send or request method (`HTTPAdapter.send = send_with_default`, run at import or from an
`AppConfig.ready()`), a session handed to a helper typed only by its annotation when every call passes one that
another library's factory built (its class and defaults are unknown), a Redis URL that names `socket_timeout`,
the sync twin of an async function (`generate_embeddings` beside `agenerate_embeddings`)
that nothing in the project mentions, commands that stay local (`git rev-parse`, `docker tag`,
`docker build` in a CLI command) or bound themselves
(`rsync --timeout=60`, `curl --max-time 30`), and libraries whose default is finite
(httpx 5 s, aiohttp 300 s, boto3 60 s, websockets' 10 s handshake) unless it is switched off, and calls
inside a pytest test function (`def test_*` in a test module: `test_*.py`, `*_test.py`, `conftest.py`, or a
`tests/`/`testing/` folder of the package), where a hang fails one test under the runner. Database
connects are left alone: their DSN usually comes from configuration and may carry
`connect_timeout`.

A connect-only probe (`socket.create_connection(addr).close()`, `with socket.create_connection(addr): pass`) reads
nothing, so the kernel's connect timeout ends it: the message says it blocks for up to the OS connect timeout
(about 2 minutes), and, when a coroutine of the module runs it (not through `asyncio.to_thread`), that it blocks the
event loop, advising a 1 s bound, inside the caller's retry budget.

## Why is this bad?

A remote service that stops answering, without closing the connection, makes a
call with no timeout wait forever. The thread or worker holding it is lost, the
pool drains one stuck request at a time, and the service hangs without an error
to show for it: the failure never even becomes an exception that could be handled.

## Example

```python
import requests


def fetch_rates():
    resp = requests.get("https://fx.example/latest")
    resp.raise_for_status()
    return resp.json()
```

## Use instead

```python
import requests


def fetch_rates():
    resp = requests.get("https://fx.example/latest", timeout=10)
    resp.raise_for_status()
    return resp.json()
```

## Fix safety

Unsafe but preferred: it adds the library's timeout argument with the value of
`default-timeout` (10 seconds unless configured), or replaces `None` with it.
A call that takes long by nature (an upload, document processing, a clone, a
push: judged by the words of its function, class, method and arguments) gets
300 seconds instead, and a class or module that configures its own timeout
(`self.timeout`, `*_TIMEOUT`) gets that. Calls that used to wait forever now
fail with a timeout after that long. A call
that passes `**kwargs` gets no fix: where the default belongs (the call, or a
`setdefault` on the dict) is the author's choice.

## Options

- `default-timeout`: the seconds the fix writes (default 10).

## References

- [requests: timeouts](https://requests.readthedocs.io/en/latest/user/advanced/#timeouts)
- [httpx: timeouts](https://www.python-httpx.org/advanced/timeouts/)
- [aiohttp: ClientTimeout](https://docs.aiohttp.org/en/stable/client_quickstart.html#timeouts)
- [redis-py: socket_timeout](https://redis.readthedocs.io/en/stable/connections.html)
"""

from __future__ import annotations

import ast
import weakref
from pathlib import Path

from sadpath.declared_dependencies import declared_floor
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import ExternalCall, external_call
from sadpath.engine.network_commands import network_command
from sadpath.engine.passed_clients import from_unseen_factory
from sadpath.engine.patched_timeouts import patched_interfaces
from sadpath.engine.project_calls import project_base
from sadpath.engine.reexports import defining_tree, library_names, library_type
from sadpath.engine.splat_keys import callers_pass, splat_origin
from sadpath.engine.twin_calls import REDIS_URL_FACTORIES, twin_call
from sadpath.engine.unreferenced import unreferenced
from sadpath.engine.long_operations import LONG_SECONDS, client_transfers, takes_long
from sadpath.knowledge.interfaces import interface_index
from sadpath.model import Applicability, FixOffer
from sadpath.engine.boundary import boundary_of
from sadpath.engine.connect_probes import connect_only, event_loop_caller
from sadpath.engine.under_test import in_pytest_test
from sadpath.rules.base import Rule

# positional index (0-based) where a call or constructor takes its timeout
POSITIONAL_TIMEOUT = {
    "urllib.request.urlopen": 2,
    "socket.create_connection": 1,
    "smtplib.SMTP": 3,
    "smtplib.SMTP_SSL": 3,
    "ftplib.FTP": 4,
    "ftplib.FTP_TLS": 4,
    "redis.Redis": 4,
    "redis.StrictRedis": 4,
}
# blocking clients of the standard library and small libraries whose default is no timeout at all, for the
# connect and every later command: qualified name -> (label, positional index of the timeout or None)
BLOCKING_CLIENTS = {
    "imaplib.IMAP4": ("imaplib", 2),
    "imaplib.IMAP4_SSL": ("imaplib", None),
    "poplib.POP3": ("poplib", 2),
    "poplib.POP3_SSL": ("poplib", None),
    "telnetlib.Telnet": ("telnetlib", 2),
    "http.client.HTTPConnection": ("http.client", 2),
    "http.client.HTTPSConnection": ("http.client", None),
    "imap_tools.MailBox": ("imap_tools", 2),
    "imap_tools.MailBoxUnencrypted": ("imap_tools", 2),
    "imap_tools.MailBoxTls": ("imap_tools", 2),
    "imap_tools.mailbox.MailBox": ("imap_tools", 2),
    "websocket.create_connection": ("websocket-client", 1),
    "websocket._core.create_connection": ("websocket-client", 1),
}
NEEDS_HOST = frozenset({"telnetlib.Telnet"})  # built without a host, it connects later through open(..., timeout)
GLOBAL_DEFAULT_TIMEOUT = frozenset({"socket", "urllib", "smtplib", "ftplib"})
SUBPROCESS_CALLS = frozenset({"subprocess.run", "subprocess.check_output", "subprocess.check_call", "subprocess.call"})
PROBE_SECONDS = 1  # a connect-only probe on an event loop: a local connect answers in milliseconds


class MissingTimeout(Rule):
    code = "SAD202"
    slug = "missing-timeout"
    summary = "A network call or client that can wait forever: no timeout, or `timeout=None`."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ('add_timeout',)

    @classmethod
    def context_key(cls, ctx: ModuleContext) -> str:
        """The module's calls that pass a timeout (or a splat) to a function: a ``**kwargs`` helper's callers."""
        if "**" not in ctx.source.text:
            return ""
        return ",".join(sorted(ctx.fact("sad202-passing-calls", lambda: _passing_calls(ctx.tree))))

    def visit_Call(self, node: ast.Call, ctx: ModuleContext) -> None:
        if in_pytest_test(ctx.source.path, ctx.parents):
            return  # a pytest test function: a hang fails one test under the runner, no service thread waits
        qn = ctx.qualified_name(node.func)
        if self._dispatch(node, qn, external_call(node, ctx), ctx):
            return
        for name, external in _reexported(node, qn, ctx):
            if self._dispatch(node, name, external, ctx):
                return

    def _dispatch(self, node: ast.Call, qn: str | None, external: ExternalCall | None, ctx: ModuleContext) -> bool:
        """Judge the call as ``qn`` (or as the interface call ``external``); whether it is a known client call."""
        if qn == "aiohttp.ClientTimeout" or qn == "aiohttp.client.ClientTimeout":
            self._client_timeout(node, ctx)
            return True
        index = interface_index(getattr(ctx.settings, "interfaces", ()))
        if qn is not None and qn in REDIS_URL_FACTORIES:
            self._redis_url(node, qn, ctx)
            return True
        if qn is not None and qn in BLOCKING_CLIENTS:
            self._blocking_client(node, qn, ctx)
            return True
        client = index.clients.get(index.client_type(qn)) if qn is not None and qn in index.clients else None
        if client is not None and client.timeout is not None:
            self._constructor(node, qn, client, ctx)
            return True
        if external is None:
            return False
        if external.interface.timeout is None:
            return True
        timeout = external.interface.timeout
        if timeout.on != "call":
            return True
        given = _keyword(node, timeout.param)
        if given is not None:
            if _is_none(given):
                self._report(ctx, node, given, f"`{_shown(node)}` passes `{timeout.param}=None`", external.interface.label, timeout.param, replace=True)
            return True
        if timeout.default != "none" or _positional(node, external.name if external.method is None else ""):
            return True
        if _project_patched(external.interface.name, ctx):
            return True  # a start-up patch of the client's send method gives every call a default timeout
        if external.method is not None and (timeout.client_param or external.interface.name == "socket"):
            return True  # the client's own timeout applies (reported at its constructor); sockets use settimeout()
        if external.interface.name in GLOBAL_DEFAULT_TIMEOUT and _sets_default_timeout(ctx):
            return True
        splat = _splat_lacks(node, timeout.param, ctx)
        if splat is None:
            return True  # **kwargs that may carry it
        if external.interface.name == "subprocess":
            command = network_command(node, ctx.enclosing_function())
            if command is not None:
                what = f"`{_shown(node)}` runs `{command}` with no timeout{splat}"
                self._report(ctx, node, None, what, "subprocess over the network", timeout.param, replace=False, fixable=not splat)
                return True
            boundary = boundary_of(ctx)
            if boundary is None or boundary.kind in ("main", "command"):
                return True  # a local program run from main() or a CLI command: someone is there to interrupt it
        if external.interface.name == "requests" and external.method is not None and _session_has_default_timeout(ctx):
            return True
        if external.method is not None and _handed_unseen_client(external, ctx):
            return True  # typed only by an annotation, built by a library sadpath cannot see: its defaults are unknown
        local = external.interface.name == "subprocess"  # a network command was reported above
        probe = external.interface.name == "socket" and connect_only(node, ctx.parents)
        self._report(ctx, node, None, f"`{_shown(node)}` has no timeout{splat}", external.interface.label, timeout.param, replace=False,
                     fixable=not splat, local=local, connect_probe=probe)
        return True

    def _blocking_client(self, node: ast.Call, qn: str, ctx: ModuleContext) -> None:
        label, position = BLOCKING_CLIENTS[qn]
        given = _keyword(node, "timeout")
        if given is not None:
            if _is_none(given):
                self._report(ctx, node, given, f"`{_shown(node)}` passes `timeout=None`", label, "timeout", replace=True)
            return
        if position is not None and len(node.args) > position:
            return
        if qn in NEEDS_HOST and not node.args and _keyword(node, "host") is None:
            return
        if _sets_default_timeout(ctx):
            return  # socket.setdefaulttimeout() (websocket.setdefaulttimeout() for websocket-client)
        splat = _splat_lacks(node, "timeout", ctx)
        if splat is None:
            return
        what = f"`{_shown(node)}` has no timeout{splat}, for the connect and every later command on it"
        self._report(ctx, node, None, what, label, "timeout", replace=False, fixable=not splat)

    def _constructor(self, node: ast.Call, qn: str, interface, ctx: ModuleContext) -> None:
        timeout = interface.timeout
        param = timeout.client_param or (timeout.param if timeout.on == "client" else None)
        if param is None:
            return
        given = _keyword(node, param)
        if given is not None:
            if _is_none(given):
                self._report(ctx, node, given, f"`{_shown(node)}` is built with `{param}=None`", interface.label, param, replace=True)
            return
        if timeout.default != "none" or timeout.on != "client" and interface.name != "urllib3":
            return
        if _positional(node, qn) or _keyword(node, "connection_pool") is not None:
            return  # a connection pool carries the socket settings
        if _project_patched(interface.name, ctx):
            return
        if interface.name in GLOBAL_DEFAULT_TIMEOUT and _sets_default_timeout(ctx):
            return
        splat = _splat_lacks(node, param, ctx)
        if splat is None:
            return
        versions = _versions_note(timeout, ctx)
        if versions is None:
            return  # every release the project allows defaults to a finite timeout
        self._report(
            ctx, node, None, f"`{_shown(node)}` is built without `{param}`{splat}, so every call on it has none{versions}", interface.label, param,
            replace=False, fixable=not splat,
        )

    def _redis_url(self, node: ast.Call, qn: str, ctx: ModuleContext) -> None:
        if _keyword(node, "socket_timeout") is not None or _has_splat(node) or not node.args:
            return
        url = node.args[0]
        if not (isinstance(url, ast.Constant) and isinstance(url.value, str)) or "socket_timeout" in url.value:
            return  # a URL from configuration may carry ?socket_timeout=...
        interface = interface_index(getattr(ctx.settings, "interfaces", ())).interfaces.get("redis")
        versions = _versions_note(interface.timeout, ctx) if interface is not None and interface.timeout is not None else ""
        if versions is None:
            return  # every release the project allows defaults to a finite timeout
        self._report(ctx, node, None, f"`{_shown(node)}` is built without `socket_timeout`, so every call on it has none{versions}", "redis", "socket_timeout", replace=False)

    def _client_timeout(self, node: ast.Call, ctx: ModuleContext) -> None:
        total = _keyword(node, "total")
        if node.args or _has_splat(node):
            return
        if total is None and not any(_keyword(node, p) is not None for p in ("sock_read", "sock_connect", "connect")):
            self._report(ctx, node, None, "`aiohttp.ClientTimeout()` without `total` sets no overall deadline", "aiohttp", "total", replace=False)
        elif total is not None and _is_none(total) and _keyword(node, "sock_read") is None:
            self._report(ctx, node, total, "`aiohttp.ClientTimeout(total=None)` sets no overall deadline", "aiohttp", "total", replace=True)

    def _report(self, ctx, node, value_node, what: str, label: str, param: str, replace: bool, fixable: bool = True, local: bool = False,
                connect_probe: bool = False) -> None:
        seconds = ctx.settings.default_timeout
        func = ctx.enclosing_function()
        owner = ctx.enclosing_class()
        long_call = not connect_probe and isinstance(node, ast.Call) and (
            takes_long(node, getattr(func, "name", ""), getattr(owner, "name", "")) or client_transfers(node, owner or ctx.tree))
        seconds = max(seconds, LONG_SECONDS) if long_call else seconds
        loop = event_loop_caller(func, ctx) if connect_probe else None
        seconds = min(seconds, PROBE_SECONDS) if loop else seconds  # shorter than the coroutine's own retry budget
        shown_seconds = int(seconds) if float(seconds).is_integer() else seconds
        dead = func is not None and unreferenced(func, ctx)
        if dead and _async_twin(func, ctx):
            return  # the sync twin of an async function the project uses instead: nothing runs it
        if connect_probe:  # connect, then close: the kernel's SYN retries end it, the harm is the blocking
            consequence = "it only connects and closes, so when the host does not answer it blocks for up to the OS connect timeout (about 2 minutes)"
            consequence += (f", on the event loop (`{loop}()` runs it there, not in a thread), which freezes every other coroutine meanwhile"
                            if loop else ", and holds the thread that made the call")
        elif local:
            consequence = "if the child process hangs, this waits forever and holds the worker that started it"
        elif _async_client(node, ctx):
            consequence = "if the other side stops answering, the coroutine awaiting it waits forever and stalls the request or task it serves"
        elif dead:
            consequence = (
                f"if the other side stops answering, this waits forever and holds whoever calls `{func.name}()` "
                "(nothing in the project does yet)"
            )
        else:
            consequence = "if the other side stops answering, this waits forever and holds the thread or worker that made the call"
        why = " (seconds: a generous bound, the call uploads, processes or transfers data)" if long_call else " (seconds)"
        why = " (seconds: a probe's connect, well inside the caller's retry budget)" if loop else why
        message = f"{what} ({label}): {consequence}. Pass `{param}={shown_seconds}`{why} or your own deadline."
        title = f"Add `{param}={shown_seconds}`" if not replace else f"Replace `{param}=None` with `{param}={shown_seconds}`"
        title += " (a generous bound: the call uploads, processes or transfers data)" if long_call else ""
        data = {"param": param, "seconds": shown_seconds, "long": long_call}
        probe = getattr(self, "_probe", None)
        if probe is not None:
            probe.append((param, fixable))
            return  # asked whether a twin call is reported: say so, report nothing
        twin = twin_call(node, ctx)
        if twin is not None:
            other, first, place = twin
            reported = self._probed(other, ctx)
            if reported and reported[0][0] == param:
                if not first:
                    return  # reported with its twin (the first branch, the first call): one finding per problem
                fixable = fixable and reported[0][1]
                where = f"`{_shown(other)}` {place}"
                message = f"{what}, and so is {where} ({label}): {consequence}. Pass `{param}={shown_seconds}`{why} to both or your own deadline."
                title += " to both branches" if "branch" in place else " to both calls"
                other_span = ctx.span(other)
                data["twins"] = [[other_span.line, other_span.column, other_span.end_line, other_span.end_column]]
            elif not reported and param == "socket_timeout" and ctx.qualified_name(other.func) in REDIS_URL_FACTORIES \
                    and _keyword(other, "socket_timeout") is None and not _has_splat(other):
                # the same client built from a configured URL in the other arm: bound it too, or the block still hangs
                where = f"`{_shown(other)}` in the other branch (line {other.lineno}; a `socket_timeout` in its URL still wins)"
                message = f"{what} ({label}): {consequence}. Pass `{param}={shown_seconds}`{why} here and to {where}, or your own deadline."
                title += " to both branches"
                other_span = ctx.span(other)
                data["twins"] = [[other_span.line, other_span.column, other_span.end_line, other_span.end_column]]
        fixes = [FixOffer("add_timeout", title, Applicability.UNSAFE, preferred=True)] if fixable else []
        span = ctx.span(node)
        ctx.report(self, span, message, fixes=fixes, data=data)

    def _probed(self, node: ast.Call, ctx: ModuleContext) -> list:
        """What judging ``node`` would report (its param and whether it is fixable), without reporting it."""
        self._probe = found = []
        try:
            self.visit_Call(node, ctx)
        finally:
            self._probe = None
        return found


def _versions_note(timeout, ctx: ModuleContext) -> str | None:
    """For a library whose newer releases default to a finite timeout (redis-py 8: 5 s): None when the project
    allows only those (its runtime requirement's floor), else the note that the claim holds below that release."""
    if timeout.finite_from is None:
        return ""
    distribution, major = timeout.finite_from
    # read once per module: the project's requirement files do not change between its clients
    floor = ctx.fact(f"declared-floor:{distribution}", lambda: declared_floor(Path(ctx.source.path), distribution) if ctx.source.path else None)
    if floor is not None and floor >= major:
        return None
    return f" (on {distribution} before {major}.0; from {major}.0 its default is finite)"


def _async_client(node: ast.Call, ctx: ModuleContext) -> bool:
    """``redis.asyncio.Redis(...)``, ``aiohttp.ClientTimeout()``, a coroutine method of an async client."""
    qn = ctx.qualified_name(node.func) or ""
    parts = qn.split(".")
    if "asyncio" in parts[1:] or parts[0].startswith("aio"):
        return True
    external = external_call(node, ctx)
    return external is not None and bool(getattr(external, "is_async", False))


def _async_twin(func: ast.AST, ctx: ModuleContext) -> bool:
    """``generate_embeddings`` beside ``agenerate_embeddings`` (or ``async_...``, ``..._async``): an async def of the
    module doing the same work."""
    name = func.name
    twins = {f"a{name}", f"async_{name}", f"{name}_async", f"a_{name}"}
    return any(isinstance(stmt, ast.AsyncFunctionDef) and stmt.name in twins for stmt in ctx.tree.body)


def _keyword(node: ast.Call, name: str) -> ast.AST | None:
    for keyword in node.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _splat_lacks(node: ast.Call, param: str, ctx: ModuleContext) -> str | None:
    """"" for a call with no splat; None when a ``*args``/``**kwargs`` may carry ``param``; the words that say
    why a ``**name`` visibly never does."""
    if not _has_splat(node):
        return ""
    func = ctx.enclosing_function()
    origin = splat_origin(node, func)
    if origin is None or param in origin.keys:
        return None
    named = [f"`{k}`" for k in sorted(origin.keys)]
    shown_keys = (", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else "".join(named)) or "nothing"
    if origin.kind == "local":
        return f": `**{origin.name}` is built here with {shown_keys} and never a `{param}`"
    cls = ctx.enclosing_class()
    method_of = cls if cls is not None and func in cls.body else None
    calls, passes = callers_pass(func, param, ctx.tree, method_of)
    if passes or (calls == 0 and not origin.keys):
        return None  # a caller passes it, or nothing says what the callers pass
    if not origin.keys:
        callers = "its one call here passes none" if calls == 1 else f"none of its {calls} calls here passes one"
        return f": `{func.name}()` puts no `{param}` in `**{origin.name}`, and {callers}"
    if calls:
        callers = "its one caller here passes none" if calls == 1 else f"none of its {calls} callers here passes one"
    else:
        callers = "nothing here gives it one"
    return f": `**{origin.name}` only ever gets {shown_keys}, and {callers}"


def _reexported(node: ast.Call, qn: str | None, ctx: ModuleContext):
    """The call as a library call when its name comes from a project module that re-exports the library
    (``from app.http import requests_or_advocate as requests``), or its receiver is a client instance that
    another project module builds (``from app.clients import http``)."""
    if qn is None or "." not in qn or not _from_project(qn, ctx):
        return
    index = interface_index(getattr(ctx.settings, "interfaces", ()))
    for name in library_names(qn, ctx):
        interface = index.functions.get(name)
        yield name, ExternalCall(interface, node, name, None, None, None, False) if interface is not None else None
    func = node.func
    if isinstance(func, ast.Attribute):
        receiver = ctx.qualified_name(func.value)
        client_type = index.client_type(library_type(receiver, ctx))
        interface = index.clients.get(client_type) if client_type is not None else None
        if interface is not None and interface.performs_io(func.attr):
            tree = defining_tree(receiver, ctx)
            if interface.name == "requests" and tree is not None and _session_defaults(tree):
                return  # the module that builds the session gives its requests a default timeout
            short = client_type.rsplit(".", 1)[-1]
            yield None, ExternalCall(interface, node, f"{short}.{func.attr}", func.attr, func.value, client_type, client_type in index.async_clients)


def _from_project(qn: str, ctx: ModuleContext) -> bool:
    head = qn.split(".", 1)[0]
    return ctx.fact(f"sad202-project-module:{head}", lambda: project_base(head, ctx) is not None)


# statement -> the names its calls that pass a timeout (or a splat) call: the language server's re-parse keeps every
# statement it did not parse again (the same object, only moved), so an edit walks only what it parsed again
_PASSING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _passing_calls(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for stmt in tree.body:
        if not isinstance(stmt, ast.ClassDef):
            names |= _passing_in(stmt)
            continue
        # a class object is copied when one of its methods is parsed again: its members are the kept objects
        for part in (*stmt.decorator_list, *stmt.bases, *stmt.keywords, *getattr(stmt, "type_params", ())):
            names |= _calls_passing(part)
        for member in stmt.body:
            names |= _passing_in(member)
    return names


def _passing_in(stmt: ast.stmt) -> frozenset:
    known = _PASSING.get(stmt)
    if known is None:
        known = _PASSING[stmt] = _calls_passing(stmt)
    return known


def _calls_passing(root: ast.AST) -> frozenset:
    names = set()
    for node in ast.walk(root):
        if isinstance(node, ast.Call) and any(k.arg is None or "timeout" in k.arg for k in node.keywords):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name:
                names.add(name)
    return frozenset(names)


def _has_splat(node: ast.Call) -> bool:
    return any(k.arg is None for k in node.keywords) or any(isinstance(a, ast.Starred) for a in node.args)


def _is_none(value: ast.AST) -> bool:
    return isinstance(value, ast.Constant) and value.value is None


def _positional(node: ast.Call, qn: str) -> bool:
    position = POSITIONAL_TIMEOUT.get(qn)
    return position is not None and len(node.args) > position


def _shown(node: ast.Call) -> str:
    text = ast.unparse(node.func)
    return (text if len(text) <= 50 else text[:47] + "...") + "()"


def _handed_unseen_client(external: ExternalCall, ctx: ModuleContext) -> bool:
    """The receiver is a parameter typed only by its annotation, and every call here hands it an object that a
    library's factory built (``session = adapter._get_session()``): a subclass with its own default may be what runs."""
    func, receiver = ctx.enclosing_function(), external.receiver
    if func is None or not isinstance(receiver, ast.Name):
        return False
    args = func.args
    if not any(a.arg == receiver.id and a.annotation is not None for a in [*args.posonlyargs, *args.args]):
        return False
    index = interface_index(getattr(ctx.settings, "interfaces", ()))
    return from_unseen_factory(func, receiver.id, ctx, index)


def _project_patched(interface: str, ctx: ModuleContext) -> bool:
    """A start-up patch somewhere in the project (``HTTPAdapter.send = send_with_default``) bounds the interface's calls."""
    index = interface_index(getattr(ctx.settings, "interfaces", ()))
    return interface in ctx.fact("sad202-patched-interfaces", lambda: patched_interfaces(str(ctx.source.path), index))


def _sets_default_timeout(ctx: ModuleContext) -> bool:
    return _module_mentions(ctx, "setdefaulttimeout")


def _session_has_default_timeout(ctx: ModuleContext) -> bool:
    """An HTTPAdapter subclass in the module that sets a timeout, or a partial() that binds one."""
    return ctx.fact("session-default-timeout", lambda: "timeout" in ctx.source.text and _session_defaults(ctx.tree))


def _module_mentions(ctx: ModuleContext, text: str) -> bool:
    return text in ctx.source.text


def _session_defaults(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases]
            if any(b.endswith("HTTPAdapter") for b in bases) and "timeout" in ast.unparse(node):
                return True  # a Session subclass does not count: a plain requests.Session() beside it has none
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("partial") and any(k.arg == "timeout" for k in node.keywords):
            return True
    return False
