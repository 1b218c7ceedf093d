"""What a rule sees while the walk visits a node: the module, its semantic model and the walk's position."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from sadpath.engine.semantic import SemanticModel
from sadpath.knowledge import ExceptionHierarchy
from sadpath.model import FixOffer, Finding, Related, Severity, Span
from sadpath.source import SourceFile

if TYPE_CHECKING:
    from sadpath.settings import Settings



@dataclass
class ModuleContext:
    source: SourceFile
    tree: ast.Module
    semantic: SemanticModel
    hierarchy: ExceptionHierarchy
    settings: "Settings"
    # walk state: every ancestor of the node being visited, outermost first
    parents: list[ast.AST] = field(default_factory=list)
    scopes: list[ast.AST] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # per-analysis answers several rules ask for (the external call behind a call node, a function's boundary)
    memo: dict = field(default_factory=dict, repr=False)
    # the codes of the rules this analysis runs: a rule leaves a problem to the rule that owns it only when that
    # rule runs (one finding per problem, and never none)
    active: frozenset[str] = frozenset()

    # ----------------------------------------------------------------- positions
    def span(self, node: ast.AST, end: ast.AST | None = None) -> Span:
        """Character-column span of a node (or from ``node`` to the end of ``end``)."""
        last = end if end is not None else node
        line = node.lineno
        end_line = getattr(last, "end_lineno", None) or line
        end_col_bytes = getattr(last, "end_col_offset", None)
        column = self.source.char_col_from_utf8(line, node.col_offset)
        if end_col_bytes is None:
            end_column = column
        else:
            end_column = self.source.char_col_from_utf8(end_line, end_col_bytes)
        return Span(line, column, end_line, end_column)

    def line_span(self, node: ast.AST) -> Span:
        """Span of a node limited to its first line (for headers like ``except ...:``)."""
        line = node.lineno
        column = self.source.char_col_from_utf8(line, node.col_offset)
        text = self.source.line(line)
        end_column = len(text.rstrip())
        return Span(line, column, line, max(end_column, column))

    # ----------------------------------------------------------------- per-module facts
    def fact(self, name: str, compute: Callable[[], Any]) -> Any:
        """A fact about the whole module that several hooks ask for, computed once per analysis."""
        if name not in self.memo:
            self.memo[name] = compute()
        return self.memo[name]

    # ----------------------------------------------------------------- queries
    def qualified_name(self, expr: ast.AST) -> str | None:
        return self.semantic.qualified_name(expr, self.scopes)

    def type_of(self, expr: ast.AST) -> str | None:
        return self.semantic.type_of(expr, self.scopes)

    def enclosing(self, *types: type) -> ast.AST | None:
        for node in reversed(self.parents):
            if isinstance(node, types):
                return node
        return None

    def enclosing_function(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        for node in reversed(self.parents):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
            if isinstance(node, ast.Lambda):
                return None
        return None

    def names_in_scope(self) -> set[str]:
        """Every name bound in the scopes around the node being visited (class bodies excepted: their names are
        not visible in methods): locals, typed names and imports."""
        names: set[str] = set()
        for scope_node in self.scopes:
            if isinstance(scope_node, ast.ClassDef):
                continue
            scope = self.semantic.scope(scope_node)
            names |= scope.locals | set(scope.types) | set(scope.imports)
        return names

    def enclosing_class(self) -> ast.ClassDef | None:
        for node in reversed(self.parents):
            if isinstance(node, ast.ClassDef):
                return node
        return None

    # ----------------------------------------------------------------- reporting
    def report(
        self,
        rule: Any,
        span: Span,
        message: str,
        *,
        fixes: Iterable[FixOffer] = (),
        data: dict[str, Any] | None = None,
        related: Iterable[Related] = (),
        severity: Severity | None = None,
    ) -> Finding:
        finding = Finding(
            code=rule.code,
            slug=rule.slug,
            span=span,
            message=message,
            severity=severity or rule.severity,
            fixes=tuple(fixes),
            data=dict(data or {}),
            related=tuple(related),
        )
        self.findings.append(finding)
        return finding
