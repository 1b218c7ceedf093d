"""What a generated handler says about the failure: the operation, the external service, a correlation id."""

from __future__ import annotations

import ast
import functools
import os
import re
from dataclasses import dataclass

import libcst as cst

from sadpath.engine.naming import words
from sadpath.engine.semantic import SemanticModel
from sadpath.fixes.additions import ModuleAdditions
from sadpath.fixes.request import FixRequest, py_string

GENERIC_RECEIVERS = frozenset({"session", "client", "http", "conn", "connection", "api", "db", "cursor", "cur", "pool"})
_CLASS_SUFFIXES = ("Client", "Service", "Adapter", "Api", "API", "Wrapper", "Session", "Repository")
CORRELATION_NAMES = ("correlation_id", "request_id", "trace_id", "x_request_id", "cid")


@dataclass(frozen=True)
class FailureContext:
    operation: str
    service: str | None
    correlation: str | None
    in_scope: frozenset[str]


def failure_context(req: FixRequest, handler: ast.ExceptHandler | None, line: int | None = None) -> FailureContext:
    """What is known at a handler (or, without one, at ``line``: for code a fix is about to wrap in a ``try``)."""
    func = req.enclosing_function(handler.lineno if handler is not None else (line or req.finding.span.line))
    operation = func.name if func is not None else "module initialisation"
    semantic = SemanticModel(req.tree)
    scopes: list[ast.AST] = [req.tree] + _classes_around(req.tree, func) + ([func] if func is not None else [])
    names: set[str] = set()
    for scope_node in scopes:
        scope = semantic.scope(scope_node)
        names |= scope.locals | set(scope.types) | set(scope.imports)
    callables = {s.name for s in req.tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    correlation = next((n for n in CORRELATION_NAMES if n in names and n not in callables), None)
    service = None
    try_node = _try_of(req.tree, handler) if handler is not None else None
    if try_node is not None:
        service = _service_of(try_node, semantic, scopes)
    return FailureContext(operation, service, correlation, frozenset(names))


def _classes_around(tree: ast.Module, func: ast.AST | None) -> list[ast.AST]:
    if func is None:
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and func in node.body:
            return [node]
    return []


def _enclosing_class(node: ast.AST, scopes: list[ast.AST]) -> str | None:
    for scope in scopes:
        if isinstance(scope, ast.ClassDef):
            name = scope.name
            for suffix in _CLASS_SUFFIXES:
                if name.endswith(suffix) and name != suffix:
                    name = name[: -len(suffix)]
                    break
            words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name)
            return " ".join(w.lower() for w in words) or None
    return None


def _try_of(tree: ast.Module, handler: ast.ExceptHandler) -> ast.Try | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and handler in node.handlers:
            return node
    return None


def _service_of(try_node: ast.Try, semantic: SemanticModel, scopes: list[ast.AST]) -> str | None:
    for stmt in try_node.body:
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            receiver = node.func.value
            if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) and receiver.value.id == "self":
                name = receiver.attr.lstrip("_")
                if name not in GENERIC_RECEIVERS:
                    return name
                owner = _enclosing_class(try_node, scopes)
                if owner is not None:
                    return owner  # self.session in PaymentGatewayClient -> "payment gateway"
            label = _interface_label(semantic.type_of(receiver, scopes), semantic.qualified_name(node.func, scopes))
            if label is not None:
                return label  # known from the interface, never guessed from an import
    return None


def called_interface(req: FixRequest, handler: ast.ExceptHandler) -> str | None:
    """The label of the first interface the handler's ``try`` calls (an HTTP library included)."""
    semantic = SemanticModel(req.tree)
    func = req.enclosing_function(handler.lineno)
    scopes: list[ast.AST] = [req.tree] + _classes_around(req.tree, func) + ([func] if func is not None else [])
    try_node = _try_of(req.tree, handler)
    for stmt in try_node.body if try_node is not None else []:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
                label = _interface_label(
                    semantic.type_of(receiver, scopes) if receiver is not None else None,
                    semantic.qualified_name(node.func, scopes),
                    any_kind=True,
                )
                if label is not None:
                    return label
    return None


def _interface_label(receiver_type: str | None, qualified: str | None, any_kind: bool = False) -> str | None:
    from sadpath.knowledge.interfaces import interface_index

    index = interface_index()
    interface = None
    if receiver_type and receiver_type in index.clients:
        interface = index.clients[receiver_type]
    elif qualified and qualified in index.functions:
        interface = index.functions[qualified]
    elif qualified and "." in qualified and qualified.rsplit(".", 1)[0] in index.clients:
        interface = index.clients[qualified.rsplit(".", 1)[0]]
    if interface is None or (not any_kind and interface.kind == "http" and not interface.label[:1].isupper()):
        return None  # an HTTP library names no service (Stripe does)
    return interface.label


def field_value(req: FixRequest, context: FailureContext, name: str, additions: ModuleAdditions | None = None) -> str | None:
    """An expression for the log field ``name`` at the handler, or None when nothing gives one: a name in scope
    (a parameter, a local, a module-level name), a ``current_<name>()`` or ``get_<name>()`` the module can call,
    the expression the module's other log calls already use for ``"<name>": ...``, or (with ``additions``, which
    then gets the import) the project function the modules beside it call for it (``current_correlation_id()``
    from ``orders_service.context``)."""
    tree = req.module_tree or req.tree
    callables = {s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    if name in context.in_scope and name not in callables:
        return name  # (a module-level function of that name is no value: ``Depends(correlation_id)``)
    for prefix in ("current_", "get_"):
        if f"{prefix}{name}" in context.in_scope:
            return f"{prefix}{name}()"
    module_names = _module_names(tree)
    visible = module_names | set(context.in_scope)
    func = req.enclosing_function(req.finding.span.line)
    here = {id(n) for n in ast.walk(func)} if func is not None else set()
    found: list[tuple[bool, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and key.value == name and value is not None:
                free = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
                local = id(node) in here
                if free and free <= visible and len(ast.unparse(value)) <= 60:  # its names mean something here too
                    if not (isinstance(value, ast.Name) and value.id in callables):
                        found.append((local, ast.unparse(value)))
    if found:
        return max(found, key=lambda f: f[0])[1]  # what this function already uses, else what the module does
    if additions is not None:
        found = project_convention(req.source.path, name)
        if found is not None:
            module, function = found
            if function in context.in_scope or function in module_names:
                return None  # the name means something else here
            additions.add_import(module, function)
            return f"{function}()"
    return None


_SIBLINGS = 60


def project_convention(path: str, name: str) -> tuple[str, str] | None:
    """``(module, function)`` when the Python files beside ``path`` log the field ``name`` as ``"<name>": f()``
    with ``f`` imported from a first-party module (``from orders_service.context import current_correlation_id``):
    the project's one way of getting that value. Files are read, never imported."""
    from sadpath.files import read_text
    from sadpath.fixes.additions import FIRST_PARTY, import_group

    directory = os.path.dirname(os.path.abspath(path))
    try:
        entries = sorted(e for e in os.listdir(directory) if e.endswith(".py"))[:_SIBLINGS]
    except OSError:
        return None
    seen: dict[tuple[str, str], int] = {}
    for entry in entries:
        other = os.path.join(directory, entry)
        if os.path.abspath(other) == os.path.abspath(path):
            continue
        try:
            text = read_text(other, limit=400_000)
            if f'"{name}"' not in text and f"'{name}'" not in text:
                continue
            tree = ast.parse(text)
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError, RecursionError):
            continue
        imported = {}
        for stmt in tree.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module and import_group(stmt.module, stmt.level, other) == FIRST_PARTY and not stmt.level:
                for alias in stmt.names:
                    imported[alias.asname or alias.name] = (stmt.module, alias.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if (
                        isinstance(key, ast.Constant) and key.value == name and isinstance(value, ast.Call)
                        and isinstance(value.func, ast.Name) and not value.args and not value.keywords
                        and value.func.id in imported and imported[value.func.id][1] == value.func.id
                    ):
                        seen[imported[value.func.id]] = seen.get(imported[value.func.id], 0) + 1
    if len(seen) != 1:
        return None  # none, or more than one way: not a convention
    return next(iter(seen))


def _module_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(stmt.name)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in stmt.names}
        elif isinstance(stmt, ast.Assign):
            names |= {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    return names


def log_fields(
    req: FixRequest, context: FailureContext, service_known: bool = True, additions: ModuleAdditions | None = None,
    call=None,
) -> list[tuple[str, str]]:
    """The structured fields a generated or extended log record (``call``, when one exists) carries, as (key,
    expression): where the project puts ``extra=`` in its log calls and the call carries no fields of its own,
    the operation, the service when it is known from the interface and a correlation id; and every
    ``required-log-fields`` entry with a value in scope that the call lacks. A required field without one is left
    out and named in ``req.notes``."""
    fields: list[tuple[str, str]] = []
    carried = _carried_keys(call)
    vocabulary = extra_keys(req) if not carried else None  # (a call with fields of its own keeps them)
    if vocabulary is not None:  # the project's log calls carry ``extra=``: only the keys it uses itself
        if _known("operation", vocabulary):
            fields.append(("operation", py_string(context.operation)))
        if context.service and service_known and _known("service", vocabulary):
            fields.append(("service", py_string(context.service)))
        if context.correlation and "correlation_id" not in req.settings.required_log_fields and _known("correlation_id", vocabulary):
            fields.append(("correlation_id", context.correlation))
    keys = {k for k, _ in fields} | carried
    return fields + required_fields(req, context, keys, additions)


def _carried_keys(call) -> set[str]:
    """The keys a log call's ``extra={...}`` (or structlog keywords) already carries."""
    if call is None:
        return set()
    keys: set[str] = set()
    for arg in call.args:
        if arg.keyword is None:
            continue
        if arg.keyword.value == "extra":
            elements = getattr(arg.value, "elements", [])
            keys |= {el.key.evaluated_value for el in elements if isinstance(getattr(el, "key", None), cst.SimpleString)}
            if not elements:
                keys.add("extra")  # ``extra=ctx``: what it carries is the caller's business
    return keys


# a log call that passes ``extra=`` (one level of nested parentheses in its arguments)
_EXTRA_CALL = re.compile(r"\b(?:log|logger|LOG|LOGGER|_log|_logger|app_log|logging|self\.log|self\.logger)\.\w+\((?:[^()]|\([^()]*\))*?\bextra\s*=", re.S)


def uses_extra(req: FixRequest) -> bool:
    """The project writes structured fields into its log calls: structlog, or ``extra=`` in a log call of this
    module or of a module beside it (the package)."""
    return extra_keys(req) is not None


# the keys of a project that logs with structlog: its keyword fields are free-form
ANY_KEY = frozenset({"*"})


def extra_keys(req: FixRequest) -> frozenset[str] | None:
    """The keys the project's own ``extra={...}`` log calls use (this module and the modules beside it), ANY_KEY
    for structlog, whose keyword fields are free-form; None when the project writes no structured fields."""
    if "structlog" in req.source.text:
        return ANY_KEY
    path = req.source.path
    own = _extra_keys_in(req.source.text)
    beside = _package_extra_keys(os.path.dirname(os.path.abspath(path))) if path else None
    if own is None and beside is None:
        return None
    return frozenset((own or set()) | (beside or set()))


def _known(key: str, vocabulary: frozenset[str]) -> bool:
    """A generated field goes only under a key the project's own records use (``service="store"`` in a project
    whose records carry ``send_to_api`` would be a key nothing reads)."""
    return vocabulary is ANY_KEY or key in vocabulary


_EXTRA_KEY = re.compile(r"""\bextra\s*=\s*\{([^{}]*)\}""", re.S)
_DICT_KEY = re.compile(r"""["']([A-Za-z_][\w.]*)["']\s*:""")


def _extra_keys_in(text: str) -> set[str] | None:
    """The keys of the ``extra={...}`` dicts of the text's log calls; None when no log call passes ``extra=``."""
    if "extra" not in text or not _EXTRA_CALL.search(text):
        return None
    return {key for block in _EXTRA_KEY.findall(text) for key in _DICT_KEY.findall(block)}


@functools.lru_cache(maxsize=256)
def _package_extra_keys(directory: str) -> frozenset[str] | None:
    from sadpath.files import read_text

    try:
        entries = sorted(e for e in os.listdir(directory) if e.endswith(".py"))[:_SIBLINGS]
    except OSError:
        return None
    found: set[str] | None = None
    for entry in entries:
        try:
            text = read_text(os.path.join(directory, entry), limit=400_000)
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        keys = _extra_keys_in(text)
        if keys is not None:
            found = (found or set()) | keys
    return frozenset(found) if found is not None else None


def required_fields(req: FixRequest, context: FailureContext, present: set[str], additions: ModuleAdditions | None = None) -> list[tuple[str, str]]:
    """The ``required-log-fields`` entries not in ``present`` that have a value here, as (key, expression); each
    one without a value is named in ``req.notes`` instead (SAD105 keeps reporting it)."""
    fields: list[tuple[str, str]] = []
    for name in req.settings.required_log_fields:
        if name in present or any(name == key for key, _ in fields):
            continue
        value = field_value(req, context, name, additions)
        if value is None:
            req.notes.append(f"`{name}` is not in scope: add it by hand")
            continue
        fields.append((name, value))
    return fields


# the words of a name that identifies what a record is about (``pipe_id``, ``query_id``, ``remote_file_path``,
# ``base_url``: which of the configured connections failed)
ID_WORDS = ("id", "ids", "name", "uuid", "slug", "pk", "path", "url", "uri", "endpoint", "entrypoint", "host")
# a URL named with one of these words is a connection string, whose text holds the password
CREDENTIAL_URL_WORDS = frozenset(
    {"db", "database", "sql", "sqlalchemy", "dsn", "engine", "broker", "redis", "amqp", "mongo", "mongodb", "postgres",
     "postgresql", "mysql", "conn", "connection", "backend", "result", "cache", "celery", "presigned", "signed"}
)
_NOT_IDS = frozenset({"self", "cls", "request", "args", "kwargs"})
# a name with one of these words holds a credential, whatever else it says: never into a log record
PAYLOAD_URL_WORDS = frozenset({"image", "img", "photo", "picture", "avatar", "audio", "video", "media", "data", "blob", "b64", "base64", "thumbnail"})
SECRET_WORDS = frozenset({"key", "token", "secret", "password", "passwd", "pwd", "credential", "credentials", "auth", "apikey", "cookie", "session"})


def ids_in_scope(req: FixRequest, line: int, limit: int = 2) -> list[str]:
    """The id-like names certainly bound at ``line`` (a parameter of the enclosing function, the target of a ``for``
    around it, or a name the function assigns unconditionally before the statement holding it; and the same of
    the functions around a nested one, unless the nested one binds the name itself), those the functions' other
    log calls name first: what a log record needs to be tied to the object that failed."""
    funcs = [
        n for n in ast.walk(req.tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.lineno <= line <= (n.end_lineno or n.lineno)
    ]
    if not funcs:
        return []
    funcs.sort(key=lambda f: -f.lineno)  # innermost first
    found: list[str] = []
    shadowed: set[str] = set()
    for func in funcs:
        bound = _bound_before(func, line)
        found += [n for n in bound if n not in shadowed]
        shadowed |= {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        shadowed |= {a.arg for a in ast.walk(func.args) if isinstance(a, ast.arg)}
    ids = [n for n in dict.fromkeys(found) if n not in _NOT_IDS and _id_like(n)]
    ids.sort(key=lambda n: bool({"url", "uri", "endpoint", "host"} & set(words(n))))  # an address only when no id says more
    logged = {
        n.id for func in funcs for node in ast.walk(func) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("debug", "info", "warning", "error", "exception", "critical") for n in ast.walk(node) if isinstance(n, ast.Name)
    }
    named = [n for n in ids if n in logged]
    if named or ids:
        return named[:limit] if named else ids[:1]  # the ids the neighbouring records name, else the nearest one
    quote = "'" if req.source.text.count("'") > req.source.text.count('"') else '"'  # as the module quotes
    return loop_subject(funcs[0], line) or keyed_subject(funcs, line, limit, quote)


def keyed_subject(funcs: list, line: int, limit: int = 2, quote: str = '"') -> list[str]:
    """For a handler whose names say nothing: the id-like keys of a mapping the ``try`` hands to its calls
    (``upsert(metadata["chat_id"], metadata["message_id"])``), read with ``.get`` so the log line cannot raise a
    ``KeyError`` of its own; only for a name bound at ``line`` that the function already reads with ``.get`` (a
    mapping, not an object whose ``[]`` means something else)."""
    trying = next(
        (n for n in ast.walk(funcs[0]) if isinstance(n, ast.Try) and any(h.lineno <= line <= (h.end_lineno or h.lineno) for h in n.handlers)),
        None,
    )
    if trying is None:
        return []
    bound = set(_bound_before(funcs[0], line))
    mappings = {
        node.func.value.id for node in ast.walk(funcs[0]) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get" and isinstance(node.func.value, ast.Name)
    }
    found: list[str] = []
    for node in (n for stmt in trying.body for n in ast.walk(stmt) if isinstance(n, ast.Call)):
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            if (
                isinstance(arg, ast.Subscript) and isinstance(arg.value, ast.Name) and arg.value.id in bound & mappings
                and isinstance(arg.slice, ast.Constant) and isinstance(arg.slice.value, str) and arg.slice.value.isidentifier()
                and _id_like(arg.slice.value)
            ):
                found.append(f"{arg.value.id}.get({quote}{arg.slice.value}{quote})")
    return list(dict.fromkeys(found))[:limit]


def loop_subject(func: ast.FunctionDef | ast.AsyncFunctionDef, line: int) -> list[str]:
    """For a handler in a loop whose names say nothing: the id-like attribute of the loop's item that the ``try``
    hands to a call (``eager_import(backend.entrypoint)``, ``backend`` taken from the loop's item), as a dotted
    expression: which of the items failed."""
    loop = next(
        (n for n in ast.walk(func) if isinstance(n, (ast.For, ast.AsyncFor)) and n.body and n.body[0].lineno <= line <= (n.end_lineno or n.lineno)),
        None,
    )
    trying = next(
        (n for n in ast.walk(func) if isinstance(n, ast.Try) and any(h.lineno <= line <= (h.end_lineno or h.lineno) for h in n.handlers)),
        None,
    )
    if loop is None or trying is None:
        return []
    bound = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
    bound |= {
        n.id for stmt in loop.body if stmt.lineno < trying.lineno for node in ast.walk(stmt)
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    for stmt in trying.body:
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Attribute):
                continue
            dotted = ast.unparse(node.args[0])
            parts = dotted.split(".")
            if parts[0] in bound and all(p.isidentifier() for p in parts) and len(parts) <= 3 and _id_like(parts[-1]):
                return [dotted]
    return []


def _bound_before(func: ast.FunctionDef | ast.AsyncFunctionDef, line: int) -> list[str]:
    """Nearest first: the targets of the loops around ``line`` (innermost first), the names assigned before the
    statement holding it (the latest first), then the parameters."""
    args = func.args
    assigned: list[str] = []
    loops: list[str] = []
    for stmt in func.body:
        if stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno):
            loops = _loop_targets(stmt, line)
            break
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            assigned += [t.id for t in targets if isinstance(t, ast.Name)]
    return [*reversed(loops), *reversed(assigned), *(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])]


def _loop_targets(stmt: ast.stmt, line: int) -> list[str]:
    """The names bound by the ``for`` loops of ``stmt`` that hold ``line`` (outer first)."""
    names: list[str] = []
    for node in ast.walk(stmt):
        if isinstance(node, (ast.For, ast.AsyncFor)) and node.body and node.body[0].lineno <= line <= (node.end_lineno or node.lineno):
            names += [n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)]
    return names


def _id_like(name: str) -> bool:
    lowered = name.lower().lstrip("_")
    if SECRET_WORDS & set(words(name)):
        return False  # ``api_key_id``, ``token_name``: too close to a secret to log
    if {"url", "uri", "host"} & set(words(name)) and CREDENTIAL_URL_WORDS & set(words(name)):
        return False  # ``db_uri``, ``broker_url``: a connection URL carries its password
    if {"url", "uri"} & set(words(name)) and PAYLOAD_URL_WORDS & set(words(name)):
        return False  # ``image_url``, ``audio_uri``: often an inline ``data:...;base64,`` body, megabytes in the log
    return lowered in ID_WORDS or lowered.endswith(tuple(f"_{word}" for word in ID_WORDS))
