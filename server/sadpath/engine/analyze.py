"""Text in, findings out: parse once, build the semantic model, walk once."""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field
from pathlib import PurePath

from sadpath.settings import Settings
from sadpath.engine import suppressions
from sadpath.engine.context import ModuleContext
from sadpath.engine.semantic import SemanticModel
from sadpath.engine.syntax import Unsupported, feature_version, newer_syntax, version_text
from sadpath.engine.walker import RuleFailure, walk
from sadpath.knowledge import exception_hierarchy
from sadpath.model import SYNTAX_ERROR_CODE, SYNTAX_ERROR_SLUG, Finding, Severity, Span
from sadpath.source import SourceFile


@dataclass
class Analysis:
    source: SourceFile
    findings: list[Finding]
    tree: ast.Module | None = None
    semantic: SemanticModel | None = None
    rule_failures: list[RuleFailure] = field(default_factory=list)
    # the findings a suppression comment silenced, with the directive that did (SAD100 judges them)
    suppressed: list = field(default_factory=list)
    # set when the running Python cannot parse the file's syntax: an error of the run, not a finding
    unsupported: Unsupported | None = None

    @property
    def syntax_error(self) -> Finding | None:
        return next((f for f in self.findings if f.code == SYNTAX_ERROR_CODE), None)


def module_name_for(path: str) -> str:
    """A best-effort dotted module name from a path (used to qualify module-level names)."""
    pure = PurePath(path)
    stem = pure.stem
    if stem == "__init__":
        stem = pure.parent.name
    return stem if stem.isidentifier() else ""


def parse(source: SourceFile, target: tuple[int, int] | None = None) -> ast.Module | Finding | Unsupported:
    """The tree of a text; a SAD000 finding for a syntax error (syntax newer than ``target``, the oldest Python
    the code must run on, included); ``Unsupported`` for syntax newer than the Python sadpath runs on."""
    grammar = feature_version(target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences and the like are not ours to report
        try:
            if grammar is None:
                return ast.parse(source.text, filename=source.path, type_comments=False)
            return ast.parse(source.text, filename=source.path, type_comments=False, feature_version=grammar)
        except SyntaxError as exc:
            error = exc
        except (ValueError, MemoryError, RecursionError) as exc:  # null bytes, absurd nesting
            return Finding(
                SYNTAX_ERROR_CODE,
                SYNTAX_ERROR_SLUG,
                Span(1, 0, 1, 0),
                f"cannot parse this file: {exc}",
                Severity.ERROR,
            )
        if grammar is not None:
            try:
                ast.parse(source.text, filename=source.path, type_comments=False)
            except SyntaxError as exc:
                error = exc  # not only newer than the target: judge the error of the full grammar
            except (ValueError, MemoryError, RecursionError):
                pass
            else:
                return syntax_error_finding(source, error, target)
    newer = newer_syntax([source.line(n) for n in range(1, source.line_count + 1)], error)
    if newer is not None:
        line, column, construct, needs = newer
        return Unsupported(line, column, construct, needs, target=target)
    return syntax_error_finding(source, error)


def syntax_error_finding(source: SourceFile, exc: SyntaxError, target: tuple[int, int] | None = None) -> Finding:
    line = exc.lineno or 1
    line = min(max(line, 1), max(source.line_count, 1))
    # SyntaxError.offset is 1-based and counts characters (str offsets) for source given as str
    column = max((exc.offset or 1) - 1, 0)
    column = min(column, len(source.line(line)))
    text = source.line(line)
    end_line = exc.end_lineno or line
    end_column = (exc.end_offset - 1) if exc.end_offset and exc.end_offset > 0 else column + 1
    if end_line != line or end_column <= column:
        end_line, end_column = line, column + 1
    if end_column > len(text):
        # the error is at the end of the line ("expected ':'"): mark the last character so editors show it
        end_column = len(text)
        column = max(min(column, end_column - 1), 0)
    if target is not None:
        message = (
            f"syntax error for Python {version_text(target)} (the target-version): {exc.msg}; "
            "sadpath analyses this file again once it parses"
        )
    else:
        message = f"syntax error: {exc.msg}; sadpath analyses this file again once it parses"
    return Finding(SYNTAX_ERROR_CODE, SYNTAX_ERROR_SLUG, Span(line, column, end_line, end_column), message, Severity.ERROR)


def analyze(source: SourceFile, settings: Settings, rules: list[type], *, known_rules=None) -> Analysis:
    """The findings of ``rules`` (chosen by the caller: ``linter.lint`` asks the registry) for one file,
    suppressions applied, sorted by position. ``known_rules``: every rule there is, for the rules that judge
    suppressions (a name none of them has is a typo)."""
    parsed = parse(source, settings.target_version)
    if isinstance(parsed, Finding):
        return Analysis(source, [parsed])
    if isinstance(parsed, Unsupported):
        return Analysis(source, [], unsupported=parsed)
    tree = parsed
    semantic = SemanticModel(tree, module_name_for(source.path), source=source)
    ctx = ModuleContext(source, tree, semantic, exception_hierarchy(), settings, active=frozenset(r.code for r in rules))
    instances = [rule() for rule in rules]
    walked = walk(ctx, instances)
    findings, suppressed, failures = suppressions.finish(
        ctx, list(ctx.findings), rules, known_rules, frozenset(f.code for f in walked.failures)
    )
    findings.sort(key=Finding.sort_key)
    return Analysis(source, findings, tree, semantic, [*walked.failures, *failures], suppressed)
