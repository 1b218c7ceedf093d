"""How a call site measures up to the resilience contract that covers it: one verdict per declared mode.

Shared by SAD301 (which reports the broken modes) and the hover (which shows the whole table).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from sadpath.contracts import Contract, Strategy
from sadpath.knowledge import HTTP_STATUS_MODES
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import ExternalCall, external_call
from sadpath.engine.handling import caught_by, catches, enclosing_try_handlers
from sadpath.engine.walker import NESTED_SCOPES, local_nodes
from sadpath.engine import logcalls

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class ModeVerdict:
    mode: str
    strategy: Strategy
    problem: str | None  # None: handled as declared
    line: int | None = None  # the handler (or retry) that handles it here

    @property
    def ok(self) -> bool:
        return self.problem is None


def covering_contract(external: ExternalCall, ctx: ModuleContext) -> Contract | None:
    contracts = getattr(ctx.settings, "contracts", ())
    if not contracts:
        return None
    names = _qualified_names(external)
    for contract in contracts:
        if contract.covers(external.interface.name, external.interface.label, names):
            return contract
    return None


def project_call(call: ast.Call, ctx: ModuleContext) -> ExternalCall | None:
    """A call to a project function or method that a contract names by its qualified name
    (``billing.gateway.PaymentClient.charge``), as a call whose failure modes are the contract's: each mode is
    carried by the exception types the knowledge base knows for it."""
    contracts = getattr(ctx.settings, "contracts", ())
    if not contracts:
        return None
    func = call.func
    qualified = None
    if isinstance(func, ast.Attribute):
        receiver = ctx.type_of(func.value)
        qualified = f"{receiver}.{func.attr}" if receiver else ctx.qualified_name(func)
    elif isinstance(func, ast.Name):
        qualified = ctx.qualified_name(func)
    if not qualified or "." not in qualified:
        return None
    from sadpath.engine.project_calls import project_base

    top = qualified.split(".")[0]
    key = ("project-module", top)
    if key not in ctx.memo:
        ctx.memo[key] = project_base(top, ctx) is not None
    if not ctx.memo[key]:
        return None  # a library's call (``requests.Session.mount``): only the knowledge base says what it does
    for contract in contracts:
        if contract.covers("", "", (qualified,)):
            from sadpath.knowledge.interfaces import Interface

            modes = tuple((mode, mode_exceptions(mode)) for mode, _ in contract.modes if mode_exceptions(mode))
            interface = Interface(name=f"project:{qualified}", kind="project", label=qualified.rsplit(".", 1)[-1], modes=modes)
            return ExternalCall(interface, call, qualified, None, None, None, False)
    return None


_MODE_EXCEPTIONS: dict[str, tuple[str, ...]] = {}


def mode_exceptions(mode: str) -> tuple[str, ...]:
    """Every exception type the knowledge base knows to carry ``mode``, in any library."""
    if not _MODE_EXCEPTIONS:
        from sadpath.knowledge.interfaces import builtin_interfaces

        found: dict[str, dict[str, None]] = {}
        for interface in builtin_interfaces():
            for name, exceptions in interface.modes:
                found.setdefault(name, {}).update(dict.fromkeys(exceptions))
        _MODE_EXCEPTIONS.update({name: tuple(types) for name, types in found.items()})
    return _MODE_EXCEPTIONS.get(mode, ())


def _qualified_names(external: ExternalCall) -> tuple[str, ...]:
    names = [external.name]
    if external.client_type and external.method:
        names.append(f"{external.client_type}.{external.method}")
    return tuple(names)


def check_site(external: ExternalCall, contract: Contract, parents: list[ast.AST], ctx: ModuleContext) -> list[ModeVerdict]:
    """A verdict for each mode the contract declares and the call can raise."""
    raised = dict(external.interface.modes_of_call(external.call, external.name))
    function = next((p for p in reversed(parents) if isinstance(p, _FUNCTIONS)), None)
    around = enclosing_try_handlers(external.call, parents)
    status_handlers = _status_check_handlers(function) if external.interface.kind == "http" else []
    verdicts = []
    for mode, strategy in contract.modes:
        exceptions = raised.get(mode)
        if not exceptions:
            continue  # this call cannot fail this way (or the knowledge base does not know how)
        handlers = around + status_handlers if mode in HTTP_STATUS_MODES else around
        catching = [h for h in handlers if any(catches(ctx.hierarchy, caught_by(h, ctx), exc) for exc in exceptions)]
        checked_status = mode not in HTTP_STATUS_MODES or external.interface.kind != "http" or bool(status_handlers) or _checks_status(function)
        verdicts.append(_verdict(mode, strategy, catching, exceptions, external, parents, function, contract, ctx, checked_status))
    return verdicts


def _verdict(mode, strategy, catching, exceptions, external, parents, function, contract, ctx, checked_status) -> ModeVerdict:
    first = catching[0] if catching else None
    # no line numbers in messages: a finding cached by the language server moves with its statement
    where = f"`{_label(first)}`" if first is not None else ""
    if strategy.kind == "propagate":
        if first is not None and not _raises(first):
            return ModeVerdict(mode, strategy, f"{mode} must propagate, but {where} swallows it", first.lineno)
        return ModeVerdict(mode, strategy, None, first.lineno if first is not None else None)
    if strategy.kind == "translate":
        if not checked_status:
            return ModeVerdict(mode, strategy, f"{mode} is not translated to {strategy.error}: the response status is never checked")
        if first is None:
            return ModeVerdict(mode, strategy, f"{mode} is not translated to {strategy.error}")
        if not any(_raises_from(h, strategy.error) for h in catching):
            return ModeVerdict(mode, strategy, f"{mode} is caught by {where} but not raised as {strategy.error} from the original", first.lineno)
        status = _declared_status(strategy.error, ctx)
        if strategy.status is not None and status is not None and status != strategy.status:
            return ModeVerdict(mode, strategy, f"{strategy.error} carries status {status}, the contract says {strategy.status}", first.lineno)
        missing = _missing_log_fields(first, contract, ctx)
        if missing:
            return ModeVerdict(mode, strategy, f"the handler of {mode} {where} logs without {missing}", first.lineno)
        return ModeVerdict(mode, strategy, None, first.lineno)
    if strategy.kind == "fallback":
        if first is None:
            return ModeVerdict(mode, strategy, f"{mode} has no fallback here: nothing catches it")
        if _always_raises(first):
            return ModeVerdict(mode, strategy, f"{mode} is caught by {where} and raised again: the contract says fall back", first.lineno)
        missing = _missing_log_fields(first, contract, ctx)
        if missing:
            return ModeVerdict(mode, strategy, f"the handler of {mode} {where} logs without {missing}", first.lineno)
        return ModeVerdict(mode, strategy, None, first.lineno)
    return _retry_verdict(mode, strategy, catching, exceptions, external, parents, function, ctx)


def _retry_verdict(mode, strategy, catching, exceptions, external, parents, function, ctx) -> ModeVerdict:
    retry = _retry_around(external.call, parents, function, exceptions, ctx)
    declared = f"{strategy.attempts} attempts with backoff"
    if retry is None:
        return ModeVerdict(mode, strategy, f"{mode} is not retried (declared: {declared})")
    attempts, backoff, line = retry
    if attempts is not None and attempts != strategy.attempts:
        return ModeVerdict(mode, strategy, f"{mode} is retried {attempts} times, the contract says {strategy.attempts}", line)
    if not backoff:
        return ModeVerdict(mode, strategy, f"{mode} is retried without backoff (declared: {declared})", line)
    if strategy.error is not None:
        handlers = [h for p in parents for h in getattr(p, "handlers", [])] + catching
        if not any(_raises_from(h, strategy.error) for h in handlers) and not _raises_in(function, strategy.error):
            return ModeVerdict(mode, strategy, f"after the last attempt, {mode} is not raised as {strategy.error}", line)
    return ModeVerdict(mode, strategy, None, line)


# ------------------------------------------------------------------ retries
def _retry_around(call, parents, function, exceptions, ctx) -> tuple[int | None, bool, int] | None:
    """(attempts, has backoff, line) of the retry that repeats the call, or None."""
    if function is not None:
        for decorator in function.decorator_list:
            if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).split(".")[-1] == "retry":
                return _tenacity(decorator) + (decorator.lineno,)
    for index in range(len(parents) - 1, -1, -1):
        node = parents[index]
        if isinstance(node, NESTED_SCOPES):
            break
        if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.iter, ast.Call):
            name = ast.unparse(node.iter.func).split(".")[-1]
            if name in ("Retrying", "AsyncRetrying"):
                return _tenacity(node.iter) + (node.lineno,)
            if name == "range":
                return _range_attempts(node.iter, ctx), _sleeps_growing(node), node.lineno
        if isinstance(node, ast.While):
            return None if not _sleeps_growing(node) else (None, True, node.lineno)
    return None


def _tenacity(call: ast.Call) -> tuple[int | None, bool]:
    attempts = None
    backoff = False
    for keyword in call.keywords:
        text = ast.unparse(keyword.value)
        if keyword.arg == "stop" and isinstance(keyword.value, ast.Call) and keyword.value.args:
            first = keyword.value.args[0]
            if "stop_after_attempt" in ast.unparse(keyword.value.func) and isinstance(first, ast.Constant) and isinstance(first.value, int):
                attempts = first.value
        if keyword.arg == "wait" and ("exponential" in text or "random" in text or "incrementing" in text):
            backoff = True
    return attempts, backoff


def _range_attempts(call: ast.Call, ctx) -> int | None:
    args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, int) else None for a in call.args]
    if len(args) == 1:
        return args[0]
    if len(args) >= 2 and None not in args[:2]:
        return args[1] - args[0]
    return None


def _sleeps_growing(loop: ast.AST) -> bool:
    """A sleep in the loop whose duration is computed (``2 ** attempt``, ``backoff * attempt``), not a constant."""
    for node in local_nodes(loop):
        if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == "sleep" and node.args:
            if not isinstance(node.args[0], ast.Constant):
                return True
    return False


# ------------------------------------------------------------------ handlers
def _status_check_handlers(function: ast.AST | None) -> list[ast.ExceptHandler]:
    """Handlers of the tries whose body calls ``raise_for_status()`` (where HTTP status errors come from)."""
    if function is None:
        return []
    found = []
    for node in local_nodes(function):
        if isinstance(node, ast.Try) and any(
            isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "raise_for_status"
            for stmt in node.body
            for sub in local_nodes(stmt)
        ):
            found.extend(node.handlers)
    return found


def _checks_status(function: ast.AST | None) -> bool:
    if function is None:
        return False
    for node in local_nodes(function):
        if isinstance(node, ast.Attribute) and node.attr in ("raise_for_status", "status_code", "ok", "status"):
            return True
    return False


def _label(handler: ast.ExceptHandler) -> str:
    return "except:" if handler.type is None else f"except {ast.unparse(handler.type)}"


def _raises(handler: ast.ExceptHandler) -> bool:
    return any(isinstance(node, ast.Raise) for node in local_nodes(handler))


def _always_raises(handler: ast.ExceptHandler) -> bool:
    return bool(handler.body) and isinstance(handler.body[-1], ast.Raise) and not any(
        isinstance(node, (ast.Return, ast.If)) for node in local_nodes(handler)
    )


def _raises_from(handler: ast.ExceptHandler, error: str | None) -> bool:
    return any(_is_raise_of(node, error) for node in local_nodes(handler))


def _raises_in(function: ast.AST | None, error: str | None) -> bool:
    return function is not None and any(_is_raise_of(node, error) for node in local_nodes(function))


def _is_raise_of(node: ast.AST, error: str | None) -> bool:
    if not isinstance(node, ast.Raise) or node.cause is None or node.exc is None or error is None:
        return False
    raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    name = ast.unparse(raised)
    short = error.rsplit(".", 1)[-1]
    return name == error or name.rsplit(".", 1)[-1] == short


def _declared_status(error: str | None, ctx: ModuleContext) -> int | None:
    """The ``status = N`` (or ``status_code = N``) class attribute of the domain error, when the module
    defines the class (or a base of it)."""
    if error is None:
        return None
    short = error.rsplit(".", 1)[-1]
    classes = {node.name: node for node in ctx.tree.body if isinstance(node, ast.ClassDef)}
    seen = set()
    current = classes.get(short)
    while current is not None and current.name not in seen:
        seen.add(current.name)
        for stmt in current.body:
            if (
                isinstance(stmt, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id in ("status", "status_code") for t in stmt.targets)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, int)
            ):
                return stmt.value.value
        bases = [b.id for b in current.bases if isinstance(b, ast.Name)]
        current = classes.get(bases[0]) if bases else None
    return None


def status_context(ctx: ModuleContext) -> str:
    """The module's ``status`` attributes of the contracts' error classes (incremental analysis keys on it)."""
    errors = {s.error.rsplit(".", 1)[-1] for c in getattr(ctx.settings, "contracts", ()) for _, s in c.modes if s.error}
    if not errors:
        return ""
    return ";".join(f"{name}={_declared_status(name, ctx)}" for name in sorted(errors))


def _missing_log_fields(handler: ast.ExceptHandler, contract: Contract, ctx: ModuleContext) -> str:
    if not contract.log_fields:
        return ""
    logs = [log for node in local_nodes(handler) if (log := logcalls.as_log_call(node, ctx)) is not None]
    if not logs:
        return "a record (it logs nothing; required: " + ", ".join(contract.log_fields) + ")"
    for log in logs:
        present = logcalls.fields_of(log, ctx)
        if present is None:
            continue  # fields not known statically: give the benefit of the doubt
        missing = [f for f in contract.log_fields if f not in present]
        if missing:
            return ", ".join(f"`{m}`" for m in missing)
    return ""


def declares_fallback(handler: ast.ExceptHandler, try_node: ast.Try, ctx: ModuleContext) -> bool:
    """A resilience contract declares a fallback for the failures this handler catches (and nothing else for
    any mode it catches): the team decided that this failure degrades gracefully."""
    if not getattr(ctx.settings, "contracts", ()):
        return False
    caught = caught_by(handler, ctx)
    seen = False
    for stmt in try_node.body:
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call):
                continue
            external = external_call(node, ctx)
            contract = covering_contract(external, ctx) if external is not None else None
            if external is None:
                continue
            if contract is None:
                return False
            strategies = dict(contract.modes)
            for mode, exceptions in external.interface.modes_of_call(node, external.name):
                if mode in strategies and any(catches(ctx.hierarchy, caught, exc) for exc in exceptions):
                    if strategies[mode].kind != "fallback":
                        return False  # a mode the contract wants translated, retried or propagated
                    seen = True
    return seen
