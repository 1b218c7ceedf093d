"""Keep a reference to a fire-and-forget task and log its failure (SAD207, unsafe).

The done-callback logs the task by its name, so a task created with ``create_task`` is named after the ids its
call site has (``name=f"execute_due_timer timer_id={timer_id}"``): the coroutine's id-like arguments (``timer_id``,
``user.id``, ``key``, ``name``), else the attribute of an argument the function's own log calls name
(``event.event``), else an id-like attribute of an argument the function read before (``automation.id``); for
``self.start()``, the id-like attributes of ``self`` the function's own log calls name (``self.name``). A task
named already keeps its name; ``ensure_future``, which takes no name, gets it from ``task.set_name(...)``."""

from __future__ import annotations

import ast

import libcst as cst

from sadpath.fixes.request import FixRequest
from sadpath.fixes.additions import ModuleAdditions, module_binds
from sadpath.fixes.tidy import finish
from sadpath.fixes.nodes import class_logger, fitted, imports_root, keyword_arg, line_limit, module_logger, with_arguments
from sadpath.fixes.region import FixRefused
from sadpath.model import Edit

TASKS = "_background_tasks"
CALLBACK = "_log_task_result"
CALLBACK_TO = "_log_task_result_to"  # the same, logging through the logger it is given (a class's ``self.log``)
TITLE = "Keep a reference to the task and log its failure"
ID_WORDS = ("id", "ids", "key", "name", "uuid", "slug", "pk")
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical"})


def build(req: FixRequest) -> list[Edit]:
    span = req.finding.span
    region = req.region()
    call = region.node_at(cst.Call, span.line, span.column, end=(span.end_line, span.end_column))
    statement = region.node_at(cst.SimpleStatementLine, span.line, span.column)
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        raise FixRefused("the task is not a statement of its own")
    func = req.enclosing_function(span.line)
    scope = func if func is not None else req.tree
    used = {n.id for n in ast.walk(scope) if isinstance(n, ast.Name)}
    name = next(candidate for candidate in ("task", "background_task", "_task", "task_") if candidate not in used)
    named = _named(req, call, span.line)
    set_name = None
    if named is not None:
        new_call, labels, value = named
        if new_call is not None:
            column = region.positions[statement].start.column + len(name) + 3
            call = fitted(new_call, column, line_limit(req.source), region.module)
        else:
            set_name = cst.parse_statement(f"{name}.set_name({value})\n")  # ``ensure_future`` takes no name
        shown = ", ".join(f"`{label}`" for label in labels)
        req.title = f"Keep a reference to the task, named after {shown}, and log its failure under that name"
    code = region.module.code_for_node(call)
    logger = module_logger(req.tree)
    through = class_logger(req, span.line) if logger is None else None  # the class logs through ``self.log``
    callback = CALLBACK if through is None else f"lambda done: {CALLBACK_TO}(done, {through})"
    indent_free = [
        cst.parse_statement(f"{name} = {code}\n"),
        *([set_name] if set_name is not None else []),
        cst.parse_statement(f"{TASKS}.add({name})\n"),
        cst.parse_statement(f"{name}.add_done_callback({callback})\n"),
    ]
    # keep the statement's blank lines before it and its trailing comment
    indent_free[0] = indent_free[0].with_changes(
        leading_lines=statement.leading_lines, trailing_whitespace=statement.trailing_whitespace
    )
    module = region.module.deep_replace(statement, cst.FlattenSentinel(indent_free))
    additions = ModuleAdditions(imports=[("asyncio", None)])
    if not module_binds(req.tree, TASKS):
        additions.definitions.append(f"{TASKS}: set[asyncio.Task] = set()")
    if through is not None:
        if not module_binds(req.tree, CALLBACK_TO):
            additions.definitions.append(
                f"def {CALLBACK_TO}(task: asyncio.Task, log) -> None:\n"
                f'    """Forget a finished background task, and log it through ``log`` if it failed."""\n'
                f"    {TASKS}.discard(task)\n"
                f"    if not task.cancelled() and task.exception() is not None:\n"
                f'        log.error("background task %s failed", task.get_name(), exc_info=task.exception())\n'
            )
        return finish(req, region, module, additions)
    if logger is None and imports_root(req.tree, "tornado") and not module_binds(req.tree, "app_log"):
        logger = "app_log"  # a tornado application logs through tornado's app_log: its handlers and format
        additions.imports.append(("tornado.log", "app_log"))
    if logger is None:
        logger = "logger" if not module_binds(req.tree, "logger") else "_sadpath_logger"
        additions.imports.append(("logging", None))
        additions.definitions.append(f"{logger} = logging.getLogger(__name__)")
    if not module_binds(req.tree, CALLBACK):
        additions.definitions.append(
            f"def {CALLBACK}(task: asyncio.Task) -> None:\n"
            f'    """Forget a finished background task, and log it if it failed."""\n'
            f"    {TASKS}.discard(task)\n"
            f"    if not task.cancelled() and task.exception() is not None:\n"
            f'        {logger}.error("background task %s failed", task.get_name(), exc_info=task.exception())\n'
        )
    return finish(req, region, module, additions)


def _id_like(name: str) -> bool:
    lowered = name.lower().lstrip("_")
    return lowered in ID_WORDS or lowered.endswith(tuple(f"_{word}" for word in ID_WORDS))


def _named(req: FixRequest, call: cst.Call, line: int) -> tuple[cst.Call | None, list[str], str] | None:
    """``create_task(coro(...), name=f"coro timer_id={timer_id}")`` (the new call), or for ``ensure_future``, which
    takes no name, the name to give with ``task.set_name(...)`` (no new call); the ids it names, when the
    coroutine's arguments (or, for ``self.start()``, the id-like attributes of ``self`` the function's own log
    calls name) carry ids and the task has no name yet."""
    task_call = req.ast_at(ast.Call)
    factory = task_call.func.attr if isinstance(task_call.func, ast.Attribute) else getattr(task_call.func, "id", "")
    if factory not in ("create_task", "ensure_future") or any(k.arg in ("name", None) for k in task_call.keywords):
        return None
    coroutine = task_call.args[0] if task_call.args and isinstance(task_call.args[0], ast.Call) else None
    if coroutine is None:
        return None
    func = req.enclosing_function(line)
    logged = _logged_attributes(func) if func is not None else []
    labels: list[str] = []
    owner = coroutine.func.value if isinstance(coroutine.func, ast.Attribute) else None
    if isinstance(owner, ast.Name) and owner.id == "self":  # ``self.start()``: the object's own ids, as its logs name it
        labels += [f"self.{attr}" for who, attr in logged if who == "self" and _id_like(attr) and f"self.{attr}" not in labels]
    for value in [*coroutine.args, *(k.value for k in coroutine.keywords)]:
        label = None
        if isinstance(value, ast.Name) and _id_like(value.id):
            label = value.id
        elif isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and _id_like(value.attr):
            label = f"{value.value.id}.{value.attr}"
        elif isinstance(value, ast.Name):
            label = next((f"{value.id}.{attr}" for owner, attr in logged if owner == value.id), None) or _id_attribute(func, value.id, line)
        if label is not None and label not in labels:
            labels.append(label)
    if not labels:
        return None
    target = coroutine.func
    what = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "task")
    # timer_id={timer_id}, user_id={user.id}, event={event.event}
    keys = [
        label[len("self."):] if label.startswith("self.") else label.replace(".", "_") if _id_like(label.rsplit(".", 1)[-1]) else label.split(".")[0]
        for label in labels
    ]
    text = " ".join([what, *(f"{key}={{{label}}}" for key, label in zip(keys, labels))])
    value = 'f"' + text.replace('"', "") + '"'
    if factory == "ensure_future":
        return None, labels, value
    return with_arguments(call, [keyword_arg("name", cst.parse_expression(value))]), labels, value


def _id_attribute(func: ast.AST | None, name: str, line: int) -> str | None:
    """``automation.id`` when the function reads an id-like attribute of the argument ``automation`` before the
    task's line (so the name's f-string reads what the function already read)."""
    if func is None:
        return None
    for node in ast.walk(func):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == name and _id_like(node.attr) and node.lineno < line:
            return f"{name}.{node.attr}"
    return None


def _logged_attributes(func: ast.AST) -> list[tuple[str, str]]:
    """``(event, event)`` for every ``log.x(..., event.event)`` in the function: what its own records name."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(func):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _LOG_METHODS:
            for arg in node.args[1:]:
                if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name):
                    found.append((arg.value.id, arg.attr))
    return found
