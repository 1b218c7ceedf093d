"""# SAD206 transaction-without-rollback

## What it does

Flags `commit()` on a database connection or session the function opened
itself (`session = SessionLocal()`, `conn = psycopg2.connect(...)`,
`conn = engine.connect()`) after writes on it (`add`, `execute`, `delete`,
`merge`, ...), when nothing rolls the transaction back if the writes or the
commit fail: no enclosing `try` whose handler or `finally` calls `rollback()` (or
`close()`), and no transaction context (`with conn:`, `with Session(engine) as
session:`, `with session.begin():`, `with transaction.atomic():`,
`async with conn.transaction():`, or any context manager handed the handle, such
as `with session_cleanup(session):`).

It stays quiet for sessions and connections the function did not open (a
parameter, `self.session`, a module-level session: their owner, such as a
request-scoped dependency, cleans up), for Django's ORM (autocommit, `atomic`),
for `commit()` on objects that are not database handles (`repo.commit()`,
`consumer.commit()`), and for read-only work.

## Why is this bad?

When a write or the commit fails (a constraint, a deadlock, a dropped
connection), the transaction stays open in a failed state: the connection goes
back to the pool, or the next use of the session, still inside it; later work on
it fails with "current transaction is aborted" or silently joins the half-done
transaction, and locks are held until the connection dies.

## Example

```python
from sqlalchemy.orm import sessionmaker

SessionLocal = sessionmaker()


def save_order(order):
    session = SessionLocal()
    session.add(order)
    session.commit()
    session.close()
```

## Use instead

```python
from sqlalchemy.orm import sessionmaker

SessionLocal = sessionmaker()


def save_order(order):
    with SessionLocal.begin() as session:
        session.add(order)
```

## Fix safety

Unsafe: it wraps the writes and the commit in `try`/`except Exception:` that calls
`rollback()` and re-raises, so a failure now also undoes the half-done work.

## Options

None.

## References

- [SQLAlchemy: framing out a begin / commit / rollback block](https://docs.sqlalchemy.org/en/20/orm/session_basics.html#framing-out-a-begin-commit-rollback-block)
- [psycopg: transactions](https://www.psycopg.org/psycopg3/docs/basic/transactions.html)
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext
from sadpath.knowledge.interfaces import interface_index
from sadpath.model import Applicability, FixOffer
from sadpath.rules.base import Rule
from sadpath.engine.walker import NESTED_SCOPES

WRITES = frozenset(
    {"add", "add_all", "delete", "merge", "execute", "executemany", "bulk_save_objects", "bulk_insert_mappings",
     "bulk_update_mappings", "copy_from", "copy_expert", "insert", "update", "flush", "executescript"}
)
CLEANUPS = frozenset({"rollback", "close"})
DB_HINTS = ("session", "conn", "connection", "db", "sess", "tx")


class TransactionWithoutRollback(Rule):
    code = "SAD206"
    slug = "transaction-without-rollback"
    summary = "A `commit()` after writes on a connection or session the function opened, with no rollback path."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ('rollback_on_error',)

    def visit_FunctionDef(self, node: ast.AST, ctx: ModuleContext) -> None:
        text = ctx.source.lines_text(node.lineno, node.end_lineno or node.lineno)
        if not any(name in text for name in interface_index(ctx.settings.interfaces).commit_names):
            return  # nothing is committed here
        if any("atomic" in ast.unparse(d) or "transaction" in ast.unparse(d) for d in node.decorator_list):
            return  # @transaction.atomic and the like own the transaction
        opened = _opened_handles(node)
        if not opened:
            return
        for commit, parents in _commits(node):
            receiver = commit.func.value
            name = receiver.id if isinstance(receiver, ast.Name) else None
            if name is None or name not in opened:
                continue
            cursors = _cursors_of(node, name)
            if not _writes_before(node, {name, *cursors}, commit.lineno):
                continue
            if _rolled_back(parents, name) or _in_transaction_context(parents, name):
                continue
            where = f"`{node.name}()`"
            message = (
                f"`{name}.commit()` in {where} has no rollback path: if a write or the commit fails, the transaction "
                f"on `{name}` stays open in a failed state and its next use fails or joins the half-done work. "
                f"Use `with {name}.begin():` (or the driver's transaction context), or roll back in `except`."
            )
            fix = FixOffer("rollback_on_error", f"Roll back `{name}` if the writes fail", Applicability.UNSAFE)
            ctx.report(self, ctx.span(commit), message, fixes=[fix], data={"name": name})

    visit_AsyncFunctionDef = visit_FunctionDef


def _walk(node: ast.AST):
    """Nodes of a function body with their parents, not entering nested functions or classes."""
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(child, [node]) for child in reversed(node.body)]
    while stack:
        current, parents = stack.pop()
        yield current, parents
        if isinstance(current, NESTED_SCOPES):
            continue
        for child in reversed(list(ast.iter_child_nodes(current))):
            stack.append((child, [*parents, current]))


def _opened_handles(func: ast.AST) -> set[str]:
    """Names assigned (not with-bound) from a call in this function that look like a DB connection or session."""
    names = set()
    for node, _ in _walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if not isinstance(value, ast.Call):
                continue
            name = node.targets[0].id
            callee = ast.unparse(value.func).lower()
            if any(h in name.lower() for h in DB_HINTS) or any(
                word in callee for word in ("session", "connect", "getconn", "acquire", "engine")
            ):
                if ".cursor" in callee:
                    continue
                names.add(name)
    return names


def _cursors_of(func: ast.AST, handle: str) -> set[str]:
    cursors = set()
    for node, _ in _walk(func):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr == "cursor"
            and isinstance(node.value.func.value, ast.Name)
            and node.value.func.value.id == handle
        ):
            cursors.add(node.targets[0].id)
    return cursors


def _commits(func: ast.AST):
    for node, parents in _walk(func):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit" and not node.args:
            yield node, parents


def _writes_before(func: ast.AST, names: set[str], line: int) -> bool:
    for node, _ in _walk(func):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in names
            and node.lineno <= line
        ):
            return True
    return False


def _rolled_back(parents: list[ast.AST], name: str) -> bool:
    """An enclosing try whose handlers or finally roll back (or close) the handle."""
    for parent in parents:
        if isinstance(parent, ast.Try):
            cleanup_blocks = [*(h.body for h in parent.handlers), parent.finalbody]
            for block in cleanup_blocks:
                for stmt in block:
                    for node in ast.walk(stmt):
                        if (
                            isinstance(node, ast.Call)
                            and isinstance(node.func, ast.Attribute)
                            and node.func.attr in CLEANUPS
                            and isinstance(node.func.value, ast.Name)
                            and node.func.value.id == name
                        ):
                            return True
    return False


def _in_transaction_context(parents: list[ast.AST], name: str) -> bool:
    for parent in parents:
        if isinstance(parent, (ast.With, ast.AsyncWith)):
            for item in parent.items:
                expr = item.context_expr
                text = ast.unparse(expr)
                if text == name or text.startswith(f"{name}.") or "atomic" in text or "transaction" in text:
                    return True
                if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(expr)):
                    return True  # `with session_cleanup(session):` manages the handle it is given
    return False
