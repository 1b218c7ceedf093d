"""# SAD206 transaction-without-rollback

## What it does

Flags `commit()` after writes on a database connection or session that outlives
the function, when nothing rolls the transaction back if the writes or the
commit fail. A handle outlives the function when it is:

- passed in (a parameter: `def mark_paid(conn, ...)`, `db: Session = Depends(get_db)`);
- on the object (`self.conn`, `self.session`, set up in `__init__`);
- module-level (`conn = psycopg2.connect(...)`, `session = SessionLocal()`,
  `db_session = scoped_session(...)`), imported from another module, or
  Flask-SQLAlchemy's `db.session`.

Writes are `add`, `execute` (not a constant `SELECT`), `delete`, `merge`, ... on
the handle or on one of its cursors, an attribute set on a loaded object, or the
handle handed to a helper.

There is a rollback path when the commit sits in a `try` whose handler or
`finally` rolls back (or closes) the handle, when the function rolls it back
anywhere, or inside a transaction context (`with conn:`, `with session.begin():`,
`with transaction.atomic():`, `async with conn.transaction():`, or a context
manager handed the handle, such as `with session_cleanup(session):`).
`with conn.cursor():` is not one: it only closes the cursor.

It stays quiet for a connection or session the function opens itself (closing
it, or dropping it, rolls back), for Django's ORM (autocommit, `atomic`), for
one-shot commands (`main()`, click/typer and management commands) whose failure
ends the process, for `commit()` on objects that are not database handles
(`repo.commit()`, `consumer.commit()`), and for read-only work.

## Why is this bad?

When a write or the commit fails (a constraint, a deadlock, a dropped
connection), the transaction stays open in a failed state on a handle that other
work goes on using: the rest of the request, the next task of the worker, the
next message of the consumer. Every later use fails with "current transaction is
aborted" (psycopg) or `PendingRollbackError` (SQLAlchemy) until something rolls
it back, and locks are held meanwhile.

## Example

```python
def mark_exported(session, export_id):
    session.execute(update(Export).where(Export.id == export_id).values(status="done"))
    session.commit()
```

## Use instead

```python
def mark_exported(session, export_id):
    try:
        session.execute(update(Export).where(Export.id == export_id).values(status="done"))
        session.commit()
    except Exception:
        session.rollback()
        raise
```

## Fix safety

Unsafe: it wraps the writes and the commit in `try`/`except Exception:` that calls
`rollback()` and re-raises, so a failure now also undoes the half-done work.
Offered for a plain name (`session`, `conn`) and a synchronous commit; for
`self.conn`, `db.session` or `await db.commit()` the message names the remedy.

## Options

None.

## References

- [SQLAlchemy: framing out a begin / commit / rollback block](https://docs.sqlalchemy.org/en/20/orm/session_basics.html#framing-out-a-begin-commit-rollback-block)
- [psycopg: transactions](https://www.psycopg.org/psycopg3/docs/basic/transactions.html)
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext
from sadpath.engine.walker import NESTED_SCOPES
from sadpath.knowledge.interfaces import interface_index
from sadpath.model import Applicability, FixOffer
from sadpath.rules.base import Rule

WRITES = frozenset(
    {"add", "add_all", "delete", "merge", "execute", "executemany", "bulk_save_objects", "bulk_insert_mappings",
     "bulk_update_mappings", "copy_from", "copy_expert", "copy", "insert", "update", "flush", "executescript",
     "save", "insert_one", "insert_many"}
)
CLEANUPS = frozenset({"rollback", "close", "remove"})
NAME_HINTS = ("session", "conn", "sess")
NAME_TOKENS = frozenset({"db", "pg", "cnx", "tx", "database", "sqlite", "mysql", "dbh", "con", "uow"})
OPENERS = ("connect", "session", "engine", "getconn", "acquire", "pool")
TYPE_HINTS = ("session", "connection", "engine")
NOT_HANDLES = ("consumer", "producer", "repo", "git", "kafka", "offset")
TRANSACTION_METHODS = frozenset({"begin", "begin_nested", "transaction", "atomic"})


class TransactionWithoutRollback(Rule):
    code = "SAD206"
    slug = "transaction-without-rollback"
    summary = "A `commit()` after writes on a connection or session that outlives the function, with no rollback path."
    fix_applicabilities = (Applicability.UNSAFE,)
    fix_kinds = ('rollback_on_error',)

    def visit_FunctionDef(self, node: ast.AST, ctx: ModuleContext) -> None:
        text = ctx.source.lines_text(node.lineno, node.end_lineno or node.lineno)
        if not any(name in text for name in interface_index(ctx.settings.interfaces).commit_names):
            return  # nothing is committed here
        decorators = [ast.unparse(d).lower() for d in node.decorator_list]
        if any(word in d for d in decorators for word in ("atomic", "transaction", "rollback", "db_error")):
            return  # @transaction.atomic, @catch_db_error and the like own the transaction
        one_shot = _is_command(node, ctx) or node.name.lstrip("_").startswith(_STARTUP) or node.name.lstrip("_") in _STARTUP_NAMES
        # (start-up code: ``init_db()``, ``setup_roles()`` fail the process that runs them)
        for commit, parents in _commits(node):
            receiver = commit.func.value
            scope = _outliving(receiver, node, ctx)
            if scope is None:
                continue
            handle = ast.unparse(receiver)
            if not _writes_before(node, receiver, commit.lineno):
                continue
            if _class_rolls_back(receiver, ctx):
                continue  # the object rolls its own handle back elsewhere (an error hook, `finish()`)
            if _rolled_back(parents, handle) or _rolls_back_anywhere(node, handle) or _in_transaction_context(parents, handle):
                continue
            if one_shot and not _caught(parents):
                continue  # the command's failure ends the process, and the transaction with it
            awaited = isinstance(parents[-1], ast.Await)
            rollback = f"await {handle}.rollback()" if awaited else f"{handle}.rollback()"
            message = (
                f"`{handle}.commit()` in `{node.name}()` has no rollback path, and `{handle}` {scope}: if a write or "
                f"the commit fails, its transaction stays open in a failed state and every later use of it fails "
                f"(\"current transaction is aborted\", `PendingRollbackError`). Roll back in `except` "
                f"(`{rollback}; raise`) or use the driver's transaction context (`with {handle}.begin():`, `with {handle}:`)."
            )
            fixes = []
            if handle.isidentifier() and not awaited:
                fixes.append(FixOffer("rollback_on_error", f"Roll back `{handle}` if the writes fail", Applicability.UNSAFE))
            ctx.report(self, ctx.span(commit), message, fixes=fixes, data={"name": handle})

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


def _commits(func: ast.AST):
    for node, parents in _walk(func):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit" and not node.args:
            yield node, parents


def _db_name(name: str) -> bool:
    low = name.lower()
    if any(word in low for word in NOT_HANDLES):
        return False
    return any(h in low for h in NAME_HINTS) or bool(set(low.strip("_").split("_")) & NAME_TOKENS)


def _opener(value: ast.AST | None) -> bool:
    """``psycopg2.connect(...)``, ``SessionLocal()``, ``scoped_session(...)``, ``engine.connect()``."""
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return False
    callee = ast.unparse(value.func).lower()
    return ".cursor" not in callee and any(word in callee for word in OPENERS)


def _outliving(receiver: ast.AST, func: ast.AST, ctx: ModuleContext) -> str | None:
    """How the handle outlives the function (a phrase for the message), or None for a local or non-DB object."""
    if isinstance(receiver, ast.Name):
        return _outliving_name(receiver.id, func, ctx)
    if isinstance(receiver, ast.Attribute):
        base = receiver.value
        if isinstance(base, ast.Name) and base.id in ("self", "cls"):
            if _assigned_on_self(receiver.attr, ctx) or (_db_name(receiver.attr) and not _inherits_from_elsewhere(ctx)):
                return "lives on the object, beyond this call"
            return None  # a handle set up by a base class in another module: its rollback (an error hook) is not in view
        if receiver.attr == "session" or _db_name(receiver.attr):
            return "is the application's shared (scoped) session" if receiver.attr == "session" else "is shared beyond this call"
    return None


def _outliving_name(name: str, func: ast.AST, ctx: ModuleContext) -> str | None:
    args = func.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    defaults = dict(zip([a.arg for a in args.kwonlyargs], args.kw_defaults))
    positional = [*args.posonlyargs, *args.args]
    defaults.update(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
    for param in params:
        if param.arg != name:
            continue
        default = defaults.get(name)
        if default is not None and "Depends" in ast.unparse(default):
            return "is request-scoped (`Depends`; the rest of the request goes on using it)"
        annotation = ast.unparse(param.annotation).lower() if param.annotation is not None else ""
        if any(t in annotation for t in TYPE_HINTS) or (not annotation and _db_name(name)):
            return "is passed in (the caller goes on using it)"
        return None
    if _bound_locally(func, name):
        return None  # opened (or bound) here: closing or dropping it ends the transaction
    declared_global = any(isinstance(n, ast.Global) and name in n.names for n, _ in _walk(func))
    value = _module_value(ctx.tree, name)
    if value is not None or declared_global:
        if _opener(value) or _db_name(name):
            return "is module-level (every later caller in this process shares it)"
        return None
    imported = _imported_from(ctx.tree, name)
    if imported is not None and not imported.startswith("django") and _db_name(name):
        return f"is imported from `{imported}` (every later caller in this process shares it)"
    return None


def _bound_locally(func: ast.AST, name: str) -> bool:
    for node, _ in _walk(func):
        if isinstance(node, ast.Global) and name in node.names:
            return False
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
            targets = [node.target]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
        elif isinstance(node, ast.NamedExpr):
            targets = [node.target]
        if any(isinstance(n, ast.Name) and n.id == name for t in targets for n in ast.walk(t)):
            return True
    return False


def _module_value(tree: ast.Module, name: str) -> ast.AST | None:
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            return stmt.value
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
            return stmt.value if stmt.value is not None else ast.Constant(None)
    return None


def _imported_from(tree: ast.Module, name: str) -> str | None:
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if (alias.asname or alias.name) == name:
                    return stmt.module or "."
    return None


def _inherits_from_elsewhere(ctx: ModuleContext) -> bool:
    """The enclosing class has a base that this module does not define (``BaseHandler`` from the app's package)."""
    cls = ctx.enclosing(ast.ClassDef)
    if cls is None:
        return False
    local = {n.name for n in ctx.tree.body if isinstance(n, ast.ClassDef)}
    return any(not (isinstance(b, ast.Name) and (b.id in local or b.id == "object")) for b in cls.bases)


_STARTUP = ("init", "setup", "bootstrap", "create_all", "upgrade", "migrate", "seed", "load_fixtures")
_STARTUP_NAMES = frozenset({"start", "startup", "on_startup", "main"})


def _assigned_on_self(attr: str, ctx: ModuleContext) -> bool:
    """The enclosing class opens the handle itself (``self.db = Session(...)`` in one of its methods)."""
    for node in ast.walk(ctx.enclosing(ast.ClassDef) or ctx.tree):
        if isinstance(node, ast.Assign) and _opener(node.value):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == attr and isinstance(target.value, ast.Name) and target.value.id == "self":
                    return True
    return False


def _cursors_of(func: ast.AST, handle: str) -> set[str]:
    cursors = set()
    for node, _ in _walk(func):
        pairs: list[tuple[ast.AST, ast.AST | None]] = []
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            pairs = [(node.targets[0], node.value)]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            pairs = [(item.optional_vars, item.context_expr) for item in node.items if item.optional_vars is not None]
        for target, value in pairs:
            if isinstance(value, ast.Await):
                value = value.value
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and value.func.attr == "cursor"
                and ast.unparse(value.func.value) == handle
            ):
                cursors.add(target.id)
    return cursors


def _is_read(call: ast.Call) -> bool:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value.lstrip().split(None, 1)[0:1] in (["SELECT"], ["select"], ["WITH"], ["with"])
    return False


def _writes_before(func: ast.AST, receiver: ast.AST, line: int) -> bool:
    handle = ast.unparse(receiver)
    names = {handle, *_cursors_of(func, handle)}
    for node, _ in _walk(func):
        if getattr(node, "lineno", line + 1) > line:
            continue
        if isinstance(node, ast.Call):
            func_expr = node.func
            if isinstance(func_expr, ast.Attribute) and func_expr.attr in WRITES and ast.unparse(func_expr.value) in names:
                if func_expr.attr in ("execute", "executemany") and _is_read(node):
                    continue
                return True
            if not (isinstance(func_expr, ast.Attribute) and ast.unparse(func_expr.value) in names):
                if any(ast.unparse(arg) == handle for arg in [*node.args, *(k.value for k in node.keywords)]):
                    return True  # handed to a helper that works on it
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and not (isinstance(target.value, ast.Name) and target.value.id in ("self", "cls")):
                    return True  # an attribute of a loaded object: the commit flushes it
    return False


def _calls_on(block: list[ast.stmt], handle: str, methods: frozenset[str]) -> bool:
    for stmt in block:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in methods and ast.unparse(node.func.value) == handle:
                    return True
                if "rollback" in node.func.attr:
                    return True  # a helper or unit of work that rolls back
    return False


def _rolled_back(parents: list[ast.AST], handle: str) -> bool:
    """An enclosing try whose handlers or finally roll back (or close) the handle."""
    for parent in parents:
        if isinstance(parent, ast.Try) or type(parent).__name__ == "TryStar":
            blocks = [*(h.body for h in parent.handlers), parent.finalbody]
            if any(_calls_on(block, handle, CLEANUPS) for block in blocks):
                return True
    return False


def _rolls_back_anywhere(func: ast.AST, handle: str) -> bool:
    return _calls_on(func.body, handle, frozenset({"rollback"}))


def _caught(parents: list[ast.AST]) -> bool:
    """The commit is in the body of a try that has handlers: its failure does not end the command."""
    for index, parent in enumerate(parents):
        if isinstance(parent, ast.Try) and parent.handlers:
            child = parents[index + 1] if index + 1 < len(parents) else None
            if child is None or child in parent.body or child in parent.orelse:
                return True
    return False


def _in_transaction_context(parents: list[ast.AST], handle: str) -> bool:
    for parent in parents:
        if isinstance(parent, (ast.With, ast.AsyncWith)):
            for item in parent.items:
                expr = item.context_expr
                if isinstance(expr, ast.Await):
                    expr = expr.value
                text = ast.unparse(expr)
                if text == handle or "atomic" in text or "transaction" in text:
                    return True
                if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
                    if ast.unparse(expr.func.value) == handle:
                        if expr.func.attr in TRANSACTION_METHODS:
                            return True
                        continue  # `with conn.cursor():` only closes the cursor
                if isinstance(expr, ast.Call) and any(ast.unparse(a) == handle for a in expr.args):
                    return True  # `with session_cleanup(session):` manages the handle it is given
    return False


def _is_command(func: ast.AST, ctx: ModuleContext) -> bool:
    """``main()``, a click/typer command or a Django management command's ``handle``: a one-shot process."""
    if func.name == "main":
        return True
    for deco in func.decorator_list:
        text = ast.unparse(deco)
        if text.endswith(("command", "command()")) or ".command(" in text:
            return True
    if func.name == "handle":
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.ClassDef) and func in node.body:
                return any("Command" in ast.unparse(base) for base in node.bases)
    return False


def _class_rolls_back(receiver: ast.AST, ctx: ModuleContext) -> bool:
    """``self.db.commit()`` in a class one of whose methods rolls ``self.db`` back."""
    if not (isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) and receiver.value.id == "self"):
        return False
    klass = ctx.enclosing_class()
    if klass is None:
        return False
    handle = ast.unparse(receiver)

    def calls(method: ast.AST, name: str) -> bool:
        return any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == name and ast.unparse(n.func.value) == handle
            for n in ast.walk(method)
        )

    # a cleanup method (an error hook, `finish()`), not another method rolling back its own commit
    methods = [m for m in klass.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return any(calls(m, "rollback") and not calls(m, "commit") for m in methods)
