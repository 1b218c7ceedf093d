"""Does an ``except`` handler swallow its error? The one judgement SAD101, SAD104, the hover and the inventory share.

A handler swallows when some way out of it (``engine.outcome``) lets the work carry on as if nothing had failed:
it passes, continues or breaks; returns a constant, ``None`` or a sentinel; stores a placeholder; only logs without
the traceback and carries on; or logs, even with the traceback, and then answers a 2xx response (a route, a view, a
webhook) or acknowledges the message (a consumer that acks or commits the offset, here or in its caller).

It is not swallowing when the handler does something with the error (raises, exits, returns a computed fallback
or an error response, records the failure, retries), and when one of ``EXEMPTIONS`` says the shape is deliberate:
each is a named predicate with a one-line docstring. An exemption answers None when it is not about this handler,
False when it was considered and does not apply, True when it applies; the judgement keeps what was considered,
for the hover.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field, replace

from sadpath.engine import crashing_callers, fail_open, shapes
from sadpath.engine.boundary import Boundary, boundary_of
from sadpath.engine.catching import SIGNALS, CatchKind, Caught, classify
from sadpath.engine.context import ModuleContext
from sadpath.engine.exemptions import EXEMPTIONS, describe
from sadpath.engine.external import external_call
from sadpath.engine.handler_site import best_effort_doc, Site, guarded_uses
from sadpath.engine.outcome import Path, handler_paths, is_constant, is_task_retry, response_status
from sadpath.engine.walker import body_nodes

# Calls that tell a broker the message is done: after them the message is never redelivered. A ``commit`` is an
# acknowledgement only on a consumer (Kafka's offset commit), not on a database connection.
ACKS = frozenset({"ack", "basic_ack", "acknowledge", "store_offsets", "delete_message", "delete_messages", "xack", "ack_async", "mark_done"})
OFFSET_COMMITS = frozenset({"commit", "commit_async", "commitSync", "commitAsync"})
_CONSUMER = re.compile(r"consumer|kafka|reader|subscriber", re.IGNORECASE)
_ACK_NAME = re.compile(r"(^|_)ack(nowledge)?(_|$)", re.IGNORECASE)
# Narrow built-in types a swallow is an answer for (a probe), not a lost failure.
PROBE_TYPES = frozenset(
    {"AttributeError", "TypeError", "NameError", "IndexError", "NotImplementedError", "ImportError",
     "ModuleNotFoundError", "StopIteration", "StopAsyncIteration", "LookupError", "KeyError", "AssertionError",
     "ZeroDivisionError", "OverflowError", "RecursionError", "UnboundLocalError", "FileNotFoundError",
     "FileExistsError", "NotADirectoryError", "IsADirectoryError", "ProcessLookupError", "ChildProcessError",
     "InterruptedError", "BlockingIOError", "BrokenPipeError", "ConnectionResetError", "queue.Empty", "queue.Full",
     "asyncio.QueueEmpty", "asyncio.QueueFull", "asyncio.InvalidStateError", "warnings.catch_warnings",
     "contextlib.suppress", "json.JSONDecodeError", "ValueError", "UnicodeError", "UnicodeEncodeError",
     "decimal.InvalidOperation", "binascii.Error", "zlib.error", "OSError", "PermissionError", "RuntimeError",
     "concurrent.futures._base.CancelledError", "SyntaxError", "re.error", "struct.error", "locale.Error"}
)  # fmt: skip
# ...but these narrow errors lose data when swallowed silently: a file that cannot be decoded, a setting that
# does not parse is skipped or ignored without a word.
MEANINGFUL_TYPES = frozenset({"UnicodeDecodeError"})
# the module's own error types that are control flow, or a "not there yet", rather than a lost failure
_SIGNAL_NAME = re.compile(
    r"Cancel|Again|Retry|Skip|Stop|Abort|Exit|Rollback|Denied|Interrupt|Done|Finished|Break|Redirect|Not(?:Ready|Yet|Found)|"
    r"Pending|InProgress|Unchanged|BadDate|Invalid",
)
_CACHE_WRITES = frozenset(
    {"set", "setex", "psetex", "setnx", "mset", "delete", "unlink", "expire", "pexpire", "hset", "hdel", "hmset",
     "incr", "incrby", "decr", "decrby", "hincrby", "lpush", "rpush", "sadd", "srem", "zadd", "zrem", "touch",
     "delete_many", "set_many", "invalidate"}
)  # fmt: skip


@dataclass
class Judgement:
    caught: Caught
    swallows: bool
    site: Site | None = None  # the swallowing (or exempted) way out, when there is one
    consequence: str = ""  # what the caller or the user sees, for the message
    exemption: str | None = None  # the exemption that keeps the handler quiet
    considered: list[tuple[str, str]] = field(default_factory=list)  # (name, one-line docstring) considered, not applying

    @property
    def verdict(self) -> str:
        return self.site.verdict if self.site is not None else ""


def judge(handler: ast.ExceptHandler, ctx: ModuleContext) -> Judgement:
    """The judgement of the handler the walk is at (``ctx.parents`` ends with its ``try``); remembered per handler."""
    key = ("swallow", id(handler))
    if key not in ctx.memo:
        ctx.memo[key] = _judge(handler, ctx)
    return ctx.memo[key]


def _judge(handler: ast.ExceptHandler, ctx: ModuleContext) -> Judgement:
    caught = classify(handler, ctx)
    meaningful = bool(caught.names) and all(ctx.hierarchy.canonical(n) in MEANINGFUL_TYPES for n in caught.names)
    if caught.kind is CatchKind.EXPECTED and not meaningful:
        return Judgement(caught, False, exemption="expected_outcome")
    if caught.names and all(name in SIGNALS for name in caught.names):
        return Judgement(caught, False, exemption="signal")  # cancellation, Ctrl-C, exit: SAD102's business
    meaningful_only = caught.kind in (CatchKind.UNKNOWN, CatchKind.EXPECTED)
    if meaningful_only and not _meaningful(caught, ctx):
        return Judgement(caught, False, exemption="narrow_type")
    func = ctx.enclosing_function()
    try_node = shapes_try(handler, ctx)
    boundary = boundary_of(ctx) if func is not None else None
    considered: list[tuple[str, str]] = []
    first_exempt: tuple[Site, str] | None = None
    paths = tuple(_into_next_return(p, try_node, func, boundary, ctx) for p in handler_paths(handler, ctx))
    own_only = meaningful_only and not meaningful  # the module's own error types, not a decoding error
    for path in paths:
        verdict = _swallowing(path, caught, func, try_node, boundary, ctx, meaningful_only)
        if verdict is None or (own_only and verdict not in ("pass", "continue")):
            continue  # an own error type answered with a value is the function's designed answer
        after = verdict if verdict in ("answers success", "acknowledges") else _after_success(path, func, try_node, boundary, ctx)
        site = Site(handler, ctx, caught, func, try_node, boundary, path, verdict, after, paths)
        exemption = None
        for exempt in () if fail_open.unfiltered(path, try_node, func, ctx) else EXEMPTIONS:  # no comment or doc makes it safe
            applies = exempt(site)
            if applies:
                exemption = exempt.__name__
                break
            if applies is False:
                considered.append((exempt.__name__, describe(exempt)))
        if exemption is None:
            return Judgement(caught, True, site, consequence(site), considered=considered)
        if first_exempt is None:
            first_exempt = (site, exemption)
    if first_exempt is not None:
        return Judgement(caught, False, first_exempt[0], exemption=first_exempt[1], considered=considered)
    return Judgement(caught, False)


def _into_next_return(path: Path, try_node: ast.Try | None, func, boundary, ctx: ModuleContext) -> Path:
    """A path that falls through into ``return False`` (a plain constant) right after the ``try`` returns that
    constant; one that falls into a route's success answer or an acknowledgement stays a fall-through."""
    if path.end != "fall" or try_node is None or _after_success(path, func, try_node, boundary, ctx) is not None:
        return path
    following = shapes.statements_after(try_node, ctx)
    if following and isinstance(following[0], ast.Return) and following[0].value is not None and is_constant(following[0].value):
        return replace(path, end="return", value=following[0].value)
    return path


def shapes_try(handler: ast.ExceptHandler, ctx: ModuleContext) -> ast.Try | None:
    parent = ctx.parents[-1] if ctx.parents else None
    return parent if isinstance(parent, ast.Try) or type(parent).__name__ == "TryStar" else None  # type: ignore[return-value]


def _meaningful(caught: Caught, ctx: ModuleContext) -> bool:
    """A narrow type whose silent swallow loses data: a decoding error, or the project's own failure types."""
    for name in caught.names:
        if not name:
            return False
        canonical = ctx.hierarchy.canonical(name)
        own = f"{ctx.semantic.module_name}." if ctx.semantic.module_name else None
        if own and canonical.startswith(own):
            canonical = canonical[len(own) :]  # the module's own class, qualified by its module
            if not canonical.endswith("Error") or _SIGNAL_NAME.search(canonical):
                return False  # ``TryAgain``, ``SubmissionCanceled``, ``DummyRollbackException``: a signal, not a failure
        if canonical in MEANINGFUL_TYPES:
            continue
        if canonical in PROBE_TYPES or "." in canonical or hasattr(builtins, canonical):
            return False
        if canonical not in ctx.semantic.module_classes:
            return False  # imported from elsewhere: we do not know what it means
    return True


def _swallowing(path: Path, caught: Caught, func, try_node, boundary, ctx: ModuleContext, meaningful_only: bool) -> str | None:
    """How ``path`` carries on as if the work had succeeded, or None when it handles the error."""
    verdict = path.verdict()
    if verdict is None and fail_open.unfiltered(path, try_node, func, ctx):
        verdict = f"return {ast.unparse(path.value)}"  # the unchecked input of a security control: it fails open
    if verdict is None:
        return None
    if meaningful_only and verdict not in ("pass", "continue", "break", "return", "assign") and not verdict.startswith("return "):
        return None  # a narrow error someone noticed (it is logged): not a lost failure
    if verdict.startswith("return ") and exit_status(path, func, boundary):
        return None  # main() or a command answering a non-zero exit status
    if verdict == "log+traceback" or path.traced:
        after = _after_success(path, func, try_node, boundary, ctx)
        if after == "answers success" and path.end == "fall" and _optional_step(try_node, ctx) and _side_step(path, try_node, ctx):
            return None  # an optional step logged with its traceback, and the route's real work goes on without it
        if after is None:
            return None if verdict == "log+traceback" else verdict
        return after
    if verdict.startswith("log:") and path.end in ("fall", "continue") and all(log.kind == "logger" and log.level in ("debug", "info") for log in path.logs):
        goes_on = path.end == "continue" or ctx.enclosing(ast.For, ast.AsyncFor, ast.While) is not None or (
            try_node is not None and bool(shapes.statements_after(try_node, ctx))
        )
        if goes_on and _after_success(path, func, try_node, boundary, ctx) is None:
            return None  # noted at debug or info level while the work goes on: the author chose not to call it an error
    if verdict.startswith("log:") and path.end == "fall" and path.placeholder and _reported(path) and _after_success(path, func, try_node, boundary, ctx) is None:
        return None  # a stand-in stored with a warning that says so: visible, and SAD104 judges the log line
    if verdict.startswith("log:") and path.end in ("fall", "continue") and _side_step(path, try_node, ctx) and (
        (after := _after_success(path, func, try_node, boundary, ctx)) is None or (after == "answers success" and _optional_step(try_node, ctx))
    ):
        # one step failed with a log line and the rest of the work goes on without it (a route that still signs
        # the user in when the group sync failed): SAD104 judges the log. A message acknowledged after it is lost.
        return None
    if verdict.startswith("log:") and path.end in ("return", "continue", "break") and path.value is None:
        log = path.untraced_log
        if log is not None and log.kind == "logger" and log.level in ("warning", "warn", "error", "critical", "fatal", "exception"):
            if caught.kind is CatchKind.FAILURE:
                return None  # a specific failure reported at warning level or above, and the work visibly stops
    return verdict


def _reported(path: Path) -> bool:
    """A log line at warning level or above (or a ``print``) on the path."""
    return any(log.kind == "print" or log.level in ("warning", "warn", "error", "critical", "fatal", "exception") for log in path.logs)


def _side_step(path: Path, try_node: ast.Try | None, ctx: ModuleContext) -> bool:
    """The failed ``try`` is one step among others and nothing later uses what it computed: a loop goes on to its
    next item, or more work follows that reads none of the names the ``try`` assigns (``user_groups`` collects what
    it can, ``observer.start()`` runs with the directories it could watch). When the code after it needs its result,
    or nothing but a ``return`` follows, the ``try`` was the work, and the log alone does not handle its failure."""
    if try_node is None:
        return False
    func = ctx.enclosing_function()
    if func is not None and not any(isinstance(n, ast.Return) for n in body_nodes(try_node.body)) and _best_effort(try_node, func, ctx):
        return True  # a cache write, metrics, cleanup: the log line is all its failure needs
    in_loop = ctx.enclosing(ast.For, ast.AsyncFor, ast.While) is not None and _loop_is_closer(ctx)
    if path.end == "continue":
        return in_loop
    following = shapes.statements_after(try_node, ctx)
    assigned = {n.id for n in body_nodes(try_node.body) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    read = {n.id for n in body_nodes(following) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if assigned & read and not guarded_uses(assigned & read, try_node, ctx):
        return False  # later code needs what the ``try`` computed (unless it tests for it first: ``if session:``)
    if not following:
        return in_loop
    # ``return jsonify({"status": "unlinked"})`` only answers: the ``try`` was the work; ``return await
    # create_signin_response(request, user)`` is more work that goes on without the failed step
    params = _parameters(func) if func is not None else set()
    return not all(isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Return) and _only_answers(stmt.value, params)) for stmt in following)


def _optional_step(try_node: ast.Try | None, ctx: ModuleContext) -> bool:
    """The ``try`` runs only under a condition of its function (``if ENABLE_GROUP_SYNC and groups:``): an optional
    step of a route, not the work the route answers for."""
    for parent in reversed(ctx.parents[:-1]):
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False
        if isinstance(parent, ast.If):
            return True
    return False


def _parameters(func) -> set[str]:
    args = func.args
    return {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}


def _only_answers(value: ast.expr | None, params: set[str] = frozenset()) -> bool:
    """``return``, ``return {"status": "unlinked"}``, ``return jsonify(ok=True)``: an answer made of constants. A
    value built from what the function did before (``return ChatModel.model_validate(chat)``) is its real result."""
    if isinstance(value, ast.Await):
        value = value.value
    if value is None:
        return True
    if isinstance(value, ast.Call):
        callee = value.func.attr if isinstance(value.func, ast.Attribute) else getattr(value.func, "id", "")
        if not (callee in _RESPONDERS or callee.endswith("Response")):
            return False  # ``create_signin_response(request, user)``: more work, not just the answer
        return all(_literal(a, params) for a in [*value.args, *(k.value for k in value.keywords)])
    return _literal(value, params)


_RESPONDERS = frozenset({"jsonify", "make_response", "Response", "dict", "abort", "redirect", "render", "render_template", "HttpResponse"})


def _literal(node: ast.expr, params: set[str] = frozenset()) -> bool:
    """Constants, and the request's own parameters echoed back (``jsonify(id=account_id, loyalty="unlinked")``)."""
    if isinstance(node, ast.Name):
        return node.id in params
    if isinstance(node, ast.Attribute):  # ``account.id``: a field of what the route was asked about
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        return isinstance(root, ast.Name)
    return isinstance(node, ast.Constant) or (
        isinstance(node, (ast.Dict, ast.List, ast.Tuple, ast.Set, ast.JoinedStr))
        and all(_literal(n, params) for n in ast.iter_child_nodes(node) if isinstance(n, ast.expr) and not isinstance(n, ast.FormattedValue))
    )


def _loop_is_closer(ctx: ModuleContext) -> bool:
    """The nearest loop around the handler is inside its function and walks a batch (``for group_dn in
    group_dns``): not a worker or consumer loop (``while True: item = queue.pop()``, ``for msg in consumer``),
    where the item the handler drops is a message lost."""
    for parent in reversed(ctx.parents):
        if isinstance(parent, ast.While):
            return False
        if isinstance(parent, (ast.For, ast.AsyncFor)):
            return not _MESSAGE_SOURCE.search(ast.unparse(parent.iter))
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False
    return False


_MESSAGE_SOURCE = re.compile(r"consumer|subscri|pubsub|listen|receive|recv|poll|queue|stream|channel|kafka|sqs", re.IGNORECASE)


def exit_status(path: Path, func, boundary: Boundary | None) -> bool:
    """``return 1`` (any non-zero number) from ``main()`` or a command: the process's exit status reports it."""
    value = path.value
    if not (isinstance(value, ast.Constant) and isinstance(value.value, int) and not isinstance(value.value, bool) and value.value != 0):
        return False
    if boundary is not None and boundary.kind in ("main", "command"):
        return True
    # ``async def _main_async(argv) -> int`` behind ``sys.exit(asyncio.run(_main_async()))``: named for it
    return func is not None and bool(re.match(r"_*(main|run_main|cli_main)(_async)?$", func.name))


def _after_success(path: Path, func, try_node, boundary, ctx: ModuleContext) -> str | None:
    """What follows a handler that falls through (or returns nothing): "answers success" when the route, view or
    webhook then answers a 2xx response, "acknowledges" when the message is then acknowledged; None otherwise (for
    a log with the traceback: a deliberate carry-on, such as a worker loop that moves on or a best-effort step)."""
    if func is None or try_node is None or path.end not in ("fall", "return") or (path.end == "return" and path.value is not None):
        return None
    if path.traced and _best_effort(try_node, func, ctx):
        return None
    rest = shapes.statements_after(try_node, ctx) if path.end == "fall" else []
    if any(_acks(node) for node in body_nodes(rest)):
        return "acknowledges"
    if (boundary is not None and boundary.kind in ("route", "view")) or func.name in ctx.fact("route-answers", lambda: _route_answers(ctx)):
        for node in body_nodes(rest):
            if isinstance(node, ast.Return) and response_status(node.value) == "success":
                return "answers success"
            if isinstance(node, ast.Return):
                break
    acks_itself = any(_acks(node) for node in body_nodes(try_node.body))  # a failure skips the ack: redelivered
    if not acks_itself and (boundary is None or boundary.kind not in ("route", "view", "main", "command")) and _caller_acks(func, ctx):
        return "acknowledges"
    return None


def route_answers(ctx: ModuleContext) -> set[str]:
    """The names of the module's functions whose result a route or view answers with (remembered per module)."""
    return ctx.fact("route-answers", lambda: _route_answers(ctx))


def _route_answers(ctx: ModuleContext) -> set[str]:
    """Functions whose result a route or view of the module answers with (``return await _on_comment(...)``)."""
    from sadpath.engine.boundary import function_boundary

    found: set[str] = set()
    for stmt in ctx.tree.body:
        for cls, func in _functions(stmt):
            boundary = function_boundary(func, cls, ctx)
            if boundary is None or boundary.kind not in ("route", "view"):
                continue
            for node in body_nodes(func.body):
                value = node.value if isinstance(node, ast.Return) else None
                if isinstance(value, ast.Await):
                    value = value.value
                if isinstance(value, ast.Call) and (name := _callee(value)) is not None:
                    found.add(name)
    return found


def _functions(stmt: ast.stmt):
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        yield None, stmt
    elif isinstance(stmt, ast.ClassDef):
        for item in stmt.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield stmt, item


def _acks(node: ast.AST) -> bool:
    """An acknowledgement: ``channel.basic_ack(...)``, ``consumer.commit()``, ``sqs.delete_message(...)``, or a
    protocol's own ack (``ws.send(json.dumps({"ack": seq}))``)."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    method = node.func.attr
    if method in ACKS or _ACK_NAME.search(method):
        return True
    if method in OFFSET_COMMITS:
        return bool(_CONSUMER.search(ast.unparse(node.func.value)))
    return any(
        isinstance(d, ast.Dict) and any(isinstance(k, ast.Constant) and k.value in ("ack", "acknowledge") for k in d.keys)
        for argument in node.args
        for d in ast.walk(argument)
    )


def _caller_acks(func: ast.FunctionDef | ast.AsyncFunctionDef, ctx: ModuleContext) -> bool:
    """A function of the module calls ``func`` and then acknowledges the message (``handle(record)`` then
    ``consumer.commit()``): a normal return from ``func`` is taken as success."""
    callers = ctx.fact("ack-after-call", lambda: _ack_after_call(ctx.tree))
    return func.name in callers


def _ack_after_call(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if not isinstance(block, list):
                continue
            for index, stmt in enumerate(block):
                called = {_callee(n) for n in body_nodes([stmt]) if isinstance(n, ast.Call)} - {None}
                if called and any(_acks(n) for n in body_nodes(block[index + 1 :])):
                    found |= called  # type: ignore[arg-type]
    return found


def _callee(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
        return func.attr
    return None


def _best_effort(try_node: ast.Try, func, ctx: ModuleContext) -> bool:
    """The ``try`` only does secondary work (a cache write, metrics, cleanup), or the function says it is best
    effort: its failure does not undo the answer."""
    doc = ast.get_docstring(func) or ""
    if best_effort_doc(doc):
        return True
    calls = [n for n in body_nodes(try_node.body) if isinstance(n, ast.Call)]
    if not calls:
        return False
    for call in calls:
        external = external_call(call, ctx)
        method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        if external is not None and external.interface.kind == "cache" and method in _CACHE_WRITES:
            continue
        if external is None and method in _CACHE_WRITES and shapes.cache_receiver(call):
            continue  # ``cache.set(key, value)`` on a cache handed in
        if external is None and (shapes.telemetry_call(call) or method in shapes.CLEANUP_METHODS):
            continue
        if external is None and not isinstance(call.func, (ast.Name, ast.Attribute)):
            continue
        if external is None and _pure(call, ctx):
            continue
        return False
    return True


def _pure(call: ast.Call, ctx: ModuleContext) -> bool:
    """A call that builds a value (``json.dumps``, ``str``, ``dict.get``) rather than doing the work."""
    name = ctx.qualified_name(call.func) or ""
    return name.split(".")[0] in ("json", "str", "int", "float", "dict", "list", "len", "datetime", "time", "f", "format") or (
        isinstance(call.func, ast.Attribute) and call.func.attr in ("get", "format", "encode", "decode", "strip", "lower", "upper", "isoformat", "dumps")
    )


def consequence(site: Site) -> str:
    """What the caller or the user sees because this handler swallows."""
    func = site.func
    where = f"`{func.name}()`" if func is not None else "the module"
    verdict = site.after or site.verdict
    if verdict == "answers success":
        return f"{where} still answers success, so the client never learns the work failed and never retries it"
    if verdict == "acknowledges":
        return "the message is acknowledged anyway, so the broker never redelivers it and the work is lost"
    if verdict.startswith("return "):
        value = verdict[len("return ") :]
        if (use := crashing_callers.first_use(site)) is not None:
            text, error = use
            article = "an" if error.startswith("A") else "a"
            return (
                f"callers of {where} get `{value}` instead of an error and fail on it at once (`{text}`): what reaches"
                f" the user is {article} `{error}` about `None` instead of the real cause"
            )
        return f"callers of {where} get `{value}` instead of an error and cannot tell the failure from a real result"
    if verdict == "continue":
        if site.try_node is not None and _guard_follows(site.try_node, site.ctx):
            return "the check that follows is skipped for this item: the guard fails open without a trace"
        return "the item is skipped without a trace"
    if verdict == "break":
        return "the rest of the loop's work is dropped without a trace"
    if verdict == "assign":
        return "later code works on the placeholder as if it were real data"
    if func is not None and func.name in ("upgrade", "downgrade") and _migration_module(site.ctx):
        return "the migration is recorded as applied although this step failed, so the schema silently differs from what the code expects and is never retried"
    name = site.handler.name
    if name and any(isinstance(n, ast.Name) and n.id == name for log in site.path.logs for a in log.call.args for n in ast.walk(a)):
        return f"{where} carries on as if the work had succeeded, with only the error's text in the log to tell why"
    return f"{where} carries on as if the work had succeeded, and nobody can tell why it did not"


def _guard_follows(try_node: ast.Try, ctx: ModuleContext) -> bool:
    """Right after the ``try``, the loop tests what it computed and raises (``if count > 0: raise NotEmpty``): a
    ``continue`` in the handler skips that check, so a failure lets the item through."""
    following = shapes.statements_after(try_node, ctx)
    assigned = {n.id for n in body_nodes(try_node.body) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for stmt in following[:1]:
        if isinstance(stmt, ast.If) and any(isinstance(n, ast.Raise) for n in body_nodes(stmt.body)):
            return any(isinstance(n, ast.Name) and n.id in assigned for n in ast.walk(stmt.test))
    return False


def _migration_module(ctx: ModuleContext) -> bool:
    """An Alembic revision or a migrations folder's module: its ``upgrade()`` is stamped as applied once it returns."""
    if re.search(r"(^|/)(versions|migrations?)/", ctx.source.path.replace("\\", "/")):
        return True
    return any(isinstance(s, ast.ImportFrom) and (s.module or "").startswith("alembic") for s in ctx.tree.body)


def unbound_after(site: Site) -> str | None:
    """A name the ``try`` assigns, that the handler does not bind and nothing bound before, read unguarded right
    after the ``try``: if the handler ever runs, that read raises ``UnboundLocalError`` (the error is not carried
    on from, it is replaced)."""
    func, try_node = site.func, site.try_node
    if func is None or try_node is None or site.path.end != "fall" or site.path.placeholder or site.ctx.enclosing(ast.For, ast.AsyncFor, ast.While):
        return None
    assigned = [t.id for stmt in try_node.body if isinstance(stmt, ast.Assign) for t in stmt.targets if isinstance(t, ast.Name)]
    bound_before = _parameters(func) | {
        n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.lineno < try_node.lineno
    }
    bound_in_handler = {n.id for n in ast.walk(site.handler) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    # ``global _model`` / ``nonlocal count``: the name lives outside the function, so it is never unbound here
    declared = {name for n in body_nodes(func.body) if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
    candidates = [n for n in assigned if n not in bound_before and n not in bound_in_handler and n not in declared]
    following = shapes.statements_after(try_node, site.ctx)
    for stmt in following[:2]:
        if isinstance(stmt, (ast.If, ast.While, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor)):
            return None  # a branch may test it first
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in candidates:
                return node.id
    return None


__all__ = ["ACKS", "EXEMPTIONS", "Judgement", "Site", "consequence", "describe", "exit_status", "is_task_retry", "judge", "route_answers", "unbound_after"]
