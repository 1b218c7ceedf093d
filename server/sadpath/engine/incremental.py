"""Incremental analysis for the language server: after an edit, only what it touched is parsed and analysed.

Parsing: ``engine.reparse`` re-parses just the method or top-level statement that holds the changed lines and
keeps every other node of the previous tree (the very same objects); other edits parse the whole text.

Analysis runs per *unit*: a top-level statement, or, for a top-level class, each of its methods and the
class "shell" (its header and class-level statements). *Local* rules (their findings depend only on the unit
and on the module's context: imports, module-level code, the names of its functions and classes, class
headers, facts the rules name through ``context_key``) are cached per unit:

* by node identity, for nodes the splice kept;
* by text, for nodes that were parsed again but did not change (a line added above moves them).

A method's findings also depend on its class (its header, class-level code, which methods are async, the
types of ``self.<attr>`` set in any method), so the class's digest is part of the method's key.
*Module-dependent* rules (SAD201 follows calls into other functions) run again on every analysis, over the
statements that can hold what they look for (a route, a task, ``main``).

An edit that changes only the text of comments, in place, keeps the tree (``reparse.splice``): what read none
of those lines in the last analysis keeps its findings (``SourceFile.reads`` records the lines each unit's walk,
the context keys and the module-dependent rules read), the rest is analysed again on the same tree; with no
reader, nothing is parsed or analysed. An edit to a suppression comment is parsed and analysed like any edit.

The result equals ``analyze()`` of the same text; property tests hold it to that.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import re
from dataclasses import dataclass, field

from sadpath.settings import Settings
from sadpath.engine import suppressions
from sadpath.engine.analyze import Analysis, module_name_for, parse
from sadpath.engine.syntax import Unsupported, feature_version
from sadpath.engine.context import ModuleContext
from sadpath.engine.reparse import Positions, first_line, splice
from sadpath.engine.semantic import SemanticModel
from sadpath.engine.walker import Root, RuleFailure, walk
from sadpath.knowledge import exception_hierarchy
from sadpath.model import Finding, Span
from sadpath.source import SourceFile

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_SUPPRESSION = re.compile(r"noqa|sadpath", re.IGNORECASE)  # a suppression directive may be there (or was)


@dataclass
class _Entry:
    first_line: int
    findings: list[Finding]
    reads: tuple = ()  # the (first, last) line ranges its rules read through the source, relative to first_line


@dataclass
class _Unit:
    root: Root
    first: int
    last: int
    scope: str  # the context the unit's findings depend on besides its text: "" or the class digest
    text_key: tuple | None = None  # computed only when the identity cache misses
    names: frozenset = frozenset()  # the identifiers in its text
    deps: tuple = ()  # (name, digest of its module-level bindings) of the module-level names it uses


@dataclass(slots=True)
class _Known:
    """What a kept node's unit was found with: reused when the node, the context and its dependencies are the same."""

    node: ast.AST
    context: str
    scope: str
    bindings: str
    names: frozenset
    deps: tuple
    entry: _Entry
    text_key: tuple | None  # the unit's key in the text cache (None: never computed)


@dataclass
class _Module:
    global_key: str  # what every unit depends on: settings, rules, module-level code that binds no name, ...
    bindings: dict[str, str]  # module-level name -> digest of what binds it
    refs: dict[str, frozenset]  # module-level name -> the identifiers its bindings read
    bindings_key: str


@dataclass
class IncrementalAnalyzer:
    """One per open document. ``analyze`` returns what ``engine.analyze`` would, re-using what did not change.
    The tree of an analysis is valid until the next ``analyze``: an edit that adds or removes lines moves the
    kept nodes in place."""

    cache: dict[tuple, _Entry] = field(default_factory=dict)  # by (context, scope, text, names used)
    by_node: dict[int, _Known] = field(default_factory=dict)  # id -> what the node's unit was last found with
    reused: int = 0  # units served from a cache in the last analysis (for tests and benchmarks)
    analyzed: int = 0  # units walked in the last analysis
    lines_parsed: int = 0  # lines parsed in the last analysis
    dependent_reused: bool = False  # whether the module-dependent rules' findings were moved, not found again
    _lines: list[str] | None = None
    _tree: ast.Module | None = None
    _context: str = ""
    _bindings: str = ""  # the digest of every module-level binding (``_method_memo`` resolves against them)
    _method_memo: dict = field(default_factory=dict)
    _positions: Positions = field(default_factory=Positions)
    _scopes: dict = field(default_factory=dict)  # id(class) -> (class, layout, bindings, scope digest)
    _layouts: dict = field(default_factory=dict)  # id(class) -> (class, shell layout): a class object's lines only move
    _keys: tuple = ()  # (settings key, the local rules' context keys) of the last analysis
    _dependent: tuple | None = None  # (context, [findings]) of the module-dependent rules in the last analysis
    # the line ranges the context keys and the module-dependent rules read in the last analysis (None: not known,
    # they were moved with the lines): a comment edit on a line one of them read is analysed again
    _key_reads: list | None = None
    _dependent_reads: list | None = None

    def analyze(self, source: SourceFile, settings: Settings, rules: list[type], *, known_rules=None) -> Analysis:
        lines = source._lines
        grammar = feature_version(settings.target_version)
        spliced = (
            splice(self._lines, self._tree, lines, source.text, grammar, self._positions)
            if self._tree is not None and self._lines is not None
            else None
        )
        if spliced is not None and spliced.comment_lines is not None and not self._comments_may_stay(spliced.comment_lines, lines, settings):
            spliced = splice(self._lines, self._tree, lines, source.text, grammar, self._positions, comment_edits=False)
        # comments alone changed (the same tree): what read none of their lines stays
        changed = spliced.comment_lines if spliced is not None else None
        if spliced is not None:
            tree, self.lines_parsed = spliced.tree, spliced.lines_parsed
        else:
            self._positions = Positions()
            parsed = parse(source, settings.target_version)
            self.lines_parsed = len(lines)
            if isinstance(parsed, Finding):
                self._forget()
                return Analysis(source, [parsed])
            if isinstance(parsed, Unsupported):
                self._forget()
                return Analysis(source, [], unsupported=parsed)
            tree = parsed
        statements = tree.body
        starts = [first_line(stmt) for stmt in statements]
        if _shares_lines(statements, starts):
            self._forget()
            from sadpath.engine.analyze import analyze

            self.reused, self.analyzed = 0, len(statements)
            return analyze(source, settings, rules, known_rules=known_rules)
        local = [r for r in rules if not r.module_dependent]
        dependent = [r for r in rules if r.module_dependent]
        module = _module_parts(statements, starts, source, settings, module_name_for(source.path), [r.code for r in rules])
        if module.bindings_key != self._bindings:
            self._method_memo = {}  # self.<attr> types resolve names against module-level bindings
            self._scopes = {}
        semantic = SemanticModel(tree, module_name_for(source.path), self._method_memo, source)
        ctx = ModuleContext(source, tree, semantic, exception_hierarchy(), settings, active=frozenset(r.code for r in rules))
        # a move of lines that leaves every other line as it was: the module-wide facts stay (line numbers aside)
        lines_only = spliced is not None and spliced.blank_only and getattr(settings, "coverage", None) is None
        settings_key = module.global_key
        keys_stay = lines_only or (changed is not None and not _hits(self._key_reads, *changed))
        if keys_stay and self._keys and self._keys[0] == settings_key:
            context_keys = self._keys[1]
            if spliced.delta:
                self._key_reads = None
        else:
            source.reads = []
            try:
                context_keys = ",".join(r.context_key(ctx) for r in local)
            finally:
                self._key_reads, source.reads = source.reads, None
        self._keys = (settings_key, context_keys)
        context = module.global_key + "|" + context_keys

        units = self._units(tree, starts, source, semantic, module.bindings_key)
        fresh_cache: dict[tuple, _Entry] = {}
        fresh_nodes: dict[int, _Known] = {}
        findings: list[Finding] = []
        to_walk: list[_Unit] = []
        for unit in units:
            node = unit.root.node
            known = self.by_node.get(id(node))
            entry = None
            if (
                known is not None and known.node is node and known.context == context and known.scope == unit.scope
                and (known.bindings == module.bindings_key or known.deps == _deps(known.names, module))
                and (changed is None or not _hits(known.entry.reads, *changed, known.entry.first_line))
            ):
                entry, unit.names, unit.deps, unit.text_key = known.entry, known.names, known.deps, known.text_key
            if entry is None:
                text = _unit_text(source, unit)
                unit.names = _names_in(text) if not unit.root.skip else _shell_names(node, source)
                unit.deps = _deps(unit.names, module)
                unit.text_key = (context, unit.scope, text, unit.deps)
                entry = self.cache.get(unit.text_key)
            if entry is None:
                to_walk.append(unit)
                continue
            delta = unit.first - entry.first_line
            moved = entry if delta == 0 else _Entry(unit.first, [_moved(f, delta) for f in entry.findings], entry.reads)
            findings.extend(moved.findings)
            if known is not None and known.entry is entry:  # the node's record, brought up to date
                known.bindings, known.entry = module.bindings_key, moved
                fresh_nodes[id(node)] = known
            else:
                fresh_nodes[id(node)] = _Known(node, context, unit.scope, module.bindings_key, unit.names, unit.deps, moved, unit.text_key)
            if unit.text_key is not None:
                fresh_cache[unit.text_key] = moved
        self.reused = len(units) - len(to_walk)
        self.analyzed = len(to_walk)

        failures: list[RuleFailure] = []
        if to_walk and local:
            instances = [rule() for rule in local]
            for unit in to_walk:
                ctx.findings = []
                source.reads = []
                try:
                    walked = walk(ctx, instances, roots=[unit.root])
                finally:
                    read, source.reads = source.reads, None
                failures.extend(walked.failures)
                own = list(ctx.findings)
                findings.extend(own)
                entry = _Entry(unit.first, own, tuple((a - unit.first, b - unit.first) for a, b in read))
                fresh_nodes[id(unit.root.node)] = _Known(unit.root.node, context, unit.scope, module.bindings_key, unit.names, unit.deps, entry, unit.text_key)
                if unit.text_key is not None:
                    fresh_cache[unit.text_key] = entry
        if failures:
            crashed = {f.code for f in failures}
            findings = [f for f in findings if f.code not in crashed]
            fresh_cache, fresh_nodes = {}, {}  # a crash is not remembered: the next analysis reports it again
        self.dependent_reused = False
        dependent_found: list[Finding] = []
        if dependent:
            previous = self._dependent
            if (lines_only or (changed is not None and not _hits(self._dependent_reads, *changed))) and previous is not None and previous[0] == context:
                dependent_found = [_mapped(f, spliced.new_line, source.path) for f in previous[1]]
                self.dependent_reused = True
                if spliced.delta:
                    self._dependent_reads = None
            else:
                ctx.findings = []
                source.reads = []
                try:
                    roots = [stmt for stmt in statements if any(rule.may_apply_to(stmt, ctx) for rule in dependent)]
                    crashed_before = len(failures)
                    if roots:
                        walked = walk(ctx, [rule() for rule in dependent], roots=roots)
                        failures.extend(walked.failures)
                        dependent_found = list(ctx.findings)
                finally:
                    self._dependent_reads, source.reads = source.reads, None
                if len(failures) > crashed_before:
                    context = ""  # not remembered
            findings.extend(dependent_found)
        else:
            self._dependent_reads = []
        self._dependent = (context, dependent_found) if dependent and not failures else None
        self.cache, self.by_node = fresh_cache, fresh_nodes
        self._lines, self._tree, self._context, self._bindings = lines, tree, context, module.bindings_key
        findings, suppressed, judged = suppressions.finish(
            ctx, findings, rules, known_rules, frozenset(f.code for f in failures)
        )
        failures.extend(judged)
        findings.sort(key=Finding.sort_key)
        return Analysis(source, findings, tree, semantic, failures, suppressed)

    def _comments_may_stay(self, changed: tuple[int, int], lines: list[str], settings: Settings) -> bool:
        """Whether an edit to the comments of old lines ``changed`` (in place) may keep the tree and the findings of
        what read none of those lines: no suppression comment among them (before or after), no coverage data
        (SAD302 reads the file on disk)."""
        lo, hi = changed
        if getattr(settings, "coverage", None) is not None:
            return False
        return not any(_SUPPRESSION.search(text) for text in (*self._lines[lo - 1 : hi], *lines[lo - 1 : hi]))

    def _units(self, tree: ast.Module, starts: list[int], source: SourceFile, semantic: SemanticModel, bindings: str) -> list[_Unit]:
        units: list[_Unit] = []
        for stmt, start in zip(tree.body, starts):
            methods = [member for member in stmt.body if isinstance(member, _DEFS)] if isinstance(stmt, ast.ClassDef) else []
            if not methods:
                units.append(_Unit(Root(stmt, (tree,)), start, stmt.end_lineno or stmt.lineno, ""))
                continue
            shell = Root(stmt, (tree,), frozenset(id(m) for m in methods))
            known = self._layouts.get(id(stmt))
            if known is not None and known[0] is stmt:  # the same class object: the same lines, perhaps moved
                layout = known[1]
            else:
                layout = _shell_layout(stmt, start, methods, source)
                self._layouts[id(stmt)] = (stmt, layout)
            units.append(_Unit(shell, start, stmt.end_lineno or stmt.lineno, "shell:" + layout))
            known = self._scopes.get(id(stmt))
            if known is not None and known[0] is stmt and known[1] == layout and known[2] == bindings:
                scope = known[3]
            else:
                scope = _class_digest(stmt, layout, methods, semantic)
                self._scopes[id(stmt)] = (stmt, layout, bindings, scope)
            for method in methods:
                units.append(_Unit(Root(method, (tree, stmt)), first_line(method), method.end_lineno or method.lineno, scope))
        if len(self._scopes) > 2 * len(tree.body) + 16:  # forget the classes edited away
            alive = {id(stmt) for stmt in tree.body}
            self._scopes = {k: v for k, v in self._scopes.items() if k in alive}
        if len(self._layouts) > 2 * len(tree.body) + 16:
            alive = {id(stmt) for stmt in tree.body}
            self._layouts = {k: v for k, v in self._layouts.items() if k in alive}
        return units

    def _forget(self) -> None:
        self.cache.clear()
        self.by_node.clear()
        self._lines = self._tree = None
        self._context = self._bindings = ""
        self._method_memo = {}
        self._positions = Positions()
        self._scopes, self._layouts = {}, {}
        self._keys = ()
        self._dependent = None
        self._key_reads = self._dependent_reads = None


def _shell_layout(cls: ast.ClassDef, start: int, methods: list[ast.stmt], source: SourceFile) -> str:
    """The class without its methods: header lines and class-level statements, placed relative to the class."""
    digest = hashlib.sha1()
    body_start = first_line(cls.body[0])
    digest.update(source.lines_text(start, body_start - 1).encode("utf-8", "surrogatepass"))
    for member in cls.body:
        if isinstance(member, _DEFS):
            continue
        first = first_line(member)
        text = source.lines_text(first, member.end_lineno or first)
        digest.update(f"{first - start}:{text}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _class_digest(cls: ast.ClassDef, layout: str, methods: list[ast.stmt], semantic: SemanticModel) -> str:
    digest = hashlib.sha1(layout.encode())
    for method in methods:
        digest.update(f"{type(method).__name__} {method.name}\n".encode())
    digest.update(repr(sorted(semantic.class_attribute_types(cls).items())).encode())
    return digest.hexdigest()


def _unit_text(source: SourceFile, unit: _Unit) -> str:
    node = unit.root.node
    if unit.root.skip:  # a class shell: its layout digest is its text
        return ""
    # the lines after the statement up to the next one hold its trailing comments (suppressions)
    return source.lines_text(unit.first, node.end_lineno or node.lineno)


def _shares_lines(statements: list[ast.stmt], starts: list[int]) -> bool:
    """Two top-level statements on one line (``import a; import b``): findings cannot be told apart by line."""
    for index in range(1, len(statements)):
        if starts[index] <= (statements[index - 1].end_lineno or statements[index - 1].lineno):
            return True
    return False


def _module_parts(statements, starts, source: SourceFile, settings: Settings, module_name: str, codes: list[str]) -> _Module:
    """What local rules may read outside their own unit. Every unit depends on the module's name, the settings,
    module-level code that binds no name (``if __name__ == ...``, calls), star imports and the names of its
    functions and classes; a unit depends on a module-level binding (an import, an assignment, a class header)
    only when its text names it, directly or through the bindings it names."""
    digest = hashlib.sha1()
    digest.update(repr((module_name, source.path, codes, _settings_key(settings))).encode())
    parts: dict[str, list[str]] = {}
    refs: dict[str, set] = {}
    defined: list[str] = []
    for stmt, start in zip(statements, starts):
        if isinstance(stmt, _DEFS):
            defined.append(f"{type(stmt).__name__} {stmt.name}")
            continue
        if isinstance(stmt, ast.ClassDef):
            defined.append(f"class {stmt.name}")
            header = source.lines_text(start, first_line(stmt.body[0]) - 1 if stmt.body[0].lineno > stmt.lineno else stmt.lineno)
            parts.setdefault(stmt.name, []).append(header)
            refs.setdefault(stmt.name, set()).update(_IDENTIFIER.findall(header))
            continue
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            source_module = "." * getattr(stmt, "level", 0) + (getattr(stmt, "module", None) or "")
            for alias in stmt.names:
                if alias.name == "*":
                    digest.update(f"from {source_module} import *\n".encode())
                    continue
                if isinstance(stmt, ast.Import):
                    bound = alias.asname or alias.name.split(".")[0]
                    parts.setdefault(bound, []).append(f"import {alias.name} as {alias.asname}")
                else:
                    bound = alias.asname or alias.name
                    parts.setdefault(bound, []).append(f"from {source_module} import {alias.name} as {alias.asname}")
            continue
        text = source.lines_text(start, stmt.end_lineno or start)
        bound_names = _bound(stmt)
        if not bound_names:
            digest.update(text.encode("utf-8", "surrogatepass"))
            continue
        read = _IDENTIFIER.findall(text)
        for name in bound_names:
            parts.setdefault(name, []).append(text)
            refs.setdefault(name, set()).update(read)
    digest.update(repr(sorted(defined)).encode())
    bindings = {name: hashlib.sha1("\x00".join(texts).encode("utf-8", "surrogatepass")).hexdigest() for name, texts in parts.items()}
    key = hashlib.sha1(repr(sorted(bindings.items())).encode()).hexdigest()
    return _Module(digest.hexdigest(), bindings, {name: frozenset(found) for name, found in refs.items()}, key)


def _bound(stmt: ast.stmt) -> set[str]:
    """The names a module-level statement (not a function, class or import) may bind: every name stored,
    deleted, defined or imported anywhere in it (an over-estimate is harmless)."""
    names: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (*_DEFS, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _names_in(text: str) -> frozenset:
    return frozenset(_IDENTIFIER.findall(text))


def _shell_names(cls: ast.ClassDef, source: SourceFile) -> frozenset:
    return _names_in(source.lines_text(first_line(cls), cls.end_lineno or cls.lineno))


def _deps(names: frozenset, module: _Module) -> tuple:
    """(name, digest) of the module-level bindings a unit naming ``names`` depends on, following what they name."""
    bindings, refs = module.bindings, module.refs
    seen = {name for name in names if name in bindings}
    todo = list(seen)
    while todo:
        for name in refs.get(todo.pop(), ()):
            if name in bindings and name not in seen:
                seen.add(name)
                todo.append(name)
    return tuple(sorted((name, bindings[name]) for name in seen))


def _mapped(finding: Finding, new_line, path: str) -> Finding:
    """A finding of the last analysis where a move of lines put it (``new_line``: old line -> new line)."""
    span = finding.span
    line, end_line = new_line(span.line), new_line(span.end_line)
    data = finding.data
    if any(k.endswith("_line") for k in data):
        data = {k: new_line(v) if k.endswith("_line") and isinstance(v, int) else v for k, v in data.items()}
    related = tuple(
        dataclasses.replace(r, span=Span(new_line(r.span.line), r.span.column, new_line(r.span.end_line), r.span.end_column))
        if r.path == path else r
        for r in finding.related
    )
    if line == span.line and end_line == span.end_line and data is finding.data and related == finding.related:
        return finding
    return dataclasses.replace(finding, span=Span(line, span.column, end_line, span.end_column), data=data, related=related)


def _settings_key(settings: Settings) -> tuple:
    return tuple(
        (f.name, getattr(settings, f.name)) for f in dataclasses.fields(settings) if f.compare and f.name != "extra"
    )


def _moved(finding: Finding, delta: int) -> Finding:
    if delta == 0:
        return finding
    span = finding.span
    data = finding.data
    if any(k.endswith("_line") for k in data):  # line numbers in a finding's data move with it (see model.Finding)
        data = {k: v + delta if k.endswith("_line") and isinstance(v, int) else v for k, v in data.items()}
    return dataclasses.replace(finding, span=Span(span.line + delta, span.column, span.end_line + delta, span.end_column), data=data)


def _hits(reads, lo: int, hi: int, base: int = 0) -> bool:
    """Whether one of the line ranges ``reads`` (relative to ``base``; None: not known) holds a line of lo..hi."""
    return reads is None or any(first + base <= hi and lo <= last + base for first, last in reads)
