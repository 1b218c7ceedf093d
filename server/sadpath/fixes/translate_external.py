"""Typed exception translation around an external call (SAD201, unsafe).

Wraps the statement holding the call in ``try``/``except`` over the failure
types that escape, most specific first, one branch per failure mode. Each
branch logs the service and the operation and raises a module-level domain
error ``from`` the original: ``PaymentGatewayTimeout(PaymentGatewayError)`` with
``status = 503``. The classes are defined once per module (after the imports),
and reused when the module already has them.
"""

from __future__ import annotations

import re

import libcst as cst

from sadpath.fixes.request import FixRequest, py_string
from sadpath.fixes.additions import ModuleAdditions, additions_edits, module_binds
from sadpath.fixes.nodes import module_logger, most_specific_first, region_statement, spell, statement_at
from sadpath.fixes.region import FixRefused
from sadpath import knowledge
from sadpath.knowledge import exception_hierarchy
from sadpath.model import Edit



def domain_classes(base: str, modes: list[str], service: str) -> list[tuple[str, str]]:
    """(class name, source) for the base error and one subclass per mode."""
    root = base if base.endswith("Error") else f"{base}Error"
    stem = root[: -len("Error")] or "Service"
    classes = [
        (
            root,
            f"class {root}(Exception):\n"
            f'    """{service[:1].upper() + service[1:]} failed; ``status`` is the HTTP status to answer with, the cause is ``__cause__``."""\n\n'
            f"    status = 502\n",
        )
    ]
    for mode in modes:
        known = knowledge.modes().get(mode)
        suffix, status = (known.error, known.status) if known is not None else ("Error", 502)
        name = f"{stem}{suffix}"
        if name == root:
            continue
        classes.append((name, f"class {name}({root}):\n    status = {status}\n"))
    return classes


def build(req: FixRequest) -> list[Edit]:
    data = req.finding.data
    raw = data.get("mode_exceptions") or {}
    if not isinstance(raw, dict):
        raise FixRefused("malformed finding data")
    mode_exceptions = {str(m): [str(e) for e in excs] for m, excs in raw.items() if m in knowledge.modes()}
    modes = list(mode_exceptions)
    base = str(data.get("domain_error") or "ServiceError")
    service = service_name(base, str(data.get("service") or "the service"))
    if not modes or not base.isidentifier():
        raise FixRefused("nothing to translate")
    statement = statement_at(req.tree, req.finding.span.line, req.finding.span.column, req.source)
    func = req.enclosing_function(statement.lineno)
    operation = func.name if func is not None else "startup"
    additions = ModuleAdditions()
    branches = []
    handled: set[str] = set()
    hierarchy = exception_hierarchy()
    stem = (base[: -len("Error")] if base.endswith("Error") else base) or "Service"
    for mode in sorted(modes, key=list(knowledge.modes()).index):
        these = [e for e in mode_exceptions[mode] if e not in handled]
        if not these:
            continue
        handled.update(these)
        spelled = [spell(e, req, additions) for e in most_specific_first(these, hierarchy)]
        caught = spelled[0] if len(spelled) == 1 else "(" + ", ".join(spelled) + ")"
        suffix, phrase = knowledge.modes()[mode].error, knowledge.modes()[mode].log
        error = f"{stem}{suffix}"
        depth = max(len(hierarchy.ancestors(e)) for e in these)
        branches.append((depth, caught, error, f"{service} {phrase} during {operation}"))
    if not branches:
        raise FixRefused("the failure types are already handled")
    # most specific first across branches too: a subclass's branch must come before its base's
    branches = [b[1:] for b in sorted(branches, key=lambda b: -b[0])]
    logger = module_logger(req.tree)
    if logger is None:
        logger = "logger" if not module_binds(req.tree, "logger") else "_sadpath_logger"
        additions.imports.append(("logging", None))
        additions.definitions.append(f"{logger} = logging.getLogger(__name__)")
    for name, source in domain_classes(base, modes, service):
        if not module_binds(req.tree, name):
            additions.definitions.append(source)
    region = req.region()
    column = req.source.char_col_from_utf8(statement.lineno, statement.col_offset)
    target = region_statement(region, statement.lineno, column)
    handlers = []
    extra = f'extra={{"service": {py_string(service)}, "operation": {py_string(operation)}}}'
    for caught, error, message in branches:
        handler_code = (
            f"try:\n    pass\nexcept {caught} as exc:\n"
            f"    {logger}.warning({py_string(message)}, {extra})\n"
            f"    raise {error}({py_string(message)}) from exc\n"
        )
        parsed = cst.parse_statement(handler_code)
        handlers.append(parsed.handlers[0])
    wrapped = cst.Try(body=cst.IndentedBlock(body=[target.with_changes(leading_lines=[])]), handlers=handlers)
    wrapped = wrapped.with_changes(leading_lines=target.leading_lines)
    module = region.module.deep_replace(target, wrapped)
    return additions_edits(req.source, req.tree, additions) + region.edits_for(module)


def service_name(base: str, label: str) -> str:
    """``PaymentGatewayError`` -> "payment gateway"; the generic ``ServiceError`` falls back to the library."""
    stem = base[: -len("Error")] if base.endswith("Error") else base
    if not stem or stem == "Service":
        return label
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", stem)
    return " ".join(w.lower() if not w.isupper() else w for w in words) or label


