"""Who catches an exception a handler raises, and whether every catcher only branches on it or shows its message.

An error raised as a signal (``raise ProcessLookupError`` copying ``os.kill``'s contract, a "skipped" outcome, a
``ValueError`` whose text a CLI prints before it exits) has no reader of its ``__cause__`` when every handler that
catches it branches on its type, stores it as an outcome, or shows ``str(exc)``, and none logs its traceback,
re-raises it or hands it on. The catchers are found from the raising function's callers (in its class, its module
and the files of its package, by name, a few calls up), or for a class the project defines, from every handler in
the package that names it. Unknown (no caller found, a call site with no catcher, a catcher that logs with the
traceback): the answer is False.
"""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

from sadpath.engine import logcalls
from sadpath.engine.call_index import calls_named
from sadpath.engine.context import ModuleContext
from sadpath.engine.project_calls import module_context
from sadpath.engine.walker import NESTED_SCOPES, body_nodes
from sadpath.files import read_text

_MAX_FILES = 400
_MAX_DEPTH = 3
_MAX_CALLER_FILES = 12
_MAX_NAMESPACE_UP = 3  # how far above a module its package's top folder is looked for


class _Escapes(Exception):
    """A call of the raising function, uncaught, in module code, ``main`` or a decorated entry point."""


def _is_entry(func: ast.AST) -> bool:
    plain = {"staticmethod", "classmethod", "property", "cached_property", "abstractmethod", "override", "wraps"}
    decorators = [d.func if isinstance(d, ast.Call) else d for d in func.decorator_list]
    names = {d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", "") for d in decorators}
    return func.name in ("main", "cli") or bool(names - plain)


DECLARED = ast.Pass()  # a call site inside a task that lists the raised class in ``throws=``
_TASK_DECORATORS = ("task", "shared_task", "periodic_task")


def task_throws(func: ast.AST, raised: str) -> bool:
    """``@app.task(throws=(CartError,))`` on ``func`` names ``raised``: Celery logs such an error as expected (one
    line, no traceback) and the caller reads only its message, so nobody reads its cause."""
    for decorator in getattr(func, "decorator_list", ()):
        if not isinstance(decorator, ast.Call):
            continue
        target = decorator.func
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if not name.endswith(_TASK_DECORATORS):
            continue
        for keyword in decorator.keywords:
            if keyword.arg == "throws" and raised in {
                n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(keyword.value) if isinstance(n, (ast.Name, ast.Attribute))
            }:
                return True
    return False


class _TooCommon(Exception):
    """The raising function's name is called from too many files to read their handlers."""
_CALLED = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_EXCEPT = re.compile(r"^\s*except\b([^:\n]*)", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z_]\w*")
_ALIAS = re.compile(r"\b([A-Za-z_]\w*)\s+as\s+([A-Za-z_]\w*)")  # ``import x as y`` (a prefilter: the tree decides)
# per package folder: file -> (names called, names in except clauses, imported names with their ``as`` aliases)
_Entry = tuple[frozenset[str], frozenset[str], frozenset[tuple[str, str]]]
_INDEXES: dict[str, dict[Path, _Entry]] = {}
_EXIT_CALLS = ("exit", "abort", "fail", "Exit", "Abort", "exit_with_error", "exit_with_success")


def only_branching_catchers(raised: str, func: ast.AST | None, ctx: ModuleContext) -> bool:
    """Every catcher of ``raised`` (a simple class name) raised in ``func`` branches or shows only its message."""
    if func is None or not raised:
        return False
    try:
        sites = _call_sites(func, raised, ctx, ctx, depth=0, seen=set())
    except _TooCommon:
        sites = None
    except _Escapes:
        return False  # it reaches a command, route or ``main`` uncaught: its traceback is shown
    if sites and not all(_branches(h, raised, hctx) for h, hctx in sites):
        return False  # a catcher that shows or hands on the error
    if sites and all(h is DECLARED for h, _ in sites):
        return True  # it only ever ends tasks that declare it in ``throws=``
    if not hasattr(builtins, raised):
        # a class of the project's own, whose every handler in the package is quiet (it may travel through a
        # callback the call graph cannot follow, such as a runner's ``process_node``)
        handlers = _package_handlers(raised, ctx)
        if handlers:
            return all(_quiet_handler(h, hctx) for h, hctx in handlers)
    return bool(sites)  # every call site found, and each catcher branches or shows only the message


def _call_sites(func, raised: str, fctx: ModuleContext, origin: ModuleContext, depth: int, seen: set) -> list | None:
    """The handlers catching ``raised`` around every call of ``func``; None when a call is not caught near it."""
    name = getattr(func, "name", "")
    if not name or name.startswith("__") or (fctx.source.path, name) in seen or depth > _MAX_DEPTH:
        return None
    seen.add((fctx.source.path, name))
    found: list = []
    calls = 0
    for cctx in _contexts_calling(name, fctx, origin):
        named = [c for called in (name, *import_aliases(cctx, name, fctx)) for c in calls_named(cctx, called)]
        for node, parents in sorted(named, key=lambda c: (len(c[1]), c[0].lineno, c[0].col_offset)):  # as ast.walk meets them
            calls += 1
            handler = _catching_handler(node, parents, raised, cctx)
            if handler is not None:
                found.append((handler, cctx))
                continue
            caller = next((p for p in reversed(parents) if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
            if caller is not None and caller.name == name:
                continue  # ``super().notify(...)`` in an override, ``self._client.notify(...)`` in a wrapper, a
                # recursion: the enclosing function's own callers are this name's callers, read by this search
            if caller is not None and task_throws(caller, raised):
                found.append((DECLARED, cctx))  # a Celery task that declares it expected: logged without traceback
                continue
            if caller is None or _is_entry(caller):
                raise _Escapes(name)
            upper = _call_sites(caller, raised, cctx, origin, depth + 1, seen)
            if upper is None:
                return None
            found.extend(upper)
    return found if calls else None


def _catching_handler(call: ast.Call, parents: list[ast.AST], raised: str, ctx: ModuleContext) -> ast.Try | None:
    """The nearest enclosing ``try`` handler whose ``try`` body holds the call (any handler: the caller of that
    handler's decision is what matters; the one naming the raised class is checked by ``_branches``)."""
    for index in range(len(parents) - 1, -1, -1):
        parent = parents[index]
        if isinstance(parent, NESTED_SCOPES):
            return None
        if isinstance(parent, ast.Try):
            child = parents[index + 1] if index + 1 < len(parents) else call
            if child in parent.body and parent.handlers and not _passes_on(parent, raised, ctx):
                return parent  # type: ignore[return-value]
    return None


_BROAD = frozenset({"Exception", "BaseException"})


def _passes_on(try_node: ast.Try, raised: str, ctx: ModuleContext) -> bool:
    """Every handler that may catch ``raised`` re-raises it (``except Exception as e: cleanup(); raise e``), and
    the others name unrelated classes: the error travels on to the next catcher up."""
    for handler in try_node.handlers:
        names = _handler_names(handler)
        if handler.type is not None and not (names & (_BROAD | _bound_names(raised, ctx))):
            continue
        reraises = any(
            isinstance(n, ast.Raise) and (n.exc is None or (isinstance(n.exc, ast.Name) and n.exc.id == handler.name))
            for n in body_nodes(handler.body)
        )
        if not reraises or any(
            (log := logcalls.as_log_call(n, ctx)) is not None and logcalls.keeps_traceback(log, ctx) for n in body_nodes(handler.body)
        ):
            return False  # caught here, or its traceback logged on the way
    return True


def _branches(found, raised: str, ctx: ModuleContext) -> bool:
    """The handler (or the handler of a ``try`` that names ``raised``) shows no traceback and hands nothing on."""
    if found is DECLARED:
        return True
    handlers = found.handlers if isinstance(found, ast.Try) else [found]
    bound = _bound_names(raised, ctx)
    named = [h for h in handlers if bound & _handler_names(h)]
    if not named:
        # caught only by a broader handler (``except Exception``): quiet when it shows no traceback either
        broad = [h for h in handlers if h.type is None or _handler_names(h) & _BROAD]
        return bool(broad) and all(_quiet_handler(h, ctx) for h in broad)
    return all(_quiet_handler(h, ctx) for h in named)


def _handler_names(handler: ast.ExceptHandler) -> set[str]:
    return {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "") for n in ast.walk(handler.type)} if handler.type else set()


def _fallback_reraises(handler: ast.ExceptHandler) -> set[int]:
    """Bare ``raise`` statements under an ``if`` of a handler that otherwise falls back (``except Unsupported: if
    presigned_only: raise`` then the single-part upload, or ``if fallback: return other() else: raise``): the
    handler branches on the signal, and where it passes the error on, the callers' handlers are judged too."""
    if not handler.body or isinstance(handler.body[-1], ast.Raise):
        return set()
    found: set[int] = set()
    for stmt in handler.body:
        if not isinstance(stmt, ast.If):
            continue
        found.update(id(n) for branch in (stmt.body, stmt.orelse) for n in body_nodes(branch) if isinstance(n, ast.Raise) and n.exc is None)
    return found


def _quiet_handler(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    branching = _fallback_reraises(handler)
    # a bare ``raise`` in a handler nested in this one re-raises that handler's own error, not this one
    branching |= {id(n) for inner in body_nodes(handler.body) if isinstance(inner, ast.ExceptHandler)
                  for n in body_nodes(inner.body) if isinstance(n, ast.Raise) and n.exc is None}  # fmt: skip
    for node in body_nodes(handler.body):
        if isinstance(node, ast.Raise) and id(node) in branching:
            continue
        if isinstance(node, ast.Raise):
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            shown = ast.unparse(target) if target is not None else ""
            answer = target is not None and framework_answer(ctx.qualified_name(target) or shown)
            chained = node.cause is not None and not (isinstance(node.cause, ast.Constant) and node.cause.value is None)
            if not shown.endswith(_EXIT_CALLS) and not answer and (chained or (node.cause is None and not _restates(handler, node))):
                return False  # re-raised, handed on ``from`` it, or raised on with it as the context carrying nothing of it
                # (a 400 answer shows only its text; ``from None`` and a message restating it show it as text)
        if isinstance(node, ast.Call):
            kept = keeps_its_traceback(node, ctx)
            if kept:
                return False
            if kept is None and handler.name and ast.unparse(node.func) not in ("str", "repr", "type", "isinstance", "getattr") and any(
                isinstance(a, ast.Name) and a.id == handler.name for a in [*node.args, *(k.value for k in node.keywords)]
            ):
                return False  # ``report(exc)``: handed on to someone who may show the traceback
    return True


def keeps_its_traceback(node: ast.Call, ctx: ModuleContext) -> bool | None:
    """What a call in a handler does with the caught error's traceback: True for a log call that keeps it and for
    ``traceback.*``, ``sys.exc_info()`` and ``capture_exception``; False for any other log call (a line of text);
    None for a call that is neither (it may still hand the error on)."""
    log = logcalls.as_log_call(node, ctx)
    if log is not None:
        return logcalls.keeps_traceback(log, ctx)
    shown = ast.unparse(node.func)
    return True if shown.startswith(("traceback.", "sys.exc_info")) or "capture_exception" in shown else None


def _restates(handler: ast.ExceptHandler, raise_node: ast.Raise) -> bool:
    """A new error raised by a catcher that restates what the caught one carries: its message reads the caught
    error (``raise ValueError(f"{url!r} is not valid: {exc}")``), or the handler copies the error's content into a
    result (``self.details["log"] = e.log`` then ``raise ActionFailed(...)``). The caught signal is shown as text,
    not handed on as a cause. (A bare ``raise``, ``raise exc`` and a new error that carries nothing of it are not.)"""
    if not handler.name or not isinstance(raise_node.exc, ast.Call):
        return False
    call = raise_node.exc
    if any(_reads(arg, handler.name) for arg in [*call.args, *(k.value for k in call.keywords)]):
        return True
    for node in body_nodes(handler.body):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and _reads(node.value, handler.name):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if all(isinstance(t, (ast.Subscript, ast.Attribute)) for t in targets):
                return True  # ``result["log"] = e.log``: stored as an outcome's detail
    return False


def _reads(expr: ast.AST, name: str) -> bool:
    """``expr`` reads the caught error's text or an attribute of it (``{exc}``, ``str(exc)``, ``exc.log``)."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == name:
            return True
        if isinstance(node, ast.FormattedValue) and isinstance(node.value, ast.Name) and node.value.id == name:
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("str", "repr"):
            if any(isinstance(a, ast.Name) and a.id == name for a in node.args):
                return True
    return False


def _package_handlers(raised: str, ctx: ModuleContext) -> list:
    found = []
    own = Path(ctx.source.path).resolve()
    contexts = [ctx]
    for path, (_, excepts, aliases) in _index(ctx).items():
        if path == own or not ({raised} | {a for n, a in aliases if n == raised}) & excepts:
            continue
        loaded = module_context(path, ctx)
        if loaded is None:
            return []
        contexts.append(loaded)
    for hctx in contexts:
        bound = _bound_names(raised, hctx)
        for node in ast.walk(hctx.tree):
            if isinstance(node, ast.ExceptHandler) and bound & _handler_names(node):
                found.append((node, hctx))
    return found


def _contexts_calling(name: str, fctx: ModuleContext, origin: ModuleContext):
    own = Path(fctx.source.path).resolve()
    yield fctx
    others = [
        path for path, (called, _, aliases) in _index(origin).items()
        if path != own and (name in called or any(n == name and a in called for n, a in aliases))
    ]
    if len(others) > _MAX_CALLER_FILES:
        raise _TooCommon(name)
    for path in others:
        loaded = module_context(path, origin)
        if loaded is not None:
            yield loaded


def _package_root(ctx: ModuleContext) -> Path | None:
    path = Path(ctx.source.path).resolve()
    root = None
    for folder in path.parents:
        if not (folder / "__init__.py").is_file():
            break
        root = folder
    imports = _absolute_imports(ctx)
    start = root if root is not None else path.parent
    for folder in [start, *start.parents][:_MAX_NAMESPACE_UP]:
        if folder.name in imports:
            # the package the module imports itself from: a namespace package (``mlflow/`` without
            # ``__init__.py``), or a regular one above a subfolder without ``__init__.py`` (``open_webui/utils/``)
            return folder
    return root


def _absolute_imports(ctx: ModuleContext) -> set[str]:
    """The top names of the module's dotted absolute imports (``from mlflow.exceptions import ...``)."""
    found = set()
    for node in ctx.tree.body:
        if isinstance(node, ast.ImportFrom) and not node.level and node.module and "." in node.module:
            found.add(node.module.partition(".")[0])
        elif isinstance(node, ast.Import):
            found |= {alias.name.partition(".")[0] for alias in node.names if "." in alias.name}
    return found


def import_aliases(ctx: ModuleContext, name: str, source: ModuleContext | None = None) -> set[str]:
    """The names ``ctx`` binds ``name`` to with ``from m import name as alias`` (``chat_completed as
    chat_completed_handler``, ``NotFound as E``); with ``source``, only imports from that module (by its last
    dotted part, or a package's ``__init__``)."""
    stem = Path(source.source.path).stem if source is not None else None
    folder = Path(source.source.path).parent.name if source is not None else None
    found = set()
    for node in ast.walk(ctx.tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        last = (node.module or "").rpartition(".")[2]
        if stem is not None and last != stem and not (stem == "__init__" and last == folder):
            continue
        found |= {alias.asname for alias in node.names if alias.name == name and alias.asname and alias.asname != name}
    return found


def _bound_names(raised: str, ctx: ModuleContext) -> set[str]:
    """The names a handler in ``ctx`` may catch ``raised`` by: its own, and the aliases the module imports it as."""
    return {raised} | ctx.fact(f"catchers.aliases.{raised}", lambda: import_aliases(ctx, raised))


def _index(ctx: ModuleContext) -> dict[Path, _Entry]:
    root = _package_root(ctx)
    if root is None:
        return {}
    key = str(root)
    if key not in _INDEXES:
        index: dict[Path, _Entry] = {}
        for path in sorted(root.rglob("*.py"))[:_MAX_FILES * 5]:
            try:
                text = read_text(path)
            except (OSError, UnicodeDecodeError, ValueError):
                continue
            excepts = frozenset(w for m in _EXCEPT.finditer(text) for w in _WORD.findall(m.group(1)))
            aliases = frozenset((m.group(1), m.group(2)) for m in _ALIAS.finditer(text) if m.group(1) != m.group(2))
            index[path.resolve()] = (frozenset(_CALLED.findall(text)), excepts, aliases)
        if len(_INDEXES) > 8:
            _INDEXES.clear()
        _INDEXES[key] = index
    return _INDEXES[key]


# exceptions a web framework answers as a response, without logging: a cause attached to them is never shown
# (tornado's ``Finish`` is its stop signal: the request is finished, nothing is logged)
FRAMEWORK_ANSWERS = frozenset(
    {"fastapi.HTTPException", "fastapi.exceptions.HTTPException", "starlette.exceptions.HTTPException",
     "django.http.Http404", "django.http.response.Http404", "django.core.exceptions.PermissionDenied",
     "django.core.exceptions.ValidationError", "django.core.exceptions.SuspiciousOperation",
     "django.core.exceptions.BadRequest", "django.forms.ValidationError", "tornado.web.HTTPError", "tornado.web.Finish",
     "flask_restful.abort", "fastapi.exceptions.RequestValidationError", "graphql.GraphQLError",
     "rest_framework.serializers.ValidationError"}
)  # fmt: skip
FRAMEWORK_ANSWER_MODULES = ("werkzeug.exceptions.", "rest_framework.exceptions.", "sanic.exceptions.", "falcon.errors.")


def framework_answer(qualified: str) -> bool:
    """``HTTPException``, ``Http404``, DRF's and werkzeug's HTTP errors, aiohttp's ``web.HTTPNotFound``."""
    if qualified in FRAMEWORK_ANSWERS or qualified.startswith(FRAMEWORK_ANSWER_MODULES):
        return True
    module, _, name = qualified.rpartition(".")
    return module in ("aiohttp.web", "aiohttp.web_exceptions") and name.startswith("HTTP")
