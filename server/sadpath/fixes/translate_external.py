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

import ast

import libcst as cst

from sadpath.fixes.request import FixRequest, py_string
from sadpath.fixes.additions import ModuleAdditions
from sadpath.fixes.domain_errors import DomainErrors, phrase
from sadpath.fixes.error_handler import register_answer
from sadpath.fixes.framework_answer import not_found_answer
from sadpath.fixes.nodes import most_specific_first, region_statement, spell, statement_at
from sadpath.fixes.place import skip_item_around, task_of, task_retry_around
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
    if data.get("place") in ("worker", "group"):  # a worker's loop: log with the traceback and go on with the next item
        hierarchy = exception_hierarchy()
        names = list(dict.fromkeys(e for mode in modes for e in mode_exceptions[mode]))
        names = _collapsed(names, hierarchy)
        caught = [spell(e, req, additions) for e in most_specific_first(names, hierarchy)]
        region = req.region()
        column = req.source.char_col_from_utf8(statement.lineno, statement.col_offset)
        target = region_statement(region, statement.lineno, column)
        stem = DomainErrors(req, additions).service(str(data.get("domain_error") or ""), str(data.get("service") or ""))
        what = f"{phrase(stem)} {_method(statement, req.finding.span)}".strip()
        return finish(req, region, skip_item_around(req, region, statement, target, caught, what, additions), additions)
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
    none_check = _none_answer(statement, mode_exceptions)
    errors = DomainErrors(req, additions)
    proposed = str(data.get("domain_error") or "")
    service = errors.service(proposed, str(data.get("service") or ""))
    base = errors.base(service, define=False)
    if proposed and proposed != base:
        req.title = req.offer.title.replace(proposed, base)
    answer = not_found_answer(req, func)  # a view's not-found is the framework's 404, not a new class
    if none_check is not None:
        return _answer_none(req, statement, none_check, answer, errors, service, additions)
    branches = []
    handled: set[str] = set()
    hierarchy = exception_hierarchy()
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


NONE_ANSWERING = frozenset({"sqlalchemy.exc.NoResultFound", "sqlalchemy.orm.exc.NoResultFound"})


def _none_answer(statement: ast.stmt, mode_exceptions: dict[str, list[str]]) -> tuple[str, ast.Call] | None:
    """``account = session.get(Account, pk)`` whose only escaping mode is the not-found: the lookup answers None
    and nothing raises ``NoResultFound`` (a ``try`` around it would catch nothing). (The name, the call.)"""
    if set(mode_exceptions) != {"not-found"} or not set(mode_exceptions["not-found"]) <= NONE_ANSWERING:
        return None
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name)):
        return None
    call = statement.value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "get"):
        return None
    return statement.targets[0].id, call


def _answer_none(req: FixRequest, statement: ast.stmt, none_check, answer, errors: DomainErrors, service: str, additions) -> list[Edit]:
    """``if account is None: raise NotFound(f"Account {account_id} not found")`` after the lookup: a route's
    framework answers 404, elsewhere the service's not-found error names what was missing."""
    name, call = none_check
    model = ast.unparse(call.args[0]) if call.args else name
    key = call.args[1] if len(call.args) > 1 else None
    if isinstance(key, (ast.Name, ast.Attribute, ast.Subscript)) and "{" not in ast.unparse(key) and '"' not in ast.unparse(key):
        message = f'f"{model} {{{ast.unparse(key)}}} not found"'
    else:
        message = py_string(f"{model} not found")
    if answer is not None:
        template, (module, imported) = answer
        additions.add_import(module, imported)
        raised = template.format(message=message)
        req.title = f"Answer a 404 when the lookup misses (`{imported}`)"
    else:
        raised = f"{errors.for_mode(service, 'not-found')}({message})"
        req.title = "Raise a not-found error when the lookup finds nothing"
    region = req.region()
    column = req.source.char_col_from_utf8(statement.lineno, statement.col_offset)
    target = region_statement(region, statement.lineno, column)
    check = cst.parse_statement(f"if {name} is None:\n    raise {raised}\n")
    module = region.module.deep_replace(target, cst.FlattenSentinel([target, check]))
    return finish(req, region, module, additions)


def _method(statement: ast.stmt, span) -> str:
    """``put_object``: the name of the call the finding is on, for the log message."""
    calls = [n for n in ast.walk(statement) if isinstance(n, ast.Call)]
    call = next((n for n in calls if (n.lineno, n.col_offset) == (span.line, span.column)), calls[0] if calls else None)
    func = call.func if call is not None else None
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


GENERIC_BASES = frozenset({"Exception", "BaseException", "OSError", "IOError", "EnvironmentError", "RuntimeError", "ValueError"})


def _collapsed(names: list[str], hierarchy) -> list[str]:
    """The fewest names that catch ``names``: two or more sharing a library's own base are caught by it
    (``BotoCoreError`` for botocore's connection, timeout and credential errors), and a name whose base is
    listed goes."""
    out = list(names)
    for name in names:
        for base in hierarchy.ancestors(name)[1:]:
            if base.rsplit(".", 1)[-1] in GENERIC_BASES:
                break
            if sum(1 for other in out if hierarchy.is_subclass(other, base)) >= 2:
                out = [o for o in out if not hierarchy.is_subclass(o, base)] + [base]
                break
    out = list(dict.fromkeys(out))
    return [e for e in out if not any(other != e and hierarchy.is_subclass(e, other) for other in out)]
