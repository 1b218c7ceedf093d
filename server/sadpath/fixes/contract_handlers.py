"""Write exactly the handlers a resilience contract declares around a covered call (SAD301, unsafe).

The statement holding the call is wrapped in one ``try`` with a branch per declared mode, most specific
exception first:

* ``translate``: log the failure (with the contract's log fields) and raise the declared error ``from`` it;
* ``fallback``: log it and return (or assign) the declared fallback value;
* ``retry``: the ``try`` sits in a ``for attempt in range(N)`` loop; the branch backs off exponentially with
  jitter (``asyncio.sleep`` in async code) and, on the last attempt, logs and raises the declared error
  ``from`` the original (or re-raises);
* ``propagate``: no branch.

Error classes the module neither defines nor imports are added after the imports, each carrying its declared
``status``. The rule offers this fix only where it can keep the whole contract: no ``try`` already around the
call, no HTTP status mode to translate (those come from ``raise_for_status()``, not from the call), fallback
values that are Python expressions, and log fields that have a value in scope under the same name.
"""

from __future__ import annotations

import ast

import libcst as cst

from sadpath.contracts import Contract, fallback_expression
from sadpath.fixes.request import FixRequest, py_string
from sadpath.fixes.additions import ModuleAdditions, module_binds
from sadpath.fixes.domain_errors import DomainErrors
from sadpath.fixes.failure_context import failure_context, log_fields
from sadpath.fixes.region import FixRefused
from sadpath.fixes.nodes import line_limit, logger_for, region_statement, spell, statement_at
from sadpath.fixes.tidy import finish
from sadpath.knowledge import exception_hierarchy
from sadpath.model import Edit


def build(req: FixRequest) -> list[Edit]:
    data = req.finding.data
    contract = next((c for c in req.settings.contracts if c.name == data.get("contract")), None)
    raw = data.get("mode_exceptions")
    if contract is None or not isinstance(raw, dict):
        raise FixRefused("the contract is no longer configured")
    strategies = dict(contract.modes)
    statement = statement_at(req.tree, req.finding.span.line, req.finding.span.column, req.source)
    func = req.enclosing_function(statement.lineno)
    operation = func.name if func is not None else "startup"
    is_async = isinstance(func, ast.AsyncFunctionDef)
    hierarchy = exception_hierarchy()
    additions = ModuleAdditions()
    errors = DomainErrors(req, additions)
    logger = logger_for(req, statement.lineno)
    if logger is None:
        logger = "logger" if not module_binds(req.tree, "logger") else "_sadpath_logger"
        additions.add_import("logging")
        additions.define(f"{logger} = logging.getLogger(__name__)")
    context = failure_context(req, None, statement.lineno)
    pairs = [("contract", py_string(contract.name)), ("operation", py_string(operation))]
    pairs += [(f, f) for f in contract.log_fields]
    pairs += [(k, v) for k, v in log_fields(req, context, service_known=False, additions=additions) if k not in {p for p, _ in pairs}]
    extra = "extra={" + ", ".join(f"{py_string(k)}: {v}" for k, v in pairs) + "}"

    retry_attempts = {strategies[m].attempts for m in raw if m in strategies and strategies[m].kind == "retry"}
    if len(retry_attempts) > 1:
        raise FixRefused("the contract retries modes of this call a different number of times")
    attempts = retry_attempts.pop() if retry_attempts else None
    policy = retry_decorator(func)
    stop_at = None
    if policy is not None and attempts is not None:
        # the function is already under tenacity's @retry: its policy does the retrying (one policy, no second
        # loop); the declared number of attempts goes into its stop_after_attempt(...)
        stop_at = _stop_after_attempt(policy)
        if stop_at is None:
            raise FixRefused("the function's @retry has no stop_after_attempt(...) to set the declared attempts in")
        if isinstance(stop_at.args[0], ast.Constant) and stop_at.args[0].value == attempts:
            stop_at = None
        raw = {m: names for m, names in raw.items() if not (m in strategies and strategies[m].kind == "retry")}
        attempts = None
    counter = _free(func, "attempt")
    limit = line_limit(req.source)
    branches: list[tuple[int, str]] = []
    handled: set[str] = set()
    for mode, names in raw.items():
        strategy = strategies.get(mode)
        if strategy is None or strategy.kind == "propagate":
            continue
        these = [str(n) for n in names if str(n) not in handled]
        if not these:
            continue
        handled.update(these)
        spelled = [spell(e, req, additions) for e in sorted(these, key=lambda n: -len(hierarchy.ancestors(n)))]
        caught = spelled[0] if len(spelled) == 1 else "(" + ", ".join(spelled) + ")"
        message = py_string(f"{contract.name}: {mode} during {operation}")
        indent_at = statement.col_offset + 4 + (4 if attempts is not None else 0)
        retrying = strategy.kind == "retry"
        body = _log_lines(f"{logger}.warning", message, extra, indent_at + (4 if retrying else 0), limit)
        if strategy.kind == "translate":
            errors.ensure(strategy.error, strategy.status)
            body.append(f"raise {strategy.error}({message}) from exc")
        elif strategy.kind == "fallback":
            value = fallback_expression(strategy.fallback)
            if value is None:
                raise FixRefused(f"the fallback of {mode} is not a Python value")
            body.append(_fallback_statement(statement, value))
        else:
            final = ["raise"]
            if strategy.error:
                errors.ensure(strategy.error, None)
                final = [f"raise {strategy.error}({message}) from exc"]
            sleep = "await asyncio.sleep" if is_async else "time.sleep"
            additions.imports.extend([("asyncio" if is_async else "time", None), ("random", None)])
            body = [
                f"if {counter} == {attempts - 1}:",
                *(f"    {line}" for line in [*body, *final]),
                f"{sleep}(min(30.0, 0.5 * 2**{counter}) * random.uniform(0.5, 1.5))",
            ]
        depth = max(len(hierarchy.ancestors(e)) for e in these)
        handler_code = "try:\n    pass\nexcept " + caught + " as exc:\n" + "".join(f"    {line}\n" for line in body)
        branches.append((depth, handler_code))
    if not branches and stop_at is None:
        raise FixRefused("the contract declares no handling for this call's failures")
    handlers = [cst.parse_statement(code).handlers[0] for _, code in sorted(branches, key=lambda b: -b[0])]

    region = req.region()
    column = req.source.char_col_from_utf8(statement.lineno, statement.col_offset)
    target = region_statement(region, statement.lineno, column)
    module = region.module
    if handlers:
        inner = [target.with_changes(leading_lines=[])]
        if attempts is not None and not isinstance(statement, ast.Return):
            inner.append(cst.SimpleStatementLine(body=[cst.Break()]))
        wrapped: cst.BaseCompoundStatement = cst.Try(body=cst.IndentedBlock(body=inner), handlers=handlers)
        if attempts is not None:
            loop = cst.parse_statement(f"for {counter} in range({attempts}):\n    pass\n")
            wrapped = loop.with_changes(body=cst.IndentedBlock(body=[wrapped]))
        wrapped = wrapped.with_changes(leading_lines=target.leading_lines)
        module = module.deep_replace(target, wrapped)
    if stop_at is not None:
        old = region.node_at(cst.Call, stop_at.lineno, req.source.char_col_from_utf8(stop_at.lineno, stop_at.col_offset))
        assert isinstance(old, cst.Call)
        declared = next(s.attempts for s in strategies.values() if s.kind == "retry")
        module = module.deep_replace(old, old.with_changes(args=[old.args[0].with_changes(value=cst.Integer(str(declared)))]))
    return finish(req, region, module, additions)


def retry_decorator(func: ast.AST | None) -> ast.Call | None:
    """tenacity's ``@retry(...)`` (or ``@backoff.on_exception(...)``) on the function: its retry policy."""
    for decorator in getattr(func, "decorator_list", []):
        if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).split(".")[-1] in ("retry", "on_exception"):
            return decorator
    return None


def _stop_after_attempt(policy: ast.Call) -> ast.Call | None:
    for keyword in policy.keywords:
        if keyword.arg in ("stop", "max_tries"):
            for node in ast.walk(keyword.value):
                if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == "stop_after_attempt" and node.args:
                    return node
    return None


def _fallback_statement(statement: ast.stmt, value: str) -> str:
    if isinstance(statement, ast.Return):
        return f"return {value}"
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        return f"{ast.unparse(statement.targets[0])} = {value}"
    if isinstance(statement, ast.AnnAssign):
        return f"{ast.unparse(statement.target)} = {value}"
    return "pass  # the result is not used: carry on without it"


def _log_lines(function: str, message: str, extra: str, indent: int, limit: int) -> list[str]:
    """A log call on one line, or one argument per line when that line would be too long."""
    one = f"{function}({message}, {extra})"
    if indent + len(one) <= limit:
        return [one]
    return [f"{function}(", f"    {message},", f"    {extra},", ")"]


def _free(func: ast.AST | None, name: str) -> str:
    if func is None:
        return name
    used = {n.id for n in ast.walk(func) if isinstance(n, ast.Name)} | {a.arg for a in ast.walk(func) if isinstance(a, ast.arg)}
    candidate = name
    while candidate in used:
        candidate = f"_{candidate}"
    return candidate


__all__ = ["Contract", "build"]
