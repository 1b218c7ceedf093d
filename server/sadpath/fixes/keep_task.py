"""Keep a reference to a fire-and-forget task and log its failure (SAD207, unsafe)."""

from __future__ import annotations

import ast

import libcst as cst

from sadpath.fixes.request import FixRequest
from sadpath.fixes.additions import ModuleAdditions, module_binds
from sadpath.fixes.tidy import finish
from sadpath.fixes.nodes import class_logger, imports_root, module_logger
from sadpath.fixes.region import FixRefused
from sadpath.model import Edit

TASKS = "_background_tasks"
CALLBACK = "_log_task_result"
CALLBACK_TO = "_log_task_result_to"  # the same, logging through the logger it is given (a class's ``self.log``)


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
    code = region.module.code_for_node(call)
    logger = module_logger(req.tree)
    through = class_logger(req, span.line) if logger is None else None  # the class logs through ``self.log``
    callback = CALLBACK if through is None else f"lambda done: {CALLBACK_TO}(done, {through})"
    indent_free = [
        cst.parse_statement(f"{name} = {code}\n"),
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
