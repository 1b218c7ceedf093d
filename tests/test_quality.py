"""The labelled quality benchmark (bench/quality/): sadpath's precision and recall per rule against the
ratcheted floors, the benchmark's size, and the scorer itself (label grammar, matching, runs, floors)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QUALITY = ROOT / "bench" / "quality"
CASES = QUALITY / "cases"
FLOORS = QUALITY / "floors.toml"

MIN_MODULES = 30
MIN_EXPECTS = 150
MIN_EXPECTS_PER_RULE = 10
MIN_QUIET = 250


def _load_scorer():
    spec = importlib.util.spec_from_file_location("sadpath_quality_score", QUALITY / "score.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


score = _load_scorer()


# ---------------------------------------------------------------- the benchmark


@pytest.fixture(scope="module")
def benchmark_labels():
    return score.load_labels(CASES)


@pytest.fixture(scope="module")
def benchmark_score(benchmark_labels):
    assert not benchmark_labels.errors, "\n".join(map(str, benchmark_labels.errors))
    try:
        findings = score.run_sadpath(CASES)  # this Python's `-m sadpath`: the installed build
    except score.ScoreError as exc:
        pytest.fail("\n".join(exc.lines()))
    return score.score(benchmark_labels, findings)


def test_the_readme_shows_the_benchmark_as_it_scores(benchmark_score):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- quality-table:start -->\n", "<!-- quality-table:end -->"
    shown = readme[readme.index(start) + len(start) : readme.index(end)]
    assert shown == score.render_markdown(benchmark_score), (
        "the README's Quality table is out of date: paste `python bench/quality/score.py --markdown` into it"
    )


def test_benchmark_meets_its_floors(benchmark_score):
    result = benchmark_score
    violations = score.check_floors(result, score.read_floors(FLOORS))
    assert not violations, (
        "below the floors in bench/quality/floors.toml (run `python bench/quality/score.py` for the misses and "
        "false positives; floors are never lowered):\n" + "\n".join(violations)
    )


def test_benchmark_labels_parse(benchmark_labels):
    assert not benchmark_labels.errors, "\n".join(map(str, benchmark_labels.errors))


def test_benchmark_keeps_its_size(benchmark_labels):
    counts = benchmark_labels.expect_counts()
    short = []
    if len(benchmark_labels.modules) < MIN_MODULES:
        short.append(f"{len(benchmark_labels.modules)} modules, at least {MIN_MODULES} wanted")
    if sum(counts.values()) < MIN_EXPECTS:
        short.append(f"{sum(counts.values())} expect labels, at least {MIN_EXPECTS} wanted")
    for code, slug in score.RULES:
        if counts[slug] < MIN_EXPECTS_PER_RULE:
            short.append(f"{code} {slug}: {counts[slug]} expect labels, at least {MIN_EXPECTS_PER_RULE} wanted")
    if len(benchmark_labels.quiet) < MIN_QUIET:
        short.append(f"{len(benchmark_labels.quiet)} quiet labels, at least {MIN_QUIET} wanted")
    assert not short, "the benchmark shrank below its size:\n" + "\n".join(short)


def test_floors_file_names_every_rule_and_parses_as_toml():
    floors = score.read_floors(FLOORS)
    assert list(floors) == [*score.SCORED, "overall"]
    assert all(set(figures) == {"precision", "recall"} for figures in floors.values())
    text = FLOORS.read_text(encoding="utf-8")
    assert "ratchet" in text and "never lowered" in text
    assert score.format_floors(floors, score._header_of(text)) == text  # the stable form --ratchet writes
    if sys.version_info >= (3, 11):
        import tomllib

        parsed = tomllib.loads(text)
        assert {k: {m: Decimal(repr(v)) for m, v in f.items()} for k, f in parsed.items()} == floors


# ---------------------------------------------------------------- the label grammar


def labels_of(text: str, path: str = "svc.py"):
    return score.parse_labels(textwrap.dedent(text), path)


def test_expect_and_quiet_labels_are_parsed():
    labels, errors = labels_of(
        """\
        import requests


        def fetch(url):
            resp = requests.get(url)  # expect: missing-timeout, unhandled-external-call -- a stalled API hangs
            return resp.json()  # expect: unchecked-http-status -- a 503 page is parsed as data


        def fetch_ok(url):
            return requests.get(url, timeout=5)  # quiet: a timeout is set -- and nothing else to say
        """
    )
    assert errors == []
    assert [(l.line, l.kind, l.slugs) for l in labels] == [
        (5, "expect", ("missing-timeout", "unhandled-external-call")),
        (6, "expect", ("unchecked-http-status",)),
        (10, "quiet", ()),
    ]
    assert labels[0].note == "a stalled API hangs"
    assert labels[2].note == "a timeout is set -- and nothing else to say"


def test_a_hash_inside_a_string_is_not_a_label():
    labels, errors = labels_of(
        '''\
        HELP = "# expect: bogus -- not a label"
        DOC = """
        x = 1  # quiet:
        """
        '''
    )
    assert labels == [] and errors == []


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("# expect: missing-timeout", "without a note"),
        ("# expect: missing-timeout --", "without a note"),
        ("# expect: missing-timout -- typo", "unknown slug 'missing-timout' (did you mean 'missing-timeout'?)"),
        ("# expect: SAD202 -- a code", "labels name the slug, `missing-timeout`"),
        ("# expect missing-timeout -- no colon", "needs a colon"),
        ("# expected: missing-timeout -- keyword", "unknown label keyword 'expected'"),
        ("# Quiet: capitalised", "unknown label keyword 'Quiet'"),
        ("# quiet:", "quiet label without a note"),
        ("# expect: missing-timeout,, silent-except -- note", "empty slug"),
        ("# expect: missing-timeout, missing-timeout -- note", "listed twice"),
        ("# quiet: fine  # expect: missing-timeout -- two", "at most one label"),
        ("# noqa  # quiet: not at the start", "must be the whole comment"),
    ],
    ids=["no-note", "empty-note", "unknown-slug", "code-for-slug", "no-colon", "expected", "capitalised",
         "quiet-no-note", "empty-slug", "repeated-slug", "two-labels", "after-other-comment"],
)
def test_a_malformed_label_is_reported_once_with_its_line(comment, message):
    labels, errors = labels_of(f"import requests\nresp = requests.get(url)  {comment}\n")
    assert labels == []
    assert len(errors) == 1, errors
    assert errors[0].line == 2 and message in errors[0].message
    assert str(errors[0]).startswith("svc.py:2: ")


def test_a_label_on_a_line_without_code_is_reported():
    _, errors = labels_of("def f(url):\n    # expect: missing-timeout -- on its own line\n    return url\n")
    assert [(e.line, "without code" in e.message) for e in errors] == [(2, True)]


def test_a_module_that_does_not_parse_is_reported():
    _, errors = labels_of("total = = 1  # quiet: fine\n")
    assert [e.line for e in errors] == [1] and "does not parse as Python 3.10" in errors[0].message
    _, errors = labels_of("def f(:\n    pass  # quiet: fine\n")
    assert len(errors) == 1 and "cannot be tokenized" in errors[0].message


def test_log_missing_context_only_under_a_project_with_required_log_fields(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.sadpath]\n", encoding="utf-8")
    (tmp_path / "logfields").mkdir()
    (tmp_path / "logfields" / "pyproject.toml").write_text(
        '[tool.sadpath]\nrequired-log-fields = ["correlation_id"]\n', encoding="utf-8"
    )
    body = "try:\n    f()\nexcept OSError:\n    log.exception('x')  # expect: log-missing-context -- no id\n    raise\n"
    (tmp_path / "top.py").write_text(body, encoding="utf-8")
    (tmp_path / "logfields" / "nested.py").write_text(body, encoding="utf-8")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    labels = score.load_labels(tmp_path)
    assert [str(e).split(":")[0] for e in labels.errors] == ["top.py"]
    assert labels.files == ["logfields/nested.py", "pkg/__init__.py", "top.py"]
    assert labels.modules == ["logfields/nested.py", "top.py"]  # a package's __init__.py is not a module


def test_check_labels_prints_one_line_per_error_and_exits_two(tmp_path, capsys):
    (tmp_path / "svc.py").write_text(
        "a = 1  # expect: missing-timeout\nb = 2  # expect: nope -- x\nc = 3  # quiet: fine\n", encoding="utf-8"
    )
    assert score.main(["--check-labels", "--cases", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith("svc.py:1: expect label without a note")
    assert lines[1].startswith("svc.py:2: unknown slug 'nope'")
    assert lines[2].startswith("2 label error(s)")
    (tmp_path / "svc.py").write_text("c = 3  # quiet: fine\n", encoding="utf-8")
    assert score.main(["--check-labels", "--cases", str(tmp_path)]) == 0
    assert "labels ok: 1 modules, 0 expects, 1 quiet" in capsys.readouterr().out


# ---------------------------------------------------------------- the matcher


def expect(line: int, *slugs: str, path: str = "svc.py") -> score.Label:
    return score.Label(path, line, "expect", f"note {line}", slugs)


def quiet(line: int, path: str = "svc.py") -> score.Label:
    return score.Label(path, line, "quiet", f"why {line} is fine")


def finding(line: int, code: str, end_line: int | None = None, path: str = "svc.py") -> score.Finding:
    return score.Finding(path, line, end_line or line, code, f"{code} at {line}")


def test_matching_is_one_to_one():
    result = score.score([expect(5, "silent-except")], [finding(5, "SAD101"), finding(5, "SAD101")])
    rule = result.rule("SAD101")
    assert (rule.labels, rule.findings, rule.tp, rule.fp, rule.misses) == (1, 2, 1, 1, 0)
    assert [fp.context for fp in result.false_positives] == ["the expect on line 5 is matched by another finding"]

    result = score.score([expect(5, "silent-except"), expect(6, "silent-except")], [finding(5, "SAD101", 6)])
    rule = result.rule("silent-except")
    assert (rule.tp, rule.fp, rule.misses) == (1, 0, 1)
    assert [m.label.line for m in result.misses] == [6]


def test_a_label_must_lie_within_the_finding_range():
    labels = [expect(7, "missing-timeout"), expect(4, "missing-timeout", path="other.py")]
    result = score.score(labels, [finding(5, "SAD202", 8), finding(5, "SAD202", 8, path="other.py")])
    assert [(m.finding.path, m.label.line) for m in result.matches] == [("svc.py", 7)]
    assert [m.label.path for m in result.misses] == ["other.py"]
    assert [fp.finding.path for fp in result.false_positives] == ["other.py"]


def test_the_finding_starting_on_the_label_line_wins_then_the_closest():
    wide, narrow = finding(10, "SAD201", 14), finding(12, "SAD201", 12)
    result = score.score([expect(12, "unhandled-external-call")], [wide, narrow])
    assert [m.finding for m in result.matches] == [narrow]
    assert [fp.finding for fp in result.false_positives] == [wide]

    far, near = finding(10, "SAD201", 14), finding(12, "SAD201", 14)
    result = score.score([expect(13, "unhandled-external-call")], [far, near])
    assert [m.finding for m in result.matches] == [near]


def test_the_matching_is_maximal_when_preferences_compete():
    # The finding starting on line 11 is preferred by the label on 11, but only it covers line 12;
    # the label on 11 can take the finding [10, 11] instead, so both labels are matched.
    result = score.score(
        [expect(11, "naive-retry"), expect(12, "naive-retry")],
        [finding(11, "SAD204", 12), finding(10, "SAD204", 11)],
    )
    assert result.rule("SAD204").tp == 2
    assert sorted((m.label.line, m.finding.line) for m in result.matches) == [(11, 10), (12, 11)]


def test_two_slugs_on_one_line_expect_two_findings():
    label = expect(3, "missing-timeout", "unchecked-http-status")
    result = score.score([label], [finding(3, "SAD202"), finding(3, "SAD203")])
    assert (result.rule("SAD202").tp, result.rule("SAD203").tp) == (1, 1)
    assert result.misses == [] and result.false_positives == []

    result = score.score([label], [finding(3, "SAD202")])
    assert [(m.code, m.slug) for m in result.misses] == [("SAD203", "unchecked-http-status")]
    assert result.expect_counts["missing-timeout"] == 1 and result.expect_counts["unchecked-http-status"] == 1


def test_the_rule_must_match_the_label():
    result = score.score([expect(8, "silent-except")], [finding(8, "SAD104")])
    assert (result.rule("SAD101").misses, result.rule("SAD104").fp) == (1, 1)
    assert result.false_positives[0].context == "labelled expect: silent-except"


def test_a_finding_on_a_quiet_line_is_a_false_positive():
    result = score.score([quiet(4)], [finding(4, "SAD101")])
    rule = result.rule("SAD101")
    assert (rule.labels, rule.findings, rule.tp, rule.fp) == (0, 1, 0, 1)
    assert result.false_positives[0].context == "quiet: why 4 is fine"
    assert result.quiet == 1
    assert result.false_positives[0].describe() == "svc.py:4: SAD101 SAD101 at 4  [quiet: why 4 is fine]"


def test_precision_recall_and_the_overall_micro_average():
    labels = [expect(n, "silent-except") for n in (1, 2, 3, 4)] + [expect(10, "missing-timeout")]
    findings = [finding(n, "SAD101") for n in (1, 2, 3, 7)] + [finding(20, "SAD301")]
    result = score.score(labels, findings)
    sad101, sad202 = result.rule("SAD101"), result.rule("SAD202")
    assert (sad101.precision, sad101.recall) == (Fraction(3, 4), Fraction(3, 4))
    assert (sad202.precision, sad202.recall) == (None, Fraction(0))
    assert sad202.floor_value("precision") == 0  # labels but no findings: not "precise"
    empty = result.rule("SAD207")
    assert (empty.precision, empty.recall, empty.floor_value("precision"), empty.floor_value("recall")) == (
        None, None, 1, 1,
    )
    assert list(result.rules)[-1] == "SAD301"  # other codes come after the catalog's, outside "overall"
    assert (result.overall.tp, result.overall.findings, result.overall.labels) == (3, 4, 5)
    assert score.overall_line(result) == "overall precision=0.750 recall=0.600"
    text = score.render_text(result)
    assert text.splitlines()[-1] == "overall precision=0.750 recall=0.600"
    assert "svc.py:4: SAD101 note 4" in text and "svc.py:10: SAD202 note 10" in text
    row = next(line for line in text.splitlines() if line.startswith("SAD202"))
    assert row.split()[-2:] == ["-", "0.000"]
    assert score.fmt3(Fraction(1, 16)) == "0.063" and score.fmt3(Fraction(2, 3)) == "0.667"


def test_rule_filter_limits_the_lists():
    labels = [expect(1, "silent-except"), expect(2, "missing-timeout")]
    result = score.score(labels, [finding(5, "SAD101")])
    text = score.render_text(result, only_rule="SAD202")
    assert "svc.py:2: SAD202" in text and "svc.py:1: SAD101" not in text and "svc.py:5: SAD101" not in text
    data = json.loads(score.render_json(result, only_rule="SAD202"))
    assert [m["line"] for m in data["misses"]] == [2] and data["false_positives"] == []
    assert data["overall"]["precision"] == 0.0 and data["overall"]["recall"] == 0.0
    assert score.resolve_rule("missing-timeout") == score.resolve_rule("sad202") == "SAD202"


# ---------------------------------------------------------------- runs


def fake_sadpath(tmp_path: Path, stdout: str, status: int = 0, stderr: str = "") -> list[str]:
    script = tmp_path / "fake_sadpath.py"
    script.write_text(
        f"import sys\nsys.stdout.write({stdout!r})\nsys.stderr.write({stderr!r})\nsys.exit({status})\n",
        encoding="utf-8",
    )
    return [sys.executable, str(script)]


def contract(findings=(), errors=()) -> str:
    return json.dumps({"version": 1, "files_checked": 1, "findings": list(findings), "errors": list(errors)})


def finding_json(code: str, line: int, path: str = "./svc.py") -> dict:
    return {"path": path, "line": line, "column": 5, "end_line": line + 1, "end_column": 1, "code": code,
            "rule": "x", "severity": "warning", "message": "a  message\nover lines", "fix": None}


def test_run_reads_the_json_contract(tmp_path):
    command = fake_sadpath(tmp_path, contract([finding_json("SAD101", 3)]))
    assert score.run_sadpath(tmp_path, command) == [score.Finding("svc.py", 3, 4, "SAD101", "a message over lines",
                                                                  5, "x")]


@pytest.mark.parametrize(
    ("stdout", "status", "problem"),
    [
        (contract(), 2, "exit status 2"),
        ("All checks passed!\n", 0, "not JSON"),
        (json.dumps({"version": 2, "findings": []}), 0, "version-1 JSON contract"),
        (contract(errors=[{"path": "svc.py", "message": "cannot be decoded"}]), 1, "svc.py: cannot be decoded"),
        (contract([finding_json("SAD000", 7)]), 0, "svc.py:7: SAD000"),
    ],
    ids=["exit-2", "not-json", "wrong-version", "errors-listed", "syntax-error"],
)
def test_a_failing_run_is_a_score_error(tmp_path, stdout, status, problem):
    command = fake_sadpath(tmp_path, stdout, status, stderr="boom\n")
    with pytest.raises(score.ScoreError) as raised:
        score.run_sadpath(tmp_path, command)
    assert problem in "\n".join(raised.value.lines())


def test_a_failing_run_exits_two(tmp_path, capsys):
    (tmp_path / "svc.py").write_text("x = 1  # quiet: fine\n", encoding="utf-8")
    command = " ".join(fake_sadpath(tmp_path, "not json"))
    assert score.main(["--cases", str(tmp_path), "--sadpath", command]) == 2
    assert "not JSON" in capsys.readouterr().err


def test_the_scorer_runs_the_installed_sadpath_end_to_end(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.sadpath]\nselect = ["ALL"]\n', encoding="utf-8")
    (tmp_path / "svc.py").write_text(
        textwrap.dedent(
            """\
            class GatewayError(Exception):
                pass


            def charge(api):
                try:
                    api.charge()
                except KeyError:
                    raise GatewayError("charge failed")  # expect: unchained-translation -- the cause is lost


            def refund(api):
                try:
                    api.refund()
                except KeyError as exc:
                    raise GatewayError("refund failed") from exc  # quiet: chained with from
            """
        ),
        encoding="utf-8",
    )
    floors = tmp_path / "floors.toml"
    floors.write_text(score.format_floors({}), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(QUALITY / "score.py"), "--cases", str(tmp_path), "--floors", str(floors)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "overall precision=1.000 recall=1.000"
    assert any(line.split()[:5] == ["SAD103", "unchained-translation", "1", "1", "1"] for line in lines)
    proc = subprocess.run(
        [sys.executable, str(QUALITY / "score.py"), "--cases", str(tmp_path), "--floors", str(floors), "--json"],
        capture_output=True, text=True, cwd=ROOT,
    )
    data = json.loads(proc.stdout)
    assert data["overall"]["tp"] == 1 and data["labels"]["quiet"] == 1 and data["labels"]["modules"] == 1


# ---------------------------------------------------------------- floors


def result_with(tp: int, findings: int, labels: int):
    expects = [expect(n, "silent-except") for n in range(1, labels + 1)]
    found = [finding(n, "SAD101") for n in range(1, tp + 1)]
    found += [finding(100 + n, "SAD101") for n in range(findings - tp)]
    return score.score(expects, found)


def test_ratchet_raises_rounding_down_and_never_lowers(tmp_path):
    path = tmp_path / "floors.toml"
    path.write_text("# my header\n\n" + score.format_floors({}).split("\n\n", 1)[1], encoding="utf-8")
    outcome = score.ratchet_floors(result_with(tp=2, findings=3, labels=29), path)
    floors = score.read_floors(path)
    assert floors["SAD101"]["precision"] == Decimal("0.66")  # 2/3 rounded down, not to 0.67
    assert floors["SAD101"]["recall"] == score.floor2(Fraction(2, 29))
    assert floors["SAD207"] == {"precision": 0, "recall": 0}  # nothing to measure: not raised
    assert outcome.written
    assert "SAD101 silent-except: precision 0.0 -> 0.66 (now 0.667)" in outcome.raised
    assert path.read_text(encoding="utf-8").startswith("# my header\n\n[SAD101]")
    assert path.read_text(encoding="utf-8") == score.format_floors(floors, "# my header\n")

    again = score.ratchet_floors(result_with(tp=2, findings=3, labels=29), path)
    assert again.raised == [] and not again.written  # a second run changes nothing

    worse = score.ratchet_floors(result_with(tp=1, findings=3, labels=29), path)
    assert not worse.written and worse.raised == []
    assert worse.below == [
        "SAD101 silent-except: precision 0.333 is below its floor 0.66",
        "SAD101 silent-except: recall 0.034 is below its floor 0.06",
        "overall: precision 0.333 is below its floor 0.66",
        "overall: recall 0.034 is below its floor 0.06",
    ]
    assert score.read_floors(path) == floors


def test_floor_rounding_is_exact():
    assert score.floor2(Fraction(29, 100)) == Decimal("0.29")
    assert score.floor2(Fraction(57, 100)) == Decimal("0.57")
    assert score.floor2(Fraction(1)) == Decimal("1")
    assert score.floor2(Fraction(999, 1000)) == Decimal("0.99")


def test_check_floors_names_the_rule_and_the_figure():
    result = result_with(tp=1, findings=2, labels=4)
    floors = {"SAD101": {"precision": Decimal("0.5"), "recall": Decimal("0.3")}, "overall": {"recall": Decimal("0.2")}}
    assert score.check_floors(result, floors) == ["SAD101 silent-except: recall 0.250 is below its floor 0.3"]


@pytest.mark.parametrize(
    "text",
    ["[SAD999]\nprecision = 0.1\n", "[SAD101]\nprecison = 0.1\n", "[SAD101]\nrecall = 1.5\n", "recall = 0.1\n"],
    ids=["unknown-section", "unknown-key", "out-of-range", "no-section"],
)
def test_a_malformed_floors_file_is_an_error(tmp_path, text):
    path = tmp_path / "floors.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(score.ScoreError):
        score.read_floors(path)
