"""Applying suppression comments to a module's findings, and remembering which directive silenced what.

``apply`` keeps the findings no directive silences and records, per directive, the findings it silenced. A rule
that judges the suppressions themselves (SAD100) defines ``check_suppressions(report, ctx)``: after the other
rules' findings are filtered, the engine calls it with a ``SuppressionReport`` and filters what it reports in
turn (so ``# sadpath: ignore[SAD100]`` keeps a deliberately redundant suppression quiet). Nothing is analysed
twice: the report is a by-product of filtering.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sadpath.engine.context import ModuleContext
from sadpath.engine.walker import RuleFailure
from sadpath.model import Finding
from sadpath.source import Directive, SourceFile

log = logging.getLogger("sadpath.engine")


@dataclass
class SuppressionReport:
    """What the suppressions of one module did in one analysis."""

    directives: list[Directive]  # every directive of the file, in order
    silenced: dict[Directive, list[Finding]]  # the findings each directive silenced (only those that did)
    ran: dict[str, str]  # name (code and slug, upper-cased) -> code, of every rule that ran on the file
    known: dict[str, str] | None  # the same for every rule sadpath has (None: the caller did not say)

    def used_codes(self, directive: Directive) -> set[str]:
        return {f.code for f in self.silenced.get(directive, ())}


@dataclass
class Applied:
    findings: list[Finding]
    suppressed: list[tuple[Finding, Directive]] = field(default_factory=list)


def apply(source: SourceFile, findings: list[Finding]) -> Applied:
    """The findings no directive silences, and (finding, directive) for each one silenced."""
    if "#" not in source.text:
        return Applied(list(findings))
    kept: list[Finding] = []
    suppressed: list[tuple[Finding, Directive]] = []
    for finding in findings:
        directive = source.suppressing(finding.span.line, finding.code, finding.slug)
        if directive is None:
            kept.append(finding)
        else:
            suppressed.append((finding, directive))
    return Applied(kept, suppressed)


def _silencer(source: SourceFile, finding: Finding) -> Directive | None:
    """The directive that silences a judge's finding: a blanket comment never hides the finding that says it
    is unused (only one that names the judging rule, or another comment, does)."""
    line = finding.span.line
    candidates = [
        *(d for n in dict.fromkeys((line, source.comment_line(line))) for d in source.directives_on(n) if not d.file_level),
        *source.file_directives(),
    ]
    for directive in candidates:
        if not directive.covers(finding.code, finding.slug):
            continue
        if directive.blanket and (directive.line, directive.start) == (line, finding.span.column):
            continue
        return directive
    return None


def names_of(rules) -> dict[str, str]:
    names: dict[str, str] = {}
    for rule in rules:
        names[rule.code.upper()] = rule.code
        names[rule.slug.upper()] = rule.code
    return names


def finish(
    ctx: ModuleContext, findings: list[Finding], rules: list[type], known_rules=None, failed: frozenset[str] = frozenset()
) -> tuple[list[Finding], list[tuple[Finding, Directive]], list[RuleFailure]]:
    """Apply the suppressions to ``findings`` (of ``rules``, the rules that ran) and run the rules among them
    that judge suppressions: (kept, suppressed, failures). The rules in ``failed`` crashed: their suppressions
    are not judged (their findings are missing, not absent)."""
    source = ctx.source
    applied = apply(source, findings)
    judges = [rule() for rule in rules if callable(getattr(rule, "check_suppressions", None))]
    failures: list[RuleFailure] = []
    if not judges or "#" not in source.text:
        return applied.findings, applied.suppressed, failures
    silenced: dict[Directive, list[Finding]] = {}
    for finding, directive in applied.suppressed:
        silenced.setdefault(directive, []).append(finding)
    report = SuppressionReport(
        source.all_directives(),
        silenced,
        names_of(rule for rule in rules if rule.code not in failed),
        names_of(known_rules) if known_rules is not None else None,
    )
    saved = ctx.findings
    extra: list[Finding] = []
    for judge in judges:
        ctx.findings = []
        try:
            judge.check_suppressions(report, ctx)
        except Exception as exc:  # a broken rule must not take the others down
            message = f"{type(exc).__name__}: {exc}"
            log.error("rule %s crashed on %s: %s", judge.code, source.path, message, exc_info=True)
            failures.append(RuleFailure(judge.code, source.path, message))
            continue
        extra.extend(ctx.findings)
    ctx.findings = saved
    kept, suppressed = list(applied.findings), list(applied.suppressed)
    for finding in extra:
        directive = _silencer(source, finding)
        if directive is None:
            kept.append(finding)
        else:
            suppressed.append((finding, directive))
    return kept, suppressed, failures


__all__ = ["Applied", "SuppressionReport", "apply", "finish", "names_of"]
