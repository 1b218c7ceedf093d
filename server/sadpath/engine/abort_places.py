"""Where a broad handler can realistically catch an abort, and whether its author already declared it broad.

A bare ``except:`` (or ``except BaseException``) catches ``KeyboardInterrupt``, ``SystemExit``, ``GeneratorExit``
and, in a coroutine, ``asyncio.CancelledError``. Whether that is a real consequence depends on where the handler
runs: Ctrl-C and ``sys.exit()`` land in ``main()``, CLI commands, thread targets, consumer callbacks and
long-running loops; cancellation lands in coroutines; gevent's ``Timeout`` and ``GreenletExit`` are
``BaseException`` too. In request, view, serializer or template code, and in Celery's prefork children, no
operator's abort is realistically delivered: what is true there is that the handler hides which errors it is
meant for, so a bug in the block takes the fallback too.
"""

from __future__ import annotations

import ast
import re

from sadpath.engine.boundary import boundary_of, is_main_guard

# the boundaries whose code an operator's Ctrl-C, a signal handler's sys.exit() or a stop reaches
_ABORTED_BOUNDARIES = frozenset({"main", "command", "thread", "consumer"})
# the boundaries that run in a request thread or a prefork child: no abort is delivered there
_SHELTERED_BOUNDARIES = frozenset({"route", "view", "task"})
# imports that make a module a command-line program
_PROGRAM_MODULES = ("argparse", "click", "typer", "docopt", "curses", "fire")
_PROGRAM_PATHS = ("/management/commands/", "/scripts/", "/bin/")

# the codes other linters use for the same decision, by the handler's shape
_BARE_CODES = frozenset({"E722", "B001", "BLE001"})
_BASE_CODES = frozenset({"BLE001", "B902"})
_PYLINT = re.compile(r"#\s*pylint:\s*disable\s*=\s*(?P<names>[\w\-]+(?:\s*,\s*[\w\-]+)*)", re.IGNORECASE)
_PYLINT_NAMES = frozenset({"bare-except", "broad-except", "broad-exception-caught", "w0702", "w0703", "w0718", "all"})


def declared_broad(handler: ast.ExceptHandler, ctx) -> bool:
    """The except line carries the author's decision for this very check: ``# noqa`` (blanket), ``# noqa: E722``
    on a bare ``except:``, ``# noqa: BLE001`` on ``except BaseException``, or
    ``# pylint: disable=bare-except`` / ``broad-except`` / ``broad-exception-caught``."""
    first = handler.lineno
    last = handler.type.end_lineno if handler.type is not None and handler.type.end_lineno else first
    codes = _BARE_CODES if handler.type is None else _BASE_CODES
    for line in range(first, last + 1):
        for directive in ctx.source.directives_on(line):
            if directive.kind == "noqa" and (directive.blanket or codes & set(directive.names)):
                return True
        text = ctx.source.line(line)
        if "pylint" in text:
            for match in _PYLINT.finditer(text):
                names = {n.strip().lower() for n in match.group("names").split(",")}
                if names & _PYLINT_NAMES:
                    return True
    return False


def abort_place(handler: ast.ExceptHandler, ctx) -> str | None:
    """Which abort realistically reaches the handler: ``"async"`` (a coroutine: cancellation), ``"gevent"``
    (a gevent module: ``Timeout``, ``GreenletExit``), ``"entry"`` (Ctrl-C or sys.exit() in ``main()``, a command,
    a thread target, a consumer callback, a long-running loop or a command-line program); None where none is
    realistically delivered (request and view code, Celery tasks, helpers of a service)."""
    func = ctx.enclosing_function()
    if isinstance(func, ast.AsyncFunctionDef):
        return "async"
    if _imports(ctx, ("gevent",)):
        return "gevent"
    boundary = boundary_of(ctx)
    if boundary is not None and boundary.kind in _SHELTERED_BOUNDARIES:
        return None
    if boundary is not None and boundary.kind in _ABORTED_BOUNDARIES:
        return "entry"
    if in_thread_run(ctx):
        return "entry"
    if _in_while_loop(ctx):
        return "entry"
    if _is_program(ctx):
        return "entry"
    return None


def in_thread_run(ctx) -> bool:
    """``run()`` of a ``threading.Thread`` subclass."""
    func = ctx.enclosing_function()
    cls = ctx.enclosing_class()
    return (
        func is not None and func.name == "run" and cls is not None
        and any(ast.unparse(base).endswith("Thread") for base in cls.bases)
    )


def _in_while_loop(ctx) -> bool:
    """The handler sits in a ``while`` loop of its own function: a long-running loop, where the time is spent."""
    for parent in reversed(ctx.parents):
        if isinstance(parent, ast.While):
            return True
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return False
    return False


def _is_program(ctx) -> bool:
    """A command-line program: a ``__main__`` block, an argument parser, or a management command's module."""

    def compute() -> bool:
        path = "/" + ctx.source.path.replace("\\", "/")
        if any(p in path for p in _PROGRAM_PATHS):
            return True
        if any(is_main_guard(stmt) for stmt in ctx.tree.body):
            return True
        return _imports(ctx, _PROGRAM_MODULES)

    return ctx.fact("abort_places.is_program", compute)


def _imports(ctx, modules: tuple[str, ...]) -> bool:
    if not any(m in ctx.source.text for m in modules):
        return False
    for stmt in ctx.tree.body:
        if isinstance(stmt, ast.Import) and any(a.name.split(".")[0] in modules for a in stmt.names):
            return True
        if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0 and stmt.module.split(".")[0] in modules:
            return True
    return False
