"""A Redis the application keeps its own state in, rather than a cache or another service's data.

SAD201 reports a cache or a remote service whose failures reach a boundary unhandled: a cache read can be
answered by a miss, another service's data by a degraded answer. A Redis structure the module maintains itself
(a registry of its tasks in a hash and a set it writes with ``hset``/``sadd`` and reads with ``hkeys``/``smembers``)
is the application's store, like its database: when it is down the request cannot be answered, and the
framework's 500 with the traceback in the server log is the honest outcome (the catalog's reason for quieting
database infrastructure failures). What stays a finding: key-value cache reads and writes (``get``, ``set``,
``setex``), publishing to others (``publish`` on a channel the module does not listen on itself, list pushes,
``xadd``: a queue), scripts and raw commands, and reads of a structure the module never writes (feature flags
another service maintains).
"""

from __future__ import annotations

import ast
from pathlib import Path

# commands that write a structure the application maintains (the evidence that the key is its own state)
STRUCTURE_WRITES = frozenset(
    {"hset", "hsetnx", "hmset", "hincrby", "hincrbyfloat", "sadd", "smove", "zadd", "zincrby", "lset", "linsert"}
)
# commands that also write a key (evidence of ownership) but are themselves reported: a push is a queue publish
QUEUE_WRITES = frozenset({"lpush", "rpush", "lpushx", "rpushx", "xadd"})
VALUE_WRITES = frozenset({"set", "setex", "psetex", "setnx", "mset", "getset"})
# reads and upkeep of a structure or key: the application's store when the module writes that key
STATE_COMMANDS = frozenset(
    {"hget", "hgetall", "hkeys", "hvals", "hmget", "hexists", "hlen", "hscan", "hdel", "smembers", "sismember",
     "smismember", "scard", "sscan", "srem", "spop", "srandmember", "sinter", "sunion", "sdiff", "zrange",
     "zrangebyscore", "zrevrange", "zrevrangebyscore", "zscore", "zrank", "zrevrank", "zcard", "zcount", "zrem",
     "zremrangebyscore", "zremrangebyrank", "zscan", "lrange", "llen", "lindex", "lrem", "ltrim", "exists",
     "expire", "pexpire", "ttl", "pttl", "persist", "delete", "unlink", "type"}
    | STRUCTURE_WRITES
)
WRITES = STRUCTURE_WRITES | QUEUE_WRITES | VALUE_WRITES

def key_shape(expr: ast.AST | None) -> str | None:
    """A key as the module spells it: ``REDIS_TASKS_KEY``, ``f"{PREFIX}:{task_id}"`` as ``{PREFIX}:{}``, a
    literal; None for a key held in a variable (nothing tells whose it is)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.Name) and expr.id.isupper():
        return expr.id
    if isinstance(expr, ast.Attribute) and expr.attr.isupper():
        return expr.attr
    if isinstance(expr, ast.JoinedStr):
        parts = []
        for value in expr.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                inner = value.value if isinstance(value, ast.FormattedValue) else value
                named = key_shape(inner) if isinstance(inner, (ast.Name, ast.Attribute)) else None
                parts.append("{%s}" % named if named is not None else "{}")
        shape = "".join(parts)
        return shape if shape.strip("{}:") else None
    return None


def _method(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def written_keys(tree: ast.AST) -> frozenset[str]:
    """The keys the module writes (directly or queued on a pipeline)."""
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _method(node) in WRITES and node.args:
            shape = key_shape(node.args[0])
            if shape is not None:
                keys.add(shape)
    return frozenset(keys)


def _enclosing_function(tree: ast.AST, call: ast.Call) -> ast.AST | None:
    found = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(sub is call for sub in ast.walk(node)):
            found = node  # the innermost is found last: ast.walk goes outside in
    return found


def _state_command(call: ast.Call, written: frozenset[str]) -> bool:
    return _method(call) in STATE_COMMANDS and bool(call.args) and key_shape(call.args[0]) in written


def _pipeline_state(call: ast.Call, tree: ast.AST, written: frozenset[str]) -> bool:
    """``pipe.execute()`` of ``pipe = redis.pipeline()`` whose queued commands all upkeep the module's own keys."""
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    function = _enclosing_function(tree, call)
    if not isinstance(receiver, ast.Name) or function is None:
        return False
    name = receiver.id
    if not any(
        isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and _method(node.value) == "pipeline"
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        for node in ast.walk(function)
    ):
        return False
    queued = [
        node for node in ast.walk(function)
        if isinstance(node, ast.Call) and node is not call and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name) and node.func.value.id == name
    ]
    return bool(queued) and all(_state_command(q, written) or _method(q) in VALUE_WRITES for q in queued)


def subscribed_channels(tree: ast.AST) -> frozenset[str]:
    """The channels the module listens on (``pubsub.subscribe(CHANNEL)``)."""
    return frozenset(
        shape for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _method(node) in ("subscribe", "psubscribe", "ssubscribe")
        for shape in map(key_shape, node.args) if shape is not None
    )


def _published_channel(call: ast.Call) -> str | None:
    """``publish(CHANNEL, ...)``, ``execute_command("PUBLISH", CHANNEL, ...)`` (a cluster's broadcast)."""
    args = call.args
    if _method(call) == "execute_command" and len(args) >= 2 and isinstance(args[0], ast.Constant):
        if str(args[0].value).upper() in ("PUBLISH", "SPUBLISH"):
            return key_shape(args[1])
        return None
    return key_shape(args[0]) if _method(call) in ("publish", "spublish") and args else None


def own_state_call(call: ast.Call, tree: ast.AST) -> bool:
    """Whether a Redis call reads or upkeeps a structure the module maintains itself, or publishes on a channel
    the module itself listens on (its instances signalling each other, not a message to another service)."""
    channel = _published_channel(call)
    if channel is not None:
        return channel in subscribed_channels(tree)
    written = written_keys(tree)
    if not written:
        return False
    if _method(call) == "execute":
        return _pipeline_state(call, tree, written)
    return _state_command(call, written)


def own_state_at(path: str, line: int, column: int, memo: dict, here: tuple[str, ast.AST] | None = None) -> bool:
    """``own_state_call`` for the call at a location of another module (a helper's escape);
    ``memo`` keeps each module's tree for the run."""
    key = ("redis-state-tree", path)
    if here is not None and here[0] == path:
        memo[key] = here[1]  # the module being checked: its text in memory, not what is on disk
    if key not in memo:
        try:
            memo[key] = ast.parse(Path(path).read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
            memo[key] = None  # unreadable: no evidence that it is the module's own state
    tree = memo[key]
    if tree is None:
        return False
    on_line = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and node.lineno == line]
    # columns count characters and col_offset bytes: they differ only after non-ASCII text on the line
    call = next((node for node in on_line if node.col_offset == column), on_line[0] if len(on_line) == 1 else None)
    return call is not None and own_state_call(call, tree)
