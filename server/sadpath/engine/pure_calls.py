"""Pure in-memory work, with the third-party parsers, formatters and response builders ``pure_work`` does not know.

``pure_work.pure_errors`` treats any call it does not know as possible I/O. Some libraries' calls only compute on
the values they are given: Babel's number and date formatting, ``PhoneNumber.from_string`` (a ``phonenumbers``
parse), Django's signing (``signer.unsign(token)``: an HMAC check of a string), and building a response object
(``Response({...}, status=400)``, ``JsonResponse``) before it is returned. A block of such calls is pure too, and
raises the library's own errors. (``gettext.translation`` is not pure: it opens catalog files.)
"""

from __future__ import annotations

import ast
import copy

from sadpath.engine import pure_work
from sadpath.engine.context import ModuleContext

# qualified name (or prefix ending in ".") of the call, or of its receiver's type -> the errors it raises
_KNOWN = (
    ("babel.numbers.", ()), ("babel.dates.", ()), ("babel.Locale", ("babel.UnknownLocaleError", "ValueError")),
    ("phonenumber_field.phonenumber.PhoneNumber.from_string", ("phonenumbers.NumberParseException",)),
    ("phonenumbers.parse", ("phonenumbers.NumberParseException",)),
    ("django.core.signing.loads", ("django.core.signing.BadSignature",)),
    ("rest_framework.response.Response", ()), ("django.http.JsonResponse", ()), ("django.http.HttpResponse", ()),
    ("django.http.response.JsonResponse", ()), ("django.http.response.HttpResponse", ()),
)  # fmt: skip
_FILE_READS = frozenset({"gettext.translation", "gettext.find", "gettext.install"})
_SIGNERS = ("django.core.signing.Signer", "django.core.signing.TimestampSigner")
_SIGNER_METHODS = frozenset({"unsign", "unsign_object", "sign", "sign_object"})
# Django's connection handlers: ``caches[alias]`` / ``connections[alias]`` is no dict lookup. An alias missing from
# the settings raises the handler's ``exception_class`` (``BaseConnectionHandler.__getitem__``), and a cache backend
# that cannot be imported raises ``InvalidCacheBackendError`` too (``CacheHandler.create_connection``).
_HANDLERS = {
    "django.core.cache.caches": "django.core.cache.InvalidCacheBackendError",
    "django.db.connections": "django.utils.connection.ConnectionDoesNotExist",
}


def pure_errors(stmts: list[ast.stmt], ctx: ModuleContext) -> tuple[str, ...] | None:
    """``pure_work.pure_errors``, counting the known pure library calls above as pure computation."""
    if any(isinstance(n, ast.Call) and ctx.qualified_name(n.func) in _FILE_READS for s in stmts for n in ast.walk(s)):
        return None  # ``gettext.translation(domain, localedir)`` opens and parses catalog files
    handlers = _handler_subscripts(stmts, ctx)
    errors = None if handlers else pure_work.pure_errors(stmts, ctx)
    if errors is not None:
        return errors
    known: dict[tuple, tuple[str, ...]] = handlers
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                raised = _library_errors(node, ctx)
                if raised is not None:
                    known[_where(node)] = raised
    return errors_with(stmts, ctx, known, pure_work.pure_errors)


def position(node: ast.AST) -> tuple:
    """A node's place in the file: the key of the calls ``errors_with`` is handed."""
    return _where(node)


def errors_with(stmts: list[ast.stmt], ctx: ModuleContext, known: dict[tuple, tuple[str, ...]], judge) -> tuple[str, ...] | None:
    """``judge(block, ctx)`` of the block with each call (or subscript) in ``known`` (by ``position``) replaced by
    ``str(<its arguments>)``, together with the errors ``known`` says those raise; None when nothing is known or
    the rest is not pure work."""
    if not known:
        return None
    extra: list[str] = []
    swapped = [_Swap(known, extra).visit(copy.deepcopy(stmt)) for stmt in stmts]
    errors = judge(swapped, ctx)
    if errors is None:
        return None
    return tuple(dict.fromkeys((*extra, *errors)))


class _Swap(ast.NodeTransformer):
    """Replaces each known pure library call by ``str(<its arguments>)``: what is left is judged as before."""

    def __init__(self, known: dict[tuple, tuple[str, ...]], extra: list[str]) -> None:
        self.known = known
        self.extra = extra

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        raised = self.known.get(_where(node))
        if raised is None:
            return node
        self.extra.extend(raised)
        args = [a.value if isinstance(a, ast.Starred) else a for a in [*node.args, *(k.value for k in node.keywords)]]
        return ast.copy_location(ast.Call(func=ast.Name(id="str", ctx=ast.Load()), args=args, keywords=[]), node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        raised = self.known.get(_where(node))
        if raised is None:
            return node
        self.extra.extend(raised)
        args = [node.slice]
        return ast.copy_location(ast.Call(func=ast.Name(id="str", ctx=ast.Load()), args=args, keywords=[]), node)


def block_errors(stmts: list[ast.stmt], ctx: ModuleContext) -> tuple[str, ...] | None:
    """The errors a block of pure in-memory work raises, for the advice that names them: ``pure_errors``, with
    ``TypeError`` where the block subscripts a value whose type is not known (``value[key]`` on None, a str key on a
    list), and ``AttributeError`` where it calls a method of (or reads an attribute of) a value it looked up itself
    (``pi["charge"]["details"].get("card")``, or ``details = pi["x"]`` then ``details.get(...)``): a JSON value
    that is None or a list there raises it, and advice leaving it out would turn the fallback into a crash."""
    errors = pure_errors(stmts, ctx)
    if not errors:
        return errors
    if "TypeError" not in errors and any(
        isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Load) and not _is_handler(sub, ctx)
        and not (ctx.type_of(sub.value) or "").startswith(("builtins.dict", "dict"))
        for stmt in stmts for sub in ast.walk(stmt)
    ):  # fmt: skip
        errors = (*errors, "TypeError")
    if "AttributeError" not in errors and _reads_looked_up_value(stmts, ctx):
        errors = (*errors, "AttributeError")
    return errors


def _looked_up(node: ast.AST, names: set[str]) -> bool:
    """A value the block took out of a container: ``x[k]``, ``x.get(k)``, or a local assigned one of those."""
    if isinstance(node, ast.Subscript):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return True
    return isinstance(node, ast.Name) and node.id in names


def _reads_looked_up_value(stmts: list[ast.stmt], ctx: ModuleContext) -> bool:
    names: set[str] = set()
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if _looked_up(node.value, names):
                    names.add(node.targets[0].id)
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and _looked_up(node.value, names) and not _is_handler(node.value, ctx):
                known = ctx.type_of(node.value) or ""
                if not known.startswith(("builtins.dict", "dict", "builtins.list", "list", "builtins.str", "str")):
                    return True
    return False


def _is_handler(node: ast.AST, ctx: ModuleContext) -> bool:
    """``caches[alias]``, ``connections[alias]``: a subscript of one of Django's connection handlers."""
    return isinstance(node, ast.Subscript) and (ctx.qualified_name(node.value) or "") in _HANDLERS


def _handler_subscripts(stmts: list[ast.stmt], ctx: ModuleContext) -> dict[tuple, tuple[str, ...]]:
    found: dict[tuple, tuple[str, ...]] = {}
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_handler(node, ctx):
                found[_where(node)] = (_HANDLERS[ctx.qualified_name(node.value) or ""],)
    return found


def _where(node: ast.AST) -> tuple:
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)


def _library_errors(call: ast.Call, ctx: ModuleContext) -> tuple[str, ...] | None:
    qualified = ctx.qualified_name(call.func) or ""
    for prefix, raised in _KNOWN:
        if qualified == prefix or (prefix.endswith(".") and qualified.startswith(prefix)):
            return raised
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _SIGNER_METHODS:
        if (ctx.type_of(func.value) or "") in _SIGNERS:
            return ("django.core.signing.BadSignature",)
    return None
