"""Following the project's own functions: which external failures escape a helper unhandled.

``escaping_failures(func)`` walks a project function (not its nested functions)
and returns, for each external call inside it, the failure modes no enclosing
``try`` of that function catches — directly or through further project
functions, up to a small depth. Same-module functions and ``self`` methods are
resolved on the module's own tree; imported project functions are resolved
lazily with jedi (``Script.goto``, which never imports or runs the code) and the
target file is parsed on its own, cached per file version.
"""

from __future__ import annotations

import ast
import dataclasses
import logging
import sys
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from sadpath.engine import file_reads
from sadpath.engine.bounded_cache import evict, trim_parso_cache
from sadpath.files import read_text
from sadpath.knowledge import HTTP_STATUS_MODES
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.handling import caught_by, catches, enclosing_try_handlers
from sadpath.engine.network_commands import network_command
from sadpath.engine.key_origin import EXTERNAL, Origins, argument_for, falsy_default_params, falsy_literal, guards, key_origin
from sadpath.engine.semantic import SemanticModel
from sadpath.source import SourceFile

log = logging.getLogger("sadpath.engine")

MAX_DEPTH = 3
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class Escape:
    """An external call whose failure modes escape a function unhandled."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    call: str  # "requests.post"
    interface: str  # label, e.g. "requests"
    mode_exceptions: tuple[tuple[str, tuple[str, ...]], ...]  # each escaping mode and the types that carry it
    via: tuple[str, ...] = ()  # project functions it passes through
    # a database not-found whose key comes from these parameters of the function summarised: the callers'
    # arguments decide whether it can miss (None: it can, whoever calls)
    key_params: tuple[str, ...] | None = None
    guards: tuple[str, ...] = ()  # falsy-default parameters the call is only reached through (``if files:``)

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(mode for mode, _ in self.mode_exceptions)

    @property
    def exceptions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e for _, excs in self.mode_exceptions for e in excs))

    def narrowed(self, still_escaping) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The modes whose exceptions are not all caught by ``still_escaping(exc) -> bool`` == False; nothing when
        some mode is caught: code that handles some of a call's failures deliberately has thought about it, and
        the rest is a contract's business (SAD301)."""
        out = []
        for mode, excs in self.mode_exceptions:
            left = tuple(e for e in excs if still_escaping(e))
            if len(left) < len(excs):
                return ()
            out.append((mode, left))
        return tuple(out)


def required_modes(interface, external=None, parents: list[ast.AST] = ()) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The modes the call itself raises: for HTTP, status errors come only from an explicit raise_for_status();
    some modes only with some arguments (``subprocess.run(check=True)``)."""
    modes = []
    declared = interface.modes_of_call(external.call, external.name) if external is not None else interface.modes
    for mode, exceptions in declared:
        if interface.kind == "http" and mode in HTTP_STATUS_MODES | {"serialization"}:
            continue
        if interface.kind == "database" and not (
            mode == "not-found" and external is not None and single_object_lookup(external.call, parents, interface.name in RAISING_GET)
        ):
            continue  # connection, lock and integrity failures: the framework turns them into a 500 or a failed task
        modes.append((mode, exceptions))
    return tuple(modes)


# the ORM lookups that raise when the row is missing; .first(), .filter(), .exists() and .count() answer instead,
# and so does SQLAlchemy's session.get(), which answers None
SINGLE_OBJECT_LOOKUPS = frozenset({"get", "one", "scalar_one", "get_object_or_404"})
RAISING_GET = frozenset({"django_orm"})


def remote_call(external, call: ast.Call, func: ast.AST | None) -> bool:
    """Whether an external call talks to a remote service: a subprocess only when it runs a network command
    (``git fetch``, ``docker push``, ``curl``); every other interface is remote by kind."""
    if external.interface.kind != "process":
        return True
    return network_command(call, func) is not None


def single_object_lookup(call: ast.Call, parents: list[ast.AST] = (), get_raises: bool = True) -> bool:
    """``Order.objects.get(pk=...)``, ``qs.get(...)``, ``session.execute(...).scalar_one()``: a lookup whose
    not-found is an outcome the caller must answer (a 404, a skipped message), unlike an infrastructure failure."""
    if isinstance(call.func, ast.Attribute) and call.func.attr in SINGLE_OBJECT_LOOKUPS:
        if call.func.attr == "get" and get_raises:
            return True  # whether its key can miss is the key's origin's business (engine/key_origin.py)
        return call.func.attr != "get" or _none_dereferenced(call, parents)
    outer = [p for p in reversed(parents[-3:]) if p is not call][:2]  # innermost first: the attribute, then its call
    return (
        len(outer) == 2
        and isinstance(outer[0], ast.Attribute)
        and outer[0].value is call
        and outer[0].attr in SINGLE_OBJECT_LOOKUPS
        and isinstance(outer[1], ast.Call)
        and outer[1].func is outer[0]
    )


def unhandled_modes(external, parents: list[ast.AST], ctx: ModuleContext, extra_handled: tuple[str, ...] = ()):
    """Required modes of an external call that no enclosing try of its function catches."""
    if external.name.rsplit(".", 1)[-1] in LOCAL_METHODS:
        return []  # computed from the client's own configuration: no request is made
    if external.interface.kind == "http" and status_checked(external.call, parents) and _in_loop(parents):
        return []  # a loop that answers the status outcomes itself (409: try another slug): the rest is a contract's
    handlers = [caught_by(h, ctx) for h in enclosing_try_handlers(external.call, parents)]
    handlers.extend(retried_by_decorator(parents, ctx))
    required = required_modes(external.interface, external, parents)
    roots = {exc.split(".")[0] for _, excs in required for exc in excs if "." in exc} if external.interface.kind != "database" else set()
    if any(name.split(".")[0] in roots for caught in handlers for name in caught if "." in name):
        return []  # ``except CommitFailedError`` around ``consumer.commit()``: the library's own failure, handled on purpose
    missing = []
    for mode, exceptions in required:
        if any(catches(ctx.hierarchy, caught, exc) for caught in handlers for exc in exceptions):
            return []  # some of its failures are handled deliberately: the rest is a contract's business (SAD301)
        if any(catches(ctx.hierarchy, extra_handled, exc) for exc in exceptions):
            continue
        missing.append((mode, exceptions))
    return missing


# client methods that answer from local state, without a request (boto3's presigning, its paginator factory,
# redis's pipeline and pubsub objects, whose own execute()/subscribe() make the requests)
LOCAL_METHODS = frozenset(
    {"generate_presigned_url", "generate_presigned_post", "get_paginator", "get_waiter", "can_paginate", "pipeline", "pubsub"}
)


def retried_by_decorator(parents: list[ast.AST], ctx: ModuleContext) -> list[tuple[str, ...]]:
    """What the enclosing function's retry decorator retries, as caught names: ``@backoff.on_exception(wait,
    (A, B))``, tenacity's ``@retry(retry=retry_if_exception_type(A))``, and a bare ``@retry`` (every error)."""
    func = next((p for p in reversed(parents) if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    found: list[tuple[str, ...]] = []
    for decorator in getattr(func, "decorator_list", []):
        call = decorator if isinstance(decorator, ast.Call) else None
        name = ctx.qualified_name(call.func if call is not None else decorator) or ""
        if name in ("backoff.on_exception", "backoff._decorator.on_exception") and call is not None and len(call.args) >= 2:
            found.append(_names(call.args[1], ctx))
        elif name in ("tenacity.retry", "tenacity.Retrying"):
            keyword = next((k.value for k in (call.keywords if call is not None else []) if k.arg == "retry"), None)
            if isinstance(keyword, ast.Call) and (ctx.qualified_name(keyword.func) or "").endswith("retry_if_exception_type") and keyword.args:
                found.append(_names(keyword.args[0], ctx))
            elif keyword is None:
                found.append(("Exception",))  # tenacity retries every error unless told otherwise
    return found


def _names(expr: ast.expr, ctx: ModuleContext) -> tuple[str, ...]:
    """The exception names an expression stands for, spelled as an ``except`` would spell them."""
    return caught_by(ast.ExceptHandler(type=expr, name=None, body=[]), ctx)


def _none_dereferenced(call: ast.Call, parents: list[ast.AST]) -> bool:
    """``account = session.get(Account, pk)`` and the next statement that reads ``account`` reads an attribute of
    it without testing for None first: a missing row ends in an AttributeError, the not-found nobody answered."""
    assign = parents[-1] if parents else None
    if not (isinstance(assign, ast.Assign) and assign.value is call and len(assign.targets) == 1 and isinstance(assign.targets[0], ast.Name)):
        return False
    name = assign.targets[0].id
    block = next((getattr(p, f) for p in reversed(parents[:-1]) for f in ("body", "orelse") if assign in getattr(p, f, [])), None)
    if block is None:
        return False
    for stmt in block[block.index(assign) + 1 :]:
        reads = [n for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
        if not reads:
            continue
        if isinstance(stmt, (ast.If, ast.While, ast.Assert)) or any(isinstance(n, (ast.BoolOp, ast.Compare, ast.IfExp)) for n in ast.walk(stmt)):
            return False  # ``if account is None: abort(404)``
        return any(isinstance(n, ast.Attribute) and n.value is r for r in reads for n in ast.walk(stmt))
    return False


def _in_loop(parents: list[ast.AST]) -> bool:
    for parent in reversed(parents):
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.While)):
            return True
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False
    return False


def status_checked(call: ast.Call, parents: list[ast.AST]) -> bool:
    """``resp = requests.delete(...)`` and then ``if resp.status_code == 200:`` in the same function: the code
    answers the outcomes it cares about itself."""
    assign = parents[-1] if parents else None
    if not (isinstance(assign, ast.Assign) and assign.value is call and len(assign.targets) == 1 and isinstance(assign.targets[0], ast.Name)):
        return False
    name = assign.targets[0].id
    func = next((p for p in reversed(parents) if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    return func is not None and any(
        isinstance(node, ast.Attribute) and node.attr in ("status_code", "status", "ok") and isinstance(node.value, ast.Name) and node.value.id == name
        for test in ast.walk(func)
        if isinstance(test, (ast.If, ast.While, ast.Assert, ast.IfExp))
        for node in ast.walk(test.test)
    )  # one walk of each condition, not of the function per attribute


class ProjectCalls:
    """Per-module resolver and cache of escaping failures (one per ModuleContext)."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self._summaries: dict[tuple[str, int], tuple[Escape, ...]] = {}
        self._in_progress: set[tuple[str, int]] = set()
        self._imports: dict[tuple[str, str], tuple[ModuleContext, ast.AST] | None] = {}
        self._scripts: dict[str, object] = {}  # one jedi.Script per file: jedi re-parses for every new Script
        self._origins: dict[int, Origins] = {}

    # ------------------------------------------------------------ resolution
    def resolve(self, call: ast.Call, ctx: ModuleContext) -> tuple[ModuleContext, ast.AST] | None:
        """The project function a call refers to: same module, ``self`` method, or an imported project function."""
        func = call.func
        if isinstance(func, ast.Name):
            local = ctx.semantic.module_functions.get(func.id)
            shadowed = any(func.id in ctx.semantic.scope(s).locals for s in ctx.scopes[1:] if not isinstance(s, ast.ClassDef))
            if local is not None and not shadowed:
                return ctx, local
            qualified = ctx.qualified_name(func)
            if qualified and qualified != func.id:
                return self._imported(call, ctx, qualified)
            return None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            cls = ctx.enclosing_class()
            if cls is not None:
                for stmt in cls.body:
                    if isinstance(stmt, _FUNCTIONS) and stmt.name == func.attr:
                        return ctx, stmt
            return None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            module = ctx.qualified_name(func.value)
            if module and ctx.type_of(func.value) is None:
                return self._imported(call, ctx, f"{module}.{func.attr}")  # module.function() of a project module
        return None

    def _imported(self, call: ast.Call, ctx: ModuleContext, qualified: str) -> tuple[ModuleContext, ast.AST] | None:
        """An imported name: resolved with jedi once per module and name, and only when it can be the project's."""
        key = (ctx.source.path, qualified)
        if key in self._imports:
            return self._imports[key]
        found = None
        base = project_base(qualified.split(".")[0], ctx)
        if base is not None:
            found, certain = _resolve_by_path(base, qualified, ctx)
            if found is None and not certain:
                found = _resolve_import(call, ctx, self._scripts)  # re-exports, methods, packages: ask jedi
        self._imports[key] = found
        return found

    # ------------------------------------------------------------ summaries
    def escapes(self, target_ctx: ModuleContext, func: ast.AST, depth: int = 0) -> tuple[Escape, ...]:
        key = (target_ctx.source.path, id(func))
        if key in self._summaries:
            return self._summaries[key]
        if key in self._in_progress or depth > MAX_DEPTH:
            return ()
        self._in_progress.add(key)
        try:
            found = tuple(dict.fromkeys(self._walk(target_ctx, func, depth)))
        finally:
            self._in_progress.discard(key)
        self._summaries[key] = found
        return found

    def _walk(self, ctx: ModuleContext, func: ast.AST, depth: int):
        saved_parents, saved_scopes = ctx.parents, ctx.scopes
        base_scopes = _scopes_for(ctx.tree, func)
        try:
            stack: list[tuple[ast.AST, list[ast.AST]]] = [(stmt, [func]) for stmt in reversed(func.body)]
            while stack:
                node, parents = stack.pop()
                if isinstance(node, (*_FUNCTIONS, ast.Lambda, ast.ClassDef)):
                    continue
                if isinstance(node, ast.Call):
                    ctx.parents, ctx.scopes = parents, base_scopes
                    yield from self._escapes_of_call(node, parents, ctx, depth)
                for child in reversed(list(ast.iter_child_nodes(node))):
                    stack.append((child, parents + [node]))
        finally:
            ctx.parents, ctx.scopes = saved_parents, saved_scopes

    def _escapes_of_call(self, call: ast.Call, parents: list[ast.AST], ctx: ModuleContext, depth: int):
        external = external_call(call, ctx)
        if external is not None and not remote_call(external, call, parents[0]):
            return  # a local program (pdftk, convert): its failure is a bug or the host's, not a remote service's
        if external is not None:
            missing = unhandled_modes(external, parents, ctx)
            if missing:
                key_params = None
                if external.interface.kind == "database":
                    origins = key_origin(call, parents[0], parents)
                    if EXTERNAL not in origins:
                        key_params = param_names(origins)
                        if not key_params:
                            return  # keyed by a row the code already holds: it cannot miss
                span = ctx.span(call)
                yield Escape(
                    ctx.source.path, span.line, span.column, span.end_line, span.end_column, external.name,
                    external.interface.label, tuple((m, tuple(excs)) for m, excs in missing),
                    key_params=key_params, guards=guards(parents, parents[0]),
                )
            return
        if runs_elsewhere(call, parents):
            return  # handed to a task or another thread: its failures surface there, not here
        target = self.resolve(call, ctx)
        if target is None:
            return
        target_ctx, target_func = target
        handlers = [caught_by(h, ctx) for h in enclosing_try_handlers(call, parents)]
        if catches_domain_error(handlers, ctx):
            return  # ``except OrderError:`` around the helper: its failures are answered deliberately
        site_guards = guards(parents, parents[0])
        for escape in self.escapes(target_ctx, target_func, depth + 1):
            bound = self.bind(escape, call, target_func, parents[0])
            if bound is None:
                continue
            still = escape.narrowed(lambda exc: not any(catches(ctx.hierarchy, caught, exc) for caught in handlers))
            if still:
                yield Escape(
                    escape.path, escape.line, escape.column, escape.end_line, escape.end_column, escape.call,
                    escape.interface, still, (target_func.name, *escape.via),
                    key_params=bound.key_params, guards=tuple(dict.fromkeys((*bound.guards, *site_guards))),
                )

    def bind(self, escape: Escape, call: ast.Call, target_func: ast.AST, caller: ast.AST | None) -> Escape | None:
        """The escape as seen from one call of the function it escapes: None when that call cannot reach it (a
        guarding parameter left at its falsy default) or when the arguments behind its lookup's key are rows
        the caller already holds; otherwise its conditions restated over the caller's own parameters."""
        caller_optional = falsy_default_params(caller) if isinstance(caller, _FUNCTIONS) else set()
        kept: list[str] = []
        for param in escape.guards:
            how, arg = argument_for(param, call, target_func)
            if how == "absent" or (how == "passed" and falsy_literal(arg)):
                return None
            if how == "passed" and isinstance(arg, ast.Name) and arg.id in caller_optional:
                kept.append(arg.id)
        key_params = escape.key_params
        if key_params is not None:
            origins: set[str] = set()
            values = self._origins_of(caller)
            for param in key_params:
                how, arg = argument_for(param, call, target_func)
                if how == "passed":
                    origins |= values.of(arg)
            if EXTERNAL in origins:
                key_params = None
            else:
                key_params = param_names(origins)
                if not key_params:
                    return None
        return dataclasses.replace(escape, key_params=key_params, guards=tuple(kept))

    def _origins_of(self, func: ast.AST | None) -> Origins:
        key = id(func)
        found = self._origins.get(key)
        if found is None or found.func is not func:
            found = self._origins[key] = Origins(func)
        return found


def project_calls_of(ctx: ModuleContext) -> ProjectCalls:
    """The module's one ``ProjectCalls``: every analysis that follows calls into the project shares its
    resolutions, jedi scripts and escape summaries."""
    key = ("project-calls",)
    if key not in ctx.memo:
        ctx.memo[key] = ProjectCalls(ctx)
    return ctx.memo[key]


def param_names(origins: set[str]) -> tuple[str, ...]:
    return tuple(sorted(o.split(":", 1)[1] for o in origins if o.startswith("param:")))


def catches_domain_error(handlers: list[tuple[str, ...]], ctx: ModuleContext) -> bool:
    """One of the handlers catches an exception class of the project's own (``except OrderError:``): the code
    answers the helper's failures as its domain errors, deliberately."""
    local = {n.name for n in ctx.tree.body if isinstance(n, ast.ClassDef)}
    module = ctx.semantic.module_name
    for caught in handlers:
        for name in caught:
            short = name.rsplit(".", 1)[-1]
            if short in local and name in (short, f"{module}.{short}"):
                return True
            if "." in name and project_base(name.split(".")[0], ctx) is not None:
                return True
    return False


_DETACHING = ("create_task", "ensure_future", "run_coroutine_threadsafe", "spawn", "submit", "start_soon", "call_soon")


def runs_elsewhere(call: ast.Call, parents: list[ast.AST]) -> bool:
    """``asyncio.create_task(work())``, ``executor.submit(work)``: the call's failures belong to that task."""
    parent = parents[-1] if parents else None
    if isinstance(parent, ast.Call) and call in parent.args:
        func = parent.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return any(marker in name for marker in _DETACHING)
    return False


def _scopes_for(tree: ast.Module, func: ast.AST) -> list[ast.AST]:
    for node in tree.body:
        if node is func:
            return [tree, func]
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if stmt is func:
                    return [tree, node, func]
    return [tree, func]


# ------------------------------------------------------------------ cross-file
# Parsed project modules by (path, mtime), least recently used last; bounded so that a long run (or the
# server) does not grow with the size of the project.
_MODULE_CACHE: OrderedDict[tuple[str, float], tuple[str, ModuleContext]] = OrderedDict()
_MODULE_CACHE_SIZE = 64
_MODULE_CACHE_CHARS, _PARSO_KEEP = 1_500_000, 32  # source text kept (a tree: ~30 bytes a character); jedi trees


def project_base(top: str, ctx: ModuleContext) -> Path | None:
    """The folder that holds the project module ``top`` (a ``top.py`` or ``top/``): beside the file or in a folder
    above it, up to the project root, or (without one) up through packages. None: not the project's."""
    if not top or top in sys.stdlib_module_names:
        return None
    path = Path(ctx.source.path).resolve()
    root = ctx.settings.root.resolve() if ctx.settings.root is not None else None
    for folder in path.parents:
        if (folder / f"{top}.py").is_file() or (folder / top).is_dir():
            return folder
        if folder == root or folder == folder.parent:
            break
        if root is None and not (folder / "__init__.py").is_file():
            break
    return None


def _resolve_by_path(
    base: Path, qualified: str, ctx: ModuleContext, depth: int = 0
) -> tuple[tuple[ModuleContext, ast.AST] | None, bool]:
    """``pkg.mod.function`` defined at the top level of ``base/pkg/mod.py`` (or ``.../mod/__init__.py``), found
    without jedi, following ``from ... import`` re-exports; and whether the answer is certain (a class or a
    variable of that name is no function). Not certain: no such module file, or an import it cannot follow."""
    parts = qualified.split(".")
    if len(parts) < 2 or depth > 4:
        return None, False
    module, name = parts[:-1], parts[-1]
    for candidate in (base.joinpath(*module[:-1], f"{module[-1]}.py"), base.joinpath(*module, "__init__.py")):
        if not candidate.is_file():
            continue
        target = module_context(candidate, ctx)
        if target is None:
            return None, True
        for stmt in target.tree.body:
            if isinstance(stmt, _FUNCTIONS) and stmt.name == name:
                return (target, stmt), True
            if isinstance(stmt, ast.ClassDef) and stmt.name == name:
                return None, True
            if isinstance(stmt, ast.ImportFrom) and stmt.module is not None:
                for alias in stmt.names:
                    if (alias.asname or alias.name) != name:
                        continue
                    if stmt.level:  # relative to the package that holds the candidate
                        origin = candidate.parent
                        for _ in range(stmt.level - 1):
                            origin = origin.parent
                        return _resolve_by_path(origin, f"{stmt.module}.{alias.name}", ctx, depth + 1)
                    origin_base = project_base(stmt.module.split(".")[0], target)
                    if origin_base is None:
                        return None, True  # re-exported from a library
                    return _resolve_by_path(origin_base, f"{stmt.module}.{alias.name}", ctx, depth + 1)
            if isinstance(stmt, ast.Import) and any((a.asname or a.name.split(".")[0]) == name for a in stmt.names):
                return None, False
        return None, True  # not defined at the top level as a function: assigned, or not there
    return None, False


_JEDI = None


def _jedi():
    """jedi, with its parse cache in a folder of this process's own (removed at exit): processes that share
    jedi's default cache in the home folder read each other's half-written pickles, and a run should leave
    nothing behind it did not say it would."""
    global _JEDI
    if _JEDI is None:
        import atexit
        import shutil
        import tempfile

        import jedi

        folder = tempfile.mkdtemp(prefix="sadpath-jedi-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        jedi.settings.cache_directory = folder
        _JEDI = jedi
    return _JEDI


def _resolve_import(call: ast.Call, ctx: ModuleContext, scripts: dict[str, object]) -> tuple[ModuleContext, ast.AST] | None:
    """Follow an imported name to its definition in another project file with jedi (lazily, cached); None when
    jedi cannot say."""
    path = Path(ctx.source.path)
    if not path.is_file():
        return None
    func = call.func
    node = func.value if isinstance(func, ast.Attribute) and not isinstance(func.value, ast.Name) else func
    line = node.lineno
    column = node.end_col_offset - 1 if node.end_col_offset else node.col_offset
    try:
        jedi = _jedi()
        script = scripts.get(str(path))
        if script is None:
            trim_parso_cache(_PARSO_KEEP)
            project_root = ctx.settings.root or path.parent
            # jedi's own default would run $VIRTUAL_ENV's (or $CONDA_PREFIX's) python, which a repository can
            # plant: it infers in this interpreter instead, and never loads the project's compiled extensions
            script = scripts[str(path)] = jedi.Script(
                code=ctx.source.text,
                path=str(path),
                project=jedi.Project(str(project_root), load_unsafe_extensions=False),
                environment=jedi.api.environment.InterpreterEnvironment(),
            )
        definitions = script.goto(line, column, follow_imports=True)
    except Exception as exc:  # noqa: BLE001 - jedi's inference can fail in any way: the call stays unresolved
        log.debug("jedi could not resolve %s:%s: %s", path, line, exc)
        return None  # the documented answer: an unresolved call is not followed
    for definition in definitions:
        module_path = definition.module_path
        if definition.type != "function" or module_path is None or not str(module_path).endswith(".py"):
            continue
        if "site-packages" in str(module_path) or "dist-packages" in str(module_path):
            return None  # a library, not the project
        target_ctx = module_context(Path(module_path), ctx)
        if target_ctx is None:
            return None
        for candidate in ast.walk(target_ctx.tree):
            if isinstance(candidate, _FUNCTIONS) and candidate.name == definition.name and candidate.lineno == definition.line:
                return target_ctx, candidate
    return None


def module_context(path: Path, origin: ModuleContext) -> ModuleContext | None:
    try:
        stamp = path.stat().st_mtime
        key = (str(path), stamp)
        cached = _MODULE_CACHE.get(key)
        if cached is None:
            text = read_text(path)
            tree = ast.parse(text)
            source = SourceFile(str(path), text)
            from sadpath.engine.analyze import module_name_for

            context = ModuleContext(source, tree, SemanticModel(tree, module_name_for(str(path)), source=source), origin.hierarchy, origin.settings)
            cached = _MODULE_CACHE[key] = (text, context)
            evict(_MODULE_CACHE, _MODULE_CACHE_SIZE, _MODULE_CACHE_CHARS, lambda entry: len(entry[0]))
        else:
            _MODULE_CACHE.move_to_end(key)
        if all(c is not origin for _, c in _MODULE_CACHE.values()):  # the analysed file: kept while it is analysed
            origin.memo.setdefault(("project-modules",), {})[key] = cached
        file_reads.note(str(path), cached[0])
        return cached[1]
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as exc:
        log.debug("cannot analyse %s for a cross-file call: %s", path, exc)
        return None
