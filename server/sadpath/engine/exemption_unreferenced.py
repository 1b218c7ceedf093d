"""Swallow exemptions about who uses the function's answer: nobody (a function the project never names), only an
error report (detail fetched for a failure already being reported), or callers that combine many such answers
(one source of a fan-out, a memoised derivation whose empty form means "nothing there").

- ``never_referenced``: a private function (``_name``) that no file of the project names, and that is no route,
  hook or override (a public one may be an entry point a config names, or an API its module offers). Changing its handler changes no behaviour, so a finding there
  is not worth anyone's time. Conservative: one mention anywhere (a call, a reference, a string, a comment, an
  ``__all__``) keeps the rule speaking, and so does a project that cannot be read whole.
- ``error_report_detail``: every caller of the function uses its answer only to word the report of a failure it
  is already reporting (``logs = _log_tail(c)`` then ``JobResult(status=FAILED, error_message=f"...{logs}")``):
  an empty detail keeps that report; re-raising would replace it.
- ``degraded_source_logged``: the handler logs with the traceback and answers the empty value, and every caller
  combines the answers of many calls (``sum([self._get(s) for s in sources], [])``), or the function is a
  memoised derivation (``if self.parsed is None: self.parsed = parse(self.raw)`` ... ``return self.parsed``): one
  broken source or row degrades to "nothing there" while the rest still works.
"""

from __future__ import annotations

import ast
import re

from sadpath.engine import logcalls
from sadpath.engine.call_index import calls_named, method_calls
from sadpath.engine.handler_site import Site
from sadpath.engine.project_names import dead_candidate, named_elsewhere, top_level_owner, word_count
from sadpath.engine.walker import body_nodes


def never_referenced(site: Site) -> bool | None:
    """Nothing in the project names the function (no call, reference, string or ``__all__`` entry), and it is no entry point, route, hook, override or library API: its handler changes no behaviour."""
    found = dead_candidate(site)
    if found is None or not site.func.name.startswith("_"):
        return None  # a public function or method may be an entry point a config names, or an API of its module
    if word_count(site.func.name, site.ctx.source.text) != 1:
        return False  # the module itself names it again
    return named_elsewhere(site.func.name, found[1]) is False  # unsure (None) or named elsewhere (True): speak


def error_report_detail(site: Site) -> bool | None:
    """Every caller uses the function's answer only to word the report of a failure it already reports (log tails for a failed job's message): an empty detail keeps that report, re-raising would replace it."""
    func, ctx = site.func, site.ctx
    if func is None or not site.verdict.startswith("return ") or not _neutral(site.path.value):
        return None
    if top_level_owner(func, ctx.tree) is not None or not func.name.startswith("_"):
        return None  # a private module function: all its callers are in this module
    calls = calls_named(ctx, func.name)
    if not calls:
        return None
    for call, parents in calls:
        if not _only_in_a_report(call, parents, ctx):
            return False
    return True


_REPORT_WORDS = re.compile(r"error|message|reason|detail|failure|summary", re.IGNORECASE)
_FAILED = re.compile(r"\b(?:FAILED|FAILURE|ERROR|ERRORED)\b")


def _only_in_a_report(call: ast.Call, parents: list[ast.AST], ctx) -> bool:
    """``name = f(...)`` whose every later read is in an f-string or argument of a raise, a log call or a failure
    result (``JobResult(status=JobStatus.FAILED, error_message=...)``), or ``f(...)`` itself used so."""
    statement = next((p for p in reversed(parents) if isinstance(p, ast.stmt)), None)
    scope = next((p for p in reversed(parents) if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if statement is None or scope is None:
        return False
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name) and _value_is(statement.value, call):
        name = statement.targets[0].id
        reads = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
        if not reads:
            return False
        return all(_in_report(read, scope, ctx) for read in reads)
    return _in_report(call, scope, ctx)


def _value_is(value: ast.expr, call: ast.Call) -> bool:
    return value is call or (isinstance(value, ast.Await) and value.value is call)


def _in_report(node: ast.AST, scope: ast.AST, ctx) -> bool:
    chain = _chain_to(node, scope)
    if not chain:
        return False
    for index, parent in enumerate(chain):
        if isinstance(parent, ast.Raise):
            return True
        if isinstance(parent, ast.keyword) and parent.arg and _REPORT_WORDS.search(parent.arg):
            result = chain[index + 1] if index + 1 < len(chain) else None
            if isinstance(result, ast.Call) and any(_FAILED.search(ast.unparse(k.value)) for k in result.keywords):
                return True
        if isinstance(parent, ast.Dict) and _failure_record(parent):
            return True
        if isinstance(parent, ast.Call) and logcalls.as_log_call(parent, ctx) is not None:
            return True
        if isinstance(parent, ast.stmt):
            return False
    return False


def _failure_record(record: ast.Dict) -> bool:
    """``{"status": "failed", "error_message": ...}``: a result that reports a failure."""
    keys = [k.value for k in record.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    failed = any(
        (isinstance(v, ast.Constant) and isinstance(v.value, str) and v.value.lower() in ("failed", "failure", "error", "errored"))
        or (isinstance(v, ast.Attribute) and _FAILED.search(v.attr))
        for v in record.values
    )
    return failed and any(_REPORT_WORDS.search(k) for k in keys)


def _chain_to(target: ast.AST, scope: ast.AST) -> list[ast.AST]:
    """The nodes from ``target``'s parent up to its statement (inner first)."""
    parents: dict[int, ast.AST] = {}
    for parent in ast.walk(scope):
        for child in ast.iter_child_nodes(parent):
            parents[id(child)] = parent
    chain, node = [], target
    while id(node) in parents:
        node = parents[id(node)]
        chain.append(node)
        if node is scope:
            break
    return chain


def _neutral(value: ast.expr | None) -> bool:
    """``""``, ``None``, ``[]``, ``{}``: an empty detail."""
    if value is None:
        return True
    if isinstance(value, ast.Constant):
        return value.value in (None, "")
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return not value.elts
    if isinstance(value, ast.Dict):
        return not value.keys
    return False


def degraded_source_logged(site: Site) -> bool | None:
    """The handler logs with the traceback and answers the empty value for one source whose callers combine many such answers (a fan-out ``sum``), or for a memoised derivation whose empty form means "nothing there"."""
    func, ctx = site.func, site.ctx
    if func is None or not site.verdict.startswith("return ") or site.path.value is None or not _empty_container(site.path.value):
        return None
    if not any((log := logcalls.as_log_call(n, ctx)) is not None and logcalls.keeps_traceback(log, ctx) for n in body_nodes(site.handler.body, scopes=True)):
        return None
    if _memoised(func, site.try_node):
        return True
    owner = top_level_owner(func, ctx.tree)
    calls = method_calls(ctx.tree, func.name) if isinstance(owner, ast.ClassDef) else calls_named(ctx, func.name)
    if not calls or (not func.name.startswith("_") and owner is not None):
        return False
    return all(_combined(call, parents) for call, parents in calls)


def _empty_container(value: ast.expr) -> bool:
    return (isinstance(value, (ast.List, ast.Tuple, ast.Set)) and not value.elts) or (isinstance(value, ast.Dict) and not value.keys)


_COMBINERS = frozenset({"sum", "chain", "from_iterable", "extend", "update"})


def _combined(call: ast.Call, parents: list[ast.AST]) -> bool:
    """The call runs once per source (in a comprehension or a loop) and its answers are joined into one."""
    fan_out = any(isinstance(p, (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.For, ast.AsyncFor)) for p in parents)
    if not fan_out:
        return False
    for parent in reversed(parents):
        if isinstance(parent, ast.Call):
            name = parent.func.attr if isinstance(parent.func, ast.Attribute) else getattr(parent.func, "id", "")
            if name in _COMBINERS:
                return True
        if isinstance(parent, ast.AugAssign) and isinstance(parent.op, ast.Add):
            return True
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            break
    return False


def _memoised(func: ast.AST, try_node: ast.Try | None) -> bool:
    """``if self.x is None: try: self.x = derive(self.y) ...`` and the function answers ``self.x``: a derived value
    cached on the object, whose empty form is "nothing there"."""
    if try_node is None:
        return False
    cached = {
        ast.unparse(t)
        for stmt in try_node.body
        if isinstance(stmt, ast.Assign)
        for t in stmt.targets
        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
    }
    if not cached:
        return False
    guarded = any(
        isinstance(n, ast.If) and try_node in n.body and isinstance(n.test, ast.Compare) and ast.unparse(n.test.left) in cached
        and any(isinstance(op, ast.Is) for op in n.test.ops)
        for n in ast.walk(func)
    )
    answers = any(isinstance(n, ast.Return) and n.value is not None and ast.unparse(n.value) in cached for n in func.body)
    return guarded and answers


__all__ = ["degraded_source_logged", "error_report_detail", "never_referenced"]
