"""Module-level additions a fix may need: imports, a logger, a domain error class.

They go into the module's header (docstring, ``__future__`` and the first run of
imports), which libcst parses on its own; imports are added with libcst's
``AddImportsVisitor``, definitions right after the header.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from sadpath.fixes.region import FixRefused, line_edits
from sadpath.model import Edit
from sadpath.source import SourceFile, split_lines


@dataclass
class ModuleAdditions:
    imports: list[tuple[str, str | None]] = field(default_factory=list)  # (module, name) as in AddImportsVisitor
    definitions: list[str] = field(default_factory=list)  # top-level source blocks

    def __bool__(self) -> bool:
        return bool(self.imports or self.definitions)


def header_end(tree: ast.Module) -> int:
    """Last line of the module header: docstring, then imports (0 when there is none)."""
    end = 0
    for index, stmt in enumerate(tree.body):
        if index == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            end = stmt.end_lineno or stmt.lineno
            continue
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            end = stmt.end_lineno or stmt.lineno
            continue
        break
    return end


def has_module_import(tree: ast.Module, module: str, name: str | None = None) -> bool:
    for stmt in tree.body:
        if name is None and isinstance(stmt, ast.Import):
            if any(alias.name == module and alias.asname is None for alias in stmt.names):
                return True
        if name is not None and isinstance(stmt, ast.ImportFrom) and stmt.module == module and not stmt.level:
            if any(alias.name == name and alias.asname is None for alias in stmt.names):
                return True
    return False


def module_binds(tree: ast.Module, name: str) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            return True
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            return True
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
            return True
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                bound = alias.asname or alias.name.split(".")[0]
                if bound == name:
                    return True
    return False


def _with_stdlib_imports(tree: ast.Module, header_lines: list[str], modules: list[str]) -> str:
    """Header text with ``import <module>`` lines placed in the standard-library group, in order (PEP 8)."""
    text = "".join(header_lines)
    for module in sorted(modules):
        text = _with_stdlib_import(text, module)
    return text


def _with_stdlib_import(header: str, module: str) -> str:
    lines = split_lines(header)
    try:
        statements = [s for s in ast.parse(header).body if isinstance(s, (ast.Import, ast.ImportFrom))]
    except SyntaxError:
        statements = []
    new = f"import {module}\n"

    def name_of(stmt: ast.stmt) -> str:
        return stmt.names[0].name if isinstance(stmt, ast.Import) else (stmt.module or "")

    def is_stdlib(stmt: ast.stmt) -> bool:
        name = name_of(stmt)
        return not getattr(stmt, "level", 0) and name.split(".")[0] in sys.stdlib_module_names and name != "__future__"

    stdlib = [s for s in statements if is_stdlib(s)]
    others = [s for s in statements if not is_stdlib(s) and name_of(s) != "__future__"]
    if stdlib:
        plain = [s for s in stdlib if isinstance(s, ast.Import)]
        after = [s for s in plain if name_of(s) > module]
        if after:
            index = after[0].lineno - 1
        else:
            index = (plain[-1] if plain else stdlib[-1]).end_lineno or 0
            if not plain:
                index = stdlib[0].lineno - 1  # plain imports go before the from-imports of the group
        return "".join(lines[:index] + [new] + lines[index:])
    if others:
        index = others[0].lineno - 1
        return "".join(lines[:index] + [new, "\n"] + lines[index:])
    futures = [s for s in statements if name_of(s) == "__future__"]
    index = (futures[-1].end_lineno or 0) if futures else len(lines)
    prefix = lines[:index]
    block = [new] if not (prefix and prefix[-1].strip()) else ["\n", new]
    return "".join(prefix + block + lines[index:])


def third_party_before(stmt: ast.stmt, third_party: list[ast.stmt]) -> bool:
    return any(t.lineno < stmt.lineno for t in third_party)


def additions_edits(source: SourceFile, tree: ast.Module, additions: ModuleAdditions) -> list[Edit]:
    if not additions:
        return []
    end = header_end(tree)
    header_lines = [source.line_with_ending(n) for n in range(1, end + 1)]
    header_text = "".join(header_lines)
    if header_text and not header_text.endswith("\n"):
        header_text += "\n"
    new_header = header_text
    missing_imports = list(dict.fromkeys((m, n) for m, n in additions.imports if not has_module_import(tree, m, n)))
    stdlib = [(m, n) for m, n in missing_imports if n is None and m.split(".")[0] in sys.stdlib_module_names]
    missing_imports = [i for i in missing_imports if i not in stdlib]
    if stdlib:
        header_text = _with_stdlib_imports(tree, header_lines, [m for m, _ in stdlib])
        new_header = header_text
    if missing_imports:
        try:
            module = cst.parse_module(header_text)
        except cst.ParserSyntaxError as exc:
            raise FixRefused(f"libcst cannot parse the module header: {exc.message}") from exc
        context = CodemodContext()
        for mod, name in missing_imports:
            AddImportsVisitor.add_needed_import(context, mod, name)
        new_header = AddImportsVisitor(context).transform_module(module).code
    parts = [new_header] if new_header else []
    for definition in additions.definitions:
        if parts:
            parts.append("\n\n")
        parts.append(definition.rstrip("\n") + "\n")
    if additions.definitions:
        following = source.line(end + 1)
        parts.append("\n" if not following.strip() else "\n\n")
    elif not header_text and new_header:
        parts.append("\n")
    new_lines = split_lines("".join(parts))
    return line_edits(header_lines, new_lines, 1)
