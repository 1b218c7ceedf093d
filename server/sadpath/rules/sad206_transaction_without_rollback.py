"""# SAD206 transaction-without-rollback

## What it does

Flags `commit()` after writes on a database connection or session that outlives
the function, when nothing rolls the transaction back if the writes or the
commit fail. A handle outlives the function when it is:

- passed in (a parameter: `def mark_paid(conn, ...)`, `db: Session = Depends(get_db)`);
- on the object (`self.conn`, `self.session`, set up in `__init__`, or by a
  project base class in another module);
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

A framework hook also counts: a method of the class or of one of its project
base classes, in any module (`from ..handlers import BaseHandler`, re-exports
included), that rolls the same handle back, such as tornado's `write_error()`
or `finish()` doing `self.db.rollback()`. So does a helper's every caller: a
helper whose handle is passed in (or is `self.db` of a model object) is quiet
when each of its project calls runs directly (not as a future, a thread or a
closure, and not inside a `try` that carries on rather than raising again) in
such a handler, or in start-up code (`init_*()`, `setup()`, `main()`; also as a
future the start-up code awaits, `await gather(*futures)`, or in a closure it defines
and runs), or under a project decorator whose code rolls back in an `except`
(`@catch_db_error`, `@transaction()`, read from the decorator's code), or in a `with`
block that opens the session it hands over (`with Session(bind=conn) as session:`,
`async with db.session_context(begin_transaction=True) as session:`), or in a
helper whose own callers are, or in a caller that commits the same handle itself (its own rollback path, judged
there, is the fix). Calls that cannot be of this function (another class's method of the same name, arguments that
do not fit) are left out. For a commit under a flag (`if commit: db.commit()` in `def grant_role(db, role, commit=True)`), only the calls that take that branch count; calls from test helpers (`mock_*()`) do not.

On Flask-SQLAlchemy's `db.session`, which the framework removes when the request
or task ends, a commit that records a failure as the work's last word is quiet
too: in an `except` handler that then re-raises the original error
(`db.session.commit(); raise`), or in an error handler every project call of
which is an `except` handler's `return handle_error(ex, query)`. A helper that
commits `db.session` is reported only when the failed session can be used again
in the same request or task: the function itself, or one of its project callers,
catches the error (`except Exception:`, `except SQLAlchemyError:`; not a domain
error's handler) and goes on with the session: its handler uses it
(`db.session.refresh(job)`), falls through to code that does, or lets a loop's
next item run. A failure that leaves the request or the task is not reported:
the framework removes the session at teardown.

A `Depends` session whose commit is the route's last use (no later use of the
session, nor of an object loaded through it, which the commit expires) is quiet:
the dependency's teardown closes it. A commit after only reads (a `select(...)`, a helper that only reads: read
from its code, or, out of view, named `get_`/`has_`/`is_`/`check_`...), after helpers that commit the handle
themselves (`Files.update_file(..., db=db)` of a project class) or after attributes set on objects the session never
saw (`loader = build_loader(config)`) only ends a transaction. Several commits of one handle in one function are one
finding, at the first, or at the one whose failure the function goes on with (a `finally` that commits again, an
`except` that calls a method committing it), which the message names; it counts the others (a local alias,
`db = self.db`, is the same handle). A helper with a passed-in handle that nothing in the project calls is quiet.

It stays quiet for a connection or session the function opens itself (closing
it, or dropping it, rolls back), for Django's ORM (autocommit, `atomic`), for
one-shot code whose failure ends the process (`main()`, click/typer and
management commands, start-up functions, migrations and `examples/` loaders),
for `commit()` on objects that are not database handles (`repo.commit()`,
`consumer.commit()`), and for read-only work.

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


def export_batch(session, export_ids):
    for export_id in export_ids:
        mark_exported(session, export_id)
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
from sadpath.engine.handle_helpers import helper_writes, select_statement
from sadpath.engine.session_aliases import spelled_as, unaliased
from sadpath.engine.failed_session_reuse import POISONED, reuse_after_failure
from sadpath.engine.one_shot_code import run_once_module
from sadpath.engine.rollback_coverage import plan_past_reuse, same_commits_clause
from sadpath.engine.rollback_path import rollback_path
from sadpath.engine.rollback_hooks import (
    callers_covered, class_hook, commit_flag_reach, decorator_hook, handle_defined, handler_only, has_project_call,
)
from sadpath.engine.self_committing import commits_itself, session_object
from sadpath.engine.scoped_session_callers import callers_carry_on, catches_db_errors, ends_work, handler_carries_on
from sadpath.engine.walker import NESTED_SCOPES
from sadpath.knowledge.interfaces import interface_index
from sadpath.engine.rollback_fit import fitting_plan
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
        text = ctx.source.prefilter_text(node.lineno, node.end_lineno or node.lineno)
        if not any(name in text for name in interface_index(ctx.settings.interfaces).commit_names):
            return  # nothing is committed here
        decorators = [ast.unparse(d).lower() for d in node.decorator_list]
        if any(word in d for d in decorators for word in ("atomic", "transaction", "rollback", "db_error")):
            return  # @transaction.atomic, @catch_db_error and the like own the transaction
        one_shot = (
            _is_command(node, ctx)
            or node.name.lstrip("_").startswith(_STARTUP)
            or node.name.lstrip("_") in _STARTUP_NAMES
            or ctx.fact("SAD206-run-once", lambda: run_once_module(ctx.source.path, ctx.tree)) is not None
        )
        # (start-up code: ``init_db()``, ``setup_roles()``; migrations and example loaders: they fail the process
        # that runs them)
        if decorator_hook(node, ctx.tree, ctx.source.path) is not None:
            return  # a project decorator that rolls back in its `except` (read from its code) wraps the function
        found: list[tuple[ast.Call, str, str, bool]] = []
        body = unaliased(node)  # `db = self.db`: the alias and `self.db` are one handle
        for commit, parents in _commits(body):
            receiver = commit.func.value
            scope = _outliving(receiver, body, ctx)
            if scope is None:
                continue
            handle = ast.unparse(receiver)
            if not _writes_before(body, receiver, commit.lineno, ctx):
                continue
            if _class_rolls_back(receiver, ctx):
                continue  # the object rolls its own handle back elsewhere (an error hook, `finish()`)
            if _rolled_back(parents, handle) or _rolls_back_anywhere(body, handle) or _in_transaction_context(parents, handle):
                continue
            if one_shot and not _caught(parents):
                continue  # the command's failure ends the process, and the transaction with it
            if scope.startswith("is the application's shared (scoped) session"):
                if _terminal_error_commit(commit, parents, body, ctx):
                    continue  # the error path's last word: the request or task ends, and teardown removes the session
                if not _caught_and_reused(parents, handle, body) and callers_carry_on(node.name, ctx.source.path, handle) is False:
                    continue  # every caller lets the failure end the request or task: teardown removes the session
            if scope.startswith("is request-scoped") and _last_use(commit, parents, body):
                continue  # the route's last use of its `Depends` session: the dependency's teardown closes it
            if _caller_rolls_back(node, scope, ctx, parents):
                continue  # only request handlers call it, and their error hook rolls the session back
            if scope.startswith("is passed in") and not _has_caller(node, ctx):
                continue  # nothing in the project calls it: no handle of the project's can be poisoned
            reuse = reuse_after_failure(parents, handle, ctx.enclosing_class())
            found.append((commit, handle, scope, isinstance(parents[-1], ast.Await), reuse))
        if not found:
            return
        commit, handle, scope, awaited, reuse = next((f for f in found if f[4]), found[0])  # where the failed session is used
        same = [c for c, h, *_ in found if h == handle and c is not commit]
        alias = spelled_as(node, handle, ctx.source.line(commit.lineno)[commit.col_offset:])
        if alias is not None:  # `db.commit()` where `db = self.db`: name the handle as the line spells it
            handle, scope = alias, f"(`{handle}`) {scope}"
        rollback = f"await {handle}.rollback()" if awaited else f"{handle}.rollback()"
        fixes = []
        found_commits = list(_commits(node))
        plan = fitting_plan(rollback_path(found_commits, [commit, *same], handle), found_commits, [commit, *same], handle) if handle.isidentifier() and not awaited else {}
        plan = plan_past_reuse(plan, reuse)  # one remedy, the rollback: `with db:` closes a shared session, `db.begin()` raises on a begun one
        message = (
            f"`{handle}.commit()` in `{node.name}()` has no rollback path, and `{handle}` {scope}: if a write or "
            f"the commit fails, {reuse or POISONED}. Roll back in `except` (`{rollback}; raise`)."
            f"{same_commits_clause(handle, commit, same, found_commits, plan)}"
        )
        if "commit_offsets" in (data := {"name": handle, **plan}):  # one rollback path for every commit the message names, or no fix
            fixes.append(FixOffer("rollback_on_error", f"Roll back `{handle}` if the writes fail", Applicability.UNSAFE))
        ctx.report(self, ctx.span(commit), message, fixes=fixes, data=data)

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
            klass = ctx.enclosing_class()
            if _db_name(receiver.attr) and klass is not None and handle_defined(klass, ctx.tree, ctx.source.path, receiver.attr):
                return "lives on the object, beyond this call"  # set up by a project base class in another module
            return None  # set up by a base class out of view (a library's): so would its rollback (an error hook) be
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
    return bool(call.args) and select_statement(call.args[0])


def _writes_before(func: ast.AST, receiver: ast.AST, line: int, ctx: ModuleContext) -> bool:
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
                    if helper_writes(node, handle, ctx.tree, ctx.source.path) and not commits_itself(node, handle, ctx.tree, ctx.source.path):
                        return True  # handed to a helper that works on it (not one that only reads, nor commits itself)
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and session_object(target, func, handle):
                    return True  # an attribute of a loaded object (not `self`'s, nor one the session never saw)
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


def _caught_and_reused(parents: list[ast.AST], handle: str, func: ast.AST) -> bool:
    """The commit is in the body of a ``try`` of this function whose handler goes on with the failed session: it
    uses it, lets the loop's next item run, or falls through to code after the ``try`` that uses it."""
    for index, parent in enumerate(parents):
        if isinstance(parent, ast.Try) and index + 1 < len(parents) and parents[index + 1] in parent.body:
            in_loop = any(isinstance(p, (ast.For, ast.AsyncFor, ast.While)) for p in parents[:index])
            if any(handler_carries_on(h, handle, in_loop) for h in parent.handlers):
                return True
            end = parent.end_lineno or parent.lineno
            falls_through = [h for h in parent.handlers if catches_db_errors(h) and not ends_work(h.body)]
            if falls_through and any(
                isinstance(n, ast.Attribute) and ast.unparse(n) == handle and n.lineno > end for n, _ in _walk(func)
            ):
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
    """``self.db.commit()`` in a class which, or one of whose project base classes (in any module), has a method
    that rolls ``self.db`` back: an error hook (tornado's ``write_error``, ``finish()``, ``on_finish``)."""
    if not (isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) and receiver.value.id == "self"):
        return False
    klass = ctx.enclosing_class()
    if klass is None:
        return False
    return class_hook(klass, ctx.tree, ctx.source.path, ast.unparse(receiver)) is not None


def _caller_rolls_back(func: ast.AST, scope: str, ctx: ModuleContext, parents: list[ast.AST]) -> bool:
    """A helper whose handle comes from its caller (a parameter, or ``self.db`` of a model object) and whose every
    project call runs directly either in a request handler with a rollback hook (``user.sync_roles(...)`` in
    ``BaseHandler``: a failed commit reaches that hook) or in start-up code (``init_users()``: it ends the process)."""
    if not scope.startswith(("is passed in", "lives on the object")):
        return False
    reaches = commit_flag_reach(func, parents)
    return callers_covered(func.name, ctx.source.path, isinstance(func, ast.AsyncFunctionDef), _startup, reaches,
                           target=func, owner=_owner(func, ctx)) is not None


def _owner(func: ast.AST, ctx: ModuleContext) -> str | None:
    klass = ctx.enclosing_class()
    return klass.name if klass is not None and func in klass.body else None


def _has_caller(func: ast.AST, ctx: ModuleContext) -> bool:
    """Something calls the function: in this module (also when it is not on disk yet) or in the project."""
    own = {id(n) for n in ast.walk(func)}
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.Call) and id(node) not in own and func.name in (
            getattr(node.func, "id", None), getattr(node.func, "attr", None)
        ):
            return True
    return has_project_call(func.name, ctx.source.path, func, _owner(func, ctx), project_wide=True)


def _last_use(commit: ast.Call, parents: list[ast.AST], func: ast.AST) -> bool:
    """Nothing in the function uses the handle after this commit, nor an attribute of a local or a parameter (an
    object loaded through it, which the commit expires: reading it refreshes through the session), and no loop
    runs it again."""
    if any(isinstance(p, (ast.For, ast.AsyncFor, ast.While)) for p in parents) or _uses_after(func, commit):
        return False
    args = func.args
    local = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    local |= {n.id for n, _ in _walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    end = commit.end_lineno or commit.lineno
    return not any(
        isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in local and n.lineno > end
        for n, _ in _walk(func)
    )


def _terminal_error_commit(commit: ast.Call, parents: list[ast.AST], func: ast.AST, ctx: ModuleContext) -> bool:
    """A commit on a request- or task-scoped session (``db.session``, removed at teardown) that records a failure
    just before the failure ends the unit of work: in an ``except`` handler that then re-raises the original error
    (``db.session.commit(); raise``), or in an error handler function every project call of which is the return
    value of an ``except`` handler (``return _handle_query_error(ex, query)``). Nothing uses the session after it."""
    statement = next((p for p in reversed(parents) if isinstance(p, ast.stmt)), None)
    for index in range(len(parents) - 1, 0, -1):
        handler = parents[index]
        if isinstance(handler, ast.ExceptHandler):
            body = handler.body
            position = next((i for i, stmt in enumerate(body) if stmt is statement), None)
            if position is not None and position + 1 < len(body):
                after = body[position + 1]
                return isinstance(after, ast.Raise) and after.exc is None
            return False
        if isinstance(handler, (ast.FunctionDef, ast.AsyncFunctionDef)):
            break
    return handler_only(func.name, ctx.source.path) and not _uses_after(func, commit)


def _uses_after(func: ast.AST, commit: ast.Call) -> bool:
    handle = ast.unparse(commit.func.value)
    return any(isinstance(n, ast.Attribute) and ast.unparse(n) == handle and n.lineno > commit.lineno for n, _ in _walk(func))


def _startup(name: str) -> bool:
    """``init_users()``, ``setup()``, ``initialize()``: start-up code whose failure ends the process."""
    bare = name.lstrip("_")
    return bare.startswith(_STARTUP) or bare in _STARTUP_NAMES
