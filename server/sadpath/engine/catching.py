"""What an ``except`` clause catches: its types, resolved through aliases and module-level tuples, and their kind
(everything, a broad ``Exception``, an external interface's failure, a narrow expected outcome, or other)."""

from __future__ import annotations

import ast
import enum
import re
from dataclasses import dataclass

from sadpath.engine.context import ModuleContext

BROAD = frozenset({"Exception", "BaseException"})
SIGNALS = frozenset({"KeyboardInterrupt", "SystemExit", "asyncio.CancelledError", "GeneratorExit"})

# Modules whose exceptions report a failed external interaction, even when the
# knowledge base does not list the exact class.
FAILURE_MODULE_PREFIXES = (
    "requests.",
    "httpx.",
    "aiohttp.",
    "urllib3.",
    "urllib.error.",
    "botocore.",
    "boto3.",
    "redis.",
    "psycopg2.",
    "psycopg.",
    "asyncpg.",
    "pymysql.",
    "MySQLdb.",
    "sqlalchemy.exc.",
    "django.db.",
    "kafka.",
    "confluent_kafka.",
    "aiokafka.",
    "pika.",
    "aio_pika.",
    "pymongo.",
    "motor.",
    "elasticsearch.",
    "stripe.",
    "grpc.",
    "google.api_core.exceptions.",
    "smtplib.",
    "ftplib.",
    "ssl.",
    "websockets.",
)


class CatchKind(enum.Enum):
    BARE = "bare"  # except:
    BROAD = "broad"  # Exception / BaseException
    FAILURE = "failure"  # an external interface's failure type (requests.Timeout, ConnectionError, ...)
    EXPECTED = "expected"  # a narrow expected outcome (KeyError, StopIteration, FileNotFoundError, ...)
    UNKNOWN = "unknown"  # a project's own or an unknown library's type


@dataclass(frozen=True)
class Caught:
    kind: CatchKind
    names: tuple[str, ...]  # canonical qualified names ('' for an unresolvable expression)
    label: str  # how the source spells it, for messages: "except requests.Timeout"


def caught_names(handler: ast.ExceptHandler, ctx: ModuleContext) -> tuple[str, ...]:
    if handler.type is None:
        return ()
    exprs = _type_exprs(handler.type, ctx)
    names = []
    for expr in exprs:
        qn = ctx.qualified_name(expr)
        names.append(ctx.hierarchy.canonical(qn) if qn else "")
    return tuple(names)


def _type_exprs(expr: ast.AST, ctx: ModuleContext, depth: int = 0) -> list[ast.AST]:
    if isinstance(expr, ast.Tuple):
        out: list[ast.AST] = []
        for elt in expr.elts:
            out.extend(_type_exprs(elt, ctx, depth))
        return out
    if isinstance(expr, ast.Name) and depth < 3:
        # a module-level tuple of exception types: ERRORS = (requests.Timeout, ...)
        value = _module_tuple(expr.id, ctx)
        if value is not None:
            return _type_exprs(value, ctx, depth + 1)
    return [expr]


def _module_tuple(name: str, ctx: ModuleContext) -> ast.Tuple | None:
    return module_tuples(ctx).get(name)


def module_tuples(ctx: ModuleContext) -> dict[str, ast.Tuple]:
    """The module's top-level ``NAME = (A, B, ...)`` assignments (the first of each name), found once per
    analysis: a module with thousands of handlers must not rescan its body for each."""
    return ctx.fact("module-tuples", lambda: _module_tuples(ctx.tree))


def _module_tuples(tree: ast.Module) -> dict[str, ast.Tuple]:
    found: dict[str, ast.Tuple] = {}
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Tuple)
        ):
            found.setdefault(stmt.targets[0].id, stmt.value)
    return found


# Outcomes a caller expects and answers with a fallback: "it is not there", "it already exists", "someone holds it".
_EXPECTED_NAME = re.compile(
    r"(NotFound|DoesNotExist|NoSuch\w*|AlreadyExists|Exists|Conflict|MutexHeld|Locked|NotModified|NoResultFound|DuplicateKey)"
    r"(Error|Exception)?$"
)


def is_expected_outcome(name: str, ctx: ModuleContext) -> bool:
    """An expected, narrow outcome: a KB 'expected' type, a not-found/conflict-only type, or one named so."""
    if not name:
        return False
    hierarchy = ctx.hierarchy
    if hierarchy.is_expected(name):
        return True
    if hierarchy.is_known(name):
        info = hierarchy.exceptions.get(hierarchy.canonical(name))
        if info is not None and info.modes and set(info.modes) <= {"not-found", "conflict"}:
            return True
    return bool(_EXPECTED_NAME.search(name.rsplit(".", 1)[-1]))


def is_library_root(name: str, ctx: ModuleContext) -> bool:
    """The catch-all of a client library (requests.RequestException, redis.RedisError, aiohttp.ClientError):
    it lumps connection, timeout, status and decoding failures together."""
    hierarchy = ctx.hierarchy
    canonical = hierarchy.canonical(name)
    info = hierarchy.exceptions.get(canonical)
    if info is None or "." not in canonical:
        return False
    return all("." not in hierarchy.canonical(base) for base in info.bases)


def is_failure_type(name: str, ctx: ModuleContext) -> bool:
    if not name:
        return False
    hierarchy = ctx.hierarchy
    if hierarchy.is_expected(name):
        return False
    if hierarchy.is_known(name):
        return bool(hierarchy.modes(name))
    return name.startswith(FAILURE_MODULE_PREFIXES)


def classify(handler: ast.ExceptHandler, ctx: ModuleContext) -> Caught:
    if handler.type is None:
        return Caught(CatchKind.BARE, (), "bare `except:`")
    names = caught_names(handler, ctx)
    label = f"`except {ast.unparse(handler.type)}`"
    if any(n in BROAD for n in names):
        return Caught(CatchKind.BROAD, names, label)
    if names and all(n and is_expected_outcome(n, ctx) for n in names):
        return Caught(CatchKind.EXPECTED, names, label)
    if any(is_failure_type(n, ctx) and not is_expected_outcome(n, ctx) for n in names):
        return Caught(CatchKind.FAILURE, names, label)
    return Caught(CatchKind.UNKNOWN, names, label)
