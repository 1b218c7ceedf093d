"""Score a sadpath build on the labelled quality benchmark (bench/quality/cases/).

    python bench/quality/score.py [--cases DIR] [--sadpath "CMD ..."] [--json] [--rule CODE|SLUG]
    python bench/quality/score.py --check-labels [--cases DIR]
    python bench/quality/score.py --ratchet [--floors FILE]

The modules under cases/ carry their expected findings as trailing comments on the rule's anchor line:

    resp = requests.get(url)  # expect: missing-timeout -- a stalled upstream holds the worker forever
    except KeyError:          # quiet: an unknown currency falls back to the default rate, by design

The scorer reads those labels (with ``tokenize``: a ``#`` inside a string is never a label), runs sadpath once
over the cases folder (``check --no-cache --exit-zero --format json .`` with the cases folder as working
directory, so each file's nearest pyproject.toml applies), matches findings to labels one-to-one per rule and
prints precision and recall per rule. Its last line is ``overall precision=P recall=R``, micro-averaged over
SAD101-SAD105 and SAD201-SAD207.

Exit status: 0 scored; 1 scored, but a figure is below its floor in floors.toml (or ``--ratchet`` refused to
lower one); 2 the labels are malformed, or the sadpath run failed (exit >= 2, output that is not the JSON
contract, errors or SAD000 syntax errors listed in it), or a usage error.

Standard library only, Python >= 3.10: it never imports sadpath, so it can score any build (``--sadpath``).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tokenize
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence

HERE = Path(__file__).resolve().parent
DEFAULT_CASES = HERE / "cases"
DEFAULT_FLOORS = HERE / "floors.toml"

# The rules the benchmark measures, in catalog order (../shared/docs/CATALOG.md): code, slug.
RULES: tuple[tuple[str, str], ...] = (
    ("SAD101", "silent-except"),
    ("SAD102", "bare-except"),
    ("SAD103", "unchained-translation"),
    ("SAD104", "lost-traceback-log"),
    ("SAD105", "log-missing-context"),
    ("SAD201", "unhandled-external-call"),
    ("SAD202", "missing-timeout"),
    ("SAD203", "unchecked-http-status"),
    ("SAD204", "naive-retry"),
    ("SAD205", "n-plus-one-query"),
    ("SAD206", "transaction-without-rollback"),
    ("SAD207", "fire-and-forget-task"),
)
SCORED: tuple[str, ...] = tuple(code for code, _ in RULES)
CODE_TO_SLUG: dict[str, str] = dict(RULES)
SLUG_TO_CODE: dict[str, str] = {slug: code for code, slug in RULES}
# Rules that only fire where the nearest pyproject.toml sets required-log-fields (cases/logfields/).
NEEDS_LOG_FIELDS = frozenset({"log-missing-context"})

DEFAULT_COMMAND: tuple[str, ...] = (sys.executable, "-m", "sadpath")
CHECK_ARGS: tuple[str, ...] = ("check", "--no-cache", "--exit-zero", "--format", "json", ".")
RUN_TIMEOUT = 1800  # seconds: a hung sadpath is a failed run, not a hung CI job
METRICS = ("precision", "recall")
OVERALL = "overall"
SKIPPED_DIRS = frozenset({"__pycache__", "venv", "node_modules", "build", "dist"})

FLOORS_HEADER = """\
# Quality floors of the labelled benchmark (bench/quality/README.md): the lowest precision and recall each rule
# may score on bench/quality/cases/, checked by tests/test_quality.py.
#
# The floors are a ratchet: they are only ever raised, never lowered to make a change pass. When a change drops
# a figure below its floor, fix the change (or, if a label is wrong against the catalog, ../shared/docs/CATALOG.md,
# fix the label in its own reviewed change), not the floor. After an improvement, raise them with
#     .venv/bin/python bench/quality/score.py --ratchet
# which sets each floor to the current figure rounded down to 2 decimals and refuses to lower any.
"""


# --------------------------------------------------------------------------------------------- data


class ScoreError(Exception):
    """The benchmark cannot be scored (a failed run, malformed labels, a bad floors file): exit status 2.
    ``problems`` holds one line per problem."""

    def __init__(self, summary: str, problems: Sequence[str] = ()) -> None:
        super().__init__(summary)
        self.summary = summary
        self.problems = list(problems)

    def lines(self) -> list[str]:
        return [self.summary, *(f"  {p}" for p in self.problems)]


@dataclass(frozen=True)
class Label:
    """One label comment: ``kind`` is "expect" (``slugs`` holds one or more slugs) or "quiet" (no slugs)."""

    path: str
    line: int
    kind: str
    note: str
    slugs: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelError:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Labels:
    """Every label of a cases folder, the label errors, and the Python files read (paths relative to it)."""

    labels: list[Label] = field(default_factory=list)
    errors: list[LabelError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def expects(self) -> list[tuple[Label, str]]:
        """One (label, slug) per expected finding: a two-slug label expects two findings."""
        return [(label, slug) for label in self.labels if label.kind == "expect" for slug in label.slugs]

    @property
    def quiet(self) -> list[Label]:
        return [label for label in self.labels if label.kind == "quiet"]

    @property
    def modules(self) -> list[str]:
        """The benchmark's modules: every .py file except package ``__init__.py`` files."""
        return [path for path in self.files if PurePosixPath(path).name != "__init__.py"]

    def expect_counts(self) -> dict[str, int]:
        counts = Counter(slug for _, slug in self.expects)
        return {slug: counts.get(slug, 0) for _, slug in RULES}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    end_line: int
    code: str
    message: str = ""
    column: int = 0
    rule: str = ""  # the slug sadpath reports (used to name codes outside the benchmark)

    @classmethod
    def from_json(cls, item: dict) -> Finding:
        line = int(item["line"])
        end_line = item.get("end_line")
        end_line = line if end_line is None else max(int(end_line), line)
        return cls(
            path=_norm_path(str(item["path"])),
            line=line,
            end_line=end_line,
            code=str(item["code"]),
            message=" ".join(str(item.get("message", "")).split()),
            column=int(item.get("column") or 0),
            rule=str(item.get("rule") or ""),
        )


@dataclass(frozen=True)
class Match:
    label: Label
    slug: str
    finding: Finding


@dataclass(frozen=True)
class Miss:
    label: Label
    code: str
    slug: str

    def describe(self) -> str:
        return f"{self.label.path}:{self.label.line}: {self.code} {self.label.note}"


@dataclass(frozen=True)
class FalsePositive:
    finding: Finding
    context: str  # what the finding's lines are labelled with, for triage

    def describe(self) -> str:
        text = f"{self.finding.path}:{self.finding.line}: {self.finding.code} {self.finding.message}"
        return f"{text}  [{self.context}]" if self.context else text


@dataclass
class RuleScore:
    code: str
    slug: str
    labels: int = 0
    findings: int = 0
    tp: int = 0

    @property
    def fp(self) -> int:
        return self.findings - self.tp

    @property
    def misses(self) -> int:
        return self.labels - self.tp

    @property
    def precision(self) -> Fraction | None:
        """None when the rule produced nothing (shown as '-')."""
        return Fraction(self.tp, self.findings) if self.findings else None

    @property
    def recall(self) -> Fraction | None:
        """None when the rule has no labels (shown as '-')."""
        return Fraction(self.tp, self.labels) if self.labels else None

    def floor_value(self, metric: str) -> Fraction:
        """The figure the floors are checked against: an undefined figure counts as 1.0 only when the rule has
        neither labels nor findings; a rule that produces nothing while it has labels has precision 0."""
        value = getattr(self, metric)
        if value is not None:
            return value
        if metric == "precision":
            return Fraction(1) if self.labels == 0 else Fraction(0)
        return Fraction(1)  # recall with no labels: nothing to miss (its findings already cost precision)

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "slug": self.slug,
            "labels": self.labels,
            "findings": self.findings,
            "tp": self.tp,
            "fp": self.fp,
            "misses": self.misses,
            "precision": _json_figure(self.precision),
            "recall": _json_figure(self.recall),
        }


@dataclass
class Score:
    rules: dict[str, RuleScore]  # catalog order, then any other code that produced findings
    overall: RuleScore  # micro-average over SCORED
    matches: list[Match]
    misses: list[Miss]
    false_positives: list[FalsePositive]
    expect_counts: dict[str, int]
    quiet: int
    modules: int

    def rule(self, code_or_slug: str) -> RuleScore:
        return self.rules[resolve_rule(code_or_slug)]

    def figure(self, section: str, metric: str) -> Fraction:
        """The floor figure of a rule or of ``overall``."""
        target = self.overall if section == OVERALL else self.rules[section]
        return target.floor_value(metric)


# ------------------------------------------------------------------------------------------- labels

# A comment that tries to be a label: `# expect`/`# quiet` as a word, or any spelling of them before a colon
# (`# expected:`, `# Quiet:`); anything else is an ordinary comment.
_LABEL_ATTEMPT = re.compile(r"#\s*(?:(?:expect|quiet)\b|(?i:expect\w*|quiet\w*)\s*:)")
_LABEL_INSIDE = re.compile(r"#\s*(?i:expect|quiet)\s*:")
_LABEL = re.compile(r"#\s*(?P<keyword>\w+)\s*(?P<colon>:?)\s*(?P<body>.*)$", re.S)
_CODE = re.compile(r"SAD\d{3}", re.I)
GRAMMAR = "`# expect: SLUG[, SLUG] -- NOTE` or `# quiet: NOTE`"


def parse_labels(text: str, path: str = "<string>") -> tuple[list[Label], list[LabelError]]:
    """The labels of one module's source text, and one LabelError per malformed label (or per reason the file
    cannot be read as a module: it does not tokenize, or does not parse as Python 3.10)."""
    labels: list[Label] = []
    errors: list[LabelError] = []
    lines = text.splitlines()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except SyntaxError as exc:  # IndentationError and friends (Python >= 3.12 tokenizes with the parser)
        return [], [LabelError(path, exc.lineno or 1, f"cannot be tokenized: {exc.msg}")]
    except tokenize.TokenError as exc:
        where = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], tuple) else (1, 0)
        return [], [LabelError(path, where[0] or 1, f"cannot be tokenized: {exc.args[0]}")]
    try:
        ast.parse(text, filename=path, feature_version=(3, 10))
    except SyntaxError as exc:
        errors.append(LabelError(path, exc.lineno or 1, f"does not parse as Python 3.10: {exc.msg}"))
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        row, col = token.start
        comment = token.string
        attempt = _LABEL_ATTEMPT.match(comment)
        if not attempt:
            if _LABEL_INSIDE.search(comment, 1):
                errors.append(LabelError(path, row, "a label must be the whole comment, starting at its `#`"))
            continue
        if _LABEL_INSIDE.search(comment, attempt.end()):
            errors.append(LabelError(path, row, "a line holds at most one label"))
            continue
        before = lines[row - 1][:col] if row - 1 < len(lines) else ""
        if not before.strip():
            errors.append(
                LabelError(path, row, "label on a line without code: put it at the end of the rule's anchor line")
            )
            continue
        label, error = _parse_label(comment, path, row)
        if error:
            errors.append(LabelError(path, row, error))
        elif label:
            labels.append(label)
    return labels, errors


def _parse_label(comment: str, path: str, row: int) -> tuple[Label | None, str | None]:
    parsed = _LABEL.match(comment)
    if not parsed:  # pragma: no cover - _LABEL_ATTEMPT guarantees a keyword
        return None, f"malformed label {comment!r}: write {GRAMMAR}"
    keyword, colon, body = parsed["keyword"], parsed["colon"], parsed["body"].strip()
    if keyword not in ("expect", "quiet"):
        hint = "expect" if keyword.lower().startswith("expect") else "quiet"
        return None, f"unknown label keyword {keyword!r} (did you mean `# {hint}:`?): write {GRAMMAR}"
    if not colon:
        return None, f"`# {keyword}` needs a colon: write {GRAMMAR}"
    if keyword == "quiet":
        if not body:
            return None, "quiet label without a note: write `# quiet: NOTE` saying why the code is correct"
        return Label(path, row, "quiet", body), None
    slugs_text, dashes, note = body.partition("--")
    note = note.strip()
    if not dashes or not note:
        return None, "expect label without a note: write `# expect: SLUG -- NOTE` saying what breaks in production"
    slugs: list[str] = []
    for raw in slugs_text.split(","):
        slug = raw.strip()
        if not slug:
            return None, f"empty slug in {slugs_text.strip()!r}: separate slugs with one comma"
        if slug in SLUG_TO_CODE:
            if slug in slugs:
                return None, f"slug {slug!r} is listed twice"
            slugs.append(slug)
            continue
        if _CODE.fullmatch(slug) and slug.upper() in CODE_TO_SLUG:
            return None, f"{slug!r} is a code: labels name the slug, `{CODE_TO_SLUG[slug.upper()]}`"
        close = difflib.get_close_matches(slug, SLUG_TO_CODE, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return None, f"unknown slug {slug!r}{hint}; known slugs: {', '.join(SLUG_TO_CODE)}"
    return Label(path, row, "expect", note, tuple(slugs)), None


def case_files(cases: Path) -> list[Path]:
    """Every .py file under the cases folder, sorted, skipping hidden and build folders."""
    found = []
    for dirpath, dirnames, filenames in os.walk(cases):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIPPED_DIRS)
        found.extend(Path(dirpath) / name for name in filenames if name.endswith(".py"))
    return sorted(found, key=lambda p: p.relative_to(cases).as_posix())


def load_labels(cases: Path | str = DEFAULT_CASES) -> Labels:
    """The labels of every module under ``cases`` (paths relative to it, with '/'), with their errors."""
    cases = Path(cases)
    result = Labels()
    if not cases.is_dir():
        result.errors.append(LabelError(str(cases), 0, "the cases folder does not exist"))
        return result
    for file in case_files(cases):
        rel = file.relative_to(cases).as_posix()
        result.files.append(rel)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            result.errors.append(LabelError(rel, 0, f"cannot be read as UTF-8: {exc}"))
            continue
        labels, errors = parse_labels(text, rel)
        result.labels.extend(labels)
        result.errors.extend(errors)
        if any(slug in NEEDS_LOG_FIELDS for label in labels for slug in label.slugs) and not _sets_log_fields(
            cases, file
        ):
            for label in labels:
                for slug in NEEDS_LOG_FIELDS.intersection(label.slugs):
                    result.errors.append(
                        LabelError(
                            rel,
                            label.line,
                            f"{slug} only fires where the nearest pyproject.toml sets required-log-fields "
                            "(put the module under logfields/)",
                        )
                    )
    result.errors.sort(key=lambda e: (e.path, e.line))
    return result


def _sets_log_fields(cases: Path, file: Path) -> bool:
    """Whether the nearest pyproject.toml with a [tool.sadpath] table (upward from ``file``, within ``cases``)
    sets required-log-fields."""
    folder = file.parent
    while True:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            text = pyproject.read_text(encoding="utf-8", errors="replace")
            if re.search(r"^\s*\[tool\.sadpath[\].]", text, re.M):
                return bool(re.search(r"^\s*required-log-fields\s*=\s*\[\s*[\"']", text, re.M))
        if folder == cases or folder == folder.parent:
            return False
        folder = folder.parent


# --------------------------------------------------------------------------------------------- run


def _norm_path(path: str) -> str:
    return PurePosixPath(os.path.normpath(path).replace(os.sep, "/")).as_posix()


def command_prefix(command: str | Sequence[str] | None) -> list[str]:
    if command is None:
        return list(DEFAULT_COMMAND)
    if isinstance(command, str):
        return shlex.split(command)
    return list(command)


def run_sadpath(cases: Path | str = DEFAULT_CASES, command: str | Sequence[str] | None = None) -> list[Finding]:
    """Run sadpath once over ``cases`` and return its findings (paths relative to ``cases``). ``command`` is the
    command prefix (default: this Python's ``-m sadpath``; a string is split like a shell would). Raises
    ScoreError when the run fails: exit status >= 2, output that is not the version-1 JSON contract, errors
    listed in it, or SAD000 syntax errors (the benchmark must parse)."""
    cases = Path(cases).resolve()
    argv = [*command_prefix(command), *CHECK_ARGS]
    shown = shlex.join(argv)
    try:
        proc = subprocess.run(
            argv, cwd=cases, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=RUN_TIMEOUT
        )
    except OSError as exc:  # not found, not executable, ...
        raise ScoreError(f"cannot run sadpath: {exc}", [f"command: {shown}"]) from exc
    except subprocess.TimeoutExpired as exc:
        raise ScoreError(f"sadpath did not finish in {RUN_TIMEOUT} s", [f"command: {shown}"]) from exc
    stderr_tail = [line for line in proc.stderr.strip().splitlines()[-15:]]
    if proc.returncode < 0 or proc.returncode >= 2:
        raise ScoreError(
            f"sadpath failed with exit status {proc.returncode}", [f"command: {shown}", *stderr_tail]
        )
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        head = proc.stdout.strip()[:200] or "(no output)"
        raise ScoreError(
            f"sadpath's output is not JSON ({exc.msg} at line {exc.lineno})", [f"command: {shown}", head, *stderr_tail]
        ) from exc
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("findings"), list):
        raise ScoreError(
            "sadpath's output is not the version-1 JSON contract of `sadpath check --format json`",
            [f"command: {shown}"],
        )
    problems = [f"{_norm_path(str(e.get('path', '?')))}: {e.get('message', e)}" for e in data.get("errors") or []]
    try:
        findings = [Finding.from_json(item) for item in data["findings"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ScoreError(f"a finding in sadpath's output lacks a field of the contract: {exc}") from exc
    problems.extend(f"{f.path}:{f.line}: SAD000 {f.message}" for f in findings if f.code == "SAD000")
    if problems:
        raise ScoreError(f"sadpath could not check every case ({len(problems)} problems)", problems)
    return findings


# --------------------------------------------------------------------------------------------- score


def _cost(label_line: int, finding: Finding, index: int) -> tuple:
    """Prefer the finding that starts on the label's line, then the closest start, then the tightest range."""
    return (finding.line != label_line, abs(label_line - finding.line), finding.end_line - finding.line,
            finding.column, index)


def match(expects: Sequence[tuple[Label, str]], findings: Sequence[Finding]) -> dict[int, int]:
    """One-to-one matching of expected findings to findings of ONE rule in ONE file: a finding can match an
    expect whose line is within its [line, end_line]. The matching is maximal (as many pairs as possible);
    each expect takes the finding starting on its line if there is one, else the closest start. Returns
    {expect index: finding index}."""
    candidates: list[list[int]] = []
    for label, _ in expects:
        fits = [j for j, f in enumerate(findings) if f.line <= label.line <= f.end_line]
        candidates.append(sorted(fits, key=lambda j: _cost(label.line, findings[j], j)))
    # Greedy by preference first, so the preferred pairs win whenever they do not cost a match.
    pairs = sorted(
        (_cost(label.line, findings[j], j), label.line, i, j)
        for i, (label, _) in enumerate(expects)
        for j in candidates[i]
    )
    by_expect: dict[int, int] = {}
    by_finding: dict[int, int] = {}
    for _, _, i, j in pairs:
        if i not in by_expect and j not in by_finding:
            by_expect[i] = j
            by_finding[j] = i

    # Then augmenting paths (Kuhn), so that no expect is left unmatched when a re-assignment could match it.
    def augment(i: int, seen: set[int]) -> bool:
        for j in candidates[i]:
            if j in seen:
                continue
            seen.add(j)
            other = by_finding.get(j)
            if other is None or augment(other, seen):
                by_expect[i] = j
                by_finding[j] = i
                return True
        return False

    for i in range(len(expects)):
        if i not in by_expect:
            augment(i, set())
    return by_expect


def score(labels: Labels | Iterable[Label], findings: Iterable[Finding | dict]) -> Score:
    """Match findings to expect labels per rule and file, and count per rule."""
    if isinstance(labels, Labels):
        label_list, modules = labels.labels, len(labels.modules)
    else:
        label_list = list(labels)
        modules = len({label.path for label in label_list})
    found = [f if isinstance(f, Finding) else Finding.from_json(f) for f in findings]

    expects: dict[tuple[str, str], list[tuple[Label, str]]] = defaultdict(list)
    for label in label_list:
        for slug in label.slugs if label.kind == "expect" else ():
            expects[(label.path, SLUG_TO_CODE[slug])].append((label, slug))
    by_key: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in found:
        by_key[(finding.path, finding.code)].append(finding)

    rules = {code: RuleScore(code, slug) for code, slug in RULES}
    for code in sorted({f.code for f in found} - set(SCORED)):
        rules[code] = RuleScore(code, next((f.rule for f in found if f.code == code and f.rule), ""))
    labels_at: dict[tuple[str, int], list[Label]] = defaultdict(list)
    for label in label_list:
        labels_at[(label.path, label.line)].append(label)

    matches: list[Match] = []
    misses: list[Miss] = []
    false_positives: list[FalsePositive] = []
    for key in sorted(set(expects) | set(by_key)):
        path, code = key
        rule_expects = sorted(expects.get(key, []), key=lambda e: e[0].line)
        rule_findings = sorted(by_key.get(key, []), key=lambda f: (f.line, f.end_line, f.column))
        paired = match(rule_expects, rule_findings)
        rule = rules[code]
        rule.labels += len(rule_expects)
        rule.findings += len(rule_findings)
        rule.tp += len(paired)
        matched_findings = set(paired.values())
        for i, (label, slug) in enumerate(rule_expects):
            if i in paired:
                matches.append(Match(label, slug, rule_findings[paired[i]]))
            else:
                misses.append(Miss(label, code, slug))
        for j, finding in enumerate(rule_findings):
            if j not in matched_findings:
                false_positives.append(FalsePositive(finding, _context(finding, labels_at)))

    overall = RuleScore(OVERALL, "")
    for code in SCORED:
        overall.labels += rules[code].labels
        overall.findings += rules[code].findings
        overall.tp += rules[code].tp
    order = {code: index for index, code in enumerate(rules)}
    misses.sort(key=lambda m: (order[m.code], m.label.path, m.label.line))
    false_positives.sort(key=lambda fp: (order[fp.finding.code], fp.finding.path, fp.finding.line))
    counts = Counter(slug for label in label_list if label.kind == "expect" for slug in label.slugs)
    return Score(
        rules=rules,
        overall=overall,
        matches=matches,
        misses=misses,
        false_positives=false_positives,
        expect_counts={slug: counts.get(slug, 0) for _, slug in RULES},
        quiet=sum(1 for label in label_list if label.kind == "quiet"),
        modules=modules,
    )


def _context(finding: Finding, labels_at: dict[tuple[str, int], list[Label]]) -> str:
    """What the lines of a false positive are labelled with, nearest its start first."""
    slug = CODE_TO_SLUG.get(finding.code)
    lines = sorted(range(finding.line, finding.end_line + 1), key=lambda n: n - finding.line)
    for n in lines:
        for label in labels_at.get((finding.path, n), []):
            if slug and slug in label.slugs:
                return f"the expect on line {n} is matched by another finding"
    for n in lines:
        for label in labels_at.get((finding.path, n), []):
            where = "" if n == finding.line else f" (line {n})"
            if label.kind == "quiet":
                return f"quiet{where}: {label.note}"
            return f"labelled expect{where}: {', '.join(label.slugs)}"
    return "no label"


# --------------------------------------------------------------------------------------------- output


def fmt3(value: Fraction | None) -> str:
    """Three decimals, rounded half up, exactly; '-' for an undefined figure."""
    if value is None:
        return "-"
    thousandths = (Fraction(value) * 1000 + Fraction(1, 2)).__floor__()
    return f"{thousandths // 1000}.{thousandths % 1000:03d}"


def _json_figure(value: Fraction | None) -> float | None:
    return None if value is None else float(fmt3(value))


def resolve_rule(text: str) -> str:
    """A rule code from a code (any case) or a slug; ValueError when it is neither."""
    if text in SLUG_TO_CODE:
        return SLUG_TO_CODE[text]
    if _CODE.fullmatch(text):
        return text.upper()
    raise ValueError(f"unknown rule {text!r}: give a code (SAD201) or a slug ({', '.join(SLUG_TO_CODE)})")


def overall_line(result: Score) -> str:
    return (
        f"overall precision={fmt3(result.figure(OVERALL, 'precision'))} "
        f"recall={fmt3(result.figure(OVERALL, 'recall'))}"
    )


def render_text(result: Score, *, only_rule: str | None = None, violations: Sequence[str] = (),
                header: Sequence[str] = ()) -> str:
    out: list[str] = list(header)
    if header:
        out.append("")
    columns = ("code", "slug", "labels", "findings", "TP", "FP", "misses", "precision", "recall")
    rows = [
        (r.code, r.slug if r.code in CODE_TO_SLUG else f"{r.slug or '?'} (not scored)", str(r.labels),
         str(r.findings), str(r.tp), str(r.fp), str(r.misses), fmt3(r.precision), fmt3(r.recall))
        for r in result.rules.values()
    ]
    o = result.overall
    rows.append(("overall", "SAD101-SAD105, SAD201-SAD207", str(o.labels), str(o.findings), str(o.tp), str(o.fp),
                 str(o.misses), fmt3(o.precision), fmt3(o.recall)))
    widths = [max(len(c), *(len(row[k]) for row in rows)) for k, c in enumerate(columns)]

    def fmt_row(row: Sequence[str]) -> str:
        cells = [row[k].ljust(widths[k]) if k < 2 else row[k].rjust(widths[k]) for k in range(len(row))]
        return "  ".join(cells).rstrip()

    out.append(fmt_row(columns))
    out.append(fmt_row(["-" * w for w in widths]))
    out.extend(fmt_row(row) for row in rows[:-1])
    out.append(fmt_row(["-" * w for w in widths]))
    out.append(fmt_row(rows[-1]))

    for title, items in (
        ("misses (an expect label with no finding)", [(m.code, m.describe()) for m in result.misses]),
        ("false positives (a finding with no expect label for its rule)",
         [(fp.finding.code, fp.describe()) for fp in result.false_positives]),
    ):
        if only_rule:
            items = [item for item in items if item[0] == only_rule]
        scope = f", {only_rule} only" if only_rule else ""
        out.append("")
        out.append(f"{title}{scope}: {len(items)}")
        grouped: dict[str, list[str]] = defaultdict(list)
        for code, text in items:
            grouped[code].append(text)
        for code, texts in grouped.items():
            rule = result.rules[code]
            out.append(f"  {code} {rule.slug} ({len(texts)})".rstrip())
            out.extend(f"    {text}" for text in texts)

    out.append("")
    out.append("labels:")
    width = max(len(slug) for _, slug in RULES)
    for code, slug in RULES:
        out.append(f"  {code} {slug.ljust(width)}  {result.expect_counts[slug]:5d} expects")
    total = sum(result.expect_counts.values())
    out.append(f"  {'total'.ljust(width + 7)}  {total:5d} expects")
    out.append(f"  {'quiet'.ljust(width + 7)}  {result.quiet:5d} labels")
    out.append(f"  {'modules'.ljust(width + 7)}  {result.modules:5d}")
    if violations:
        out.append("")
        out.append(f"below the floors: {len(violations)}")
        out.extend(f"  {v}" for v in violations)
    out.append("")
    out.append(overall_line(result))
    return "\n".join(out)


def render_json(result: Score, *, only_rule: str | None = None, violations: Sequence[str] = (),
                cases: str = "", command: Sequence[str] = ()) -> str:
    misses = [m for m in result.misses if not only_rule or m.code == only_rule]
    fps = [fp for fp in result.false_positives if not only_rule or fp.finding.code == only_rule]
    data = {
        "version": 1,
        "cases": cases,
        "command": list(command),
        "rules": [r.as_json() for r in result.rules.values()],
        "overall": {
            **{k: v for k, v in result.overall.as_json().items() if k not in ("code", "slug")},
            "floor_precision": float(fmt3(result.figure(OVERALL, "precision"))),
            "floor_recall": float(fmt3(result.figure(OVERALL, "recall"))),
            "rules": list(SCORED),
        },
        "rule_filter": only_rule,
        "misses": [
            {"path": m.label.path, "line": m.label.line, "code": m.code, "slug": m.slug, "note": m.label.note}
            for m in misses
        ],
        "false_positives": [
            {"path": fp.finding.path, "line": fp.finding.line, "end_line": fp.finding.end_line,
             "code": fp.finding.code, "message": fp.finding.message, "context": fp.context}
            for fp in fps
        ],
        "labels": {"expects": dict(result.expect_counts), "expects_total": sum(result.expect_counts.values()),
                   "quiet": result.quiet, "modules": result.modules},
        "below_floors": list(violations),
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


# --------------------------------------------------------------------------------------------- floors

Floors = dict  # {"SAD101": {"precision": Decimal, "recall": Decimal}, ..., "overall": {...}}
FLOOR_SECTIONS: tuple[str, ...] = (*SCORED, OVERALL)


def render_markdown(result: Score) -> str:
    """The per-rule table as Markdown (the README's Quality section carries it)."""

    def two(value: Fraction | None) -> str:
        return "-" if value is None else f"{float(value):.2f}"

    rows = [
        "| rule | labels | findings | right | wrong | missed | precision | recall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for code in SCORED:
        r = result.rules[code]
        rows.append(f"| {code} {r.slug} | {r.labels} | {r.findings} | {r.tp} | {r.fp} | {r.misses} | {two(r.precision)} | {two(r.recall)} |")
    o = result.overall
    rows.append(
        f"| **all** | **{o.labels}** | **{o.findings}** | **{o.tp}** | **{o.fp}** | **{o.misses}** | "
        f"**{two(o.precision)}** | **{two(o.recall)}** |"
    )
    return "\n".join(rows) + "\n"


def read_floors(path: Path | str = DEFAULT_FLOORS) -> Floors:
    """The floors file: ``[SECTION]`` headers (a scored rule's code or ``overall``) and ``precision = X`` /
    ``recall = X`` lines with X in [0, 1], read exactly (as decimals). Raises ScoreError on anything else."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScoreError(f"cannot read the floors file {path}: {exc}") from exc
    floors: Floors = {}
    problems: list[str] = []
    section: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        header = re.fullmatch(r"\[\s*([A-Za-z0-9_-]+)\s*\]", line)
        if header:
            section = header[1]
            if section not in FLOOR_SECTIONS:
                problems.append(f"{path}:{number}: unknown section [{section}] (known: {', '.join(FLOOR_SECTIONS)})")
                section = None
            elif section in floors:
                problems.append(f"{path}:{number}: section [{section}] appears twice")
            else:
                floors[section] = {}
            continue
        entry = re.fullmatch(r"([A-Za-z_-]+)\s*=\s*(\S+)", line)
        if not entry or section is None:
            problems.append(f"{path}:{number}: expected `[SECTION]` or `precision = 0.0` / `recall = 0.0`")
            continue
        key, value = entry[1], entry[2]
        if key not in METRICS:
            problems.append(f"{path}:{number}: unknown key {key!r} (known: precision, recall)")
            continue
        try:
            floor = Decimal(value)
        except InvalidOperation:
            floor = None
        if floor is None or not floor.is_finite() or not 0 <= floor <= 1:
            problems.append(f"{path}:{number}: {key} must be a number between 0 and 1, not {value!r}")
            continue
        floors[section][key] = floor
    if problems:
        raise ScoreError(f"the floors file {path} is malformed", problems)
    return floors


def check_floors(result: Score, floors: Floors) -> list[str]:
    """One line per figure below its floor, naming the rule, the figure and the floor."""
    violations = []
    for section in FLOOR_SECTIONS:
        for metric in METRICS:
            floor = floors.get(section, {}).get(metric)
            if floor is None:
                continue
            figure = result.figure(section, metric)
            if figure < Fraction(floor):
                name = f"{section} {CODE_TO_SLUG[section]}" if section in CODE_TO_SLUG else section
                violations.append(f"{name}: {metric} {fmt3(figure)} is below its floor {_fmt_floor(floor)}")
    return violations


def floor2(value: Fraction) -> Decimal:
    """Rounded DOWN to 2 decimals, exactly (0.29 stays 0.29, 2/3 becomes 0.66)."""
    return Decimal((Fraction(value) * 100).__floor__()) / 100


def _fmt_floor(value: Decimal) -> str:
    text = f"{Decimal(value):.2f}"
    text = text.rstrip("0")
    return text + "0" if text.endswith(".") else text


def format_floors(floors: Floors, header: str = FLOORS_HEADER) -> str:
    """The floors file in its stable form: the header, then every scored rule in catalog order, then
    [overall]; a missing figure is written as 0.0."""
    out = [header.rstrip("\n"), ""]
    for section in FLOOR_SECTIONS:
        title = f"[{section}]"
        comment = CODE_TO_SLUG.get(section, "micro-averaged over the rules above")
        out.append(f"{title}  # {comment}")
        for metric in METRICS:
            out.append(f"{metric} = {_fmt_floor(floors.get(section, {}).get(metric, Decimal(0)))}")
        out.append("")
    return "\n".join(out)


def _header_of(text: str) -> str:
    """The leading comment block of a floors file (kept by --ratchet), or the default header."""
    lines = []
    for line in text.splitlines():
        if line.startswith("#") or (not line.strip() and lines):
            lines.append(line)
        else:
            break
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n" if lines else FLOORS_HEADER


@dataclass
class Ratchet:
    raised: list[str]
    below: list[str]
    written: bool


def ratchet_floors(result: Score, path: Path | str = DEFAULT_FLOORS) -> Ratchet:
    """Raise every floor to the current figure rounded down to 2 decimals; never lower one. Refuses (writes
    nothing) while a figure is below its floor. Undefined figures ('-') raise nothing."""
    path = Path(path)
    floors = read_floors(path) if path.exists() else {}
    below = check_floors(result, floors)
    if below:
        return Ratchet([], below, False)
    raised = []
    new: Floors = {section: dict(floors.get(section, {})) for section in FLOOR_SECTIONS}
    for section in FLOOR_SECTIONS:
        target = result.overall if section == OVERALL else result.rules[section]
        for metric in METRICS:
            value = getattr(target, metric)
            old = new[section].get(metric, Decimal(0))
            new[section][metric] = old
            if value is None:
                continue
            candidate = floor2(value)
            if candidate > old:
                new[section][metric] = candidate
                name = f"{section} {CODE_TO_SLUG[section]}" if section in CODE_TO_SLUG else section
                raised.append(f"{name}: {metric} {_fmt_floor(old)} -> {_fmt_floor(candidate)} (now {fmt3(value)})")
    header = _header_of(path.read_text(encoding="utf-8")) if path.exists() else FLOORS_HEADER
    text = format_floors(new, header)
    old_text = path.read_text(encoding="utf-8") if path.exists() else None
    if text != old_text:
        path.write_text(text, encoding="utf-8")
    return Ratchet(raised, [], text != old_text)


# --------------------------------------------------------------------------------------------- main


def _display(path: Path) -> str:
    """A path relative to the working directory when it is below it, else absolute."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path.cwd()).as_posix() or "."
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="score.py", description="Score sadpath on the labelled quality benchmark (bench/quality/)."
    )
    parser.add_argument("--cases", type=Path, default=None, help="the cases folder (default: bench/quality/cases)")
    parser.add_argument("--sadpath", metavar="CMD", default=None,
                        help="the sadpath command prefix (default: this Python's -m sadpath), e.g. "
                             "../baseline/.venv/bin/sadpath")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--markdown", action="store_true", help="print only the per-rule table, as Markdown (for the README)")
    parser.add_argument("--rule", metavar="CODE|SLUG", help="limit the lists of misses and false positives to a rule")
    parser.add_argument("--check-labels", action="store_true", help="only check the labels; do not run sadpath")
    parser.add_argument("--ratchet", action="store_true",
                        help="raise the floors to the current figures rounded down to 2 decimals (never lower)")
    parser.add_argument("--floors", type=Path, default=None,
                        help="the floors file (default: bench/quality/floors.toml)")
    args = parser.parse_args(argv)

    only_rule = None
    if args.rule:
        try:
            only_rule = resolve_rule(args.rule)
        except ValueError as exc:
            parser.error(str(exc))
    if args.ratchet and (args.cases or args.sadpath) and args.floors is None:
        parser.error("--ratchet raises the benchmark's floors from the project's own sadpath on the benchmark; "
                     "with --cases or --sadpath, name the floors file to raise with --floors")
    cases = (args.cases or DEFAULT_CASES).resolve()
    floors_path = args.floors or DEFAULT_FLOORS

    labels = load_labels(cases)
    if labels.errors:
        for error in labels.errors:
            print(error, file=sys.stderr)
        print(f"{len(labels.errors)} label error(s): write {GRAMMAR}", file=sys.stderr)
        return 2
    if args.check_labels:
        counts = labels.expect_counts()
        per_rule = ", ".join(f"{slug} {n}" for slug, n in counts.items())
        print(f"labels ok: {len(labels.modules)} modules, {sum(counts.values())} expects, "
              f"{len(labels.quiet)} quiet ({per_rule})")
        return 0

    prefix = command_prefix(args.sadpath)
    try:
        findings = run_sadpath(cases, prefix)
        floors = read_floors(floors_path) if (args.floors or floors_path.exists()) else {}
    except ScoreError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return 2
    result = score(labels, findings)
    violations = check_floors(result, floors)

    if args.ratchet:
        try:
            outcome = ratchet_floors(result, floors_path)
        except ScoreError as exc:
            for line in exc.lines():
                print(line, file=sys.stderr)
            return 2
        if outcome.below:
            print(f"--ratchet refuses to lower a floor; {_display(floors_path)} is unchanged. Below the floors:")
            for line in outcome.below:
                print(f"  {line}")
            print(overall_line(result))
            return 1
        if outcome.raised:
            print(f"raised in {_display(floors_path)}:")
            for line in outcome.raised:
                print(f"  {line}")
        else:
            print(f"nothing to raise: every floor in {_display(floors_path)} is at its figure rounded down")
        print(overall_line(result))
        return 0

    if args.markdown:
        sys.stdout.write(render_markdown(result))
        return 1 if violations else 0
    if args.json:
        print(render_json(result, only_rule=only_rule, violations=violations, cases=_display(cases),
                          command=[*prefix, *CHECK_ARGS]))
    else:
        header = [
            f"sadpath quality benchmark: {_display(cases)} ({len(labels.modules)} modules)",
            f"command: {shlex.join([*prefix, *CHECK_ARGS])}",
        ]
        print(render_text(result, only_rule=only_rule, violations=violations, header=header))
    return 1 if violations else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `score.py | head`
        sys.stderr.close()
        sys.exit(1)
