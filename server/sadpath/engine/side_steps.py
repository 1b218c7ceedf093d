"""Steps beside the real work, where SAD101's usual "re-raise" is the wrong advice (services-review round 11, fix
review round 9):

- a polling loop (``while status == RUNNING: ...; time.sleep(n); status = cursor.status()``) that reports
  progress beside the work: the caller's next step (fetching the results) raises the work's own error, so the
  work does not pass as a success. What is wrong there is the log line without a traceback and, around a
  blocking ``time.sleep()``, a broad ``except`` that also swallows what is raised to stop the work (a task's
  time limit, Celery's ``SoftTimeLimitExceeded``);
- a step every caller runs after its main row was written (``user = await Auths.insert_new_auth(...)`` then
  ``await apply_default_group_assignment(...)``): a re-raise fails a request whose main write is done, and the
  retry then fails on the row that already exists. The handling there is a log line with the traceback and the
  ids in scope, and carrying on. The retry reason holds only when that write inserts a row (not an update or an
  upsert), and when the ``try`` also parses text it holds (a model's reply), the advice splits the parse (an
  expected failure: a quiet fallback) from the rest (log with the traceback)."""

from __future__ import annotations

import ast
import re

from sadpath.engine import named_cases
from sadpath.engine.callee_traps import project_callee
from sadpath.engine.handler_site import Site
from sadpath.engine.project_files import project_modules_calling
from sadpath.engine.unread_causes import caught_names

__all__ = ["after_committed_writes", "carry_on_note", "committed_step_advice", "parsed_text", "polling_story"]

_SLEEPS = {"sleep"}
_WRITE = re.compile(r"^(?:insert|create|add|save|commit|upsert|register|signup|put|store)_?", re.IGNORECASE)
_MAX_CALLERS = 20
_INSERTS = re.compile(r"^(?:insert|create|add|register|signup)_?", re.IGNORECASE)
_PARSES = re.compile(r"(?:^|_)(?:loads|parse\w*|literal_eval|from_json|model_validate_json)$", re.IGNORECASE)
_PARSE_ERRORS = frozenset({"ValueError", "TypeError", "JSONDecodeError", "Exception", "BaseException"})


def committed_step_advice(site: Site, write: str) -> str:
    """The advice for a step every caller runs after its main write (``after_committed_writes``)."""
    name = write.rsplit(".", 1)[-1]
    retry = ", and a retry would then fail on the row that exists" if _INSERTS.match(name) and "upsert" not in name else ""
    reraise = f"a re-raise would fail a request whose write is committed{retry}"
    parse = parsed_text(site)
    if parse is not None:
        return (
            f"The `try` also parses text the code holds (`{parse}()`), which fails whenever that text is malformed, an"
            " expected case that would log a traceback for every such reply: split it, with a quiet fallback when the"
            f" parse fails, and around the rest, which every caller runs after its main write, log the failure with the"
            f" traceback and the ids in scope (`logger.exception`) and carry on; {reraise} (`{write}()`)."
        )
    return (
        f"Every caller runs it after its main write (`{write}()`) is done: {reraise}. Log it with the traceback and the"
        " ids in scope (`logger.exception`) and carry on."
    )


def carry_on_note(site: Site, advice: str) -> str | None:
    """The sentence carry-on advice gains: split out the parse of text that may be malformed (``parsed_text``), or
    the case the handler says it expects (``named_cases``); None when neither is there."""
    if "parses text" not in advice and (parsed := parsed_text(site)) is not None:
        return (
            f" The `try` also parses text (`{parsed}()`), which fails whenever that text is malformed: catch that parse's"
            " error quietly beside it, and keep the traceback for the rest."
        )
    return named_cases.split_note(site.handler, site.ctx)


def parsed_text(site: Site) -> str | None:
    """The label of a parse of text the code holds (``JSONCodec.loads(tags_string)``, ``parse_reply(text)``) in a
    ``try`` that also does other work, when that parse can fail on malformed text (not a project parser that
    answers its own parse errors); None otherwise."""
    calls = _try_calls(site)
    if len(calls) < 2:
        return None
    return next((_label(c) for c in calls if _PARSES.search(_label(c).rsplit(".", 1)[-1]) and not _parses_quietly(c, site)), None)


def _parses_quietly(call: ast.Call, site: Site) -> bool:
    """The parse is a project function that catches its own parse errors (``except (ValueError, TypeError): return
    []``) and answers a fallback: malformed text does not make it fail, so there is nothing to split out."""
    callee = project_callee(call, site.ctx)
    if callee is None:
        return False
    for node in ast.walk(callee):
        for handler in getattr(node, "handlers", []) if isinstance(node, ast.Try) else []:
            if (handler.type is None or caught_names(handler) & _PARSE_ERRORS) and not any(isinstance(n, ast.Raise) for n in ast.walk(handler)):
                return True
    return False


def _try_calls(site: Site) -> list[ast.Call]:
    if site.try_node is None:
        return []
    return [n for stmt in site.try_node.body for n in ast.walk(stmt) if isinstance(n, ast.Call) and _label(n)]


def _label(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        root = func.value
        return f"{root.id}.{func.attr}" if isinstance(root, ast.Name) else func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _sleep_in_loop(try_node: ast.Try) -> ast.Call | None:
    for stmt in try_node.body:
        for loop in ast.walk(stmt):
            if not isinstance(loop, (ast.While, ast.For, ast.AsyncFor)):
                continue
            for node in ast.walk(loop):
                if isinstance(node, ast.Call):
                    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                    if name in _SLEEPS:
                        return node
    return None


def polling_story(site: Site) -> tuple[str, str] | None:
    """(consequence, advice) for a handler that ends a polling loop the ``try`` runs, or None."""
    if site.try_node is None or site.func is None or site.path.end not in ("return", "fall") or site.path.traced:
        return None
    if site.path.end == "return" and site.path.value is not None:
        return None  # it answers a value: the caller goes on with it
    sleep = _sleep_in_loop(site.try_node)
    if sleep is None:
        return None
    where = f"`{site.func.name}()`"
    consequence = f"{where} stops polling on any error, and nobody can tell why"
    if not _awaited(sleep, site.try_node):  # a blocking sleep: a signal's exception is raised inside it
        consequence += (
            f"; the broad catch also covers `{ast.unparse(sleep.func)}()` (line {sleep.lineno}), so an exception raised"
            " there to stop the work, such as a task's time limit (Celery's `SoftTimeLimitExceeded`), is swallowed too"
            " and the work runs on past its limit"
        )
        advice = (
            "It is a side loop beside the work (the next step reports the work's own error): log it with the traceback"
            " (`logger.exception`), catch only the driver's errors or let a time limit through"
            " (`except SoftTimeLimitExceeded: raise` first), and carry on."
        )
    else:
        advice = (
            "It is a side loop beside the work (the next step reports the work's own error): log it with the traceback"
            " (`logger.exception`) and carry on."
        )
    return consequence, advice


def _awaited(call: ast.Call, root: ast.AST) -> bool:
    return any(isinstance(n, ast.Await) and n.value is call for n in ast.walk(root))


def after_committed_writes(site: Site) -> str | None:
    """The label of the write every caller of the (module-level) function does before calling it, when every
    caller in the project does one; None otherwise (or when the callers cannot all be seen)."""
    func = site.func
    if func is None or site.path.end not in ("fall", "return") or (site.path.end == "return" and site.path.value is not None):
        return None
    if func not in site.ctx.tree.body:
        return None
    found, writes = 0, set()
    for _, tree in project_modules_calling(func.name, site.ctx.source.path):
        if tree is None:
            return None
        for call, parents in _calls(tree, func.name):
            found += 1
            write = _write_before(call, parents)
            if found > _MAX_CALLERS or write is None:
                return None
            writes.add(write)
    return sorted(writes)[0] if found else None


def _calls(tree: ast.Module, name: str):
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [])]
    while stack:
        node, parents = stack.pop()
        if isinstance(node, ast.Call):
            target = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if target == name:
                yield node, parents
        for child in ast.iter_child_nodes(node):
            stack.append((child, [*parents, node]))


def _write_before(call: ast.Call, parents: list[ast.AST]) -> str | None:
    """A write call (``Auths.insert_new_auth(...)``) in a statement that runs before the call's own statement, in
    its block or a block around it, inside the same function."""
    node: ast.AST = call
    for parent in reversed(parents):
        if isinstance(parent, (ast.Lambda, ast.ClassDef)):
            break
        for field in ("body", "orelse", "finalbody"):
            block = getattr(parent, field, None)
            if isinstance(block, list) and node in block:
                for stmt in reversed(block[: block.index(node)]):
                    for n in ast.walk(stmt):
                        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and _WRITE.match(n.func.attr):
                            return n.func.attr
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            break
        node = parent
    return None
