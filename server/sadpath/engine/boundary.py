"""Where an escaping exception ends the work: request handlers, tasks, consumer callbacks, thread targets, ``main``.

A boundary is a function whose caller is a framework or the interpreter, so an
exception that escapes it becomes a 500, a failed task, a dead consumer or a
crashed process rather than something the project's own code can handle.
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass

from sadpath.engine.reparse import first_line

HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "route", "api_route", "websocket"})
TASK_DECORATORS = frozenset({"task", "shared_task", "periodic_task", "actor"})
VIEW_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
VIEWSET_METHODS = frozenset({"list", "create", "retrieve", "update", "partial_update", "destroy"})
VIEW_BASES = ("View", "APIView", "ViewSet", "GenericAPIView", "ModelViewSet", "GenericViewSet", "MethodView", "HTTPEndpoint")
CALLBACK_KEYWORDS = frozenset({"on_message_callback", "target", "callback", "on_message"})
CALLBACK_REGISTRARS = frozenset({"basic_consume", "Thread", "Process", "consume", "subscribe_callback"})
MAIN_NAMES = frozenset({"main"})
VIEW_DECORATORS = frozenset(
    {"require_GET", "require_POST", "require_http_methods", "require_safe", "login_required", "permission_required",
     "csrf_exempt", "api_view", "staff_member_required", "user_passes_test"}
)  # fmt: skip
COMMAND_DECORATORS = frozenset({"command"})  # click's and typer's @cli.command(), @app.command(), @click.command()
COMMAND_BASES = ("BaseCommand", "LabelCommand", "AppCommand")  # Django management commands: handle()
ROUTE_REGISTRARS = frozenset({"Route", "WebSocketRoute", "add_url_rule", "add_api_route", "add_route", "path", "re_path"})


@dataclass(frozen=True)
class Boundary:
    kind: str  # "route", "view", "task", "consumer", "thread", "command", "main", "worker", "group" (engine/worker_loops.py)
    name: str
    handled: tuple[str, ...] = ()  # exception names the framework handles for it (Celery autoretry_for)

    def describe(self) -> str:
        return {
            "route": f"request handler `{self.name}()`",
            "view": f"view `{self.name}()`",
            "task": f"task `{self.name}()`",
            "consumer": f"consumer callback `{self.name}()`",
            "thread": f"thread target `{self.name}()`",
            "command": f"command `{self.name}()`",
            "worker": f"the worker loop of `{self.name}()`",
            "group": f"`{self.name}()`, a task of a TaskGroup",
            "main": f"`{self.name}()`" if self.name != "__main__" else "the `__main__` block",
        }[self.kind]

    def consequence(self) -> str:
        return {
            "route": "the request fails with a bare 500 (the traceback only in the server log) instead of a clear error",
            "view": "the request fails with a bare 500 (the traceback only in the server log) instead of a clear error",
            "task": "the task fails without a retry or a clear error",
            "consumer": "the consumer dies or the message is lost",
            "thread": "the thread dies silently and its work stops",
            "command": "the command crashes with a traceback instead of a clear error and exit status",
            "worker": "the failure leaves the loop, which handles other failures of a pass, and the worker stops (a restart meets the same item again)",
            "group": "the failure cancels every other task of the group, the worker loops beside it included, and the worker stops",
            "main": "the process crashes with a traceback",
        }[self.kind]


def _decorator_name(decorator: ast.AST) -> tuple[str, ast.Call | None]:
    call = decorator if isinstance(decorator, ast.Call) else None
    target = decorator.func if call is not None else decorator
    if isinstance(target, ast.Attribute):
        return target.attr, call
    if isinstance(target, ast.Name):
        return target.id, call
    return "", call


def function_boundary(func: ast.FunctionDef | ast.AsyncFunctionDef, cls: ast.ClassDef | None, ctx) -> Boundary | None:
    for decorator in func.decorator_list:
        name, call = _decorator_name(decorator)
        if name in HTTP_VERBS and call is not None and (call.args or call.keywords):
            return Boundary("route", func.name)
        if name in TASK_DECORATORS:
            handled: list[str] = []
            if call is not None:
                for keyword in call.keywords:
                    if keyword.arg == "autoretry_for":
                        handled.extend(_exception_names(keyword.value, ctx))
            return Boundary("task", func.name, tuple(handled))
        if name == "action" and cls is not None:
            return Boundary("view", func.name)
        if name in COMMAND_DECORATORS and cls is None:
            return Boundary("command", func.name)
    if cls is not None and func.name == "handle" and _has_base(cls, COMMAND_BASES):
        return Boundary("command", f"{cls.name}.handle")
    if cls is not None and _is_view_class(cls):
        if func.name in VIEW_METHODS or func.name in VIEWSET_METHODS:
            return Boundary("view", f"{cls.name}.{func.name}")
    if cls is None and func.name in MAIN_NAMES:
        return Boundary("main", func.name)
    if cls is None and _is_django_view_function(func, ctx):
        return Boundary("view", func.name)
    if func.name in _callback_names(ctx):
        return Boundary(_callback_names(ctx)[func.name], func.name)
    return None


def _is_view_class(cls: ast.ClassDef) -> bool:
    return _has_base(cls, VIEW_BASES)


def _has_base(cls: ast.ClassDef, names: tuple[str, ...]) -> bool:
    for base in cls.bases:
        name = base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""
        if name.endswith(names):
            return True
    return False


def _is_django_view_function(func: ast.AST, ctx) -> bool:
    """``def detail(request, pk)`` in a views module, or anywhere under a Django or DRF view decorator."""
    args = func.args.posonlyargs + func.args.args
    if not (args and args[0].arg == "request"):
        return False
    if any(_decorator_name(d)[0] in VIEW_DECORATORS for d in func.decorator_list):
        return True
    path = ctx.source.path.replace("\\", "/")
    return path.endswith("/views.py") or path == "views.py" or "/views/" in path


def _exception_names(expr: ast.AST, ctx) -> list[str]:
    exprs = expr.elts if isinstance(expr, (ast.Tuple, ast.List)) else [expr]
    names = []
    for item in exprs:
        qn = ctx.semantic.qualified_name(item, [ctx.tree])
        if qn:
            names.append(ctx.hierarchy.canonical(qn))
    return names


# one pattern per keyword: a literal prefix lets the regex engine skip ahead (an alternation cannot)
_HANDOVERS = [re.compile(re.escape(k) + r"\s*=") for k in sorted(CALLBACK_KEYWORDS)] + [
    re.compile(re.escape(name) + r"\(") for name in ("basic_consume", *sorted(ROUTE_REGISTRARS))
]


def _callback_names(ctx) -> dict[str, str]:
    """Functions the module hands to a consumer or a thread: name -> boundary kind (cached per module)."""
    memo = getattr(ctx, "memo", None)
    if memo is None:
        memo = {}
    cached = memo.get("callbacks")
    if cached is not None:
        return cached
    found: dict[str, str] = {}
    memo["callbacks"] = found
    offsets = ctx.source.line_offsets
    text = ctx.source.text
    lines = sorted({bisect.bisect_right(offsets, m.start()) for pattern in _HANDOVERS for m in pattern.finditer(text)})
    if not lines:
        return found  # nothing is handed over: skip the walk
    # only the top-level statements whose lines mention a hand-over
    statements = [
        stmt for stmt in ctx.tree.body
        if any(stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno) for line in lines)
    ]
    for statement in statements:
        for node in ast.walk(statement):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            for keyword in node.keywords:
                if keyword.arg in CALLBACK_KEYWORDS:
                    name = _callable_name(keyword.value)
                    if name:
                        found[name] = "thread" if keyword.arg == "target" else "consumer"
            if called == "basic_consume" and len(node.args) >= 2:
                name = _callable_name(node.args[1])
                if name:
                    found[name] = "consumer"
            if called in ROUTE_REGISTRARS:
                for argument in [*node.args[1:3], *(k.value for k in node.keywords if k.arg in ("endpoint", "view", "view_func"))]:
                    name = _callable_name(argument)
                    if name:
                        found[name] = "route"
    return found


def _callable_name(expr: ast.AST) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in ("self", "cls"):
        return expr.attr
    return None


def is_main_guard(node: ast.AST) -> bool:
    """``if __name__ == "__main__":``"""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    sides = [test.left, *test.comparators]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def boundary_of(ctx) -> Boundary | None:
    """The boundary the walk is currently inside (the innermost function, or the __main__ block)."""
    func = None
    cls = None
    for parent in reversed(ctx.parents):
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and func is None:
            func = parent
            continue
        if isinstance(parent, ast.Lambda) and func is None:
            return None
        if func is not None and isinstance(parent, ast.ClassDef):
            cls = parent
            break
        if func is not None and isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None  # a nested function: called by its enclosing function, not by a framework
    if func is not None:
        memo = getattr(ctx, "memo", None)
        if memo is None:
            return function_boundary(func, cls, ctx)
        key = ("boundary", id(func), id(cls))
        if key not in memo:
            memo[key] = function_boundary(func, cls, ctx)
        return memo[key]
    for parent in ctx.parents:
        if is_main_guard(parent):
            return Boundary("main", "__main__")
    return None


_BOUNDARY_DECORATOR = re.compile(
    r"@[\s(]*(?:[\w.]+\.)?(?:" + "|".join(sorted(HTTP_VERBS | TASK_DECORATORS | COMMAND_DECORATORS | VIEW_DECORATORS | {"action"})) + r")\b"
)


_CLASS_BASES = re.compile(r"class\s+\w+\s*\(([^)]*)\)")


def may_hold_boundary(statement: ast.stmt, ctx) -> bool:
    """A top-level statement that can contain a boundary (cheap, conservative)."""
    if isinstance(statement, ast.ClassDef):
        # a view class, a route or task decorator, or a method handed to a consumer or a thread, anywhere inside
        text = _text_of(statement, ctx)
        return (
            any(any(base in bases for base in (*VIEW_BASES, *COMMAND_BASES)) for bases in _CLASS_BASES.findall(text))
            or _BOUNDARY_DECORATOR.search(text) is not None
            or any(name in text for name in _callback_names(ctx))
        )
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return bool(
            statement.decorator_list
            or statement.name in MAIN_NAMES
            or statement.name in _callback_names(ctx)
            or _is_django_view_function(statement, ctx)
        )
    return is_main_guard(statement) or any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for node in ast.walk(statement)
    )


def _text_of(statement: ast.stmt, ctx) -> str:
    first = first_line(statement)
    return ctx.source.lines_text(first, statement.end_lineno or first)


def periodic_tasks(ctx) -> frozenset[str]:
    """The module's tasks a scheduler dispatches again on its next tick: decorated ``@periodic_task``, named in an
    ``add_periodic_task(...)`` call or a beat schedule's ``"task"`` entry, or dispatched from a function that
    receives a periodic signal (``@receiver(periodic_task)`` then ``fetch_rates.apply_async()``). A failed run of
    one is retried by the schedule, and its traceback is the report."""
    memo = getattr(ctx, "memo", None)
    if memo is not None and ("periodic-tasks",) in memo:
        return memo[("periodic-tasks",)]
    names: set[str] = set()
    for node in ast.walk(ctx.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            marks = [ast.unparse(d) for d in node.decorator_list]
            if any(_decorator_name(d)[0] == "periodic_task" for d in node.decorator_list):
                names.add(node.name)
            elif any("periodic" in mark for mark in marks):
                names.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_periodic_task":
            names.update(n.id for arg in [*node.args, *(k.value for k in node.keywords)] for n in ast.walk(arg) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == "task" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                    names.add(value.value.rsplit(".", 1)[-1])
    found = frozenset(names)
    if memo is not None:
        memo[("periodic-tasks",)] = found
    return found
