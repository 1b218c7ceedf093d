"""Handlers whose caught error is the normal "someone else did it / nothing to do here" result of the guarded call,
and whose code completes the work: not a swallow (SAD101).

- a race resolved by a re-read: a narrow integrity or unique-violation error (``IntegrityError``,
  ``UniqueViolation``, ``DuplicateKeyError``) from an insert or flush (inside a savepoint, the create of a
  get-or-create), followed by a read of the same model or table, which returns the row the other writer inserted
  (also a many-row read, or one after the loop of inserts, which the swallow exemption ``existing_row_fetched``
  does not look at);
- a lookup that means "does not apply here": every call of the ``try`` that can fail is an in-process registry
  lookup whose only failure is "not there" (``django.urls.resolve()`` -> ``Resolver404``, ``apps.get_model()`` ->
  ``LookupError``, ``zoneinfo.ZoneInfo()``), and the handler returns or does nothing (a bare ``except:`` there is
  SAD102's finding, the catch to narrow);
- an optional discovery step that already logs its cause: a generator (or a function that returns what it found,
  not a route) whose outer ``try`` has one directory listing (``glob()``, ``os.listdir()``, ``os.scandir()``) as its
  only unguarded failure, each found item's load having its own handler, and whose handler logs at warning level
  or above with the path and the exception's text (which names the cause, "Permission denied: '/path'")."""

from __future__ import annotations

import ast
import re

from sadpath.engine import logcalls, shapes
from sadpath.engine.exemption_outcomes import existing_row_fetched
from sadpath.engine.handler_site import Site, after_nodes
from sadpath.engine.total_calls import cannot_fail
from sadpath.engine.walker import body_nodes

_RACE_ERROR = re.compile(r"^(IntegrityError|UniqueViolation(Error)?|DuplicateKeyError|UniqueConstraintError)$")
_WRITES = frozenset({"add", "add_all", "flush", "create", "save", "insert", "insert_one", "execute", "bulk_create", "merge"})
_READS = frozenset({"query", "get", "filter", "filter_by", "execute", "scalar", "scalars", "find_one", "find", "one", "first", "select"})
_INSERT_INTO = re.compile(r"\bINSERT\s+(?:INTO\s+)?[\"`]?(\w+)", re.IGNORECASE)
_FROM = re.compile(r"\bFROM\s+[\"`]?(\w+)", re.IGNORECASE)
# in-process lookups whose only failure is "there is no such entry" (no I/O behind them)
_NOT_THERE = (
    "django.urls.resolve", "django.urls.reverse", "django.urls.base.resolve", "django.urls.base.reverse",
    "django.apps.apps.get_model", "django.apps.apps.get_app_config", "codecs.lookup", "zoneinfo.ZoneInfo",
    "pytz.timezone", "unicodedata.lookup",
)  # fmt: skip
_LISTINGS = frozenset({"glob", "rglob", "iglob", "iterdir", "listdir", "scandir", "walk"})
_TOTAL = ("zipfile.is_zipfile", "os.path.")
_ALTERS = re.compile(r"^(remove|unlink|rmtree|rmdir|delete|rename|replace|move|write|write_text|write_bytes|truncate)$")


def handled_on_purpose(site: Site) -> bool:
    """The handler's caught error is the expected outcome of the guarded call and the code completes the work."""
    if site.try_node is None or site.func is None or site.verdict in ("answers success", "acknowledges"):
        return False
    return race_resolved(site) or does_not_apply(site) or optional_discovery(site)


def race_resolved(site: Site) -> bool:
    """A narrow integrity error from an insert, then a re-read of the same model or table after the ``try``: the
    reads ``existing_row_fetched`` (a swallow exemption) does not see, a many-row read or one after the loop (the
    rows it covers are left to it, so each shape has one owner)."""
    if existing_row_fetched(site):
        return False
    names = site.caught.names
    if not names or not all(_RACE_ERROR.match(name.rsplit(".", 1)[-1]) for name in names):
        return False
    if site.path.end not in ("fall", "continue"):
        return False
    calls = [n for n in body_nodes(site.try_node.body) if isinstance(n, ast.Call)]
    if not any(isinstance(c.func, ast.Attribute) and c.func.attr in _WRITES for c in calls):
        return False
    targets = _written(site.try_node)
    if not targets:
        return False
    for node in after_nodes(site.func, site.try_node, site.ctx):
        if isinstance(node, ast.Call) and _read_of(node, targets):
            return True
    return False


def _written(try_node: ast.Try) -> set[str]:
    """The models (capitalised names the ``try`` builds or calls through) and tables (``INSERT INTO t``) written."""
    found: set[str] = set()
    for node in body_nodes(try_node.body):
        if isinstance(node, ast.Call):
            root = node.func
            while isinstance(root, (ast.Attribute, ast.Call)):
                root = root.func if isinstance(root, ast.Call) else root.value
            if isinstance(root, ast.Name) and root.id[:1].isupper():
                found.add(root.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found |= {f"table:{m.lower()}" for m in _INSERT_INTO.findall(node.value)}
    return found


def _read_of(call: ast.Call, targets: set[str]) -> bool:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) else ""
    if name not in _READS:
        return False
    for node in ast.walk(call):
        if isinstance(node, ast.Name) and node.id in targets:
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if any(f"table:{m.lower()}" in targets for m in _FROM.findall(node.value)):
                return True
    return False


def does_not_apply(site: Site) -> bool:
    """Every call of the ``try`` that can fail is an in-process "not there" lookup; the handler returns or passes."""
    skips_else = site.verdict == "pass" and bool(site.try_node.orelse)
    if not site.verdict.startswith("return") and not skips_else:
        return False
    calls = [n for n in body_nodes(site.try_node.body) if isinstance(n, ast.Call) and shapes.can_fail(n, site.ctx)]
    return bool(calls) and all((site.ctx.qualified_name(c.func) or "") in _NOT_THERE for c in calls)


def optional_discovery(site: Site) -> bool:
    """An optional discovery step whose only unguarded failure is one directory listing, logged with its cause."""
    if site.boundary is not None or site.path.end not in ("fall", "return"):
        return False
    if site.path.end == "return" and site.path.value is not None and not isinstance(site.path.value, (ast.List, ast.Name)):
        return False
    if len(site.try_node.body) != 1 or not isinstance(site.try_node.body[0], (ast.For, ast.AsyncFor)):
        return False
    loop = site.try_node.body[0]
    if not isinstance(loop.iter, ast.Call) or _name(loop.iter) not in _LISTINGS:
        return False
    if not _collects(loop, site.func) or any(isinstance(n, ast.Call) and _ALTERS.match(_name(n)) for n in ast.walk(loop)):
        return False
    for node in body_nodes(loop.body, skip=(ast.Try,)):
        if isinstance(node, ast.Call) and not _harmless(node, site):
            return False  # a load outside a per-item handler: the outer catch is not only the listing's
    if not any(isinstance(stmt, ast.Try) and stmt.handlers for stmt in loop.body):
        return False
    return _logs_the_cause(site)


def _collects(loop: ast.AST, func: ast.AST) -> bool:
    """The loop yields what it finds, or appends it to a list the function returns."""
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(loop)):
        return True
    appended = {
        n.func.value.id
        for n in ast.walk(loop)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "append" and isinstance(n.func.value, ast.Name)
    }
    returned = {n.value.id for n in ast.walk(func) if isinstance(n, ast.Return) and isinstance(n.value, ast.Name)}
    return bool(appended & returned)


def _harmless(call: ast.Call, site: Site) -> bool:
    if logcalls.as_log_call(call, site.ctx) is not None or cannot_fail(call, site.ctx):
        return True
    qualified = site.ctx.qualified_name(call.func) or ""
    return qualified.startswith(_TOTAL) or not shapes.can_fail(call, site.ctx)


def _logs_the_cause(site: Site) -> bool:
    """Every log line of the handler is at warning level or above and carries the exception beside other context
    (a message text and the path)."""
    exc = site.handler.name
    logs = [log for log in site.path.logs if log.kind == "logger"]
    if exc is None or not logs or any(log.level in ("debug", "info") for log in logs):
        return False
    for log in logs:
        names = {n.id for arg in log.call.args for n in ast.walk(arg) if isinstance(n, ast.Name)}
        texts = [n for arg in log.call.args for n in ast.walk(arg) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        if exc not in names or not texts or not (names - {exc}):
            return False
    return True


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
