"""Whether a block is pure in-memory work (a parse, a format, a lookup, text reshaping) and which errors it raises.

A bare ``except:`` around such a block is too broad because it hides which error was expected (and every bug in
the block), not because it swallows Ctrl-C: no operator's abort or cancellation is realistically delivered during
microseconds of in-memory work. A block that awaits, yields, calls project code or any call not known here to be
pure is not pure (conservative: unknown calls may do I/O).
"""

from __future__ import annotations

import ast

# builtins that only compute: name -> the errors they raise on bad input
_BUILTINS = {
    "int": ("ValueError", "TypeError"), "float": ("ValueError", "TypeError"), "complex": ("ValueError",),
    "str": (), "bool": (), "len": ("TypeError",), "list": (), "tuple": (), "dict": (), "set": (), "frozenset": (),
    "sorted": ("TypeError",), "reversed": (), "map": (), "filter": (), "zip": (), "enumerate": (), "min": ("ValueError",),
    "max": ("ValueError",), "sum": ("TypeError",), "abs": (), "round": (), "repr": (), "format": ("ValueError",),
    "isinstance": (), "getattr": ("AttributeError",), "hasattr": (), "ord": ("TypeError",), "chr": ("ValueError",),
    "bytes": (), "bytearray": (), "range": (), "any": (), "all": (), "divmod": ("ZeroDivisionError",), "hex": (),
    "next": ("StopIteration",), "iter": (), "type": (), "id": (), "hash": ("TypeError",), "slice": (),
}  # fmt: skip
# string, mapping and sequence methods: pure on the values they are called on (``.get`` on a dict, ``.split``)
_METHODS = {
    "get": (), "split": (), "rsplit": (), "strip": (), "lstrip": (), "rstrip": (), "format": (),
    "join": ("TypeError",), "replace": (), "lower": (), "upper": (), "encode": ("UnicodeError",),
    "decode": ("UnicodeError",), "startswith": (), "endswith": (), "items": (), "keys": (), "values": (),
    "index": ("ValueError",), "find": (), "partition": (), "rpartition": (), "splitlines": (), "title": (),
    "capitalize": (), "casefold": (), "zfill": (), "count": (), "copy": (), "setdefault": (), "isdigit": (),
    "isnumeric": (), "isalpha": (), "ljust": (), "rjust": (), "center": (), "removeprefix": (), "removesuffix": (),
    "group": ("IndexError",), "groups": (), "groupdict": (), "match": (), "fullmatch": (), "search": (),
    "strftime": ("ValueError",), "isoformat": (), "quantize": ("decimal.InvalidOperation",), "to_python": ("ValidationError",),
    "reshape": ("ValueError",),
}  # fmt: skip
# methods that also name I/O on a client (``cache.get``, ``redis.keys()``, ``thread.join()``): pure only on a value
_AMBIGUOUS = frozenset({"get", "items", "keys", "values", "count", "copy", "setdefault", "index", "match", "search",
                        "fullmatch", "group", "find", "join", "to_python", "format"})  # fmt: skip
# library functions that only compute, by qualified-name prefix -> the errors they raise
_LIBRARIES = (
    ("decimal.", ("decimal.InvalidOperation",)), ("json.loads", ("ValueError",)), ("json.dumps", ("TypeError",)),
    ("re.", ("re.error",)), ("datetime.", ("ValueError",)), ("uuid.UUID", ("ValueError",)),
    ("ipaddress.", ("ValueError",)), ("urllib.parse.", ("ValueError",)), ("base64.", ("binascii.Error",)),
    ("binascii.", ("binascii.Error",)), ("unicodedata.", ("ValueError",)), ("math.", ("ValueError",)),
    ("html.", ()), ("shlex.split", ("ValueError",)), ("struct.", ("struct.error",)), ("ast.literal_eval", ("ValueError", "SyntaxError")),
    ("textwrap.", ()), ("string.", ()), ("fractions.", ("ValueError",)), ("gettext.", ()), ("operator.", ()),
    ("django.utils.translation.", ()), ("django.urls.reverse", ("NoReverseMatch",)), ("django.forms.", ("ValidationError",)),
    ("django.utils.formats.", ("ValueError",)), ("django.utils.dateparse.", ("ValueError",)),
    ("arabic_reshaper.", ("ValueError",)), ("bidi.", ("ValueError",)), ("pycountry.", ("LookupError",)),
    ("dateutil.parser.", ("ValueError",)), ("zoneinfo.", ("zoneinfo.ZoneInfoNotFoundError",)),
    ("pytz.", ("pytz.UnknownTimeZoneError",)), ("phonenumbers.", ("phonenumbers.NumberParseException",)),
    ("packaging.version.", ("packaging.version.InvalidVersion",)), ("markupsafe.", ()),
)  # fmt: skip
_NAMES_THAT_DO_IO = ("self", "cls", "request", "session", "conn", "db", "client", "cursor")


def pure_errors(stmts: list[ast.stmt], ctx) -> tuple[str, ...] | None:
    """The errors a block of pure in-memory work raises (``("KeyError", "AttributeError")``; may be empty when
    they cannot be named), or None when the block is not known to be pure."""
    errors: list[str] = []
    saw_work = False
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.AsyncFor, ast.AsyncWith, ast.With,
                                 ast.Raise, ast.Global, ast.Nonlocal, ast.Delete)):  # fmt: skip
                return None
            if isinstance(node, ast.Call):
                raised = _call_errors(node, ctx)
                if raised is None:
                    return None
                saw_work = True
                errors.extend(raised)
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
                if isinstance(node.value, ast.Name) and node.value.id in _NAMES_THAT_DO_IO:
                    return None  # ``self[...]``: a ``__getitem__`` of the project's, which may query
                saw_work = True
                key = node.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, int):
                    errors.append("IndexError")
                elif isinstance(key, (ast.Constant, ast.JoinedStr)):
                    errors.append("KeyError")
                elif not isinstance(key, ast.Slice):
                    errors.extend(("KeyError", "IndexError"))
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Call):
                if not _is_method_call_target(node, stmt):
                    errors.append("AttributeError")  # ``lookup(...).name``: the lookup answered None
    if not saw_work:
        return None
    return tuple(dict.fromkeys(errors))


def _is_method_call_target(attr: ast.Attribute, stmt: ast.stmt) -> bool:
    return any(isinstance(n, ast.Call) and n.func is attr for n in ast.walk(stmt))


def _call_errors(call: ast.Call, ctx) -> tuple[str, ...] | None:
    func = call.func
    qualified = ctx.qualified_name(func) or ""
    for prefix, raised in _LIBRARIES:
        if qualified == prefix or (prefix.endswith(".") and qualified.startswith(prefix)) or qualified.startswith(prefix + "."):
            return raised
    if isinstance(func, ast.Name):
        if func.id in _BUILTINS and func.id not in ctx.names_in_scope():
            return _BUILTINS[func.id]
        if func.id in ("_", "gettext", "pgettext", "ngettext", "gettext_lazy", "pgettext_lazy"):
            return ()  # a translation lookup
        return None
    if isinstance(func, ast.Attribute):
        if func.attr in _METHODS and (func.attr not in _AMBIGUOUS or not _receiver_does_io(func.value, ctx)):
            return _METHODS[func.attr]
        type_name = ctx.type_of(func.value) or ""
        for prefix, raised in _LIBRARIES:
            if prefix.endswith(".") and type_name.startswith(prefix):
                return raised  # ``reshaper.reshape(text)`` on an ``arabic_reshaper.ArabicReshaper``
    return None


def _receiver_does_io(receiver: ast.AST, ctx) -> bool:
    """``self.get(...)``, ``session.get(...)``, ``requests.get(...)``, ``cache.get(...)``: not a dict's ``.get``."""
    root = receiver
    while isinstance(root, (ast.Attribute, ast.Subscript, ast.Call)):
        root = root.func if isinstance(root, ast.Call) else root.value
    if isinstance(root, ast.Constant):
        return False  # ``"a,b".split(",")``, ``"{}".format(x)``
    if isinstance(root, ast.Name) and root.id in _NAMES_THAT_DO_IO and receiver is root:
        return True
    qualified = ctx.qualified_name(receiver) or ""
    if qualified and "." in qualified and not qualified.startswith(tuple(p for p, _ in _LIBRARIES)):
        module = qualified.split(".", 1)[0]
        return module not in ("builtins",)  # a module's function (``requests.get``, ``cache.get``)
    type_name = ctx.type_of(receiver) or ""
    return bool(type_name) and not type_name.startswith(("builtins.", "dict", "str", "list", "collections."))
