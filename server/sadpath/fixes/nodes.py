"""Helpers several fix builders share: spelling exception types in the module, finding a call's statement."""

from __future__ import annotations

import ast

import libcst as cst

from sadpath.fixes.additions import ModuleAdditions
from sadpath.fixes.region import FixRefused
from sadpath.fixes.request import FixRequest
from sadpath.knowledge import exception_hierarchy

LOGGER_FACTORIES = {"logging": "getLogger", "structlog": "get_logger"}  # module -> the call that makes a logger


def most_specific_first(names: list[str], hierarchy) -> list[str]:
    return sorted(names, key=lambda n: -len(hierarchy.ancestors(n)))


def public_name(canonical: str) -> str:
    """``requests.exceptions.Timeout`` -> ``requests.Timeout`` when the package re-exports it."""
    hierarchy = exception_hierarchy()
    aliases = [alias for alias, target in hierarchy.aliases.items() if hierarchy.canonical(target) == canonical]
    candidates = [a for a in aliases if a.count(".") < canonical.count(".")]
    return min(candidates, key=len) if candidates else canonical


def spell(canonical: str, req: FixRequest, additions: ModuleAdditions) -> str:
    """How the module can name an exception type, importing its package when needed."""
    public = public_name(canonical)
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


def statement_at(tree: ast.Module, line: int, column: int, source) -> ast.stmt:
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


def region_statement(region, line: int, column: int) -> cst.CSTNode:
    for node_type in (cst.SimpleStatementLine, cst.BaseCompoundStatement):
        try:
            node = region.node_at(node_type, line, column)
        except FixRefused:
            continue
        return node
    raise FixRefused(f"no statement at line {line}")


def imports_root(tree: ast.Module, root: str) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.Import) and any(a.name.split(".")[0] == root for a in stmt.names):
            return True
        if isinstance(stmt, ast.ImportFrom) and (stmt.module or "").split(".")[0] == root:
            return True
    return False


def module_logger(tree: ast.Module) -> str | None:
    """The name of a module-level logger made by logging.getLogger or structlog.get_logger."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            value = stmt.value
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
                owner = value.func.value
                if isinstance(owner, ast.Name) and LOGGER_FACTORIES.get(owner.id) == value.func.attr:
                    return stmt.targets[0].id
    return None
