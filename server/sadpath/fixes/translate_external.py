"""Typed exception translation around an external call (SAD201, unsafe).

Wraps the statement holding the call in ``try``/``except`` over the failure types that escape, most specific
first, one branch per failure mode, each raising the service's domain error ``from`` the original:
``except requests.Timeout as exc: raise PaystreamTimeout("paystream timed out during charge") from exc``. The
names come from ``domain_errors`` (the module's own or imported errors first, a contract's names, else a base
``<Service>Error`` and one subclass per mode with the status to answer with, defined after the imports). In a
view or route, a not-found becomes the framework's own 404 answer instead (``framework_answer``), and a route
whose app registers no handler for the domain error gets one that answers its status (``error_handler``). No log
line: whoever catches the domain error decides how to report it, and the traceback travels with it.
"""

from __future__ import annotations

import libcst as cst

from sadpath.fixes.request import FixRequest, py_string
from sadpath.fixes.additions import ModuleAdditions
from sadpath.fixes.domain_errors import DomainErrors, phrase
from sadpath.fixes.error_handler import register_answer
from sadpath.fixes.framework_answer import not_found_answer
from sadpath.fixes.nodes import most_specific_first, region_statement, spell, statement_at
from sadpath.fixes.place import task_of, task_retry_around
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath import knowledge
from sadpath.knowledge import exception_hierarchy
from sadpath.model import Edit


def build(req: FixRequest) -> list[Edit]:
    data = req.finding.data
    raw = data.get("mode_exceptions") or {}
    if not isinstance(raw, dict):
        raise FixRefused("malformed finding data")
    mode_exceptions = {str(m): [str(e) for e in excs] for m, excs in raw.items() if m in knowledge.modes()}
    modes = list(mode_exceptions)
    if not modes:
        raise FixRefused("nothing to translate")
    statement = statement_at(req.tree, req.finding.span.line, req.finding.span.column, req.source)
    func = req.enclosing_function(statement.lineno)
    operation = func.name if func is not None else "startup"
    additions = ModuleAdditions()
    task = task_of(req, statement.lineno)
    if task is not None and all(knowledge.modes()[m].retryable for m in modes):
        # in a Celery task a retry fits what a retry can cure (a timeout, a lost connection), not a domain error
        # nobody catches; a not-found or a refusal is translated as anywhere else
        hierarchy = exception_hierarchy()
        names = list(dict.fromkeys(e for mode in sorted(modes, key=list(knowledge.modes()).index) for e in mode_exceptions[mode]))
        caught = [spell(e, req, additions) for e in most_specific_first(names, hierarchy)]
        region = req.region()
        column = req.source.char_col_from_utf8(statement.lineno, statement.col_offset)
        target = region_statement(region, statement.lineno, column)
        return finish(req, region, task_retry_around(req, region, statement, target, caught, task), additions)
    errors = DomainErrors(req, additions)
    proposed = str(data.get("domain_error") or "")
    service = errors.service(proposed, str(data.get("service") or ""))
    base = errors.base(service, define=False)
    if proposed and proposed != base:
        req.title = req.offer.title.replace(proposed, base)
    branches = []
    handled: set[str] = set()
    hierarchy = exception_hierarchy()
    answer = not_found_answer(req, func)  # a view's not-found is the framework's 404, not a new class
    for mode in sorted(modes, key=list(knowledge.modes()).index):
        these = [e for e in mode_exceptions[mode] if e not in handled]
        if not these:
            continue
        handled.update(these)
        spelled = [spell(e, req, additions) for e in most_specific_first(these, hierarchy)]
        caught = spelled[0] if len(spelled) == 1 else "(" + ", ".join(spelled) + ")"
        message = py_string(f"{phrase(service)} {knowledge.modes()[mode].log} during {operation}")
        if mode == "not-found" and answer is not None:
            template, (module, name) = answer
            additions.add_import(module, name)
            raised = template.format(message=message)
        else:
            raised = f"{errors.for_mode(service, mode)}({message})"
        depth = max(len(hierarchy.ancestors(e)) for e in these)
        branches.append((depth, caught, raised))
    if answer is not None and set(modes) == {"not-found"}:
        req.title = f"Answer a 404 when the lookup misses (`{answer[1][1]}`)"
    if not branches:
        raise FixRefused("the failure types are already handled")
    if base in errors.known and any(base in errors.lineage(raised.split("(")[0]) for _, _, raised in branches):
        registered = register_answer(req, func, base, errors, additions)  # a route answers with the error's status
        if registered:
            req.notes.append(registered)
    # most specific first across branches too: a subclass's branch must come before its base's
    branches = [b[1:] for b in sorted(branches, key=lambda b: -b[0])]
    region = req.region()
    column = req.source.char_col_from_utf8(statement.lineno, statement.col_offset)
    target = region_statement(region, statement.lineno, column)
    handlers = []
    for caught, raised in branches:
        parsed = cst.parse_statement(f"try:\n    pass\nexcept {caught} as exc:\n    raise {raised} from exc\n")
        handlers.append(parsed.handlers[0])
    wrapped = cst.Try(body=cst.IndentedBlock(body=[target.with_changes(leading_lines=[])]), handlers=handlers)
    wrapped = wrapped.with_changes(leading_lines=target.leading_lines)
    module = region.module.deep_replace(target, wrapped)
    return finish(req, region, module, additions)
