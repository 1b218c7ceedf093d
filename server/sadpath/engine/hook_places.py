"""Hooks that run after the work they follow has succeeded, and optional steps of a command: places where
"re-raise or translate" is the wrong fix for a swallowing handler, because raising would fail (or roll back) work
that already succeeded, or stop a command for a convenience it offers.

- a receiver of a Django signal sent after the action (``@receiver(post_delete, sender=Task)``,
  ``post_save.connect(fn)``): Django runs it inside ``save()``/``delete()``, so what it raises fails that call and,
  inside ``atomic()`` (a delete's collector always is), rolls the action back;
- a ``transaction.on_commit(fn)`` callback, an SQLAlchemy ``after_*`` event listener: the data is committed or
  flushed when it runs;
- a live push to connected clients (a helper whose only writes are a socket server's ``emit``/``enter_room``):
  callers run it after the work it reports is stored, and a missed push is repaired by the client's next load;
- an optional step of a CLI command (a ``try`` under an ``if`` of the command that reads none of its options, with
  more of the command after it): a prestart check in an interactive terminal, an offer to save a profile; its
  failure must not stop the command. A step gated on an option the user passed (``if upload:``) is the work.

The handling that fits all of them is the catalog's best-effort one: log the failure with the traceback and carry
on. ``hook_of`` lets SAD101's message say what is lost there and give that advice. A hook handler that logs with
the traceback is no swallow (nor is an optional command step that logs its failure: the command goes on and says
why); one that logs only the text or at debug level, or nothing, stays a finding with the true consequence."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from sadpath.engine.context import ModuleContext
from sadpath.engine.handler_site import Site
from sadpath.engine.walker import body_nodes

_REPORTED = ("warning", "warn", "error", "critical", "fatal", "exception")

# Django signals sent after the action they report: what a receiver raises fails that action
_AFTER_SIGNALS = {
    "post_save": "save",
    "post_delete": "delete",
    "m2m_changed": "relation change",
    "post_migrate": "migration",
    "request_finished": "request",
    "user_logged_in": "login",
    "user_logged_out": "logout",
}
_SOCKET_RECEIVER = re.compile(r"sio|socket|namespace|^ws$|websocket", re.IGNORECASE)
_PUSHES = frozenset({"emit", "enter_room", "leave_room", "close_room", "send", "broadcast"})
_WRITES = re.compile(
    r"^(save|delete|commit|create|bulk_create|bulk_update|update|insert|put|post|patch|publish|write|remove|unlink|"
    r"execute|add|merge|flush|upsert|set)$|^(insert|update|delete|create|add|remove|set)_"
)
_CLI_DECORATORS = frozenset({"command", "callback", "group"})
_CLI_MODULES = ("click", "typer", "argparse", "cyclopts", "fire")


@dataclass(frozen=True)
class Hook:
    kind: str  # "signal", "on-commit", "after-event", "live push", "optional step"
    detail: str  # the signal or event name, the action it follows, or the ``if`` test of the optional step


def hook_of(site: Site) -> Hook | None:
    """The hook or optional step the handler's function is, when raising there would fail work that succeeded."""
    func = site.func
    if func is None or site.after is not None:
        return None
    ctx = site.ctx
    signal = _after_signal(func, ctx)
    if signal is not None:
        return Hook("signal", signal)
    name = func.name
    if name in ctx.fact("on-commit-callbacks", lambda: _on_commit_callbacks(ctx)):
        return Hook("on-commit", "commit")
    event = _after_event(func, ctx)
    if event is not None:
        return Hook("after-event", event)
    if site.try_node is not None and _live_push(site.try_node):
        return Hook("live push", "")
    test = optional_command_step(site)
    if test is not None:
        return Hook("optional step", test)
    return None


def _last_name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _after_signal(func: ast.AST, ctx: ModuleContext) -> str | None:
    """``@receiver(post_delete, sender=Task)``, ``@receiver([post_save, post_delete])``, or ``post_save.connect(fn)``
    in the module: the name of the after-action signal the function receives."""
    for decorator in getattr(func, "decorator_list", []):
        if isinstance(decorator, ast.Call) and _last_name(decorator.func) == "receiver" and decorator.args:
            first = decorator.args[0]
            names = [_last_name(e) for e in first.elts] if isinstance(first, (ast.List, ast.Tuple)) else [_last_name(first)]
            found = [n for n in names if n in _AFTER_SIGNALS]
            if found and len(found) == len(names):
                return found[0]
    return ctx.fact("signal-connections", lambda: _connections(ctx)).get(getattr(func, "name", ""))


def _connections(ctx: ModuleContext) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in ast.walk(ctx.tree):
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect"
            and _last_name(node.func.value) in _AFTER_SIGNALS and node.args
        ):
            target = _last_name(node.args[0])
            if target:
                found[target] = _last_name(node.func.value)
    return found


def _on_commit_callbacks(ctx: ModuleContext) -> set[str]:
    """Functions handed to ``transaction.on_commit(fn)``, ``on_commit(lambda: fn(x))``, ``on_commit(partial(fn, x))``."""
    found: set[str] = set()
    for node in ast.walk(ctx.tree):
        if not (isinstance(node, ast.Call) and _last_name(node.func) == "on_commit" and node.args):
            continue
        target = node.args[0]
        if isinstance(target, ast.Lambda) and isinstance(target.body, ast.Call):
            target = target.body.func
        elif isinstance(target, ast.Call) and _last_name(target.func) == "partial" and target.args:
            target = target.args[0]
        if name := _last_name(target):
            found.add(name)
    return found


def _after_event(func: ast.AST, ctx: ModuleContext) -> str | None:
    """``@event.listens_for(Session, "after_commit")`` or ``event.listen(Model, "after_insert", fn)``."""
    for decorator in getattr(func, "decorator_list", []):
        if isinstance(decorator, ast.Call) and _last_name(decorator.func) == "listens_for":
            event = _event_name(decorator)
            if event is not None:
                return event
    return ctx.fact("after-event-listeners", lambda: _listeners(ctx)).get(getattr(func, "name", ""))


def _event_name(call: ast.Call) -> str | None:
    if len(call.args) >= 2 and isinstance(call.args[1], ast.Constant) and isinstance(call.args[1].value, str):
        name = call.args[1].value
        return name if name.startswith("after_") else None
    return None


def _listeners(ctx: ModuleContext) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.Call) and _last_name(node.func) == "listen" and len(node.args) >= 3:
            event = _event_name(node)
            target = _last_name(node.args[2])
            if event is not None and target:
                found[target] = event
    return found


def _live_push(try_node: ast.Try) -> bool:
    """The ``try`` pushes to connected clients through a socket server (``sio.enter_room``, ``sio.emit``) and
    changes nothing else: it reports or routes work that is already done."""
    calls = [n for n in body_nodes(try_node.body) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    pushes = [c for c in calls if c.func.attr in _PUSHES and _SOCKET_RECEIVER.search(_last_name(c.func.value) or ast.unparse(c.func.value))]
    if not pushes:
        return False
    return not any(_WRITES.search(c.func.attr) for c in calls if c not in pushes)


def optional_command_step(site: Site) -> str | None:
    """The ``if`` test under which a CLI command runs this ``try`` when more of the command follows it: an optional
    step of the command (``if is_interactive(): try: prestart_check() except Exception: pass``). None otherwise."""
    func, try_node = site.func, site.try_node
    if func is None or try_node is None or site.path.end != "fall" or not _cli_command(func, site):
        return None
    if any(isinstance(n, (ast.Return, ast.Yield, ast.YieldFrom)) for n in body_nodes(try_node.body)):
        return None
    gate = _gate(try_node, func)
    if gate is None or _reads_a_parameter(gate.test, func):
        return None  # ``if upload:``: a step the user asked for is the command's work, not a convenience
    after = _after_in_function(gate, func)
    if not after:
        return None  # the step is the command's last work: its failure is the command's failure
    assigned = {n.id for n in body_nodes(try_node.body) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    read = {n.id for n in body_nodes(after) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if assigned & read:
        return None  # later work needs what the step computed
    return ast.unparse(gate.test)


def _reads_a_parameter(test: ast.expr, func: ast.AST) -> bool:
    """The test reads one of the command's own parameters (its options): the step runs because the user asked."""
    args = getattr(func, "args", None)
    if args is None:
        return False
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)} - {"self", "cls", "ctx"}
    return any(isinstance(n, ast.Name) and n.id in params for n in ast.walk(test))


def _cli_command(func: ast.AST, site: Site) -> bool:
    if site.boundary is not None and site.boundary.kind in ("command", "main"):
        return True
    imports = {
        (alias.name if isinstance(stmt, ast.Import) else stmt.module or "").split(".")[0]
        for stmt in ast.walk(site.ctx.tree) if isinstance(stmt, (ast.Import, ast.ImportFrom)) for alias in stmt.names
    }
    if not imports & set(_CLI_MODULES):
        return False
    return any(
        _last_name(d.func if isinstance(d, ast.Call) else d) in _CLI_DECORATORS for d in getattr(func, "decorator_list", [])
    )


def _gate(try_node: ast.Try, func: ast.AST) -> ast.If | None:
    """The innermost ``if`` of the function whose body holds the ``try`` as one of its own statements."""
    for node in ast.walk(func):
        if isinstance(node, ast.If) and try_node in node.body:
            return node
    return None


def _after_in_function(stmt: ast.stmt, func: ast.AST) -> list[ast.stmt]:
    """The statements after ``stmt`` in its block and in every enclosing block of the function."""
    found: list[ast.stmt] = []
    target: ast.AST = stmt
    while target is not func:
        parent, block = _block_of(target, func)
        if parent is None or block is None:
            break
        found.extend(block[block.index(target) + 1 :])
        target = parent
    return found


def _block_of(stmt: ast.AST, func: ast.AST) -> tuple[ast.AST | None, list[ast.stmt] | None]:
    for node in ast.walk(func):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and stmt in block:
                return node, block
        for handler in getattr(node, "handlers", []):
            if stmt in handler.body:
                return node, handler.body
    return None, None


def lost_in_hook(hook: Hook, site: Site) -> str:
    """What is lost when the handler swallows there, for the message."""
    untraced = site.path.untraced_log
    debug = [log for log in site.path.logs if log.kind == "logger" and log.level not in _REPORTED]
    if debug:
        trace = f", with only a `{debug[0].receiver}.{debug[0].method}` line, which production logs leave out"
    elif untraced is not None and site.verdict.startswith("log:"):
        trace = ", with only the error's text in the log to tell why"
    else:
        trace = " without a trace"
    if hook.kind == "signal":
        return f"the `{hook.detail}` receiver's work is lost{trace}"
    if hook.kind == "on-commit":
        return f"the work this on-commit callback does after the commit is lost{trace}"
    if hook.kind == "after-event":
        return f"the work of this `{hook.detail}` listener is lost{trace}"
    if hook.kind == "live push":
        return f"connected clients miss this live update until they reload{trace}"
    where = f"`{site.func.name}()`" if site.func is not None else "the command"
    if trace == " without a trace":
        trace = ", and nobody can tell why it did not run"
    return f"{where} goes on without this optional step{trace}"


def keep_traceback(site) -> str:
    """How to keep the traceback, true to the handler's log line: ``logger.exception`` logs at ERROR, so a line
    already at error level only needs ``exc_info=True``, and one at debug or info level needs a visible level."""
    logs = [log for log in site.path.logs if log.kind == "logger"] if site is not None else []
    if logs and all(log.level in ("error", "critical", "exception", "fatal") for log in logs):
        call = f"`{logs[0].receiver}.{logs[0].method}`"
        return f"keep the traceback (`exc_info=True` on the existing {call} call, or `{logs[0].receiver}.exception`) and carry on"
    logger = logs[0].receiver if logs and logs[0].receiver else "logger"
    return (
        f"log it at warning level or above with the traceback (`{logger}.warning(..., exc_info=True)`, or"
        f" `{logger}.exception` at error level) and carry on"
    )


def advice_in_hook(hook: Hook, site=None) -> str:
    keep = keep_traceback(site)
    if hook.kind == "signal":
        action = _AFTER_SIGNALS.get(hook.detail, "action")
        return (
            f"It is a `{hook.detail}` receiver, run inside the {action} that sent the signal: {keep}; re-raising would"
            f" fail that {action} (and roll it back inside a transaction) over this follow-up work."
        )
    if hook.kind == "on-commit":
        return f"It runs after the transaction committed: {keep}; re-raising would fail a request whose data is already stored."
    if hook.kind == "after-event":
        return f"It is an SQLAlchemy `{hook.detail}` listener: {keep}; re-raising would fail the flush or commit that fired it over this follow-up work."
    if hook.kind == "live push":
        return f"It is a live push to connected clients after the work is done: {keep}; re-raising would fail work that already succeeded."
    return (
        f"It is an optional step of the command (only when `{hook.detail}`): print a warning on the console that says"
        " the step was skipped and why, log the traceback at debug level, and carry on; re-raising would stop the"
        " command for a convenience."
    )


__all__ = ["Hook", "advice_in_hook", "hook_of", "keep_traceback", "lost_in_hook", "optional_command_step"]
