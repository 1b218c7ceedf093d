"""Whether an error raised in a handler is the function's user-facing outcome rather than a translation of a
failure, judged from the raised class itself wherever it is defined in the project.

An outcome error's message is the whole answer: the user sees it, and nobody reads its ``__cause__``. Three
signs, each enough on its own:

- ``client_answer_class``: the class is a web framework's client answer (DRF ``APIException`` with a
  ``status_code`` below 500 or one of DRF's 4xx classes, Django's ``ValidationError``/``PermissionDenied``/
  ``Http404``/``SuspiciousOperation``, a werkzeug HTTP error below 500). The framework answers it as a response
  and logs no traceback; DRF's default exception handler reports only 5xx.
- ``shown_outcome_class``: the project defines the class and its package treats it as an expected outcome:
  at least three of the handlers in the package that name it only show its message (``messages.error(request,
  str(e))``, ``Response({"detail": str(e)}, status=400)``, ``raise ValidationError(str(e))``, ``form.error =
  str(e)``) and at least three quarters of them neither log its traceback nor hand it on; or a Celery task of
  the package declares it in ``throws=(...)`` (logged as expected, one line, no traceback) and the package's
  handlers, at least one of which shows its message, are equally quiet. The handlers are found by the ``except`` clauses of every module of the package,
  not by following the raising function's callers, so a class caught in dozens of modules is judged by all of
  its catchers, whatever the raising function is called through.
- ``message_table_call``: the message is taken from a message table (``self.error_messages['quota']``,
  ``ERRORS[code]``) or is a string marked for translation (``_("...")``, ``gettext(...)``): text written for an
  end user.

Unknown (the class cannot be found, a module cannot be read): the answer is False.
"""

from __future__ import annotations

import ast
import re
from http import HTTPStatus
from pathlib import Path

from sadpath.engine import logcalls
from sadpath.engine.catchers import framework_answer
from sadpath.engine.context import ModuleContext
from sadpath.engine.project_calls import module_context, project_base
from sadpath.engine.project_files import package_files
from sadpath.engine.walker import body_nodes
from sadpath.files import read_text

ClassRef = tuple[ast.ClassDef, ModuleContext]

_MAX_DEPTH = 6
# per package folder: file -> (words of its ``except`` clauses, words of its ``throws=`` declarations)
_INDEXES: dict[str, dict[Path, tuple[frozenset[str], frozenset[str]]]] = {}
_EXCEPT = re.compile(r"^\s*except\b([^:\n]*)", re.MULTILINE)
_THROWS = re.compile(r"\bthrows\s*=\s*\(([^)]*)\)")
_WORD = re.compile(r"[A-Za-z_]\w*")


# ---------------------------------------------------------------------------------------------- finding classes


def find_class(expr: ast.expr, ctx: ModuleContext) -> ClassRef | None:
    """The project's definition of the class ``expr`` names (``OrderError``, ``TaxRule.SaleNotAllowed``, a class
    imported from another module of the project, relatively or not, at the top or inside the function)."""
    parts: list[str] = []
    node = expr
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    parts.reverse()
    found = _top_level(parts[0], ctx, 0)
    for nested in parts[1:]:
        if found is None:
            return None
        cls, cctx = found
        found = next(((s, cctx) for s in cls.body if isinstance(s, ast.ClassDef) and s.name == nested), None)
    return found


def _top_level(name: str, ctx: ModuleContext, depth: int) -> ClassRef | None:
    if depth > _MAX_DEPTH:
        return None
    for stmt in ctx.tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == name:
            return stmt, ctx
    for stmt in ast.walk(ctx.tree):
        if not isinstance(stmt, ast.ImportFrom):
            continue
        for alias in stmt.names:
            if (alias.asname or alias.name) == name:
                target = _module_file(stmt, ctx)
                loaded = module_context(target, ctx) if target is not None else None
                return _top_level(alias.name, loaded, depth + 1) if loaded is not None else None
    return None


def _module_file(stmt: ast.ImportFrom, ctx: ModuleContext) -> Path | None:
    module = (stmt.module or "").split(".") if stmt.module else []
    if stmt.level:
        base = Path(ctx.source.path).resolve().parent
        for _ in range(stmt.level - 1):
            base = base.parent
    else:
        if not module:
            return None
        base = project_base(module[0], ctx)
        if base is None:
            return None
    if not module:
        candidates = [base / "__init__.py"]
    else:
        candidates = [base.joinpath(*module[:-1], f"{module[-1]}.py"), base.joinpath(*module, "__init__.py")]
    return next((c for c in candidates if c.is_file()), None)


def _bases(ref: ClassRef) -> list[tuple[ClassRef | None, str]]:
    """Each base of the class: its project definition when there is one, and its qualified name."""
    cls, cctx = ref
    out = []
    for base in cls.bases:
        out.append((find_class(base, cctx), cctx.qualified_name(base) or ast.unparse(base)))
    return out


# ----------------------------------------------------------------------------------------- client answer classes

_DRF = "rest_framework.exceptions."
_DRF_SERVER = frozenset({"APIException"})
_WERKZEUG_SERVER = frozenset({"HTTPException", "InternalServerError", "NotImplemented", "BadGateway", "ServiceUnavailable",
                              "GatewayTimeout", "HTTPVersionNotSupported"})  # fmt: skip
_CLIENT_BASES = frozenset(
    {"django.http.Http404", "django.http.response.Http404", "django.core.exceptions.PermissionDenied",
     "django.core.exceptions.ValidationError", "django.core.exceptions.SuspiciousOperation",
     "django.core.exceptions.BadRequest", "django.forms.ValidationError", "rest_framework.serializers.ValidationError"}
)  # fmt: skip
_STATUS_NAMES = ("status_code", "code", "status", "http_status")


def client_answer_class(expr: ast.expr, ctx: ModuleContext) -> bool:
    """The project class ``expr`` names is answered by the web framework as a client error (status below 500)."""
    ref = find_class(expr, ctx)
    return ref is not None and _client_status(ref, 0) is True


def _client_status(ref: ClassRef, depth: int) -> bool | None:
    """True: a client answer; False: a server error (or not a framework answer); None: no framework base."""
    if depth > _MAX_DEPTH:
        return None
    declared = _declared_status(ref[0])
    verdict = None
    for base_ref, qualified in _bases(ref):
        if base_ref is not None:
            inherited = _client_status(base_ref, depth + 1)
        elif qualified in _CLIENT_BASES:
            inherited = True
        elif qualified.startswith(_DRF):
            inherited = qualified[len(_DRF):] not in _DRF_SERVER
        elif qualified.startswith("werkzeug.exceptions."):
            inherited = qualified.rpartition(".")[2] not in _WERKZEUG_SERVER
        elif qualified in ("fastapi.HTTPException", "starlette.exceptions.HTTPException", "fastapi.exceptions.HTTPException"):
            inherited = False  # its status comes with each raise
        else:
            inherited = None
        if inherited is not None:
            verdict = inherited if verdict is None else verdict and inherited
    if verdict is None:
        return None
    if declared is not None:
        return 400 <= declared < 500
    return verdict


def _declared_status(cls: ast.ClassDef) -> int | None:
    for stmt in cls.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id in _STATUS_NAMES for t in targets):
                return _status_value(stmt.value)
    return None


def _status_value(value: ast.expr) -> int | None:
    if isinstance(value, ast.Constant) and isinstance(value.value, int):
        return value.value
    if isinstance(value, ast.Attribute):
        if match := re.match(r"HTTP_(\d{3})", value.attr):
            return int(match.group(1))
        if value.attr in HTTPStatus.__members__:
            return HTTPStatus[value.attr].value
    return None


# ------------------------------------------------------------------------------------------ shown outcome classes


def shown_outcome_class(expr: ast.expr, ctx: ModuleContext) -> bool:
    """The project defines the class, and its package's handlers only show its message (or a task declares it
    expected in ``throws=``)."""
    ref = find_class(expr, ctx)
    if ref is None:
        return False
    name = ref[0].name
    key = ("sad103.shown-outcome", name)
    if key not in ctx.memo:
        ctx.memo[key] = _judge_class(name, ref[1], ctx)
    return ctx.memo[key]


def _judge_class(name: str, defining: ModuleContext, ctx: ModuleContext) -> bool:
    index = _index(Path(defining.source.path).resolve())
    if not index:
        return False
    declared = any(name in throws for _, throws in index.values())
    total = quiet = shown = 0
    for path, (excepts, _) in index.items():
        if name not in excepts:
            continue
        hctx = module_context(path, ctx)
        if hctx is None:
            return False
        for node in ast.walk(hctx.tree):
            if isinstance(node, ast.ExceptHandler) and node.type is not None and name in _caught_names(node):
                total += 1
                verdict = _message_only(node, hctx)
                quiet += verdict is not False
                shown += verdict is True
    if total and quiet * 4 < total * 3:
        return False
    return shown >= 3 or (declared and shown >= 1)


def _caught_names(handler: ast.ExceptHandler) -> set[str]:
    return {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(handler.type) if isinstance(n, (ast.Name, ast.Attribute))}


_MESSAGE_ATTRS = frozenset({"message", "messages", "args", "detail", "log", "msg", "error_dict", "message_dict"})
_PLAIN_CALLS = frozenset({"str", "repr", "isinstance", "type", "getattr", "hasattr", "gettext", "_"})


def _message_only(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool | None:
    """True: the handler shows the error's message and nothing else of it; None: it neither shows nor hands on
    the error (it branches on it); False: it logs the traceback, re-raises it, or hands the error object on."""
    shown = False
    bound = handler.name
    for node in body_nodes(handler.body):
        if isinstance(node, ast.Raise):
            if node.exc is None or (isinstance(node.exc, ast.Name) and node.exc.id == bound):
                return False
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if node.cause is None and not framework_answer(ctx.qualified_name(target) or ast.unparse(target)):
                return False
        elif isinstance(node, ast.Call):
            log = logcalls.as_log_call(node, ctx)
            if log is not None and logcalls.keeps_traceback(log, ctx):
                return False
            text = ast.unparse(node.func)
            if text.startswith(("traceback.", "sys.exc_info")) or "capture_exception" in text:
                return False
            plain = text.rpartition(".")[2] in _PLAIN_CALLS
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if bound and isinstance(arg, ast.Name) and arg.id == bound:
                    if not plain:
                        return False  # ``report(exc)``: handed on to someone who may show the traceback
                    shown = True
        elif bound and isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == bound:
            shown = shown or node.attr in _MESSAGE_ATTRS
        elif bound and isinstance(node, ast.FormattedValue) and isinstance(node.value, ast.Name) and node.value.id == bound:
            shown = True
    return True if shown else None


def _index(path: Path) -> dict[Path, tuple[frozenset[str], frozenset[str]]]:
    files = package_files(path)
    if not files:
        return {}
    key = str(files[0].parent)
    if key not in _INDEXES:
        index = {}
        for file in files:
            try:
                text = read_text(file)
            except (OSError, UnicodeDecodeError, ValueError):
                continue
            excepts = frozenset(w for m in _EXCEPT.finditer(text) for w in _WORD.findall(m.group(1)))
            throws = frozenset(w for m in _THROWS.finditer(text) for w in _WORD.findall(m.group(1)))
            if excepts or throws:
                index[file.resolve()] = (excepts, throws)
        if len(_INDEXES) > 16:
            _INDEXES.clear()
        _INDEXES[key] = index
    return _INDEXES[key]


# -------------------------------------------------------------------------------------------- message tables

_TABLE = re.compile(r"(?i)(?:messages?|errors?|msgs?|texts?)$")
_I18N = frozenset({"_", "gettext", "gettext_lazy", "ugettext", "ugettext_lazy", "pgettext", "pgettext_lazy", "ngettext",
                   "ngettext_lazy", "lazy_gettext", "_l"})  # fmt: skip


def message_table_call(call: ast.Call) -> bool:
    """The raise's message is an entry of a message table or a string marked for translation."""
    if not call.args:
        return False
    return _user_text(call.args[0])


def _user_text(arg: ast.expr) -> bool:
    if isinstance(arg, (ast.List, ast.Tuple)):
        return bool(arg.elts) and all(_user_text(e) for e in arg.elts)  # ``SyncConfigError([_("...")])``
    if isinstance(arg, ast.Subscript):
        return bool(_TABLE.search(ast.unparse(arg.value)))
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod):
        return _user_text(arg.left)
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "format":
        return _user_text(arg.func.value)
    if isinstance(arg, ast.Call):
        func = arg.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in _I18N and bool(arg.args) and isinstance(arg.args[-1], ast.Constant)
    return False
