"""The exemption for a ``try`` around local computation: parsing, converting or building a value from local data,
where the error says "not this shape" and the handler's answer is the designed outcome."""

from __future__ import annotations

import ast
import builtins
import re

from sadpath.engine import named_failure, shapes
from sadpath.engine.catching import CatchKind
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.handler_site import Site
from sadpath.engine.walker import body_nodes


def local_computation(site: Site) -> bool | None:
    """A broad catch around code that calls no service and no project function that does more than compute
    (attribute reads, parsing with builtins, a project helper that only walks its arguments): a defensive default
    for local data, not a lost failure."""
    if site.try_node is None or site.caught.kind not in (CatchKind.BROAD, CatchKind.BARE):
        return None
    local_names = _local_names(site.func) if site.func is not None else module_data_names(site.ctx.tree)  # module code: its settings
    for node in body_nodes(site.try_node.body):
        if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom)):
            return False
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and hasattr(builtins, node.func.id) and node.func.id not in ("open", "exec", "eval", "__import__", "input"):
                continue
            if isinstance(node.func, ast.Name) and node.func.id == "open" and _reads(node):
                continue  # reading a local file (``version.json``) the code can do without
            qualified = site.ctx.qualified_name(node.func) or ""
            if qualified.startswith(_PURE_MODULES) or qualified.endswith(_PARSERS):
                continue  # ``os.path.splitext(path)``, ``urlparse(url)``, ``utils.json.loads(text)``
            if _parses_local(node, local_names, site.ctx):
                continue  # ``parse_search_filter(filter_string)``, ``load_response_stream(value)``
            if _builds_value(node, local_names, site.ctx):
                continue  # ``HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)``
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            while isinstance(receiver, (ast.Attribute, ast.Subscript, ast.Call)):
                receiver = receiver.func if isinstance(receiver, ast.Call) else receiver.value
            if isinstance(node.func, ast.Name) and node.func.id in local_names and _defined_inside(node.func.id, site.func):
                continue  # a helper the function defines for itself (``_truncate(value)``)
            if named_failure.on_local_container(node, site.func) or (not shapes.through_client(node) and named_failure.computes_only(node, site.ctx)):
                continue  # ``history.append(m)`` on a list it built; ``get_message_list(map, id)``, a project helper that only computes
            if (
                isinstance(receiver, ast.Name) and receiver.id in local_names and node.func.attr in _LOCAL_METHODS
                and (site.func is None or not shapes.CLIENT_NAME.search(receiver.id)) and external_call(node, site.ctx) is None
            ):
                continue  # ``tag.get("name")`` on a local value (not ``cache.get(key)`` on a client passed in); in module
                # code, a setting built from the environment (``API_BASE_URLS.index(url)``), whatever its name says
            return False
    return True


_PARSING = re.compile(r"_*(parse|loads?_|loads$|decode|deserial|unpack|normalize|validate)", re.IGNORECASE)


def _parses_local(call: ast.Call, local_names: set[str], ctx: ModuleContext) -> bool:
    """A parser the project or a library names as one (``parse_*``, ``load_*``, ``decode_*``), called on values
    the function holds (its parameters, its locals, constants), not through a client."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if not _PARSING.match(name) or shapes.through_client(call) or external_call(call, ctx) is not None:
        return False
    arguments = [*call.args, *(k.value for k in call.keywords)]
    return bool(arguments) and all(
        isinstance(a, ast.Constant) or (isinstance(a, ast.Name) and a.id in local_names) or isinstance(a, ast.JoinedStr) for a in arguments
    )


def _defined_inside(name: str, func) -> bool:
    return func is not None and any(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name for n in body_nodes(func.body, scopes=True)
    )


def _builds_value(call: ast.Call, local_names: set[str], ctx: ModuleContext) -> bool:
    """An imported class built from values the function holds (a pydantic model, a dataclass): no I/O."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if not name[:1].isupper() or shapes.CLIENT_NAME.search(_head_noun(name)) or external_call(call, ctx) is not None:
        return False
    arguments = [*call.args, *(k.value for k in call.keywords)]
    return all(isinstance(a, ast.Constant) or (isinstance(a, ast.Name) and a.id in local_names) for a in arguments)


def _head_noun(name: str) -> str:
    """The last word of a class name says what it builds: ``HTTPAuthorizationCredentials`` is credentials (``HTTP``
    only qualifies them), ``RedisClient`` a client, ``SMTP``, ``FTP_TLS`` and ``StrictRedis`` a connection."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name.split("_")[0] or name)
    return words[-1] if words else name


def _reads(call: ast.Call) -> bool:
    """``open(path)`` / ``open(path, "rb")``: a read, not a write."""
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return mode is None or (isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) <= set("rbt"))


def module_data_names(tree: ast.Module) -> set[str]:
    """The module-level names that only ever hold settings data: every top-level assignment to them is built from
    constants, the environment (``os.getenv``, ``os.environ.get``), builtins and value methods (``.split(";")``,
    ``.strip()``) of such names. Not a client, a connection or anything a project call built."""
    assigned: dict[str, list[ast.expr]] = {}
    for stmt in body_nodes(tree.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                assigned.setdefault((alias.asname or alias.name).split(".")[0], []).append(ast.Constant(value=...))
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        assigned.setdefault(node.id, []).append(stmt.value)
        elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
            for node in ast.walk(stmt.target if isinstance(stmt, (ast.For, ast.AsyncFor)) else ast.Tuple(elts=[i.optional_vars for i in stmt.items if i.optional_vars], ctx=ast.Store())):
                if isinstance(node, ast.Name):
                    assigned.setdefault(node.id, []).append(ast.Name(id="<unknown>", ctx=ast.Load()))
    imported = {name for name, values in assigned.items() if any(isinstance(v, ast.Constant) and v.value is ... for v in values)}
    data = {name for name in assigned if name not in imported}
    changed = True
    while changed:  # a name built from a name that is not data is not data either
        changed = False
        for name in sorted(data):
            if not all(_settings_value(v, data) for v in assigned[name]):
                data.discard(name)
                changed = True
    return data


def _settings_value(value: ast.expr, data: set[str]) -> bool:
    for node in ast.walk(value):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in data and not hasattr(builtins, node.id):
            bound = {t.id for c in ast.walk(value) if isinstance(c, ast.comprehension) for t in ast.walk(c.target) if isinstance(t, ast.Name)}
            if node.id not in bound and node.id != "os":
                return False
        if isinstance(node, ast.Call):
            func = node.func
            dotted = ast.unparse(func)
            if dotted in ("os.getenv", "os.environ.get") or (isinstance(func, ast.Name) and hasattr(builtins, func.id) and func.id not in ("open", "exec", "eval", "__import__", "input")):
                continue
            if isinstance(func, ast.Attribute) and func.attr in _LOCAL_METHODS:
                continue
            return False
    return True


def _local_names(func) -> set[str]:
    """The function's parameters and the names it assigns (not ``self``: its attributes may be clients)."""
    args = func.args
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)} | {a.arg for a in (args.vararg, args.kwarg) if a}
    names |= {n.name for n in body_nodes(func.body, scopes=True) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for node in body_nodes(func.body):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            names |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Assign):
            names |= {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names - {"self", "cls"}


# stdlib modules whose functions compute from their arguments and touch nothing outside
_PURE_MODULES = (
    "os.path.", "posixpath.", "ntpath.", "urllib.parse.", "json.loads", "json.dumps", "re.", "math.", "datetime.",
    "decimal.", "fractions.", "uuid.UUID", "packaging.version.", "packaging.specifiers.", "ipaddress.", "base64.", "binascii.", "hashlib.", "string.", "textwrap.",
    "shlex.split", "shlex.quote", "html.escape", "html.unescape", "unicodedata.", "zoneinfo.ZoneInfo", "colorsys.",
)


# parsing text the code already holds, under whichever wrapper the project imports it
_PARSERS = (".loads", "ast.literal_eval", "json.load", "yaml.safe_load", "tomllib.load", ".yaml.safe_load", "orjson.loads", "ujson.loads", "simplejson.loads", "dateutil.parser.parse", ".strptime", ".fromisoformat")


_LOCAL_METHODS = frozenset(
    {"get", "split", "rsplit", "strip", "lstrip", "rstrip", "lower", "upper", "format", "replace", "startswith",
     "endswith", "join", "items", "keys", "values", "decode", "encode", "isoformat", "fromisoformat", "group",
     "groups", "match", "search", "copy", "index", "count", "pop", "setdefault", "update", "append", "add",
     "astimezone", "strftime", "timestamp", "date", "time", "total_seconds", "splitlines", "partition", "rpartition",
     "casefold", "title", "zfill", "ljust", "rjust", "center", "extend", "insert", "remove", "sort", "reverse"}
)  # fmt: skip
