"""The steps of a ``try`` body that one run goes through, and the calls that cannot be a step of their own.

SAD104 asks "can the record say which step failed?". That needs the steps one run can take (an ``if``/``else``
takes one branch, so its two calls are never both made) and only the calls that can fail for a reason of their
own: not a project helper that only formats a value (``f"user:{id}"``), not a tiny wrapper around one library
call (its failure is that call's), not the getter of a client that the next step talks through (building it
does no I/O; the call on it does).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable

from sadpath.engine import shapes
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call

Steps = list[tuple[str, ast.Call]]
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
# methods that compute a value and do no I/O, whatever their receiver is called (``capabilities.model_dump()``)
NO_IO_METHODS = frozenset(
    {"model_dump", "model_dump_json", "model_validate", "dict", "to_dict", "as_dict", "isoformat", "strftime",
     "total_seconds", "format", "join", "split", "strip", "lower", "upper", "startswith", "endswith", "encode", "decode",
     "timestamp"}
)  # fmt: skip
# methods of one file path whose ``OSError`` names the file and the errno: several of them on one path are one step
FILE_METHODS = frozenset(
    {"touch", "write_text", "write_bytes", "read_text", "read_bytes", "mkdir", "unlink", "rename", "replace",
     "chmod", "open", "rmdir", "stat", "exists", "is_file", "is_dir"}
)  # fmt: skip
_IO_VERBS = re.compile(r"(^|_)(connect|open|login|auth|authenticate|fetch|load|read|send|request|query|call)($|_)", re.IGNORECASE)
_THIN_STATEMENTS = 8


def longest_path(statements: list[ast.stmt], steps_of: Callable[[ast.AST], Steps]) -> Steps:
    """The steps of the run through ``statements`` that takes the most of them: each branch of an ``if`` or a
    ``match`` is a run of its own (an ``if`` that returns is one run, the statements after it another), a loop's
    body counts once, a nested ``try`` adds its longest handler (and its body only when some of its failures can
    get out)."""
    found: Steps = []
    for index, stmt in enumerate(statements):
        if isinstance(stmt, _SCOPES):
            continue
        if isinstance(stmt, ast.If) and not stmt.orelse and stmt.body and isinstance(stmt.body[-1], (ast.Return, ast.Raise)):
            found += steps_of(stmt.test)
            found += max(longest_path(stmt.body, steps_of), longest_path(statements[index + 1 :], steps_of), key=len)
            return found
        if isinstance(stmt, ast.If):
            found += steps_of(stmt.test)
            found += max(longest_path(stmt.body, steps_of), longest_path(stmt.orelse, steps_of), key=len)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            found += steps_of(stmt.iter) + longest_path(stmt.body, steps_of) + longest_path(stmt.orelse, steps_of)
        elif isinstance(stmt, ast.While):
            found += steps_of(stmt.test) + longest_path(stmt.body, steps_of) + longest_path(stmt.orelse, steps_of)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                found += steps_of(item.context_expr)
            found += longest_path(stmt.body, steps_of)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            handlers = [longest_path(h.body, steps_of) for h in stmt.handlers]  # type: ignore[attr-defined]
            if not _traps_all(stmt):  # an inner ``except Exception: continue`` keeps its body's failures in
                found += longest_path(stmt.body, steps_of)  # type: ignore[attr-defined]
            found += max(handlers, key=len, default=[])
            found += longest_path(stmt.orelse, steps_of) + longest_path(stmt.finalbody, steps_of)  # type: ignore[attr-defined]
        elif isinstance(stmt, ast.Match):
            found += steps_of(stmt.subject)
            found += max((longest_path(case.body, steps_of) for case in stmt.cases), key=len, default=[])
        else:
            found += steps_of(stmt)
    return found


def _traps_all(try_node: ast.AST) -> bool:
    """A nested ``try`` with a broad handler that does not raise: no failure of its body reaches the outer one."""
    for handler in getattr(try_node, "handlers", []):
        broad = handler.type is None or (isinstance(handler.type, ast.Name) and handler.type.id in ("Exception", "BaseException"))
        if broad and not any(isinstance(n, ast.Raise) for n in ast.walk(handler)):
            return True
    return False


def _local_function(call: ast.Call, ctx: ModuleContext) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    func = call.func
    if isinstance(func, ast.Name):
        found = ctx.semantic.module_functions.get(func.id)
        return found if isinstance(found, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
        cls = ctx.enclosing(ast.ClassDef)
        return next((n for n in getattr(cls, "body", []) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == func.attr), None)
    return None


def static_pure(call: ast.Call, ctx: ModuleContext) -> bool:
    """``Validator._check_patterns(column)``: a static or class method of a class the module defines that only
    loops over strings and lists it builds: no I/O call, no item lookup, no ``raise``. It is no step."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return False
    cls = next((c for c in ctx.tree.body if isinstance(c, ast.ClassDef) and c.name == func.value.id), None)
    method = next((n for n in getattr(cls, "body", []) if isinstance(n, ast.FunctionDef) and n.name == func.attr), None)
    if method is None or not any(ast.unparse(d) in ("staticmethod", "classmethod") for d in method.decorator_list):
        return False
    if any(isinstance(n, (ast.Raise, ast.Await, ast.With)) or (isinstance(n, ast.Subscript) and not isinstance(n.slice, ast.Slice)) for stmt in method.body for n in ast.walk(stmt)):
        return False  # ``config.axes["x"]``: a lookup that can fail on the input
    return _failing_calls(method, ctx, 1) == []


def _own_calls(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
    calls: list[ast.Call] = []
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            continue
        if isinstance(node, ast.Call):
            calls.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return calls


def _statements(func: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    return sum(1 for n in ast.walk(func) if isinstance(n, ast.stmt)) - 1


_BUILTIN_VALUES = frozenset({"list", "dict", "set", "bytearray", "str", "bytes", "tuple", "frozenset"})


def local_values(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names the function binds to a value it builds itself: a literal, a comprehension, ``bytearray()``."""
    names: set[str] = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            literal = isinstance(value, (ast.List, ast.Dict, ast.Set, ast.Tuple, ast.Constant, ast.JoinedStr, ast.ListComp, ast.DictComp, ast.SetComp))
            if literal or (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in _BUILTIN_VALUES):
                names.add(node.targets[0].id)
    return names


def _failing_calls(func, ctx: ModuleContext, depth: int) -> list[ast.Call] | None:
    """The calls of a local function that can fail, seen through the pure helpers it calls; None when it calls
    other project code (which may do anything)."""
    found: list[ast.Call] = []
    values = local_values(func) | _opened_files(func)  # (``with open(p) as f: f.read()`` is the one step ``open``)
    for call in _own_calls(func):
        if not shapes.can_fail(call, ctx) or (isinstance(call.func, ast.Attribute) and call.func.attr in NO_IO_METHODS):
            continue
        if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) and call.func.value.id in values:
            continue  # ``result.append(...)`` on a list the function built itself
        inner = _local_function(call, ctx)
        if inner is not None:
            if depth > 0 and _failing_calls(inner, ctx, depth - 1) == []:
                continue  # a helper of the helper that only computes a value
            return None
        found.append(call)
    return found


def _opened_files(func: ast.AST) -> set[str]:
    """Names bound by ``with open(...) as f``: ``f.read()`` is part of the ``open`` step."""
    return {
        item.optional_vars.id
        for node in ast.walk(func) if isinstance(node, (ast.With, ast.AsyncWith))
        for item in node.items
        if isinstance(item.optional_vars, ast.Name) and isinstance(item.context_expr, ast.Call)
        and isinstance(item.context_expr.func, ast.Name) and item.context_expr.func.id == "open"
    }  # fmt: skip


def pure_helper(call: ast.Call, ctx: ModuleContext) -> bool:
    """A call of a project function of this module that only formats a value: ``_key(user_id)`` returning an
    f-string, with no item lookup, conversion or call that could raise. It is no step of its own."""
    func = _local_function(call, ctx)
    if func is None or _statements(func) > _THIN_STATEMENTS or not _returns_a_value(func):
        return False
    return not any(_may_raise(node) for node in ast.walk(func)) and _failing_calls(func, ctx, 1) == []


_SAFE_BUILTINS = frozenset({"str", "repr", "bool", "format", "isinstance", "len"})
# (``value.decode()`` of a bytes-or-str helper: a codec error names the codec and the position by itself)
_SAFE_METHODS = frozenset({"format", "join", "lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "decode", "encode"})


def _may_raise(node: ast.AST) -> bool:
    """A node that can raise even in pure code (an item lookup, an attribute, a conversion, arithmetic): a broad
    or ``KeyError`` handler may be catching exactly that, so the helper is a step."""
    if isinstance(node, ast.Subscript) or (isinstance(node, ast.BinOp) and not isinstance(node.op, (ast.Add, ast.Mod))):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id not in _SAFE_BUILTINS
        return not (isinstance(func, ast.Attribute) and func.attr in _SAFE_METHODS)
    return isinstance(node, ast.Attribute) and not isinstance(node.value, ast.Name)


def _changes_state(func: ast.AST, *, items: bool = True) -> bool:
    """It sets an attribute or (with ``items``) an item: a procedure, not a computation."""
    kinds = (ast.Attribute, ast.Subscript) if items else (ast.Attribute,)
    return any(
        isinstance(t, kinds)
        for n in ast.walk(func) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))
        for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
    )  # fmt: skip


def _returns_a_value(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """It answers a value and changes nothing outside itself (no attribute or item it sets): a computation, not a
    procedure (``self.prepare(job)`` that sets ``job.prepared``)."""
    return not _changes_state(func) and any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(func))


def thin_wrapper(call: ast.Call, ctx: ModuleContext) -> bool:
    """A call of a tiny project function (a few statements) whose only call that can fail is one library call
    (``parse_dn(dn)``): its failure is that call's, and the library's error says what went wrong."""
    func = _local_function(call, ctx)
    if func is None or _statements(func) > _THIN_STATEMENTS:
        return False
    calls = _failing_calls(func, ctx, 1)
    return calls is not None and len(calls) == 1 and _local_function(calls[0], ctx) is None


def _bound_names(stmt: ast.Assign) -> list[str]:
    """``client = ...`` or ``repo, path = ...``: the names one assignment binds."""
    target = stmt.targets[0]
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)) and all(isinstance(e, ast.Name) for e in target.elts):
        return [e.id for e in target.elts]  # type: ignore[attr-defined]
    return []


def builds_client(call: ast.Call, stmt: ast.AST, later: list[ast.AST]) -> bool:
    """``client = get_connection()`` (or ``await get_session()``) whose result the ``try`` then talks through (``client.get(key)``): the getter
    builds a client and does no I/O; the call made on it is the step. (``conn = db.connect()`` is a step.)"""
    value = stmt.value.value if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Await) else getattr(stmt, "value", None)
    if not (isinstance(stmt, ast.Assign) and value is call and len(stmt.targets) == 1 and _bound_names(stmt)):
        return False
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if not name or _IO_VERBS.search(name) or shapes.through_client(call):
        return False  # ``value = client.get(key)`` is the step; ``redis_client = get_connection()`` builds one
    clients = [t for t in _bound_names(stmt) if shapes.CLIENT_NAME.search(t)]  # (``repo, path = _repo_and_path(p)``)
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name) and n.func.value.id in clients
        for node in later
        for n in ast.walk(node)
    )


# zero-argument getters of a connection, client or setting: ``op.get_bind().engine.name`` reads what was built
_GETTER = re.compile(r"^get_(bind|conn|connection|client|session|engine|settings|config|db|redis|app)$")
_SETTING_READS = frozenset({"value", "get", "get_value"})
CLOCKS = frozenset({"time.time", "time.monotonic", "time.perf_counter", "time.time_ns", "time.monotonic_ns"})


def accessor(call: ast.Call, node: ast.AST) -> bool:
    """A read of something already configured, no step that can fail: a setting constant's ``SETTING.value()``,
    or a zero-argument getter (``op.get_bind()``) whose result only has attributes read (``.engine.name``)."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in _SETTING_READS and isinstance(func.value, ast.Name) and func.value.id.isupper() and len(call.args) <= 1:
        return True  # ``PREFECT_DEBUG_MODE.value()``, ``SETTINGS.get("key")``
    if call.args or call.keywords or not _GETTER.match(func.attr):
        return False
    read = any(isinstance(n, ast.Attribute) and n.value is call for n in ast.walk(node))
    called = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.value is call for n in ast.walk(node))
    return read and not called


# narrow standard-library errors that exactly one kind of call raises: the type names the step
_ONLY_RAISED_BY = {
    "QueueFull": frozenset({"put_nowait"}), "QueueEmpty": frozenset({"get_nowait"}),
    "Full": frozenset({"put", "put_nowait"}), "Empty": frozenset({"get", "get_nowait"}),
}  # fmt: skip
_QUEUE_MODULES = ("asyncio", "queue", "multiprocessing")


def raisers_of(names: list[str], ctx: ModuleContext) -> frozenset[str] | None:
    """The methods that alone can raise what the handler catches (``asyncio.QueueFull``: ``put_nowait``);
    None when the caught types can come from anywhere."""
    methods: set[str] = set()
    for name in names:
        canonical = ctx.hierarchy.canonical(name) if name else ""
        short = canonical.rsplit(".", 1)[-1]
        if short not in _ONLY_RAISED_BY or canonical.split(".")[0] not in _QUEUE_MODULES:
            return None
        methods |= _ONLY_RAISED_BY[short]
    return frozenset(methods) if methods else None


def one_receiver(steps: Steps, ctx: ModuleContext) -> bool:
    """Every step is a call of a known service client on one and the same receiver (``redis.incr(k)``,
    ``redis.expire(k)``; ``client.networks.get()``, ``client.networks.create()``): one connection or daemon,
    whose error text names the host, the endpoint, the operation or the errno. Not ``self``, whose methods are
    the project's own steps, nor a receiver nothing says is a service client."""
    receivers = set()
    for _, call in steps:
        func = call.func
        if not isinstance(func, ast.Attribute) or _local_function(call, ctx) is not None:
            return False
        root = func.value
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or root.id in ("self", "cls") or isinstance(func.value, ast.Call):
            return False
        if external_call(call, ctx) is None and not (_CLIENT_ROOT.search(root.id) and _imports_described_client(ctx)):
            return False  # (an unknown ``store.create_groups()``: nothing says what its error text carries)
        receivers.add(ast.dump(func.value))
    return len(receivers) == 1


# client libraries whose error text names the host, the endpoint or the operation (redis-py ``Error 111 connecting
# to host:6379``, docker's ``APIError`` with the request URL, botocore's "when calling the PutObject operation")
_DESCRIBED_CLIENTS = frozenset({"redis", "django_rq", "valkey", "glide", "docker", "botocore", "boto3", "aioboto3", "pymongo", "motor"})
_CLIENT_ROOT = re.compile(r"^_?(\w+_)?(client|conn|connection|redis|valkey|docker|s3|mongo)$", re.IGNORECASE)


def _imports_described_client(ctx: ModuleContext) -> bool:
    key = ("try-steps-described-clients",)
    if key not in ctx.memo:
        roots = set()
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                roots.add(node.module.split(".")[0])
        ctx.memo[key] = bool(roots & _DESCRIBED_CLIENTS)
    return ctx.memo[key]


def logs_own_failure(call: ast.Call, ctx: ModuleContext, is_log: Callable[[ast.Call], bool]) -> bool:
    """A call of a project method whose work is inside a ``try`` that logs a step-named error and re-raises
    (``except Exception as e: log.error(f"Failed to upload file: {e}"); raise``): its failure is in the log already,
    so the caller's record is a summary, not the only trace."""
    func = _local_function(call, ctx)
    if func is None:
        return False
    guarded = [s for s in func.body if isinstance(s, ast.Try)]
    if not guarded or not all(_logs_and_raises(t, is_log) for t in guarded):
        return False
    inside = {id(n) for t in guarded for n in ast.walk(t)}
    return not any(
        id(c) not in inside and shapes.can_fail(c, ctx) and not is_log(c) and not (isinstance(c.func, ast.Attribute) and c.func.attr in NO_IO_METHODS)
        for c in _own_calls(func)
    )  # fmt: skip


def computes_only(call: ast.Call, ctx: ModuleContext, is_log: Callable[[ast.Call], bool], depth: int = 1) -> bool:
    """A call of a project function that makes no I/O call: it reads a value it was given (``.get()``), builds
    records (``Document(...)``), logs, and calls nothing else that can fail (``_process_results(response)``).
    Its failure is a bug of the code in front of it, not a step of the work that can fail."""
    func = _local_function(call, ctx)
    if func is None or isinstance(func, ast.AsyncFunctionDef) or _changes_state(func, items=False):
        return False  # (``self.prepare(job)`` that sets ``job.prepared`` is a procedure; ``token["at"] = now`` fills a value)
    values = local_values(func)
    for inner in _own_calls(func):
        name = inner.func.id if isinstance(inner.func, ast.Name) else ""
        if is_log(inner) or not shapes.can_fail(inner, ctx) or (isinstance(inner.func, ast.Attribute) and inner.func.attr in NO_IO_METHODS):
            continue
        if isinstance(inner.func, ast.Attribute) and isinstance(inner.func.value, ast.Name) and inner.func.value.id in values:
            continue  # ``documents.append(...)`` on a list it built
        if name[:1].isupper() and external_call(inner, ctx) is None:
            continue  # ``Document(page_content=...)``: a record it builds
        if _local_function(inner, ctx) is not None and depth > 0 and computes_only(inner, ctx, is_log, depth - 1):
            continue  # ``self._debug_log(...)``
        return False
    return True


def _logs_and_raises(try_node: ast.Try, is_log: Callable[[ast.Call], bool]) -> bool:
    return bool(try_node.handlers) and all(
        any(isinstance(n, ast.Call) and is_log(n) for n in ast.walk(h)) and any(isinstance(n, ast.Raise) for n in ast.walk(h))
        for h in try_node.handlers
    )


def file_operations(steps: Steps) -> bool:
    """Every step is a file method of one and the same path (``path.touch()``, ``path.write_text(...)``): the
    ``OSError`` of any of them names that file and the errno."""
    receivers = set()
    for _, call in steps:
        if not (isinstance(call.func, ast.Attribute) and call.func.attr in FILE_METHODS):
            # ``tomllib.loads(path.read_text())``: the parse of that file, whose error gives the line and column
            inner = [a for a in call.args if isinstance(a, ast.Call) and isinstance(a.func, ast.Attribute) and a.func.attr in FILE_METHODS]
            if len(inner) != 1 or call.keywords:
                return False
            call = inner[0]
        receivers.add(ast.dump(call.func.value))
    return len(receivers) == 1


def stdlib_call(call: ast.Call, ctx: ModuleContext) -> bool:
    """A call of a standard-library function or class (``mimetypes.guess_type``, ``zoneinfo.ZoneInfo``)."""
    qualified = ctx.qualified_name(call.func) or ""
    return "." in qualified and qualified.split(".")[0] in sys.stdlib_module_names and external_call(call, ctx) is None


def library_errors_only(names: list[str], ctx: ModuleContext) -> bool:
    """The handler catches only a third-party library's errors (``ClientError``, ``RedisError``): a standard-library
    call in the ``try`` cannot raise them."""
    canonical = [ctx.hierarchy.canonical(n) for n in names if n]
    return bool(canonical) and all("." in c and c.split(".")[0] not in sys.stdlib_module_names for c in canonical)


def on_opened_file(call: ast.Call, func: ast.AST | None) -> bool:
    """``f.write(text)`` on the ``f`` of ``with open(path) as f``: part of the ``open`` step, whose ``OSError``
    names the path and the errno."""
    return (
        func is not None and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
        and call.func.value.id in _opened_files(func)
    )  # fmt: skip


def nested_pure(call: ast.Call, func: ast.AST | None) -> bool:
    """``nt(b)`` of a ``def nt(b): return b[:12], b[12:]`` nested in the function: a slice, no step."""
    if func is None or not isinstance(call.func, ast.Name):
        return False
    inner = next((n for n in ast.walk(func) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n is not func and n.name == call.func.id), None)
    if inner is None or isinstance(inner, ast.AsyncFunctionDef):
        return False
    return not any(isinstance(n, (ast.Call, ast.Raise, ast.Await)) for n in ast.walk(inner))


# classes that hold a request's or a record's fields: building one checks its fields and says which is wrong
_RECORD_CLASS = re.compile(r"[a-z](Form|Model|Schema|Payload|Params|Dto|DTO)$")


def record_builder(call: ast.Call, ctx: ModuleContext) -> bool:
    """``GroupForm(name=..., description=...)``: building a form or a schema of fields, whose validation error
    names the field; not a step of the work that can fail."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) else ""
    return bool(_RECORD_CLASS.search(name)) and external_call(call, ctx) is None and not call.args


def trivial_display(call: ast.Call, ctx: ModuleContext) -> bool:
    """A call a message names only when nothing better is there: a hash or codec constructor
    (``hashlib.sha256(...)``), a class built from its arguments (``AESGCM(key)``), a builtin."""
    qualified = ctx.qualified_name(call.func) or ""
    if qualified.startswith(("hashlib.", "base64.", "binascii.", "uuid.", "datetime.", "time.", "platform.", "sys.", "os.path.")):
        return True
    root = call.func
    while isinstance(root, (ast.Attribute, ast.Call)):
        root = root.func if isinstance(root, ast.Call) else root.value
    if isinstance(root, ast.Name) and (ctx.qualified_name(root) or "").startswith(("hashlib", "datetime")):
        return True  # ``hashlib.sha256(...).digest()``, ``datetime.now().date()``
    name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) else ""
    return name[:1].isupper() and external_call(call, ctx) is None and _local_function(call, ctx) is None


# libraries whose errors name what failed: SQLAlchemy's carry the statement (``[SQL: DELETE FROM ...]``),
# Playwright's the cause and the fix ("Executable doesn't exist at ... run playwright install"); media codecs
# theirs and the tool's output (pydub's "Decoding failed. ffmpeg returned error code ... Output from ffmpeg",
# moviepy's, soundfile's "Error opening ..."); cloud identity SDKs every credential tried and why it failed
# (azure-identity's ``ClientAuthenticationError``, google-auth's ``RefreshError``); password hashers the input they
# refused (bcrypt's "password cannot be longer than 72 bytes", argon2's ``HashingError``, passlib's)
_SELF_DESCRIBED_LIBRARIES = (
    "playwright", "sqlalchemy", "sqlmodel", "pydub", "moviepy", "soundfile", "azure.identity", "google.auth",
    "google.oauth2", "msal", "bcrypt", "argon2", "passlib",
)  # fmt: skip


def self_described(qualified: str) -> bool:
    """``pydub.AudioSegment.from_file``, ``azure.identity.DefaultAzureCredential``: a name of a library whose errors
    name the failing step and carry its cause."""
    return any(qualified == lib or qualified.startswith(lib + ".") for lib in _SELF_DESCRIBED_LIBRARIES)
_SESSION_NAME = re.compile(r"^_?(\w+_)?(session|db|conn|connection|tx|transaction)$", re.IGNORECASE)


def one_library(steps: Steps, ctx: ModuleContext, func: ast.AST | None) -> bool:
    """Every step works through one client of a library whose error text names the failing statement or cause:
    the objects of ``with sync_playwright() as p`` (``p.chromium.launch()``, then ``browser.close()`` of what it
    returned), or one SQLAlchemy session (``session.execute(...)``, ``session.commit()``, ``result.scalars()`` of
    what it answered, a project call handed the session: ``Histories.delete(id, db=session)``)."""
    if func is None or len(steps) < 2:
        return False
    derived = _library_names(func, ctx)
    if not derived:
        return False
    for _, call in steps:
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        while isinstance(receiver, (ast.Attribute, ast.Call)):
            receiver = receiver.func if isinstance(receiver, ast.Call) else receiver.value
        if isinstance(receiver, ast.Name) and receiver.id in derived:
            continue
        if self_described(ctx.qualified_name(call.func) or ""):
            continue  # ``sync_playwright()`` itself
        if isinstance(call.func, ast.Name) and call.func.id in derived:
            continue  # ``token_provider()`` that ``get_bearer_token_provider(...)`` answered
        handed = [a for a in [*call.args, *(k.value for k in call.keywords)] if isinstance(a, ast.Name) and a.id in derived]
        if handed and _local_function(call, ctx) is None:
            continue  # a project model method that runs its statements on the session it is handed
        if _binds_a_session(call, func):
            continue  # ``async with get_db_context(db) as session``: opening the session is part of its statements
        return False
    return True


def _library_names(func: ast.AST, ctx: ModuleContext) -> set[str]:
    """Names bound to an object of a self-described library, and to what its methods answered."""
    imports = _module_roots(ctx)
    if not any(self_described(name) for name in imports):
        return set()
    names: set[str] = set()
    sqlalchemy = bool(imports & {"sqlalchemy", "sqlmodel"})
    for node in ast.walk(func):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name) and (
                    _from_library(item.context_expr, names, ctx) or (sqlalchemy and _SESSION_NAME.match(item.optional_vars.id))
                ):
                    names.add(item.optional_vars.id)
    for node in ast.walk(func):
        if isinstance(node, ast.arg) and sqlalchemy and _SESSION_NAME.match(node.arg):
            names.add(node.arg)
    for _ in range(2):  # ``browser = p.chromium.launch()``, ``result = await session.execute(...)``
        for node in ast.walk(func):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = node.value.value if isinstance(node.value, ast.Await) else node.value
                if _from_library(value, names, ctx):
                    names.add(node.targets[0].id)
    return names


def _from_library(expr: ast.AST, names: set[str], ctx: ModuleContext) -> bool:
    if isinstance(expr, ast.Await):
        expr = expr.value
    if not isinstance(expr, ast.Call):
        return False
    if self_described(ctx.qualified_name(expr.func) or ""):
        return True
    root = expr.func
    while isinstance(root, (ast.Attribute, ast.Call)):
        root = root.func if isinstance(root, ast.Call) else root.value
    return isinstance(root, ast.Name) and root.id in names


def _binds_a_session(call: ast.Call, func: ast.AST) -> bool:
    return any(
        isinstance(node, (ast.With, ast.AsyncWith)) and any(i.context_expr is call and isinstance(i.optional_vars, ast.Name) and _SESSION_NAME.match(i.optional_vars.id) for i in node.items)
        for node in ast.walk(func)
    )  # fmt: skip


def _module_roots(ctx: ModuleContext) -> set[str]:
    key = ("try-steps-roots",)
    if key not in ctx.memo:
        roots: set[str] = set()
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
                roots.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                roots.add(node.module.split(".")[0])
                roots.add(node.module)  # (``from azure.identity import ...``: the library is the package, not ``azure``)
        ctx.memo[key] = roots
    return ctx.memo[key]
