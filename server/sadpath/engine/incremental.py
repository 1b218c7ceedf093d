"""Incremental analysis for the language server: after an edit, only the statements it touched are re-analysed.

The file is parsed whole (``ast`` is the floor and cheap); rules then run per top-level statement:

* *local* rules (their findings depend only on the statement and the module's context: imports,
  module-level assignments, the names of its functions and classes, class headers) are cached per
  statement, keyed by the statement's text and a digest of that context. A statement whose text and
  context are unchanged reuses its findings, moved to its new line;
* *module-dependent* rules (SAD201 follows calls into other functions) run again on every analysis,
  but only over the statements that can hold what they look for (a route, a task, ``main``).

The result equals ``analyze()`` of the same text; a property test holds it to that.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
from dataclasses import dataclass, field

from sadpath.config import Settings
from sadpath.engine.analyze import Analysis, module_name_for, parse
from sadpath.engine.context import ModuleContext
from sadpath.engine.semantic import SemanticModel
from sadpath.engine.walker import RuleFailure, walk
from sadpath.knowledge import exception_hierarchy
from sadpath.model import Finding, Span
from sadpath.source import SourceFile

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass
class _Entry:
    first_line: int
    findings: list[Finding]


@dataclass
class IncrementalAnalyzer:
    """One per open document. ``analyze`` returns what ``engine.analyze`` would, re-using unchanged statements."""

    cache: dict[tuple[str, str], _Entry] = field(default_factory=dict)
    reused: int = 0  # statements served from the cache in the last analysis (for tests and benchmarks)
    analysed: int = 0  # statements walked in the last analysis

    def analyze(self, source: SourceFile, settings: Settings) -> Analysis:
        parsed = parse(source)
        if isinstance(parsed, Finding):
            self.cache.clear()
            return Analysis(source, [parsed])
        tree = parsed
        statements = tree.body
        starts = [_first_line(stmt) for stmt in statements]
        if _shares_lines(statements, starts):
            return self._full(source, settings, tree)
        semantic = SemanticModel(tree, module_name_for(source.path))
        ctx = ModuleContext(source, tree, semantic, exception_hierarchy(), settings)
        rules = settings.enabled_rules(source.path)
        local = [r for r in rules if not r.module_dependent]
        dependent = [r for r in rules if r.module_dependent]
        context = _context_digest(statements, source, settings, semantic.module_name, [r.code for r in local])

        fresh_cache: dict[tuple[str, str], _Entry] = {}
        findings: list[Finding] = []
        to_walk: list[tuple[int, ast.stmt, tuple[str, str]]] = []
        for index, stmt in enumerate(statements):
            key = (context, _statement_text(source, starts[index], stmt))
            entry = self.cache.get(key)
            if entry is not None:
                delta = starts[index] - entry.first_line
                findings.extend(_moved(f, delta) for f in entry.findings)
                fresh_cache[key] = _Entry(starts[index], entry.findings if delta == 0 else [_moved(f, delta) for f in entry.findings])
            else:
                to_walk.append((index, stmt, key))
        self.reused = len(statements) - len(to_walk)
        self.analysed = len(to_walk)

        failures: list[RuleFailure] = []
        if to_walk and local:
            ctx.findings = []
            walked = walk(ctx, [rule() for rule in local], roots=[stmt for _, stmt, _ in to_walk])
            failures.extend(walked.failures)
            by_statement = _by_statement(ctx.findings, [(starts[i], stmt) for i, stmt, _ in to_walk])
            for (index, stmt, key), own in zip(to_walk, by_statement):
                findings.extend(own)
                if not walked.failures:
                    fresh_cache[key] = _Entry(starts[index], own)
            if walked.failures:
                crashed = {f.code for f in walked.failures}
                findings = [f for f in findings if f.code not in crashed]
        if dependent:
            ctx.findings = []
            instances = [rule() for rule in dependent]
            roots = [stmt for stmt in statements if any(rule.may_apply_to(stmt, ctx) for rule in dependent)]
            if roots:
                walked = walk(ctx, instances, roots=roots)
                failures.extend(walked.failures)
                findings.extend(ctx.findings)
        self.cache = fresh_cache
        findings = [f for f in findings if not source.is_suppressed(f.span.line, f.code, f.slug)]
        findings.sort(key=Finding.sort_key)
        return Analysis(source, findings, tree, semantic, failures)

    def _full(self, source: SourceFile, settings: Settings, tree: ast.Module) -> Analysis:
        from sadpath.engine.analyze import analyze

        self.cache.clear()
        self.reused, self.analysed = 0, len(tree.body)
        return analyze(source, settings)


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None) or []
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def _shares_lines(statements: list[ast.stmt], starts: list[int]) -> bool:
    """Two top-level statements on one line (``import a; import b``): findings cannot be told apart by line."""
    for index in range(1, len(statements)):
        if starts[index] <= (statements[index - 1].end_lineno or statements[index - 1].lineno):
            return True
    return False


def _statement_text(source: SourceFile, first: int, stmt: ast.stmt) -> str:
    last = stmt.end_lineno or stmt.lineno
    # the lines after the statement up to the next one hold its trailing comments (suppressions)
    return "".join(source.line_with_ending(n) for n in range(first, last + 1))


def _context_digest(statements, source: SourceFile, settings: Settings, module_name: str, codes: list[str]) -> str:
    """What local rules may read outside their own statement: imports and other module-level code,
    the names of functions, class headers (name, bases, decorators), the module's name and the settings."""
    digest = hashlib.sha1()
    digest.update(repr((module_name, source.path, codes, _settings_key(settings))).encode())
    for stmt in statements:
        if isinstance(stmt, _DEFS):
            digest.update(f"def {stmt.name}\n".encode())
        elif isinstance(stmt, ast.ClassDef):
            header = ",".join(ast.unparse(b) for b in stmt.bases)
            digest.update(f"class {stmt.name}({header})\n".encode())
        else:
            digest.update(_statement_text(source, _first_line(stmt), stmt).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _settings_key(settings: Settings) -> tuple:
    return tuple(
        (f.name, getattr(settings, f.name)) for f in dataclasses.fields(settings) if f.compare and f.name != "extra"
    )


def _moved(finding: Finding, delta: int) -> Finding:
    if delta == 0:
        return finding
    span = finding.span
    return dataclasses.replace(finding, span=Span(span.line + delta, span.column, span.end_line + delta, span.end_column))


def _by_statement(findings: list[Finding], statements: list[tuple[int, ast.stmt]]) -> list[list[Finding]]:
    """Assign each finding to the walked statement whose lines hold its anchor."""
    groups: list[list[Finding]] = [[] for _ in statements]
    for finding in findings:
        for index, (first, stmt) in enumerate(statements):
            if first <= finding.span.line <= (stmt.end_lineno or stmt.lineno):
                groups[index].append(finding)
                break
    return groups
