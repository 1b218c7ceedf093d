"""# SAD202 missing-timeout

## What it does

Flags network calls that can wait forever: a call without a timeout where the
library's default is none (`requests.get(url)`, `session.post(...)` on a
`requests.Session`, `urllib.request.urlopen(url)`, `socket.create_connection(addr)`),
an explicit `timeout=None` on any client (`httpx.get(url, timeout=None)`,
`httpx.Client(timeout=None)`, `aiohttp.ClientSession(timeout=None)`), an
`aiohttp.ClientTimeout()` without a total, and clients built without a timeout so
that every call on them has none: `redis.Redis(...)` without `socket_timeout`,
`smtplib.SMTP(host)` and `ftplib.FTP(host)` without `timeout`, `urllib3.PoolManager()`
without `timeout`. `subprocess.run/check_output/check_call/call` without `timeout`
is flagged inside request handlers, tasks and consumers, where a hung child holds
the worker.

It stays quiet when the timeout comes from elsewhere: `**kwargs` that may carry
it, a `connection_pool=` that carries the socket settings, the methods of a
client whose constructor is the place to set it (reported there), socket methods
(their timeout is `settimeout()`), a positional timeout (`urlopen(url, data, 10)`), a non-None expression
(`timeout=settings.HTTP_TIMEOUT`), `socket.setdefaulttimeout(...)` in the module
(for socket, urllib, smtplib and ftplib), a session whose requests get a default
timeout in the same module (an `HTTPAdapter` or `Session` subclass that sets one),
a Redis URL that names `socket_timeout`, and libraries whose default is finite
(httpx 5 s, aiohttp 300 s, boto3 60 s) unless it is switched off. Database
connects are left alone: their DSN usually comes from configuration and may carry
`connect_timeout`.

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
Calls that used to wait forever now fail with a timeout after that long.

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
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.knowledge.interfaces import interface_index
from sadpath.model import Applicability, FixOffer
from sadpath.engine.boundary import boundary_of
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
GLOBAL_DEFAULT_TIMEOUT = frozenset({"socket", "urllib", "smtplib", "ftplib"})
SUBPROCESS_CALLS = frozenset({"subprocess.run", "subprocess.check_output", "subprocess.check_call", "subprocess.call"})
REDIS_URL_FACTORIES = frozenset({"redis.from_url", "redis.Redis.from_url", "redis.asyncio.from_url", "redis.asyncio.Redis.from_url"})


class MissingTimeout(Rule):
    code = "SAD202"
    slug = "missing-timeout"
    summary = "A network call or client that can wait forever: no timeout, or `timeout=None`."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ('add_timeout',)

    def visit_Call(self, node: ast.Call, ctx: ModuleContext) -> None:
        qn = ctx.qualified_name(node.func)
        if qn == "aiohttp.ClientTimeout" or qn == "aiohttp.client.ClientTimeout":
            self._client_timeout(node, ctx)
            return
        index = interface_index(getattr(ctx.settings, "interfaces", ()))
        if qn is not None and qn in REDIS_URL_FACTORIES:
            self._redis_url(node, qn, ctx)
            return
        client = index.clients.get(index.client_type(qn)) if qn is not None and qn in index.clients else None
        if client is not None and client.timeout is not None:
            self._constructor(node, qn, client, ctx)
            return
        external = external_call(node, ctx)
        if external is None or external.interface.timeout is None:
            return
        timeout = external.interface.timeout
        if timeout.on != "call":
            return
        given = _keyword(node, timeout.param)
        if given is not None:
            if _is_none(given):
                self._report(ctx, node, given, f"`{_shown(node)}` passes `{timeout.param}=None`", external.interface.label, timeout.param, replace=True)
            return
        if timeout.default != "none" or _has_splat(node) or _positional(node, external.name if external.method is None else ""):
            return
        if external.method is not None and (timeout.client_param or external.interface.name == "socket"):
            return  # the client's own timeout applies (reported at its constructor); sockets use settimeout()
        if external.interface.name in GLOBAL_DEFAULT_TIMEOUT and _sets_default_timeout(ctx):
            return
        if external.interface.name == "subprocess":
            boundary = boundary_of(ctx)
            if boundary is None or boundary.kind == "main":
                return
        if external.interface.name == "requests" and external.method is not None and _session_has_default_timeout(ctx):
            return
        self._report(ctx, node, None, f"`{_shown(node)}` has no timeout", external.interface.label, timeout.param, replace=False)

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
        if _has_splat(node) or _positional(node, qn) or _keyword(node, "connection_pool") is not None:
            return  # a connection pool carries the socket settings
        if interface.name in GLOBAL_DEFAULT_TIMEOUT and _sets_default_timeout(ctx):
            return
        self._report(
            ctx, node, None, f"`{_shown(node)}` is built without `{param}`, so every call on it has none", interface.label, param, replace=False
        )

    def _redis_url(self, node: ast.Call, qn: str, ctx: ModuleContext) -> None:
        if _keyword(node, "socket_timeout") is not None or _has_splat(node) or not node.args:
            return
        url = node.args[0]
        if not (isinstance(url, ast.Constant) and isinstance(url.value, str)) or "socket_timeout" in url.value:
            return  # a URL from configuration may carry ?socket_timeout=...
        self._report(ctx, node, None, f"`{_shown(node)}` is built without `socket_timeout`, so every call on it has none", "redis", "socket_timeout", replace=False)

    def _client_timeout(self, node: ast.Call, ctx: ModuleContext) -> None:
        total = _keyword(node, "total")
        if node.args or _has_splat(node):
            return
        if total is None and not any(_keyword(node, p) is not None for p in ("sock_read", "sock_connect", "connect")):
            self._report(ctx, node, None, "`aiohttp.ClientTimeout()` without `total` sets no overall deadline", "aiohttp", "total", replace=False)
        elif total is not None and _is_none(total) and _keyword(node, "sock_read") is None:
            self._report(ctx, node, total, "`aiohttp.ClientTimeout(total=None)` sets no overall deadline", "aiohttp", "total", replace=True)

    def _report(self, ctx, node, value_node, what: str, label: str, param: str, replace: bool) -> None:
        seconds = ctx.settings.default_timeout
        shown_seconds = int(seconds) if float(seconds).is_integer() else seconds
        message = (
            f"{what} ({label}): if the other side stops answering, this waits forever and holds the thread or "
            f"worker that made the call. Pass `{param}={shown_seconds}` (seconds) or your own deadline."
        )
        title = f"Add `{param}={shown_seconds}`" if not replace else f"Replace `{param}=None` with `{param}={shown_seconds}`"
        fix = FixOffer("add_timeout", title, Applicability.UNSAFE, preferred=True)
        span = ctx.span(node)
        ctx.report(self, span, message, fixes=[fix], data={"param": param, "seconds": shown_seconds})


def _keyword(node: ast.Call, name: str) -> ast.AST | None:
    for keyword in node.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


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


def _sets_default_timeout(ctx: ModuleContext) -> bool:
    return _module_mentions(ctx, "setdefaulttimeout")


def _session_has_default_timeout(ctx: ModuleContext) -> bool:
    """An HTTPAdapter or Session subclass in the module that sets a timeout, or a partial() that binds one."""
    return ctx.fact("session-default-timeout", lambda: "timeout" in ctx.source.text and _session_defaults(ctx.tree))


def _module_mentions(ctx: ModuleContext, text: str) -> bool:
    return text in ctx.source.text


def _session_defaults(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases]
            if any(b.endswith(("HTTPAdapter", "Session")) for b in bases) and "timeout" in ast.unparse(node):
                return True
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("partial") and any(k.arg == "timeout" for k in node.keywords):
            return True
    return False
