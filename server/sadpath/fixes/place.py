"""Where a failure surfaces, and the handling that fits there (the catalog's "Fixes that fit the place").

``place_of`` names the place of a handler: ``cleanup`` (a compensation or best-effort step: the ``try`` sits in
another handler or a ``finally``, in a function that invalidates, closes or cleans up, or in one whose own
non-success branch only warns and carries on: ``if resp.status != 200: log.warning(...)``), ``loop`` (a consumer
or worker loop: a ``while`` loop, or a ``for`` loop over items rather than attempts), ``task`` (a Celery task) or
``main`` (``main()`` or a CLI command). ``fitting_handler`` rewrites a swallowing handler there:

* cleanup, loop: log with the traceback (the existing log call keeps its message and arguments and gains
  ``exc_info``/``.exception`` and the required log fields; else a ``logger.exception`` is added) and carry on;
* main: the same log, then exit with a non-zero status;
* task: ``raise self.retry(exc=..., countdown=...)`` with exponential back-off, capped by the task's
  ``max_retries`` (Celery's default is 3); an unbound task gets ``bind=True`` and ``self``.

A bare ``except:`` or ``except BaseException:`` is narrowed to ``Exception`` on the way: Ctrl-C and ``sys.exit``
pass through. Route handlers and adapters keep the typed translation (``translate``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import libcst as cst

from sadpath.engine.boundary import TASK_DECORATORS
from sadpath.fixes.additions import ModuleAdditions, module_binds
from sadpath.fixes.failure_context import FailureContext, failure_context, ids_in_scope, log_fields
from sadpath.fixes.nodes import fitted, imports_root, keyword_arg, line_limit, logger_for, with_arguments, with_fields, with_ids
from sadpath.fixes.region import FixRefused, Region
from sadpath.fixes.request import FixRequest, drop_lossy_logs, handler_statements, py_string, simple_line, with_statements

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"})
CLEANUP_NAMES = ("close", "cleanup", "clean_up", "shutdown", "teardown", "dispose", "invalidate", "evict", "release")
TITLES = {
    "cleanup": "Log the failure with its traceback and carry on (a best-effort step)",
    "loop": "Log the failure with its traceback and go on with the next item",
    "main": "Log the failure with its traceback and exit with a non-zero status",
    "task": "Retry the task with exponential back-off (`self.retry`)",
}


@dataclass(frozen=True)
class Place:
    kind: str  # "cleanup" | "loop" | "task" | "main"
    func: ast.FunctionDef | ast.AsyncFunctionDef | None
    task_decorator: ast.expr | None = None
    skips_rest: bool = False  # a loop with work after the ``try`` (an ack, a commit): the handler leaves it undone


def place_of(req: FixRequest, handler: ast.ExceptHandler) -> Place | None:
    func = req.enclosing_function(handler.lineno)
    if req.finding.data.get("fail_closed"):
        return None  # a guard's check skipped for an item: the error propagates, the guard fails closed
    if func is None:
        # at import time (module or class body): a best-effort step logs with the traceback and carries on; a
        # re-raise would stop the module from importing
        return Place("cleanup", None) if req.finding.data.get("best_effort") else None
    chain = _chain(func, handler)
    try_node = chain[-2] if len(chain) >= 2 and isinstance(chain[-2], ast.Try) else None
    outer = chain[:-2]
    if req.finding.data.get("best_effort"):
        # the rule judged it a best-effort step (cleanup in a ``finally``, background) or one item of a loop
        loop = outer[-1] if outer and isinstance(outer[-1], (ast.For, ast.AsyncFor, ast.While)) else None
        if loop is not None and not _retry_loop(loop, try_node):
            return Place("loop", func, skips_rest=bool(try_node in loop.body and loop.body[-1] is not try_node))
        return Place("cleanup", func)
    for index, node in enumerate(outer):
        if isinstance(node, ast.ExceptHandler):
            return Place("cleanup", func)  # compensation: it runs while another failure is being handled
        if isinstance(node, ast.Try) and index + 1 < len(chain) and any(chain[index + 1] is s for s in node.finalbody):
            return Place("cleanup", func)
    if try_node is not None and func.name.lower().lstrip("_").startswith(CLEANUP_NAMES):
        return Place("cleanup", func)
    if try_node is not None and warns_and_carries_on(func, handler):
        return Place("cleanup", func)  # its own failure branch only warns: a best-effort step
    loops = [n for n in outer if isinstance(n, (ast.For, ast.AsyncFor, ast.While))]
    if loops and not _retry_loop(loops[-1], try_node):
        body = getattr(loops[-1], "body", [])
        return Place("loop", func, skips_rest=bool(try_node in body and body[-1] is not try_node))
    if loops:
        return None  # a retry loop: SAD204's business
    for decorator in func.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
        if name in TASK_DECORATORS and name != "actor":
            return Place("task", func, decorator)
        if name == "command":
            return Place("main", func)
    if func.name == "main":
        return Place("main", func)
    return None


STATUS_READS = frozenset({"status", "status_code", "ok", "is_error", "is_success", "returncode"})
_WARNINGS = frozenset({"warning", "warn", "error", "info", "exception"})


def warns_and_carries_on(func: ast.FunctionDef | ast.AsyncFunctionDef, handler: ast.ExceptHandler) -> bool:
    """A best-effort step: the function answers nothing (no ``return value``), and its own check of an outcome
    (``if resp.status != 200:``) outside ``handler`` only logs and carries on, raising nothing."""
    own = list(_own_nodes(func))
    if any(isinstance(n, ast.Return) and n.value is not None and not (isinstance(n.value, ast.Constant) and n.value.value is None) for n in own):
        return False
    inside = {id(n) for n in ast.walk(handler)}
    for node in own:
        if not isinstance(node, ast.If) or id(node) in inside:
            continue
        reads = {n.attr for n in ast.walk(node.test) if isinstance(n, ast.Attribute)}
        if not reads & STATUS_READS:
            continue
        body = [n for stmt in node.body for n in ast.walk(stmt)]
        logs = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _WARNINGS for n in body)
        if logs and not any(isinstance(n, ast.Raise) for n in body):
            return True
    return False


def _own_nodes(func: ast.AST):
    """The nodes of ``func``'s own body, not those of the functions and classes it defines."""
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _chain(root: ast.AST, target: ast.AST) -> list[ast.AST]:
    """The nodes from ``root`` down to ``target`` (both included), or ``[target]``."""
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(root, [root])]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            stack.append((child, [*path, child]))
    return [target]


def _retry_loop(loop: ast.AST, try_node: ast.Try | None) -> bool:
    """``for attempt in range(n)``, or a ``while`` whose ``try`` leaves the loop on success with no new item taken
    before it (the same work done again)."""
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        return isinstance(loop.iter, ast.Call) and isinstance(loop.iter.func, ast.Name) and loop.iter.func.id == "range"
    assert isinstance(loop, ast.While)
    if try_node is None or try_node not in loop.body:
        return False
    before = loop.body[: loop.body.index(try_node)]
    if any(isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)) for s in before):
        return False
    return any(isinstance(n, (ast.Return, ast.Break)) for s in try_node.body for n in ast.walk(s))


def fitting_handler(
    req: FixRequest, region: Region, handler: cst.ExceptHandler, handler_ast: ast.ExceptHandler, place: Place, additions: ModuleAdditions
) -> cst.Module:
    """The region with ``handler`` rewritten to the handling that fits ``place`` (and, for an unbound task, the task
    bound). Sets the fix's title to say what it writes."""
    req.title = TITLES[place.kind]
    narrowed = handler
    if handler.type is None or (isinstance(handler.type, cst.Name) and handler.type.value == "BaseException"):
        narrowed = handler.with_changes(type=cst.Name("Exception"), whitespace_after_except=cst.SimpleWhitespace(" "))
    name = handler.name.name.value if handler.name is not None and isinstance(handler.name.name, cst.Name) else None
    statements = handler_statements(narrowed)
    if place.kind == "task":
        return _task_retry(req, region, handler, narrowed, statements, name, place)
    context = failure_context(req, handler_ast)
    statements = traced_statements(req, region, statements, context, name, additions, handler_ast)
    if place.skips_rest and not (statements and _is_terminal(statements[-1])):
        # the message stays unacknowledged: redelivered, or dead-lettered by the broker
        statements = [*statements, simple_line("continue")]
    if place.kind == "main":
        kept = [s for s in statements if not _is_terminal(s)]
        status = "return 1" if _returns_status(place.func) else "sys.exit(1)"
        if status.startswith("sys."):
            additions.add_import("sys")
        statements = [*kept, simple_line(status)]
    new = with_statements(narrowed, statements)
    if name is not None and not _uses_name(new, name):
        new = new.with_changes(name=None)
    return region.module.deep_replace(handler, new)  # type: ignore[return-value]


def traced_statements(req, region, statements, context: FailureContext, name, additions, handler_ast) -> list[cst.BaseStatement]:
    """The handler's statements with its log calls keeping the traceback and the required fields, or with a
    ``logger.exception`` first when it logs nothing; a lone ``pass`` goes."""
    structlog = imports_root(req.tree, "structlog")
    fields = log_fields(req, context, service_known=False, additions=additions)
    limit = line_limit(req.source)
    out: list[cst.BaseStatement] = []
    logged = False
    for statement in statements:
        call = _log_call(statement)
        if call is not None:
            logged = True
            visible = call
            if isinstance(call.func, cst.Attribute) and call.func.attr.value in ("debug", "info"):
                visible = call.with_changes(func=call.func.with_changes(attr=cst.Name("warning")))  # seen in production
            new = traced_logger_call(visible, context, fields, structlog, name, ids_in_scope(req, handler_ast.lineno))
            column = region.positions[call].start.column if call in region.positions else 8
            statement = statement.deep_replace(call, fitted(new, column, limit, region.module))  # type: ignore[assignment]
        out.append(statement)
    if logged:
        return [s for s in out if not is_pass(s)] or [simple_line("pass")]
    logger = logger_for(req, handler_ast.lineno)
    if logger is None:
        logger = "logger" if not module_binds(req.tree, "logger") else "_sadpath_logger"
        additions.add_import("structlog" if structlog else "logging")
        additions.define(f"{logger} = {'structlog.get_logger()' if structlog else 'logging.getLogger(__name__)'}")
    what = str(req.finding.data.get("failing_call") or "") or _first_call(handler_ast, req) or context.operation
    message = f"{what} failed; carrying on" if what != context.operation else f"{what} failed"
    call = cst.parse_expression(f"{logger}.exception({py_string(message)})")
    assert isinstance(call, cst.Call)
    if not structlog:
        call = with_ids(call, ids_in_scope(req, handler_ast.lineno))
    column = req.source.char_col_from_utf8(handler_ast.lineno, handler_ast.col_offset) + 4
    log = cst.SimpleStatementLine(body=[cst.Expr(fitted(with_fields(call, fields, structlog), column, limit, region.module))])
    kept = [s for s in out if not is_pass(s)]
    comments = [line for s in out if is_pass(s) and isinstance(s, cst.SimpleStatementLine) for line in s.leading_lines]
    return [log.with_changes(leading_lines=comments), *kept]


def _first_call(handler: ast.ExceptHandler, req: FixRequest) -> str | None:
    """``gateway.cancel()``: the first call of the handler's ``try``."""
    for node in ast.walk(req.tree):
        if isinstance(node, ast.Try) and handler in node.handlers:
            for stmt in node.body:
                for sub in ast.walk(stmt):
                    if isinstance(sub, ast.Call):
                        text = ast.unparse(sub.func)
                        return f"{text}()" if len(text) <= 40 else None
    return None


def _task_retry(req, region, handler, narrowed, statements, name, place: Place) -> cst.Module:
    func = place.func
    assert func is not None
    bound, me = _task_self(place)
    error = name or "exc"
    kept = [s for s in drop_lossy_logs(statements, name) if not _is_terminal(s)]
    retry = f"raise {me}.retry(exc={error}, countdown=min(300, 10 * 2**{me}.request.retries))"
    new = with_statements(narrowed, [*kept, simple_line(retry)])
    if name is None:
        new = new.with_changes(name=cst.AsName(name=cst.Name(error)))
    return _replaced_in_task(region, place, bound, handler, new)


def task_of(req: FixRequest, line: int) -> Place | None:
    """The Celery task whose body holds ``line``."""
    func = req.enclosing_function(line)
    for decorator in func.decorator_list if func is not None else []:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
        if name in TASK_DECORATORS and name != "actor":
            return Place("task", func, decorator)
    return None


def task_retry_around(req: FixRequest, region: Region, statement: ast.stmt, target: cst.CSTNode, caught: list[str], place: Place) -> cst.Module:
    """In a Celery task, the failures of ``statement`` retried: added to the task's own ``self.retry`` handler
    around it when there is one (one handler, one policy), else a new ``try`` whose handler retries."""
    func = place.func
    assert func is not None
    req.title = "Retry the task with exponential back-off (`self.retry`)"
    for node in ast.walk(func):
        if not isinstance(node, ast.Try) or not (node.lineno < statement.lineno <= max(s.end_lineno or s.lineno for s in node.body)):
            continue
        for handler in node.handlers:
            if handler.type is not None and any(_retries(s) for s in handler.body):
                present = {ast.unparse(e) for e in (handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type])}
                new_types = [c for c in caught if c not in present]
                if not new_types:
                    raise FixRefused("the task's retry handler already catches these")
                node_cst = region.node_at(cst.ExceptHandler, handler.lineno, req.source.char_col_from_utf8(handler.lineno, handler.col_offset))
                assert isinstance(node_cst, cst.ExceptHandler) and node_cst.type is not None
                code = cst.Module([]).code_for_node
                old = [code(e.value) for e in node_cst.type.elements] if isinstance(node_cst.type, cst.Tuple) else [code(node_cst.type)]
                types = cst.parse_expression("(" + ", ".join([*old, *new_types]) + ")")
                return region.module.deep_replace(node_cst.type, types)  # type: ignore[return-value]
    bound, me = _task_self(place)
    spelled = caught[0] if len(caught) == 1 else "(" + ", ".join(caught) + ")"
    code = f"try:\n    pass\nexcept {spelled} as exc:\n    raise {me}.retry(exc=exc, countdown=min(300, 10 * 2**{me}.request.retries))\n"
    handler = cst.parse_statement(code).handlers[0]  # type: ignore[attr-defined]
    wrapped = cst.Try(body=cst.IndentedBlock(body=[target.with_changes(leading_lines=[])]), handlers=[handler])
    wrapped = wrapped.with_changes(leading_lines=target.leading_lines)  # type: ignore[attr-defined]
    return _replaced_in_task(region, place, bound, target, wrapped)


def skip_item_around(
    req: FixRequest, region: Region, statement: ast.stmt, target: cst.CSTNode, caught: list[str], what: str, additions: ModuleAdditions
) -> cst.Module:
    """In a worker's loop, the failures of ``statement`` logged with the traceback, and the loop goes on with its
    next item (``continue`` in the innermost ``for`` around it): the item stays undone, for the next pass or the
    broker's redelivery, and the worker keeps running. Refused directly in the worker's ``while``, where skipping
    the rest of the pass would skip its wait too (a hot loop against the failing service)."""
    func = req.enclosing_function(statement.lineno)
    loop = _innermost_loop(func, statement) if func is not None else None
    if not isinstance(loop, (ast.For, ast.AsyncFor)):
        raise FixRefused("not inside an item loop of the worker: skipping the rest of the pass would skip its wait")
    req.title = TITLES["loop"]
    structlog = imports_root(req.tree, "structlog")
    context = failure_context(req, None, statement.lineno)
    fields = log_fields(req, context, service_known=False, additions=additions)
    logger = logger_for(req, statement.lineno)
    if logger is None:
        logger = "logger" if not module_binds(req.tree, "logger") else "_sadpath_logger"
        additions.add_import("structlog" if structlog else "logging")
        additions.define(f"{logger} = {'structlog.get_logger()' if structlog else 'logging.getLogger(__name__)'}")
    call = cst.parse_expression(f"{logger}.exception({py_string(what + ' failed; going on with the next item')})")
    assert isinstance(call, cst.Call)
    column = req.source.char_col_from_utf8(statement.lineno, statement.col_offset) + 4
    logged = fitted(with_fields(call, fields, structlog), column, line_limit(req.source), region.module)
    spelled = caught[0] if len(caught) == 1 else "(" + ", ".join(caught) + ")"
    handler = cst.parse_statement(f"try:\n    pass\nexcept {spelled}:\n    pass\n").handlers[0]  # type: ignore[attr-defined]
    handler = handler.with_changes(body=cst.IndentedBlock(body=[cst.SimpleStatementLine([cst.Expr(logged)]), simple_line("continue")]))
    wrapped = cst.Try(body=cst.IndentedBlock(body=[target.with_changes(leading_lines=[])]), handlers=[handler])
    wrapped = wrapped.with_changes(leading_lines=target.leading_lines)  # type: ignore[attr-defined]
    return region.module.deep_replace(target, wrapped)  # type: ignore[return-value]


def _innermost_loop(func: ast.AST, statement: ast.stmt) -> ast.AST | None:
    chain = _chain(func, statement)
    return next((n for n in reversed(chain[:-1]) if isinstance(n, (ast.For, ast.AsyncFor, ast.While))), None)


def _task_self(place: Place) -> tuple[bool, str]:
    """Whether the task is bound (``bind=True``), and the name its ``retry`` is called on: its first parameter,
    or ``self`` once ``_bound`` adds it."""
    func = place.func
    assert func is not None
    bound = isinstance(place.task_decorator, ast.Call) and any(
        k.arg == "bind" and isinstance(k.value, ast.Constant) and k.value.value is True for k in place.task_decorator.keywords
    )
    params = [*func.args.posonlyargs, *func.args.args]
    if bound and not params:
        raise FixRefused("a bound task without a first parameter")
    if not bound and any(p.arg == "self" for p in params):
        raise FixRefused("the task already has a parameter named self")
    return bound, params[0].arg if bound else "self"


def _replaced_in_task(region: Region, place: Place, bound: bool, old: cst.CSTNode, new: cst.CSTNode) -> cst.Module:
    """The module with ``old`` replaced by ``new`` inside the task's function, which is bound when it was not."""
    func = place.func
    assert func is not None
    func_node = next(
        (n for n in region.positions if isinstance(n, cst.FunctionDef) and n.name.value == func.name and region.contains(n, old)),
        None,
    )
    if func_node is None:
        raise FixRefused("the task's function is not in the region")
    new_func = func_node.deep_replace(old, new)
    if not bound:
        assert isinstance(new_func, cst.FunctionDef)
        new_func = _bound(new_func, place)
    return region.module.deep_replace(func_node, new_func)  # type: ignore[return-value]


def _retries(statement: ast.stmt) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "retry" and isinstance(n.value, ast.Name) for n in ast.walk(statement))


def _bound(func: cst.FunctionDef, place: Place) -> cst.FunctionDef:
    """``@app.task`` -> ``@app.task(bind=True)``, and ``self`` as the first parameter."""
    decorators = []
    for decorator in func.decorators:
        expr = decorator.decorator
        target = expr.func if isinstance(expr, cst.Call) else expr
        name = target.attr.value if isinstance(target, cst.Attribute) else target.value if isinstance(target, cst.Name) else ""
        if name in TASK_DECORATORS:
            call = expr if isinstance(expr, cst.Call) else cst.Call(func=expr)
            decorator = decorator.with_changes(decorator=with_arguments(call, [keyword_arg("bind", "True")]) if call.args else call.with_changes(args=[keyword_arg("bind", "True")]))
        decorators.append(decorator)
    params = func.params
    first = cst.Param(name=cst.Name("self"), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if (params.params or params.posonly_params) else cst.MaybeSentinel.DEFAULT)
    if params.posonly_params:
        params = params.with_changes(posonly_params=[first, *params.posonly_params])
    else:
        params = params.with_changes(params=[first, *params.params])
    return func.with_changes(decorators=decorators, params=params)


def traced_logger_call(
    call: cst.Call, context: FailureContext, fields, structlog: bool, error_name: str | None, ids: list[str] | tuple[str, ...] = ()
) -> cst.Call:
    """A logger call that keeps its message and arguments and gains the traceback (``.error`` becomes
    ``.exception``, another level gets ``exc_info=True``) and ``fields``; ``logger.error(e)`` alone says which
    operation failed instead."""
    assert isinstance(call.func, cst.Attribute)
    method = call.func.attr.value
    args = list(call.args)
    positional = [a for a in args if a.keyword is None and not a.star]
    if len(positional) == 1 and is_error_only(positional[0].value, error_name):
        index = args.index(positional[0])
        args[index] = args[index].with_changes(value=cst.SimpleString(py_string(f"{context.operation} failed")))
    new = call.with_changes(args=args)
    if method in ("error", "fatal", "exception"):
        new = without_falsy_exc_info(new.with_changes(func=call.func.with_changes(attr=cst.Name("exception"))))
    else:
        new = _with_exc_info(new)
    present = extra_keys(new)
    new = with_ids(new, list(ids)) if not structlog else new  # the ids in scope tie the record to what failed
    return with_fields(new, [(k, v) for k, v in fields if k not in present], structlog)


def extra_keys(call: cst.Call) -> set[str]:
    extra = _keyword(call, "extra")
    if extra is None or not isinstance(extra.value, cst.Dict):
        return {a.keyword.value for a in call.args if a.keyword is not None}
    return {str(e.key.evaluated_value) for e in extra.value.elements if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString)}


def is_error_only(expr: cst.BaseExpression, error_name: str | None) -> bool:
    if error_name is None:
        return False
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("str", "repr") and len(expr.args) == 1:
        expr = expr.args[0].value
    return isinstance(expr, cst.Name) and expr.value == error_name


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def _falsy(expr: cst.BaseExpression) -> bool:
    return (isinstance(expr, cst.Name) and expr.value in ("False", "None")) or (isinstance(expr, cst.Integer) and expr.value == "0")


def without_falsy_exc_info(call: cst.Call) -> cst.Call:
    arg = _keyword(call, "exc_info")
    if arg is None or not _falsy(arg.value):
        return call
    args = [a for a in call.args if a is not arg]
    if args and call.args[-1] is arg:
        args[-1] = args[-1].with_changes(comma=arg.comma, whitespace_after_arg=arg.whitespace_after_arg)
    return call.with_changes(args=args)


def _with_exc_info(call: cst.Call) -> cst.Call:
    arg = _keyword(call, "exc_info")
    if arg is not None:
        return call.deep_replace(arg, arg.with_changes(value=cst.Name("True"))) if _falsy(arg.value) else call  # type: ignore[return-value]
    return with_arguments(call, [keyword_arg("exc_info", "True")])


def _log_call(statement: cst.BaseStatement) -> cst.Call | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and isinstance(statement.body[0], cst.Expr):
        call = statement.body[0].value
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value in LOG_METHODS - {"log"}:
            receiver = call.func.value
            text = receiver.value if isinstance(receiver, cst.Name) else receiver.attr.value if isinstance(receiver, cst.Attribute) else ""
            if "log" in text.lower():
                return call
    return None


def is_pass(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(s, cst.Pass) or (isinstance(s, cst.Expr) and isinstance(s.value, cst.Ellipsis)) for s in statement.body
    )


def _is_terminal(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(isinstance(s, (cst.Pass, cst.Return, cst.Continue)) for s in statement.body)


def _returns_status(func: ast.AST | None) -> bool:
    """``main() -> int``, or a main whose other returns give a number: the caller exits with what it returns."""
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    if isinstance(func.returns, ast.Name) and func.returns.id == "int":
        return True
    return any(isinstance(n, ast.Return) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, int) for n in ast.walk(func))


def _uses_name(node: cst.CSTNode, name: str) -> bool:
    found = []

    class _Visitor(cst.CSTVisitor):
        def visit_ExceptHandler(self, n: cst.ExceptHandler) -> None:
            pass

        def visit_AsName(self, n: cst.AsName) -> bool:
            return False

        def visit_Name(self, n: cst.Name) -> None:
            if n.value == name:
                found.append(n)

    node.visit(_Visitor())
    return bool(found)


__all__ = ["Place", "fitting_handler", "is_error_only", "is_pass", "extra_keys", "place_of", "task_of", "task_retry_around", "traced_logger_call", "traced_statements"]
