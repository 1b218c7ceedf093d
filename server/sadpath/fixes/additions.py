"""Module-level additions a fix may need: imports, a logger, a domain error class, a helper function.

Every builder that needs something at module level fills a ``ModuleAdditions`` and calls ``additions_edits``,
which decides where each piece goes, so all fixes lay out a module the same way:

* **imports** go into the group they belong to (``__future__``, standard library, third-party, first-party),
  following the file's order: beside the imports of the same group, at their sorted place when the group is
  sorted; a ``from m import n`` joins an existing ``from m import ...``; a group the file does not have yet is
  opened after the group before it (or before the group after it), with a blank line between groups.
  First-party means a relative import, the file's own top-level package, or a module beside it.
* **a logger** (``logger = logging.getLogger(__name__)``) goes right after the imports; other assignments after
  the module's constants.
* **classes and functions** go in one block after the imports and the module constants (before the first
  ``def`` or ``class``), a base class before its subclasses; a class whose base the module defines goes after
  that base's family. Two blank lines around each, as PEP 8 has it, without ever making three.

All of it lies before the code the fix rewrites (``region``), which it never overlaps: module-level code that
uses a new name runs after its definition.
"""

from __future__ import annotations

import ast
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache

from sadpath.fixes.region import FixRefused, Region, line_edits
from sadpath.engine.reparse import first_line
from sadpath.model import Edit, Span
from sadpath.source import SourceFile, split_lines

FUTURE, STDLIB, THIRD_PARTY, FIRST_PARTY = 0, 1, 2, 3


@dataclass
class ModuleAdditions:
    imports: list[tuple[str, str | None]] = field(default_factory=list)  # (module, name) as in AddImportsVisitor
    definitions: list[str] = field(default_factory=list)  # top-level source blocks, each one statement
    unused: set[str] = field(default_factory=set)  # names the fix stopped using: their imports go (RemoveImportsVisitor)
    # top-level blocks that use a module-level object (an error handler registered on ``app``): each goes after
    # the line that binds it, and after the new classes
    registrations: list[tuple[int, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.imports or self.definitions or self.unused or self.registrations)

    def register_after(self, line: int, source: str) -> None:
        """Add a top-level block that needs what line ``line`` binds (once per defined name)."""
        name = defined_name(source)
        if name is not None and any(defined_name(d) == name for _, d in self.registrations):
            return
        self.registrations.append((line, source))

    def add_import(self, module: str, name: str | None = None) -> None:
        if (module, name) not in self.imports:
            self.imports.append((module, name))

    def define(self, source: str) -> None:
        """Add a top-level definition once (a second definition of the same name is dropped)."""
        name = defined_name(source)
        if name is not None and any(defined_name(d) == name for d in self.definitions):
            return
        self.definitions.append(source)


def defined_name(source: str) -> str | None:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    stmt = body[0] if body else None
    if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        return stmt.name
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id
    return None


def has_module_import(tree: ast.Module, module: str, name: str | None = None, before: int | None = None) -> bool:
    """The module imports ``module`` (or ``name`` from it) at its top level (above line ``before``, when given:
    an import further down does not bind the name for code above it)."""
    for stmt in tree.body:
        if before is not None and stmt.lineno >= before:
            break
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


# ---- import groups


@lru_cache(maxsize=256)
def outer_package(directory: str) -> tuple[str, str | None]:
    """The folder that holds the outermost package ``directory`` belongs to, and that package's name (None when
    ``directory`` is no package)."""
    root, package = directory, None
    while os.path.isfile(os.path.join(root, "__init__.py")):
        package = os.path.basename(root)
        parent = os.path.dirname(root)
        if parent == root:
            break
        root = parent
    return root, package


def _first_party_names(directory: str) -> frozenset[str]:
    """The top-level names importable as the project's own from a file in ``directory``: its top-level package
    and the modules and packages beside that package (or beside the file, outside a package)."""
    root, package = outer_package(directory)
    names = {package} if package else set()
    try:
        entries = os.listdir(root)
    except OSError:
        entries = []
    for entry in entries[:2000]:
        if entry.endswith(".py") and entry[:-3].isidentifier():
            names.add(entry[:-3])
        elif entry.isidentifier() and os.path.isfile(os.path.join(root, entry, "__init__.py")):
            names.add(entry)
    return frozenset(names)


def import_group(module: str, level: int, path: str) -> int:
    if level:
        return FIRST_PARTY
    top = module.split(".", 1)[0]
    if top == "__future__":
        return FUTURE
    if top in _first_party_names(os.path.dirname(os.path.abspath(path))):
        return FIRST_PARTY
    if top in sys.stdlib_module_names:
        return STDLIB
    return THIRD_PARTY


def _import_key(stmt: ast.stmt) -> str:
    if isinstance(stmt, ast.Import):
        return stmt.names[0].name.lower()
    return ("." * stmt.level + (stmt.module or "")).lower()


def _leading_imports(tree: ast.Module) -> list[ast.stmt]:
    """Top-level imports before the first function or class: the module's import section."""
    out = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            break
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            out.append(stmt)
    return out


def _with_import(text: str, module: str, name: str | None, path: str) -> str:
    """``text`` (the module's opening lines, whole statements) with one import added in its place."""
    lines = split_lines(text)
    tree = ast.parse(text)
    imports = _leading_imports(tree)
    group = import_group(module, 0, path)
    if name is not None:
        joined = _join_from_import(lines, imports, module, name)
        if joined is not None:
            return joined
    new = f"import {module}\n" if name is None else f"from {module} import {name}\n"
    key = module.lower()
    same = [s for s in imports if _group_of(s, path) == group]
    if same:
        plain = [s for s in same if isinstance(s, ast.Import)]
        froms = [s for s in same if isinstance(s, ast.ImportFrom)]
        kind = plain if name is None else froms
        ordered = [_import_key(s) for s in kind] == sorted(_import_key(s) for s in kind)
        later = [s for s in kind if _import_key(s) > key] if ordered else []
        if later:
            index = first_line(later[0]) - 1
        elif kind:
            index = kind[-1].end_lineno or kind[-1].lineno
        elif name is None:  # the group's first plain import: before its from-imports
            index = first_line(froms[0]) - 1
        else:
            index = plain[-1].end_lineno or plain[-1].lineno
        return "".join(lines[:index] + [new] + lines[index:])
    before = [s for s in imports if _group_of(s, path) < group]
    after = [s for s in imports if _group_of(s, path) > group]
    if before:
        index = before[-1].end_lineno or before[-1].lineno
        block = ["\n", new]
        if index < len(lines) and lines[index].strip():
            block.append("\n")
        return "".join(lines[:index] + block + lines[index:])
    if after:
        index = first_line(after[0]) - 1
        return "".join(lines[:index] + [new, "\n"] + lines[index:])
    # no imports at all: after the docstring, else at the top
    index = 0
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant):
        index = tree.body[0].end_lineno or 0
        return "".join(lines[:index] + ["\n", new] + lines[index:])
    return "".join([new, "\n"] + lines)


def _group_of(stmt: ast.stmt, path: str) -> int:
    return import_group(_import_key(stmt).lstrip("."), getattr(stmt, "level", 0) or 0, path)


def _join_from_import(lines: list[str], imports: list[ast.stmt], module: str, name: str) -> str | None:
    """Add ``name`` to an existing ``from module import ...`` (one line, no parentheses across lines)."""
    for stmt in imports:
        if not (isinstance(stmt, ast.ImportFrom) and stmt.module == module and not stmt.level):
            continue
        if any(a.name == "*" for a in stmt.names):
            return None
        line = lines[stmt.lineno - 1]
        if stmt.end_lineno != stmt.lineno or "(" in line or ";" in line or "#" in line or "\\" in line:
            return None
        names = [a.name if a.asname is None else f"{a.name} as {a.asname}" for a in stmt.names]
        plain = [a.name for a in stmt.names]
        if plain == sorted(plain) or plain == sorted(plain, key=str.lower):
            position = next((i for i, n in enumerate(plain) if n > name), len(plain))
        else:
            position = len(names)
        names.insert(position, name)
        indent = line[: len(line) - len(line.lstrip())]
        ending = line[len(line.rstrip("\r\n")) :]
        new_line = f"{indent}from {module} import {', '.join(names)}{ending}"
        if len(new_line.rstrip()) > 110:
            return None
        return "".join(lines[: stmt.lineno - 1] + [new_line] + lines[stmt.lineno :])
    return None


def _without_imports(text: str, names: set[str]) -> str:
    """``text`` without the import aliases that bind ``names`` (a statement left with none goes; statements over
    several lines or with comments are left as they are)."""
    lines = split_lines(text)
    tree = ast.parse(text)
    for stmt in reversed(_leading_imports(tree)):
        if stmt.end_lineno != stmt.lineno or isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            continue
        line = lines[stmt.lineno - 1]
        if "#" in line or ";" in line or "\\" in line:
            continue
        bound = [(a, a.asname or a.name.split(".")[0]) for a in stmt.names]
        kept = [a for a, b in bound if b not in names]
        if len(kept) == len(bound):
            continue
        if not kept:
            del lines[stmt.lineno - 1]
            continue
        spelled = ", ".join(a.name if a.asname is None else f"{a.name} as {a.asname}" for a in kept)
        indent = line[: len(line) - len(line.lstrip())]
        ending = line[len(line.rstrip("\r\n")) :]
        head = f"from {'.' * stmt.level}{stmt.module or ''} import " if isinstance(stmt, ast.ImportFrom) else "import "
        lines[stmt.lineno - 1] = f"{indent}{head}{spelled}{ending}"
    return "".join(lines)


# ---- definitions


def _is_constant(stmt: ast.stmt) -> bool:
    """A statement of the module's opening: imports, constants, a logger, try-imports, TYPE_CHECKING blocks."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return True
    if isinstance(stmt, ast.Try):
        return all(isinstance(s, (ast.Import, ast.ImportFrom, ast.Assign, ast.Pass)) for s in stmt.body)
    if isinstance(stmt, ast.If):
        test = ast.unparse(stmt.test)
        return "TYPE_CHECKING" in test or "version_info" in test
    return False


def _kind(source: str) -> str:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return "block"
    stmt = body[0] if body else None
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        value = stmt.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in ("getLogger", "get_logger"):
            return "logger"
        return "assignment"
    if isinstance(stmt, ast.ClassDef):
        return "class"
    return "block"


def _bases(source: str) -> list[str]:
    stmt = ast.parse(source).body[0]
    return [b.id for b in stmt.bases if isinstance(b, ast.Name)] if isinstance(stmt, ast.ClassDef) else []


def _blank_after(source: SourceFile, line: int) -> int:
    """How many blank lines follow ``line`` before the next non-blank line (or the end)."""
    count = 0
    while line + count + 1 <= source.line_count and not source.line(line + count + 1).strip():
        count += 1
    return count


def _insertion(source: SourceFile, after: int, pieces: list[tuple[str, int, int]], closing: int) -> Edit:
    """Insert the pieces after line ``after``: between two pieces the larger of their gaps in blank lines, none
    before the first at the top of the file, and after the last enough that the existing gap to the next
    statement is at least ``closing`` (never more than the pieces need: no three blank lines)."""
    text = ""
    for index, (block, before, _) in enumerate(pieces):
        gap = (before if after else 0) if index == 0 else max(before, pieces[index - 1][2])
        text += "\n" * gap + block.rstrip("\n") + "\n"
    existing = _blank_after(source, after)
    at_end = after + existing >= source.line_count
    if not at_end:
        text += "\n" * max(0, closing - existing)
    if after >= source.line_count:
        last = source.line(source.line_count) if source.line_count else ""
        prefix = "" if not source.text or source.text.endswith(("\n", "\r")) else "\n"
        return Edit(Span(source.line_count, len(last), source.line_count, len(last)), prefix + text.rstrip("\n") + "\n")
    return Edit(Span(after + 1, 0, after + 1, 0), text)


def additions_edits(
    source: SourceFile, tree: ast.Module, additions: ModuleAdditions, region: Region | int | None = None
) -> list[Edit]:
    """The edits adding ``additions`` to the module, all before ``region`` (the code the fix rewrites: a Region
    or its first line)."""
    if not additions:
        return []
    stop = region.start_line if isinstance(region, Region) else (region or source.line_count + 1)
    edits: list[Edit] = []
    top = [s for s in tree.body if first_line(s) < stop]
    imports = _leading_imports(ast.Module(body=top, type_ignores=[]))
    missing = list(dict.fromkeys((m, n) for m, n in additions.imports if not has_module_import(tree, m, n, stop)))
    import_end = (imports[-1].end_lineno or imports[-1].lineno) if imports else _docstring_end(tree)
    if missing or additions.unused:
        end = import_end
        old_lines = [source.line_with_ending(n) for n in range(1, end + 1)]
        text = "".join(old_lines)
        if text and not text.endswith("\n"):
            text += "\n"
        if additions.unused:
            text = _without_imports(text, additions.unused)
        for module, name in missing:
            text = _with_import(text, module, name, source.path)
        edits += line_edits(old_lines, split_lines(text), 1)
    definitions = [d for d in dict.fromkeys(additions.definitions) if defined_name(d) is None or not module_binds(tree, defined_name(d) or "")]
    registrations = [(line, d) for line, d in additions.registrations if defined_name(d) is None or not module_binds(tree, defined_name(d) or "")]
    if not definitions and not registrations:
        return edits
    loggers = [d for d in definitions if _kind(d) == "logger"]
    assignments = [d for d in definitions if _kind(d) == "assignment"]
    classes = [d for d in definitions if _kind(d) == "class"]
    blocks = [d for d in definitions if _kind(d) == "block"]
    # the module's opening: imports and constants, up to the first def or class (or the fixed code)
    opening: list[ast.stmt] = []
    for stmt in top:
        if not _is_constant(stmt):
            break
        opening.append(stmt)
    opening_end = (opening[-1].end_lineno or opening[-1].lineno) if opening else 0
    points: dict[int, list[tuple[str, list[str]]]] = {}
    if loggers:
        after = import_end if import_end else opening_end
        points.setdefault(after, []).append(("logger", loggers))
    if assignments:
        points.setdefault(opening_end, []).append(("assignment", assignments))
    # classes: a base first; one whose base the module defines follows that base's family
    class_names = {defined_name(c) for c in classes}
    classes.sort(key=lambda d: any(b in class_names for b in _bases(d)))  # (the list is empty while it sorts)
    family_end: dict[str, int] = {}
    module_classes = {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
    for name, cls in module_classes.items():
        for base in [b.id for b in cls.bases if isinstance(b, ast.Name)] + [name]:
            family_end[base] = max(family_end.get(base, 0), cls.end_lineno or cls.lineno)
    new_names = class_names
    placed: dict[int, list[str]] = {}
    for cls_source in classes:
        bases = [b for b in _bases(cls_source) if b in module_classes and b not in new_names]
        after = max([family_end[b] for b in bases], default=opening_end)
        if not bases:
            # a new subclass goes with its new base
            new_bases = [b for b in _bases(cls_source) if b in new_names]
            if new_bases:
                after = next((p for p, items in placed.items() if any(defined_name(i) in new_bases for i in items)), opening_end)
        if after >= stop:
            raise FixRefused("the error's base class is defined after the code being fixed")
        placed.setdefault(after, []).append(cls_source)
    for after, items in placed.items():
        points.setdefault(after, []).append(("class", items))
    if blocks:
        points.setdefault(opening_end, []).append(("class", blocks))
    for line, block in registrations:
        after = max(line, opening_end, *placed)  # after what it uses and after the classes it names
        if after >= stop:
            raise FixRefused("the object the handler is registered on is bound after the code being fixed")
        points.setdefault(after, []).append(("class", [block]))
    for after in sorted(points):
        previous = next((s for s in top if (s.end_lineno or s.lineno) == after), None)
        pieces: list[tuple[str, int, int]] = []  # (source, blank lines before it, blank lines after it)
        for kind, items in points[after]:
            for item in items:
                if kind == "class":
                    gaps = (2, 2)
                elif kind == "logger":
                    gaps = (1, 1)
                else:
                    after_assignment = isinstance(previous, (ast.Assign, ast.AnnAssign)) and not pieces
                    gaps = (0 if after_assignment or (pieces and pieces[-1][2] == 1) else 1, 1)
                pieces.append((item, *gaps))
        next_stmt = next((s for s in tree.body if first_line(s) > after), None)
        closing = 2 if isinstance(next_stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else pieces[-1][2]
        edits.append(_insertion(source, after, pieces, closing))
    return _merge_same_point(edits)


def _docstring_end(tree: ast.Module) -> int:
    end = 0
    for index, stmt in enumerate(tree.body):
        if index == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            end = stmt.end_lineno or stmt.lineno
            continue
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            end = stmt.end_lineno or stmt.lineno
            continue
        break
    return end


def _merge_same_point(edits: list[Edit]) -> list[Edit]:
    """Insertions at the same place become one edit, in order (apply_edits refuses overlapping edits)."""
    out: list[Edit] = []
    for edit in edits:
        if out and edit.span == out[-1].span and edit.span.line == edit.span.end_line and edit.span.column == edit.span.end_column:
            out[-1] = Edit(edit.span, out[-1].text + edit.text)
            continue
        out.append(edit)
    return out
