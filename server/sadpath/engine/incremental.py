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

The result equals ``analyze()`` of the same text; property tests hold it to that.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
from dataclasses import dataclass, field

from sadpath.settings import Settings
from sadpath.engine import suppressions
from sadpath.engine.analyze import Analysis, module_name_for, parse
from sadpath.engine.syntax import Unsupported, feature_version
from sadpath.engine.context import ModuleContext
from sadpath.engine.reparse import first_line, splice
from sadpath.engine.semantic import SemanticModel
from sadpath.engine.walker import Root, RuleFailure, walk
from sadpath.knowledge import exception_hierarchy
from sadpath.model import Finding, Span
from sadpath.source import SourceFile

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass
class _Entry:
    first_line: int
    findings: list[Finding]


@dataclass
class _Unit:
    root: Root
    first: int
    last: int
    scope: str  # the context the unit's findings depend on besides its text: "" or the class digest
    text_key: tuple | None = None  # computed only when the identity cache misses


@dataclass
class IncrementalAnalyzer:
    """One per open document. ``analyze`` returns what ``engine.analyze`` would, re-using what did not change."""

    cache: dict[tuple, _Entry] = field(default_factory=dict)  # by (context, scope, text)
    by_node: dict[int, tuple[ast.AST, str, str, _Entry]] = field(default_factory=dict)  # id -> (node, ctx, scope, entry)
    reused: int = 0  # units served from a cache in the last analysis (for tests and benchmarks)
    analyzed: int = 0  # units walked in the last analysis
    lines_parsed: int = 0  # lines parsed in the last analysis
    _lines: list[str] | None = None
    _tree: ast.Module | None = None
    _context: str = ""
    _method_memo: dict = field(default_factory=dict)

    def analyze(self, source: SourceFile, settings: Settings, rules: list[type], *, known_rules=None) -> Analysis:
        lines = source._lines
        grammar = feature_version(settings.target_version)
        spliced = (
            splice(self._lines, self._tree, lines, source.text, grammar)
            if self._tree is not None and self._lines is not None
            else None
        )
        if spliced is not None:
            tree, self.lines_parsed = spliced.tree, spliced.lines_parsed
        else:
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
        module_part = _module_digest(statements, starts, source, settings, module_name_for(source.path), [r.code for r in local])
        if module_part != self._context.split("|")[0]:
            self._method_memo = {}  # self.<attr> types resolve names against module-level bindings
        semantic = SemanticModel(tree, module_name_for(source.path), self._method_memo, source)
        ctx = ModuleContext(source, tree, semantic, exception_hierarchy(), settings, active=frozenset(r.code for r in rules))
        context = module_part + "|" + ",".join(r.context_key(ctx) for r in local)

        units = _units(tree, starts, source, semantic)
        fresh_cache: dict[tuple, _Entry] = {}
        fresh_nodes: dict[int, tuple[ast.AST, str, str, _Entry]] = {}
        findings: list[Finding] = []
        to_walk: list[_Unit] = []
        for unit in units:
            node = unit.root.node
            known = self.by_node.get(id(node))
            entry = None
            if known is not None and known[0] is node and known[1] == context and known[2] == unit.scope and known[3].first_line == unit.first:
                entry = known[3]
            if entry is None:
                unit.text_key = (context, unit.scope, _unit_text(source, unit))
                entry = self.cache.get(unit.text_key)
            if entry is None:
                to_walk.append(unit)
                continue
            delta = unit.first - entry.first_line
            moved = entry if delta == 0 else _Entry(unit.first, [_moved(f, delta) for f in entry.findings])
            findings.extend(moved.findings)
            fresh_nodes[id(node)] = (node, context, unit.scope, moved)
            if unit.text_key is not None:
                fresh_cache[unit.text_key] = moved
        self.reused = len(units) - len(to_walk)
        self.analyzed = len(to_walk)

        failures: list[RuleFailure] = []
        if to_walk and local:
            instances = [rule() for rule in local]
            for unit in to_walk:
                ctx.findings = []
                walked = walk(ctx, instances, roots=[unit.root])
                failures.extend(walked.failures)
                own = list(ctx.findings)
                findings.extend(own)
                entry = _Entry(unit.first, own)
                fresh_nodes[id(unit.root.node)] = (unit.root.node, context, unit.scope, entry)
                if unit.text_key is not None:
                    fresh_cache[unit.text_key] = entry
        if failures:
            crashed = {f.code for f in failures}
            findings = [f for f in findings if f.code not in crashed]
            fresh_cache, fresh_nodes = {}, {}  # a crash is not remembered: the next analysis reports it again
        if dependent:
            ctx.findings = []
            roots = [stmt for stmt in statements if any(rule.may_apply_to(stmt, ctx) for rule in dependent)]
            if roots:
                walked = walk(ctx, [rule() for rule in dependent], roots=roots)
                failures.extend(walked.failures)
                findings.extend(ctx.findings)
        self.cache, self.by_node = fresh_cache, fresh_nodes
        self._lines, self._tree, self._context = lines, tree, context
        findings, suppressed, judged = suppressions.finish(
            ctx, findings, rules, known_rules, frozenset(f.code for f in failures)
        )
        failures.extend(judged)
        findings.sort(key=Finding.sort_key)
        return Analysis(source, findings, tree, semantic, failures, suppressed)

    def _forget(self) -> None:
        self.cache.clear()
        self.by_node.clear()
        self._lines = self._tree = None
        self._context = ""
        self._method_memo = {}


def _units(tree: ast.Module, starts: list[int], source: SourceFile, semantic: SemanticModel) -> list[_Unit]:
    units: list[_Unit] = []
    for stmt, start in zip(tree.body, starts):
        methods = [member for member in stmt.body if isinstance(member, _DEFS)] if isinstance(stmt, ast.ClassDef) else []
        if not methods:
            units.append(_Unit(Root(stmt, (tree,)), start, stmt.end_lineno or stmt.lineno, ""))
            continue
        shell = Root(stmt, (tree,), frozenset(id(m) for m in methods))
        layout = _shell_layout(stmt, start, methods, source)
        units.append(_Unit(shell, start, stmt.end_lineno or stmt.lineno, "shell:" + layout))
        scope = _class_digest(stmt, layout, methods, semantic)
        for method in methods:
            units.append(_Unit(Root(method, (tree, stmt)), first_line(method), method.end_lineno or method.lineno, scope))
    return units


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


def _module_digest(statements, starts, source: SourceFile, settings: Settings, module_name: str, codes: list[str]) -> str:
    """What local rules may read outside their own unit: imports and other module-level code, the names of
    functions, class headers (name, bases, decorators), the module's name and the settings."""
    digest = hashlib.sha1()
    digest.update(repr((module_name, source.path, codes, _settings_key(settings))).encode())
    for stmt, start in zip(statements, starts):
        if isinstance(stmt, _DEFS):
            digest.update(f"{type(stmt).__name__} {stmt.name}\n".encode())
        elif isinstance(stmt, ast.ClassDef):
            header = ",".join(ast.unparse(b) for b in stmt.bases)
            digest.update(f"class {stmt.name}({header})\n".encode())
        else:
            text = source.lines_text(start, stmt.end_lineno or start)
            digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


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
