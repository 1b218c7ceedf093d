"""Typed loader of the external-interface knowledge base (``interfaces/*.toml``).

Each table describes one client library:

* ``kind`` (http, database, cache, queue, cloud, process, socket, smtp, ftp, search) and a ``label``;
* ``functions``: qualified names of module-level calls that perform I/O;
* ``clients``: qualified names of client types whose ``methods`` perform I/O
  (``"*"`` means every public method), ``async_clients`` those whose methods are coroutines;
* ``factories``: calls that return a client (``boto3.client`` → ``botocore.client.BaseClient``);
* ``timeout``: the timeout parameter, its ``default`` (``none`` = can wait forever,
  ``finite``) and where it is given (``on`` = call, client or factory; ``client_param``
  for a client-wide setting);
* ``response``: for HTTP, how a status is checked and how the body is read;
* ``transaction``: commit/rollback method names and transaction contexts;
* ``modes``: failure mode → exception types that carry it (names from exceptions.toml);
* ``retryable``: the modes worth retrying;
* ``mode_requires``: modes raised only when the call asks for them, as mode → ``{keyword = "check",
  functions = [...]}``: the mode applies when the call passes ``keyword`` (with a value other than a literal
  ``False`` or ``None``), or is one of ``functions`` (``subprocess.run`` raises ``CalledProcessError`` only with
  ``check=True``, ``subprocess.check_call`` always); without a ``keyword``, only the ``functions`` raise it
  (named as qualified functions or as ``Client.method``: confluent-kafka's ``Consumer.poll()`` hands broker
  errors back in the message, its ``Consumer.commit()`` raises them).

Users extend it with ``[tool.sadpath.interfaces.<name>]`` tables of the same shape,
validated by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from functools import lru_cache
from typing import Any

from sadpath.knowledge import FAILURE_MODES, KNOWLEDGE_DIR, KnowledgeError, load_toml, exception_hierarchy

KINDS = frozenset({"http", "database", "cache", "queue", "cloud", "process", "socket", "smtp", "ftp", "search"})
TIMEOUT_DEFAULTS = frozenset({"none", "finite"})
TIMEOUT_PLACES = frozenset({"call", "client", "factory"})
_TOP_KEYS = {
    "kind", "label", "functions", "clients", "async_clients", "factories", "methods", "retryable",
    "timeout", "response", "transaction", "modes", "mode_requires",
}
_REQUIRES_KEYS = {"keyword", "functions"}
_TIMEOUT_KEYS = {"param", "default", "on", "client_param", "finite_from"}
_RESPONSE_KEYS = {"check_methods", "check_attrs", "body_methods", "body_attrs", "hooks", "raise_param"}
_TRANSACTION_KEYS = {"commit", "rollback", "contexts", "context_clients"}


@dataclass(frozen=True)
class Timeout:
    param: str
    default: str = "none"
    on: str = "call"
    client_param: str | None = None
    # ("redis", 8): the distribution whose releases from that major version on default to a finite timeout
    finite_from: tuple[str, int] | None = None


@dataclass(frozen=True)
class Response:
    check_methods: tuple[str, ...] = ()
    check_attrs: tuple[str, ...] = ()
    body_methods: tuple[str, ...] = ()
    body_attrs: tuple[str, ...] = ()
    hooks: tuple[str, ...] = ()
    raise_param: str | None = None


@dataclass(frozen=True)
class Transaction:
    commit: tuple[str, ...] = ()
    rollback: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()
    context_clients: bool = False


@dataclass(frozen=True)
class Interface:
    name: str
    kind: str
    label: str
    functions: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()
    async_clients: tuple[str, ...] = ()
    factories: tuple[tuple[str, str], ...] = ()
    methods: tuple[str, ...] = ()
    retryable: tuple[str, ...] = ()
    timeout: Timeout | None = None
    response: Response | None = None
    transaction: Transaction | None = None
    modes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    mode_requires: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (mode, keyword, functions that always raise it)

    def modes_of_call(self, call, qualified: str | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The modes this call can raise, given its arguments (see ``mode_requires``)."""
        if not self.mode_requires:
            return self.modes
        requires = {mode: (keyword, functions) for mode, keyword, functions in self.mode_requires}
        out = []
        for mode, exceptions in self.modes:
            needed = requires.get(mode)
            if needed is not None and qualified not in needed[1] and not _passes(call, needed[0]):
                continue
            out.append((mode, exceptions))
        return tuple(out)

    def mode_names(self) -> tuple[str, ...]:
        return tuple(mode for mode, _ in self.modes)

    def exceptions_for(self, mode: str) -> tuple[str, ...]:
        return dict(self.modes).get(mode, ())

    def performs_io(self, method: str) -> bool:
        if method.startswith("_"):
            return False
        return "*" in self.methods or method in self.methods


def _passes(call, keyword: str | None) -> bool:
    import ast

    if keyword is None:
        return False  # only the listed functions raise the mode
    for kw in getattr(call, "keywords", ()):
        if kw.arg == keyword:
            return not (isinstance(kw.value, ast.Constant) and kw.value.value in (False, None))
        if kw.arg is None:
            return True  # **kwargs may carry it
    return False


@dataclass
class InterfaceIndex:
    interfaces: dict[str, Interface] = field(default_factory=dict)
    functions: dict[str, Interface] = field(default_factory=dict)
    clients: dict[str, Interface] = field(default_factory=dict)
    factories: dict[str, str] = field(default_factory=dict)
    async_clients: frozenset[str] = frozenset()

    def add(self, interface: Interface) -> None:
        self.interfaces[interface.name] = interface
        for name in interface.functions:
            self.functions[name] = interface
        for name in interface.clients:
            self.clients[name] = interface
        for factory, client in interface.factories:
            self.factories[factory] = client
        self.async_clients = self.async_clients | frozenset(interface.async_clients)

    @cached_property
    def http_roots(self) -> frozenset[str]:
        """Top-level modules of the HTTP interfaces (a module that never names one has no HTTP response)."""
        names = [n for i in self.interfaces.values() if i.kind == "http" for n in (*i.functions, *i.clients, *i.async_clients)]
        names += [factory for factory, client in self.factories.items() if any(client in i.clients for i in self.interfaces.values() if i.kind == "http")]
        return frozenset(n.split(".")[0] for n in names)

    @cached_property
    def body_reads(self) -> frozenset[str]:
        """``.json``, ``.text``...: how any HTTP interface's response body is read."""
        return frozenset(f".{n}" for i in self.interfaces.values() if i.response for n in (*i.response.body_methods, *i.response.body_attrs))

    @cached_property
    def commit_names(self) -> frozenset[str]:
        return frozenset(n for i in self.interfaces.values() if i.transaction for n in i.transaction.commit)

    def client_type(self, type_name: str | None) -> str | None:
        """The client type a receiver has, following factories (``boto3.client`` → its client type)."""
        if type_name is None:
            return None
        return self.factories.get(type_name, type_name)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KnowledgeError(f"{where}: expected a list of strings")
    return tuple(value)


def _table(value: Any, where: str, allowed: set[str]) -> dict:
    if not isinstance(value, dict):
        raise KnowledgeError(f"{where}: expected a table")
    unknown = set(value) - allowed
    if unknown:
        raise KnowledgeError(f"{where}: unknown key(s) {sorted(unknown)}")
    return value


def parse_interface(name: str, data: Any, origin: str) -> Interface:
    """Validate one interface table; a malformed one is a KnowledgeError naming the file and key."""
    where = f"{origin}: interfaces.{name}"
    data = _table(data, where, _TOP_KEYS)
    kind = data.get("kind")
    if kind not in KINDS:
        raise KnowledgeError(f"{where}.kind: expected one of {sorted(KINDS)}, got {kind!r}")
    label = data.get("label", name)
    if not isinstance(label, str):
        raise KnowledgeError(f"{where}.label: expected a string")
    lists = {key: _strings(data.get(key, []), f"{where}.{key}") for key in ("functions", "clients", "async_clients", "methods", "retryable")}
    factories_raw = data.get("factories", {})
    if not isinstance(factories_raw, dict) or not all(isinstance(v, str) for v in factories_raw.values()):
        raise KnowledgeError(f"{where}.factories: expected a table of call = client type")
    hierarchy = exception_hierarchy()
    modes_raw = _table(data.get("modes", {}), f"{where}.modes", set(FAILURE_MODES))
    modes = []
    for mode, names in modes_raw.items():
        exceptions = _strings(names, f"{where}.modes.{mode}")
        for exc in exceptions:
            if not hierarchy.is_known(exc):
                raise KnowledgeError(f"{where}.modes.{mode}: unknown exception type {exc!r} (add it to exceptions.toml)")
        modes.append((mode, exceptions))
    requires = []
    for mode, raw in _table(data.get("mode_requires", {}), f"{where}.mode_requires", set(dict(modes))).items():
        raw = _table(raw, f"{where}.mode_requires.{mode}", _REQUIRES_KEYS)
        if not isinstance(raw.get("keyword"), str) and not raw.get("functions"):
            raise KnowledgeError(f"{where}.mode_requires.{mode}: expected a keyword (a string) or functions")
        if "keyword" in raw and not isinstance(raw["keyword"], str):
            raise KnowledgeError(f"{where}.mode_requires.{mode}.keyword: expected a string")
        requires.append((mode, raw.get("keyword"), _strings(raw.get("functions", []), f"{where}.mode_requires.{mode}.functions")))
    unknown_retry = set(lists["retryable"]) - FAILURE_MODES
    if unknown_retry:
        raise KnowledgeError(f"{where}.retryable: unknown mode(s) {sorted(unknown_retry)}")
    timeout = None
    if "timeout" in data:
        raw = _table(data["timeout"], f"{where}.timeout", _TIMEOUT_KEYS)
        if not isinstance(raw.get("param"), str):
            raise KnowledgeError(f"{where}.timeout.param: expected a string")
        if raw.get("default", "none") not in TIMEOUT_DEFAULTS:
            raise KnowledgeError(f"{where}.timeout.default: expected 'none' or 'finite'")
        if raw.get("on", "call") not in TIMEOUT_PLACES:
            raise KnowledgeError(f"{where}.timeout.on: expected one of {sorted(TIMEOUT_PLACES)}")
        finite_from = raw.get("finite_from")
        if finite_from is not None and not (isinstance(finite_from, str) and len(finite_from.split()) == 2 and finite_from.split()[1].isdigit()):
            raise KnowledgeError(f"{where}.timeout.finite_from: expected 'distribution MAJOR', such as 'redis 8'")
        timeout = Timeout(
            raw["param"], raw.get("default", "none"), raw.get("on", "call"), raw.get("client_param"),
            (finite_from.split()[0], int(finite_from.split()[1])) if finite_from is not None else None,
        )
    response = None
    if "response" in data:
        raw = _table(data["response"], f"{where}.response", _RESPONSE_KEYS)
        response = Response(
            **{k: _strings(raw.get(k, []), f"{where}.response.{k}") for k in _RESPONSE_KEYS - {"raise_param"}},
            raise_param=raw.get("raise_param"),
        )
    transaction = None
    if "transaction" in data:
        raw = _table(data["transaction"], f"{where}.transaction", _TRANSACTION_KEYS)
        transaction = Transaction(
            commit=_strings(raw.get("commit", []), f"{where}.transaction.commit"),
            rollback=_strings(raw.get("rollback", []), f"{where}.transaction.rollback"),
            contexts=_strings(raw.get("contexts", []), f"{where}.transaction.contexts"),
            context_clients=bool(raw.get("context_clients", False)),
        )
    return Interface(
        name=name,
        kind=kind,
        label=label,
        functions=lists["functions"],
        clients=lists["clients"],
        async_clients=lists["async_clients"],
        factories=tuple(sorted(factories_raw.items())),
        methods=lists["methods"],
        retryable=lists["retryable"],
        timeout=timeout,
        response=response,
        transaction=transaction,
        modes=tuple(modes),
        mode_requires=tuple(requires),
    )


@lru_cache(maxsize=1)
def builtin_interfaces() -> tuple[Interface, ...]:
    found = []
    for path in sorted((KNOWLEDGE_DIR / "interfaces").glob("*.toml")):
        for name, table in load_toml(path).items():
            found.append(parse_interface(name, table, str(path)))
    return tuple(found)


@lru_cache(maxsize=32)
def interface_index(extra: tuple[Interface, ...] = ()) -> InterfaceIndex:
    """The built-in interfaces plus a configuration's own (which win on a name clash)."""
    index = InterfaceIndex()
    for interface in (*builtin_interfaces(), *extra):
        index.add(interface)
    return index
