"""Which domain errors a module raises: the one place every translating fix asks.

A domain error is named after the service that failed, never after the module that calls it:

* the service: a declared contract's own error names first; then what the rule saw at the call (the client
  class ``PaymentGatewayClient``, the client attribute ``self.ledger``, the URL's host or ``PAYSTREAM_URL``);
  else the interface's kind (``OrdersDatabase`` for SQLAlchemy in the ``orders_service`` package, ``Cache``
  for redis, ``MessageBroker``, ``Mail``, ``RemoteService`` for an HTTP call to an unnamed host);
* reused when the module has one already: a class it defines, or a name it imports from its own project
  (``from orders_service.errors import PaymentError``), matched on the service's words and the mode's
  suffix (``...Unavailable``, ``...Timeout``);
* otherwise defined: the base ``<Service>Error(Exception)`` first, then one subclass per mode, each with the
  HTTP status to answer with (``status``, or the attribute the module's own errors use, ``status_code``).

``DomainErrors(req, additions)`` answers ``base(service)`` and ``for_mode(service, mode)``, and adds the class
definitions the answers need to ``additions``.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass

from sadpath import knowledge
from sadpath.fixes.additions import FIRST_PARTY, ModuleAdditions, import_group, outer_package
from sadpath.fixes.request import FixRequest
from sadpath.files import read_text

_CLASS_SUFFIXES = ("Client", "Service", "Adapter", "Api", "API", "Wrapper", "Session", "Connector", "Gateway")
_ERROR_ENDINGS = ("Error", "Exception", "Failure", "Failed")
KIND_STEMS = {
    "database": "Database",
    "cache": "Cache",
    "search": "Search",
    "queue": "MessageBroker",
    "cloud": "Cloud",
    "process": "Command",
    "socket": "Remote",
    "smtp": "Mail",
    "ftp": "Ftp",
    "http": "RemoteService",
}
_PROJECT_KINDS = ("database", "cache")  # named after the project: OrdersDatabase, OrdersCache
_GENERIC_PACKAGE_WORDS = {"service", "services", "app", "api", "server", "backend", "core", "src", "lib"}
STATUS_ATTRIBUTES = ("status_code", "http_status", "status")
_GENERIC_RECEIVERS = frozenset(
    {"session", "client", "http", "conn", "connection", "api", "db", "cursor", "cur", "pool", "sock", "resp", "response", "item", "obj"}
)


def words(name: str) -> list[str]:
    return re.findall(r"[A-Z]+[0-9]*(?![a-z])|[A-Z]?[a-z0-9]+", name)


def camel(text: str) -> str:
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", text) if p]
    return "".join(p[:1].upper() + p[1:] for p in parts)


def phrase(stem: str) -> str:
    """``OrdersDatabase`` -> "orders database", ``S3`` -> "S3"."""
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words(stem)) or "the service"


def module_stem(path: str) -> str:
    base = os.path.basename(path)
    stem = base[:-3] if base.endswith(".py") else base
    if stem == "__init__":
        stem = os.path.basename(os.path.dirname(os.path.abspath(path)))
    return stem


def project_stem(path: str) -> str:
    """``Orders`` for a file in the ``orders_service`` package; "" outside a package."""
    _, package = outer_package(os.path.dirname(os.path.abspath(path)))
    if not package:
        return ""
    kept = [w for w in re.split(r"[^A-Za-z0-9]+", package) if w and w.lower() not in _GENERIC_PACKAGE_WORDS]
    return camel("_".join(kept))


def strip_class_suffix(name: str) -> str:
    name = name.lstrip("_")
    for suffix in _CLASS_SUFFIXES:
        if name.endswith(suffix) and name != suffix:
            return name[: -len(suffix)] if suffix != "Gateway" else name
    return name


@dataclass(frozen=True)
class KnownError:
    name: str
    bases: tuple[str, ...]
    defined_here: bool
    status_attribute: str | None = None


class DomainErrors:
    def __init__(self, req: FixRequest, additions: ModuleAdditions) -> None:
        self.req = req
        self.additions = additions
        self.known: dict[str, KnownError] = {}
        self._scan()

    # ---- what the module has

    def _scan(self) -> None:
        tree = self.req.tree
        defined = {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
        exceptions: set[str] = set()
        changed = True
        while changed:  # classes deriving (through the module's own classes) from an exception
            changed = False
            for name, cls in defined.items():
                if name in exceptions:
                    continue
                bases = [_base_name(b) for b in cls.bases]
                if any(b in exceptions or (b or "").endswith(_ERROR_ENDINGS) or b in ("Exception", "RuntimeError") for b in bases):
                    exceptions.add(name)
                    changed = True
        for name in exceptions:
            cls = defined[name]
            self.known[name] = KnownError(name, tuple(b for b in map(_base_name, cls.bases) if b), True, _status_attribute(cls))
        for stmt in tree.body:
            if not isinstance(stmt, ast.ImportFrom):
                continue
            if import_group(stmt.module or "", stmt.level, self.req.source.path) != FIRST_PARTY:
                continue
            classes = _project_classes(self.req.source.path, stmt.module or "", stmt.level)
            for alias in stmt.names:
                bound = alias.asname or alias.name
                if bound[:1].isupper() and _looks_like_error(bound) and bound not in self.known:
                    cls = classes.get(alias.name)
                    bases = tuple(b for b in map(_base_name, cls.bases) if b) if cls is not None else ()
                    attribute = _family_status_attribute(alias.name, classes)
                    self.known[bound] = KnownError(bound, bases, False, attribute)

    # ---- the service

    def service(self, proposed: str | None = None, label: str | None = None, try_body: list[ast.stmt] | None = None) -> str:
        """The stem errors are named after: ``PaymentGateway``, ``OrdersDatabase``, ``Paystream``."""
        stem = self._proposed_stem(proposed)
        other = self._stem_from_body(try_body) if try_body else ""
        kind = interface_kind(label)
        if not other and kind == "process":
            other = self._program()  # subprocess.run(["git", ...]) -> Git
        if not other and kind is not None:
            other = self._kind_stem(kind, label)
        if stem and proposed in self.known and other and not _shared(proposed or "", other):
            stem = ""  # the module's error for something else: not this service's
        if stem:
            return stem
        if other:
            return other
        func = self.req.enclosing_function(self.req.finding.span.line)
        if func is not None:
            return camel(func.name.strip("_")) or "Operation"
        return "Operation"

    def _proposed_stem(self, proposed: str | None) -> str:
        if not proposed or not proposed.isidentifier():
            return ""
        stem = proposed[: -len("Error")] if proposed.endswith("Error") else proposed
        stem = strip_class_suffix(stem)
        module = module_stem(self.req.source.path)
        if not stem or stem in ("Service", "Operation") or stem.lower() == camel(module).lower() or stem.lower() == module.replace("_", "").lower():
            return ""  # named after the calling module: not a service
        if proposed in self.known:
            return stem
        return stem

    def _program(self) -> str:
        """The program a subprocess call at the finding runs (``["git", "push"]`` -> ``Git``), if it says."""
        span = self.req.finding.span
        for node in ast.walk(self.req.tree):
            if isinstance(node, ast.Call) and node.lineno == span.line and node.args:
                first = node.args[0]
                if isinstance(first, (ast.List, ast.Tuple)) and first.elts:
                    first = first.elts[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.strip():
                    program = os.path.basename(first.value.split()[0])
                    stem = camel(program.rsplit(".", 1)[0])
                    if stem and stem[0].isalpha():
                        return stem
        return ""

    def _kind_stem(self, kind: str, label: str | None) -> str:
        if kind == "http" and label and label[:1].isupper():
            return camel(label)  # a service SDK: Stripe
        if kind == "search" and label:
            return camel(label)
        stem = KIND_STEMS.get(kind, "RemoteService")
        if kind in _PROJECT_KINDS:
            return project_stem(self.req.source.path) + stem
        return stem

    def _stem_from_body(self, body: list[ast.stmt]) -> str:
        for stmt in body:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Call):
                    named = url_stem(node)
                    if named:
                        return named  # requests.post(f"{LOYALTY_URL}/picks") -> Loyalty
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                    continue
                receiver = node.func.value
                if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) and receiver.value.id == "self":
                    name = receiver.attr.lstrip("_")
                    if name not in _GENERIC_RECEIVERS:
                        return camel(name)
                    owner = self._enclosing_class()
                    if owner:
                        return strip_class_suffix(owner)
                if isinstance(receiver, ast.Name) and receiver.id.lstrip("_") not in _GENERIC_RECEIVERS and len(receiver.id) > 2:
                    if receiver.id not in ("self", "cls") and not receiver.id[:1].isupper() and receiver.id not in self._modules():
                        return strip_class_suffix(camel(receiver.id.lstrip("_")))  # gateway.cancel() -> Gateway
        return ""

    def _modules(self) -> set[str]:
        """Names the module binds by importing (``requests.get`` names a library, not a service)."""
        return {(a.asname or a.name).split(".")[0] for s in self.req.tree.body if isinstance(s, (ast.Import, ast.ImportFrom)) for a in s.names}

    def _enclosing_class(self) -> str | None:
        line = self.req.finding.span.line
        for stmt in self.req.tree.body:
            if isinstance(stmt, ast.ClassDef) and stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno):
                return stmt.name
        return None

    # ---- the names

    def base(self, service: str, define: bool = True, plain: bool = False) -> str:
        """The service's root error: reused when the module has one, else defined (``define=False``: only
        named; ``plain``: a class with no status to answer with, for an error raised without a cause that no
        route answers)."""
        exact = f"{service}Error"
        if exact in self.known:
            return exact
        candidates = [k for k in self.known.values() if k.name.endswith(_ERROR_ENDINGS) and _shared(k.name, service)]
        if candidates:
            best = max(candidates, key=lambda k: (_shared(k.name, service), -len(words(k.name))))
            return best.name
        if define and plain and exact not in self.known:
            self.additions.define(f'class {exact}(Exception):\n    """{phrase(service)[:1].upper() + phrase(service)[1:]} failed."""\n')
            self.known[exact] = KnownError(exact, ("Exception",), True, self._status_attribute("Exception"))
        elif define:
            self._define(exact, "Exception", 502, f"{phrase(service)[:1].upper() + phrase(service)[1:]} failed")
        return exact

    def for_mode(self, service: str, mode: str) -> str:
        known_mode = knowledge.modes().get(mode)
        suffix, status = (known_mode.error, known_mode.status) if known_mode is not None else ("Error", 502)
        declared = self._declared(mode)
        if declared is not None:
            return declared
        exact = f"{service}{suffix}"
        if exact in self.known:
            return exact
        candidates = [k for k in self.known.values() if k.name.endswith(suffix) and _shared(k.name, service)]
        if candidates:
            return max(candidates, key=lambda k: _shared(k.name, service)).name
        base = self.base(service)
        if exact == base:
            return base
        self._define(exact, base, status, None)
        return exact

    def _declared(self, mode: str) -> str | None:
        """The error the contract of this finding (SAD301) declares for ``mode``."""
        contract_name = self.req.finding.data.get("contract")
        for contract in self.req.settings.contracts:
            if contract.name != contract_name:
                continue
            for declared_mode, strategy in contract.modes:
                if declared_mode == mode and strategy.error:
                    self.ensure(strategy.error, strategy.status)
                    return strategy.error
        return None

    def ensure(self, name: str, status: int | None) -> None:
        """A declared error the module must have: imported or defined already, else defined here."""
        if name in self.known or "." in name:
            return
        self._define(name, "Exception", status, None, bare=status is None)

    def _define(self, name: str, base: str, status: int | None, doc: str | None, bare: bool = False) -> None:
        if name in self.known:
            return
        attribute = self._status_attribute(base)
        lines = [f"class {name}({base}):"]
        if doc:
            lines.append(f'    """{doc}; ``{attribute}`` is the HTTP status to answer with, the cause is ``__cause__``."""')
            lines.append("")
        elif base == "Exception":
            lines.append('    """A failure the resilience contract names; the cause is ``__cause__``."""')
            lines.append("")
        lines.append("    pass" if bare else f"    {attribute} = {status if status is not None else 502}")
        self.additions.define("\n".join(lines) + "\n")
        self.known[name] = KnownError(name, (base,), True, attribute)

    def status_attribute(self, name: str) -> str:
        """The attribute of ``name`` (or of its nearest known base) that holds the HTTP status to answer with."""
        return self._status_attribute(name)

    def lineage(self, name: str) -> list[str]:
        """``name`` and its known bases, nearest first."""
        found: list[str] = []
        current = name
        while current and current not in found:
            found.append(current)
            known = self.known.get(current)
            current = known.bases[0] if known is not None and known.bases else ""
        return found

    def _status_attribute(self, base: str) -> str:
        seen: set[str] = set()
        current = base
        while current in self.known and current not in seen:
            seen.add(current)
            known = self.known[current]
            if known.status_attribute:
                return known.status_attribute
            current = known.bases[0] if known.bases else ""
        return "status"


def caught_label(req: FixRequest, handler: ast.ExceptHandler) -> str | None:
    """The interface whose errors a handler catches (``redis.RedisError`` -> redis), or whose client the ``try``
    calls when it catches something broad: the service that failed, known from the interface."""
    from sadpath.engine.semantic import SemanticModel
    from sadpath.fixes.failure_context import called_interface
    from sadpath.knowledge.interfaces import builtin_interfaces

    semantic = SemanticModel(req.tree)
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type] if handler.type is not None else []
    roots = set()
    for expr in types:
        qualified = semantic.qualified_name(expr)
        if qualified and "." in qualified:
            roots.add(qualified.split(".", 1)[0])
    for interface in builtin_interfaces():
        names = (*interface.functions, *interface.clients, *(e for _, excs in interface.modes for e in excs))
        if any(n.split(".", 1)[0] in roots for n in names):
            return interface.label
    return called_interface(req, handler)


_URL_SUFFIXES = ("_URL", "_URI", "_ENDPOINT", "_HOST", "_BASE_URL", "_API")
_GENERIC_HOST_LABELS = {"api", "www", "http", "https", "localhost", "internal", "svc", "service", "app", "example"}


def url_stem(call: ast.Call) -> str:
    """The service a call's URL names: its host (``https://payments.example.com`` -> ``Payments``) or the
    constant it is built from (``LOYALTY_URL`` -> ``Loyalty``)."""
    candidates = [*call.args[:1], *(k.value for k in call.keywords if k.arg in ("url", "endpoint"))]
    for arg in candidates:
        found = _url_expression(arg)
        if found:
            return found
    return ""


def _url_expression(expr: ast.AST) -> str:
    if isinstance(expr, ast.JoinedStr) and expr.values:
        head = expr.values[0]
        if isinstance(head, ast.FormattedValue):
            return _url_expression(head.value)
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            return _host_stem("".join(v.value for v in expr.values if isinstance(v, ast.Constant) and isinstance(v.value, str)))
        return ""
    if isinstance(expr, ast.BinOp):
        return _url_expression(expr.left)
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return _host_stem(expr.value)
    if isinstance(expr, (ast.Name, ast.Attribute)):
        name = expr.id if isinstance(expr, ast.Name) else expr.attr
        for suffix in _URL_SUFFIXES:
            if name.upper().endswith(suffix) and len(name) > len(suffix):
                return camel(name[: -len(suffix)].lower())
    return ""


def _host_stem(url: str) -> str:
    if "://" not in url:
        return ""
    from urllib.parse import urlparse

    try:
        host = urlparse(url).hostname or ""
    except ValueError:
        return ""
    for label in host.split("."):
        if label and label not in _GENERIC_HOST_LABELS and not label.isdigit() and label.isidentifier():
            return camel(label)
    return ""


def interface_kind(label: str | None) -> str | None:
    if not label:
        return None
    from sadpath.knowledge.interfaces import builtin_interfaces

    for interface in builtin_interfaces():
        if label in (interface.label, interface.name):
            return interface.kind
    return None


def _base_name(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return None


def _status_attribute(cls: ast.ClassDef) -> str | None:
    for stmt in cls.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name) and target.id in STATUS_ATTRIBUTES:
                return target.id
    return None


def _project_classes(path: str, module: str, level: int) -> dict[str, ast.ClassDef]:
    """The top-level classes of a first-party module, read from its file (never imported)."""
    directory = os.path.dirname(os.path.abspath(path))
    if level:
        base = directory
        for _ in range(level - 1):
            base = os.path.dirname(base)
    else:
        base = directory
        while os.path.isfile(os.path.join(base, "__init__.py")):
            base = os.path.dirname(base)
    parts = [p for p in module.split(".") if p]
    candidates = [os.path.join(base, *parts) + ".py", os.path.join(base, *parts, "__init__.py")]
    for candidate in candidates:
        try:
            tree = ast.parse(read_text(candidate, limit=500_000))
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError, RecursionError):
            continue
        return {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
    return {}


def _family_status_attribute(name: str, classes: dict[str, ast.ClassDef]) -> str | None:
    seen: set[str] = set()
    current: str | None = name
    while current and current in classes and current not in seen:
        seen.add(current)
        attribute = _status_attribute(classes[current])
        if attribute:
            return attribute
        bases = [b for b in map(_base_name, classes[current].bases) if b]
        current = bases[0] if bases else None
    return None


def _looks_like_error(name: str) -> bool:
    endings = _ERROR_ENDINGS + tuple(m.error for m in knowledge.modes().values()) + ("NotFound", "Declined", "Unavailable")
    return name.endswith(endings)


def _shared(name: str, service: str) -> int:
    """How many of the service's words the error's name starts with or contains (case-blind)."""
    mine = [w.lower() for w in words(name)]
    theirs = [w.lower() for w in words(service)]
    return sum(1 for w in theirs if w in mine)
