"""Typed exception translation around an external call (SAD201, unsafe).

Wraps the statement holding the call in ``try``/``except`` over the failure
types that escape, most specific first, one branch per failure mode. Each
branch logs the service and the operation and raises a module-level domain
error ``from`` the original: ``PaymentGatewayTimeout(PaymentGatewayError)`` with
``status = 503``. The classes are defined once per module (after the imports),
and reused when the module already has them.
"""

from __future__ import annotations

import ast
import re

import libcst as cst

from sadpath.fixes._base import FixRequest, py_string
from sadpath.fixes._module import ModuleAdditions, additions_edits, module_binds
from sadpath.fixes._region import FixRefused
from sadpath.fixes.log_structured import module_logger
from sadpath.knowledge import exception_hierarchy
from sadpath.model import Edit

# mode -> (class suffix, status, what the log line says)
MODE_ERRORS = {
    "connection": ("Unavailable", 503, "is unreachable"),
    "timeout": ("Timeout", 503, "timed out"),
    "server-error": ("UpstreamError", 502, "answered with a server error"),
    "auth": ("AuthError", 401, "rejected the credentials"),
    "not-found": ("NotFound", 404, "did not find the resource"),
    "rate-limit": ("RateLimited", 429, "is throttling requests"),
    "client-error": ("RequestRejected", 400, "rejected the request"),
    "conflict": ("Conflict", 409, "hit a lock or write conflict"),
    "integrity": ("IntegrityError", 409, "rejected the write"),
    "serialization": ("BadResponse", 502, "sent an unreadable response"),
    "protocol": ("ProtocolError", 502, "broke the protocol"),
    "process": ("ProcessFailed", 500, "failed"),
    "io": ("IOError", 503, "failed"),
}
MODE_ORDER = tuple(MODE_ERRORS)


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
        suffix, status, _ = MODE_ERRORS.get(mode, ("Error", 502, "failed"))
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
    mode_exceptions = {str(m): [str(e) for e in excs] for m, excs in raw.items() if m in MODE_ERRORS}
    modes = list(mode_exceptions)
    base = str(data.get("domain_error") or "ServiceError")
    service = service_name(base, str(data.get("service") or "the service"))
    if not modes or not base.isidentifier():
        raise FixRefused("nothing to translate")
    statement = _statement_at(req.tree, req.finding.span.line, req.finding.span.column, req.source)
    func = req.enclosing_function(statement.lineno)
    operation = func.name if func is not None else "startup"
    additions = ModuleAdditions()
    branches = []
    handled: set[str] = set()
    hierarchy = exception_hierarchy()
    stem = (base[: -len("Error")] if base.endswith("Error") else base) or "Service"
    for mode in sorted(modes, key=MODE_ORDER.index):
        these = [e for e in mode_exceptions[mode] if e not in handled]
        if not these:
            continue
        handled.update(these)
        spelled = [_spell(e, req, additions) for e in _most_specific_first(these, hierarchy)]
        caught = spelled[0] if len(spelled) == 1 else "(" + ", ".join(spelled) + ")"
        suffix, _, phrase = MODE_ERRORS[mode]
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
    target = _region_statement(region, statement.lineno, column)
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


def _most_specific_first(names: list[str], hierarchy) -> list[str]:
    return sorted(names, key=lambda n: -len(hierarchy.ancestors(n)))


def service_name(base: str, label: str) -> str:
    """``PaymentGatewayError`` -> "payment gateway"; the generic ``ServiceError`` falls back to the library."""
    stem = base[: -len("Error")] if base.endswith("Error") else base
    if not stem or stem == "Service":
        return label
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", stem)
    return " ".join(w.lower() if not w.isupper() else w for w in words) or label


def _public_name(canonical: str) -> str:
    """``requests.exceptions.Timeout`` -> ``requests.Timeout`` when the package re-exports it."""
    hierarchy = exception_hierarchy()
    aliases = [alias for alias, target in hierarchy.aliases.items() if hierarchy.canonical(target) == canonical]
    candidates = [a for a in aliases if a.count(".") < canonical.count(".")]
    return min(candidates, key=len) if candidates else canonical


def _spell(canonical: str, req: FixRequest, additions: ModuleAdditions) -> str:
    """How the module can name an exception type, importing its package when needed."""
    public = _public_name(canonical)
    if "." not in public:
        return public
    package = public.split(".", 1)[0]
    for stmt in req.tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name == package:
                    return public if alias.asname is None else alias.asname + public[len(package) :]
                if public.startswith(alias.name + ".") and alias.asname is None:
                    return public
        if isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            for alias in stmt.names:
                if f"{stmt.module}.{alias.name}" in (public, canonical):
                    return alias.asname or alias.name
    module = public.rsplit(".", 1)[0]
    additions.imports.append((module, None))
    return public


def _statement_at(tree: ast.Module, line: int, column: int, source) -> ast.stmt:
    """The innermost statement holding the call at (line, column)."""
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if node.lineno <= line <= (node.end_lineno or node.lineno):
            if best is None or (node.lineno, node.col_offset) >= (best.lineno, best.col_offset):
                best = node
    if best is None:
        raise FixRefused(f"no statement at line {line}")
    return best


def _region_statement(region, line: int, column: int) -> cst.CSTNode:
    for node_type in (cst.SimpleStatementLine, cst.BaseCompoundStatement):
        try:
            node = region.node_at(node_type, line, column)
        except FixRefused:
            continue
        return node
    raise FixRefused(f"no statement at line {line}")
