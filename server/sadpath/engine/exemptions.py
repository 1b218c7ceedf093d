"""The named exemptions of the swallow judgement (``engine.swallow``): shapes where a handler that seems to swallow
its error is deliberate. Each is a predicate on a ``Site`` with a one-line docstring, which the hover shows; it
answers None when it is not about this handler, False when it was considered and does not apply, True when it
applies. ``EXEMPTIONS`` gives the order in which they are asked."""

from __future__ import annotations

import ast
import re

from sadpath.engine import logcalls, shapes
from sadpath.engine.catching import CatchKind
from sadpath.engine.contract_check import declares_fallback
from sadpath.engine.defaults import preset_fallback
from sadpath.engine.exemption_callers import callers_check_the_answer, disabled_answer_checked
from sadpath.engine.exemption_comments import documents, explained_in_a_comment
from sadpath.engine.exemption_local import local_computation
from sadpath.engine.exemption_unreferenced import degraded_source_logged, error_report_detail, never_referenced
from sadpath.engine.exemption_total import nothing_can_fail, only_a_not_found, request_body_fallback, stream_generator_ends, stream_pump_ends
from sadpath.engine.exemption_outcomes import checked_status_success, existing_row_fetched
from sadpath.engine.exemption_overrides import fallback_the_callers_want
from sadpath.engine.exemption_places import end_of_the_line_logged
from sadpath.engine.result_fields import logged_field
from sadpath.engine.memo_fills import cache_fill_only
from sadpath.engine.exemption_roles import declared_silent, display_only_figures, fail_closed_predicate, fail_closed_refusal, optional_component_start
from sadpath.engine.callee_traps import answers_its_own_failures
from sadpath.engine.external import external_call
from sadpath.engine.handler_site import best_effort_doc, Exemption, Site, after_nodes, guarded_uses, leaves, project_call
from sadpath.engine.outcome import is_constant
from sadpath.engine.teardown_steps import thread_cleanup
from sadpath.engine.unread_callees import only_unread_callees
from sadpath.engine.walker import body_nodes


def retry_loop_handler(site: Site) -> bool | None:
    """The handler of a retry loop that retries (the loop does the same work again until it succeeds or runs out): SAD204 judges the retry."""
    loop = site.ctx.enclosing(ast.For, ast.AsyncFor, ast.While)
    if loop is None or site.path.end not in ("continue", "fall", "break") or not _retries_same_work(loop, site.try_node):
        return None
    if isinstance(loop, ast.While) or shapes.retry_loop_then_raise(site.ctx):
        return True  # it retries until it succeeds, or fails loudly once the attempts run out
    # a counted loop: the last attempt must end in something (here a raise or a recorded failure), not fall off
    return any(p.verdict() is None for p in site.paths if p is not site.path)


def _retries_same_work(loop: ast.AST, try_node: ast.Try | None) -> bool:
    """``for attempt in range(n)``, or a ``while`` loop whose ``try`` leaves it on success (``return``/``break``)
    and that takes no new item before it (a consumer's ``frame = ws.recv()`` is the next message, not a retry)."""
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        return isinstance(loop.iter, ast.Call) and isinstance(loop.iter.func, ast.Name) and loop.iter.func.id == "range"
    if try_node is None or try_node not in loop.body:
        return False
    before = loop.body[: loop.body.index(try_node)]
    if any(isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) for stmt in before):
        return False
    return any(isinstance(n, (ast.Return, ast.Break)) for n in body_nodes([*try_node.body, *try_node.orelse]))


def documented_fallback(site: Site) -> bool | None:
    """The function says it answers None or an empty value on this failure (a docstring, an Optional return), or
    the handler logs with the traceback and returns what the function also returns on a normal path."""
    if site.func is not None and site.path.end == "fall" and site.after is None:
        doc = ast.get_docstring(site.func) or ""
        if _FALLBACK_DOC.search(doc):
            return True  # "Get the user's timezone, falling back to UTC": the code after the ``try`` is that fallback
        last = shapes.statements_after(site.try_node, site.ctx)[-1:] if site.try_node is not None else []
        if last and isinstance(last[0], ast.Return) and (last[0].value is None or _empty(last[0].value)) and _NONE_DOC.search(doc):
            return True  # "Returns: a hash string or None if hashing failed", and the function ends in that None
    if not site.verdict.startswith("return") or site.func is None:
        return None
    value = site.path.value
    if site.path.traced and shapes.logged_fallback(site.handler, site.func, site.verdict, site.ctx):
        return True
    doc = ast.get_docstring(site.func) or ""
    if value is not None and documents(doc, value):
        return True  # the documented failure answer, sentinel or not
    if value is not None and not _empty(value):
        return False
    if _NONE_DOC.search(doc):
        return True
    if site.caught.kind in (CatchKind.BROAD, CatchKind.BARE) and _calls_out(site):
        return False  # ``-> Customer | None`` means "no such customer", not "the database is down"
    return _optional_return(site.func)


def _calls_out(site: Site) -> bool:
    """The ``try`` calls an external service: a broad catch there hides an outage, not only a miss."""
    return site.try_node is not None and any(
        isinstance(n, ast.Call) and external_call(n, site.ctx) is not None for n in body_nodes(site.try_node.body)
    )


def _empty(value: ast.AST) -> bool:
    if isinstance(value, ast.Constant):
        return value.value in (None, "", 0, False) and not (isinstance(value.value, int) and value.value != 0 and not isinstance(value.value, bool))
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return not value.elts
    if isinstance(value, ast.Dict):
        return all(_empty(v) for v in value.values)
    return False


def _optional_return(func) -> bool:
    annotation = func.returns
    if annotation is None:
        return False
    text = (annotation.value if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str) else ast.unparse(annotation)).replace(" ", "")
    return text.startswith(("Optional[", "typing.Optional[")) or text.endswith("|None") or text.startswith("None|")


def narrow_outcome_checked(site: Site) -> bool | None:
    """The handler checks the error for one narrow outcome (``if code == "ConditionalCheckFailed": return``) and handles
    every other one: only that expected answer is let go."""
    if not site.path.conditions:
        return None
    name = site.handler.name
    if any(_inspects_error(test, name) for test, taken in site.path.conditions if taken):
        return True
    # ``if not self._is_connection_error(exc): raise``: it re-raises every other error and lets only this one go
    others_handled = any(p.verdict() is None or p.traced for p in site.paths if p is not site.path)
    return others_handled and any(_asks_about(test, name) for test, _taken in site.path.conditions)


def _asks_about(test: ast.expr, name: str | None) -> bool:
    """``is_connection_error(exc)``, ``self._retryable(err)``: a predicate asked about the caught error."""
    return bool(name) and any(
        isinstance(n, ast.Call) and any(isinstance(a, ast.Name) and a.id == name for a in n.args) for n in ast.walk(test)
    )


def _inspects_error(test: ast.expr, name: str | None) -> bool:
    """``code == "NoSuchKey"``, ``exc.response.status_code == 404``, ``isinstance(exc, Conflict)``, ``x in (...)``."""
    if isinstance(test, ast.BoolOp):
        return any(_inspects_error(v, name) for v in test.values)
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance":
        return bool(name) and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(test))
    if isinstance(test, ast.Compare) and all(isinstance(op, (ast.Eq, ast.In, ast.Is)) for op in test.ops):
        constants = [c for c in (test.left, *test.comparators) if isinstance(c, (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Attribute))]
        return bool(constants)
    return False


def condition_decides(site: Site) -> bool | None:
    """The handler handles the error unless a condition about the program's state says otherwise (``if not
    stop.is_set(): report(exc)``; ``if not user_exists(): raise``): it was decided when the error does not matter."""
    tests = [test for test, _taken in site.path.conditions]
    if not tests or not any(p.verdict() is None for p in site.paths if p is not site.path):
        return None
    # ``if self.continue_on_failure: log; continue`` / ``else: raise``: a setting or a state decides, not the error
    return not any(_inspects_error(test, site.handler.name) or _mentions(test, site.handler.name) for test in tests)


def _mentions(test: ast.expr, name: str | None) -> bool:
    return bool(name) and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(test))


def normal_answer(site: Site) -> bool | None:
    """The returned constant is one of the function's own answers on its normal paths (``return 0`` when the
    counter is not configured, ``return 'disconnected'``): the failure gets the answer the function gives anyway."""
    value = site.path.value
    if site.func is not None and site.verdict == "return None" and _answers_none(site.func, value) and not (
        site.try_node is not None and shapes.cache_lookup(site.try_node, site.ctx)
    ):
        if site.caught.kind in (CatchKind.BROAD, CatchKind.BARE) and _calls_out(site):
            return False  # every outage of the service now reads as "there is none"
        return True  # ``return getattr(g, "user", None)`` / ``.first()``: None is already its "there is none"
    if site.func is None or value is None or not is_constant(value) or (isinstance(value, ast.Constant) and value.value is None):
        return None
    shown = ast.unparse(value)
    answers = [
        node.value
        for node in shapes.walk_outside_handlers(site.func)
        # not the return it falls into, unless the ``try`` also reaches it when nothing failed
        if isinstance(node, ast.Return) and node.value is not None and (node.value is not value or _try_completes(site.try_node))
    ]
    # one answer among others: the same constant on another path, and some path answering something else
    return any(ast.unparse(a) == shown for a in answers) and any(ast.unparse(a) != shown for a in answers)


def _try_completes(try_node: ast.Try | None) -> bool:
    """The ``try`` body can finish without returning or raising (``if module: return module.priority``)."""
    return try_node is not None and bool(try_node.body) and not isinstance(try_node.body[-1], (ast.Return, ast.Raise))


def _answers_none(func, value) -> bool:
    """A normal path of ``func`` answers None too: ``return getattr(x, "user", None)``, ``return q.first()``,
    ``return d.get(key)``, ``return one_or_none()``."""
    for node in shapes.walk_outside_handlers(func):
        if not isinstance(node, ast.Return) or node.value is None or node.value is value:
            continue
        answer = node.value.value if isinstance(node.value, ast.Await) else node.value
        if not isinstance(answer, ast.Call):
            continue
        name = answer.func.attr if isinstance(answer.func, ast.Attribute) else getattr(answer.func, "id", "")
        if name in ("first", "one_or_none", "scalar_one_or_none", "get", "find_one", "getattr") and (
            name != "getattr" or (len(answer.args) == 3 and isinstance(answer.args[2], ast.Constant) and answer.args[2].value is None)
        ):
            return True
    return False


def same_as_no_result(site: Site) -> bool | None:
    """It returns the way the code right after the ``try`` returns for an empty result (``data = await
    reader.read(1)`` / ``except ConnectionError: return`` / ``if not data: return``): a dropped connection is the
    end of the stream. Not for a cache read, whose outage then reads as a miss."""
    if site.try_node is None or site.path.end != "return" or site.path.logs:
        return None
    following = shapes.statements_after(site.try_node, site.ctx)
    if not following or not isinstance(following[0], ast.If) or shapes.cache_lookup(site.try_node, site.ctx):
        return None
    assigned = {n.id for n in body_nodes(site.try_node.body) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    branch = following[0]
    if not assigned & {n.id for n in ast.walk(branch.test) if isinstance(n, ast.Name)}:
        return None
    first = branch.body[0] if branch.body else None
    shown = lambda v: "None" if v is None else ast.unparse(v)  # noqa: E731
    return isinstance(first, ast.Return) and shown(first.value) == shown(site.path.value)


def best_effort_function(site: Site) -> bool | None:
    """The function says it is best effort (``Best-effort: returns the number removed``): its steps may fail."""
    if site.func is None or site.verdict in ("answers success", "acknowledges"):
        return None
    return best_effort_doc(ast.get_docstring(site.func) or "") or None


_ERROR_MARK = re.compile(r"error|fail|unavailable", re.IGNORECASE)


_ANNOUNCED = re.compile(
    r"\b(continu\w*|ignor\w*|skipp\w*|falls? back|falling back|fallback|using (?:the )?default|proceed\w*|anyway|"
    r"will (?:be )?retr\w*|not fatal|non-fatal|regenerated|degraded|expires? on its own|on (?:its|their) own|harmless|"
    r"subsequent|next (?:time|run|start))\b",
    re.IGNORECASE,
)


def announced_in_the_log(site: Site) -> bool | None:
    """The log line says the work goes on without it (``Execution will continue, but the result has not been
    persisted``): the degradation is deliberate and visible."""
    if not site.path.logs:
        return None
    for log in site.path.logs:
        for argument in log.call.args:
            for node in ast.walk(argument):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and _ANNOUNCED.search(node.value):
                    return True
    return False


def telemetry_code(site: Site) -> bool | None:
    """The function or module records metrics or traces: telemetry must never break the work it observes."""
    return shapes.telemetry_context(site.func, site.ctx) or None


def placeholder_checked_next(site: Site) -> bool | None:
    """It stores a placeholder that the statement right after the ``try`` tests and then fails on (``if stream is None: raise``)."""
    if site.try_node is None or not site.path.placeholder:
        return None
    return shapes.placeholder_checked(site.handler, site.try_node, site.verdict if site.verdict == "assign" else "assign", site.ctx)


def placeholder_guarded(site: Site) -> bool | None:
    """Every later use of the placeholder it stores sits under a test of it (``server_version = None``, then
    ``if server_version is not None: result["server_version"] = server_version``): the code handles its absence.
    Not for a cache or flag lookup, whose every error then reads as a miss."""
    if site.try_node is None or site.func is None or not site.path.placeholder:
        return None
    names = {t.id for stmt in site.handler.body if isinstance(stmt, ast.Assign) for t in stmt.targets if isinstance(t, ast.Name)}
    if not names or shapes.cache_lookup(site.try_node, site.ctx):
        return False if names else None
    return guarded_uses(names, site.try_node, site.ctx)


def cleanup_or_optional_import(site: Site) -> bool | None:
    """The ``try`` only cleans up (also through a worker thread: ``asyncio.to_thread(os.remove, path)``), records
    telemetry or imports an optional module."""
    try_node = site.try_node
    return (try_node is not None and (shapes.benign_try(try_node, site.ctx) or thread_cleanup(try_node, site.ctx))) or None


def designed_timeout(site: Site) -> bool | None:
    """It catches the timeout of a wait the code bounded itself: the designed "nothing arrived" of a poll."""
    return (site.try_node is not None and shapes.designed_timeout(site.caught, site.try_node, site.ctx)) or None


def probe_with_else(site: Site) -> bool | None:
    """``try: ... except: pass else: return x``, or ``try: check(x); continue`` in a loop, then a fallback: the
    failure is the answer."""
    if site.try_node is None:
        return None
    if shapes.probe(site.try_node, site.verdict):
        return True
    body = site.try_node.body
    if site.verdict == "pass" and body and leaves(body[-1]) and shapes.statements_after(site.try_node, site.ctx):
        # ``try: builtin(); continue`` / ``except Exception: pass`` / ``registered.add(name)``, or a decode that
        # answers on success and falls back to the default image: a local probe, no service asked
        local = not any(
            isinstance(n, ast.Call) and (external_call(n, site.ctx) is not None or shapes.through_client(n) or project_call(n, site.ctx))
            for n in body_nodes(body)
        )
        return local or None
    return None


def raise_after_the_try(site: Site) -> bool | None:
    """The statement right after the ``try`` raises: the function fails anyway."""
    return (site.try_node is not None and shapes.raises_after(site.try_node, site.ctx)) or None


def prepared_default(site: Site) -> bool | None:
    """A default set before the ``try`` stands when the one assignment in it fails."""
    return (site.try_node is not None and preset_fallback(site.try_node, site.verdict, site.ctx)) or None


def contract_fallback(site: Site) -> bool | None:
    """A resilience contract declares a fallback for every failure mode this handler catches."""
    return (site.try_node is not None and declares_fallback(site.handler, site.try_node, site.ctx)) or None


def next_alternative_or_poll(site: Site) -> bool | None:
    """A loop tries the next alternative, or polls again after a sleep."""
    if site.verdict not in ("continue", "pass") and not site.verdict.startswith("log:"):
        return None
    return shapes.tries_alternatives(site.ctx, broad=site.caught.kind is CatchKind.BROAD) or shapes.polls_with_sleep(site.handler, site.verdict, site.ctx) or None


def cleanup_method(site: Site) -> bool | None:
    """It sits in a cleanup or dunder method (``close``, ``__exit__``, ``__repr__``): they must not raise."""
    return (site.func is not None and shapes.cleanup_function(site.func.name)) or None


def error_kept_for_later(site: Site) -> bool | None:
    """The handler keeps the error (``last_error = exc``, ``errors.append(exc)``) and a ``raise`` after the loop
    or the ``try`` reports it: the failure is deferred, not dropped."""
    name = site.handler.name
    if not name or site.func is None:
        return None
    keepers: set[str] = set()
    for stmt in body_nodes(site.handler.body):
        value = target = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            value, target = stmt.value, stmt.targets[0]
        elif isinstance(stmt, ast.Call) and isinstance(stmt.func, ast.Attribute) and stmt.func.attr in ("append", "add", "extend", "put", "setdefault") and stmt.args:
            value, target = stmt.args[-1], stmt.func.value
        if value is not None and target is not None and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(value)):
            keepers.add(ast.unparse(target.value if isinstance(target, ast.Subscript) else target))
    if not keepers:
        return None
    end = site.handler.end_lineno or site.handler.lineno
    for node in body_nodes(site.func.body):  # ``msg = f"... {pickle_error}"`` then ``raise HashError(msg)``
        if isinstance(node, ast.Assign) and node.lineno > end and any(ast.unparse(n) in keepers for n in ast.walk(node.value) if isinstance(n, (ast.Name, ast.Attribute))):
            keepers |= {ast.unparse(t) for t in node.targets if isinstance(t, ast.Name)}
    for node in shapes.walk_outside_handlers(site.func):
        if isinstance(node, ast.Assign) and node.lineno > end and any(isinstance(t, ast.Subscript) for t in node.targets):
            if any(ast.unparse(n) in keepers for n in ast.walk(node.value) if isinstance(n, (ast.Name, ast.Attribute))):
                # ``results[name] = result`` (the caught error itself): handed back to the caller with the rest
                keepers |= {ast.unparse(t.value) for t in node.targets if isinstance(t, ast.Subscript)}
    for node in shapes.walk_outside_handlers(site.func):
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("append", "extend", "add", "put")
            and node.lineno > end and any(ast.unparse(n) in keepers for a in node.args for n in ast.walk(a) if isinstance(n, (ast.Name, ast.Attribute)))
        ):
            return True  # ``output.append({"output": ci_output})``: the error text is the recorded result
        if isinstance(node, ast.Assign) and node.lineno > end and any(isinstance(t, ast.Subscript) for t in node.targets) and any(
            ast.unparse(n) in keepers for n in ast.walk(node.value) if isinstance(n, ast.Name)
        ) and _mentions_error(site):
            return True  # ``item["output"] = ci_output`` where ``ci_output = str(exc)``
    for node in shapes.walk_outside_handlers(site.func):
        if not isinstance(node, (ast.Raise, ast.Return)) or node.lineno <= end:
            continue
        if any(ast.unparse(n) in keepers for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute))):
            return True
    for node in body_nodes(site.func.body):
        if isinstance(node, ast.If) and node.lineno > end and any(ast.unparse(n) in keepers for n in ast.walk(node.test) if isinstance(n, (ast.Name, ast.Attribute))):
            if any(isinstance(n, ast.Raise) for n in body_nodes(node.body)):
                return True
    return False


def _mentions_error(site: Site) -> bool:
    """The handler builds a value from the error itself (``ci_output = str(exc)``), not a stand-in."""
    name = site.handler.name
    return bool(name) and any(
        isinstance(stmt, ast.Assign) and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(stmt.value))
        for stmt in site.handler.body
    )


def display_only_placeholder(site: Site) -> bool | None:
    """The placeholder the handler stores is only shown afterwards (``mod_version = ""`` for a log line or a
    label): nothing computes with it."""
    if site.func is None or site.try_node is None or not site.path.placeholder:
        return None
    names = {t.id for stmt in site.handler.body if isinstance(stmt, ast.Assign) for t in stmt.targets if isinstance(t, ast.Name)}
    if not names:
        return None
    shown_only = True
    used = False
    for node in after_nodes(site.func, site.try_node, site.ctx):
        if isinstance(node, ast.Name) and node.id in names and isinstance(node.ctx, ast.Load):
            used = True
            shown_only = shown_only and _in_display(node, site)
    return (used and shown_only) or False


def _in_display(name: ast.Name, site: Site) -> bool:
    """``name`` sits in the arguments of a log call, or in an f-string or ``%``/``format`` text passed to one."""
    for node in body_nodes(site.func.body):
        if isinstance(node, ast.Call) and logcalls.as_log_call(node, site.ctx) is not None:
            if any(n is name for argument in [*node.args, *(k.value for k in node.keywords)] for n in ast.walk(argument)):
                return True
    return False


def explicit_answer(site: Site) -> bool | None:
    """The returned constant is the function's answer: ``False`` from a predicate or a True/False function, an error
    code from a function whose success is ``None``."""
    if not site.verdict.startswith("return") or site.func is None:
        return None
    func, verdict = site.func, site.verdict
    if site.try_node is not None and site.path.value is not None and _empty(site.path.value) and shapes.parse_answer(func, site.try_node, site.ctx):
        return True
    value = site.path.value
    if isinstance(value, ast.Constant) and isinstance(value.value, str) and _ERROR_MARK.search(value.value):
        return True  # ``return "(error)"``, ``return "failed to format arguments"``: the text says it failed
    return shapes.predicate_answer(func, verdict) or shapes.success_flag(func, verdict) or shapes.error_code(func, verdict)


def nothing_can_reach_it(site: Site) -> bool | None:
    """Every call in the ``try`` that could fail is a project function that answers its own failures (its body is
    one ``try`` with a broad handler that does not raise): no error reaches this handler, and the swallow to fix,
    if any, is in the callee."""
    if site.try_node is None:
        return None
    calls = [n for n in body_nodes(site.try_node.body) if isinstance(n, ast.Call) and shapes.can_fail(n, site.ctx)]
    if not calls:
        return None
    return all(answers_its_own_failures(call, site.ctx) for call in calls)


EXEMPTIONS: tuple[Exemption, ...] = (
    retry_loop_handler,
    documented_fallback,
    explained_in_a_comment,
    narrow_outcome_checked,
    condition_decides,
    normal_answer,
    callers_check_the_answer,
    disabled_answer_checked,
    error_report_detail,
    degraded_source_logged,
    nothing_can_reach_it,
    only_unread_callees,
    nothing_can_fail,
    only_a_not_found,
    existing_row_fetched,
    checked_status_success,
    stream_pump_ends,
    request_body_fallback,
    stream_generator_ends,
    fail_closed_predicate,
    fail_closed_refusal,
    fallback_the_callers_want,
    end_of_the_line_logged,
    optional_component_start,
    display_only_figures,
    declared_silent,
    best_effort_function,
    local_computation,
    announced_in_the_log,
    telemetry_code,
    placeholder_checked_next,
    placeholder_guarded,
    cleanup_or_optional_import,
    designed_timeout,
    probe_with_else,
    raise_after_the_try,
    same_as_no_result,
    prepared_default,
    contract_fallback,
    next_alternative_or_poll,
    cleanup_method,
    explicit_answer,
    error_kept_for_later,
    display_only_placeholder,
    never_referenced,
    logged_field,
    cache_fill_only,
)


def describe(exempt: Exemption) -> str:
    """An exemption's docstring, its first paragraph on one line (for the hover)."""
    paragraph = (exempt.__doc__ or exempt.__name__).strip().split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


_FALLBACK_DOC = re.compile(r"\bfall(?:s|ing)? ?back\b|\bdefaults? to\b|\botherwise (?:the )?default\b", re.IGNORECASE)


_NONE_DOC = re.compile(r"\b(?:or|returns?|answers?|gives?|is)\s+(?:``)?None\b|\bempty\b|\bno result\b|\bor an empty\b", re.IGNORECASE)
