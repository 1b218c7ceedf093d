"""`sadpath check`'s output as a ruff user reads it: full and concise, colour, statistics, quiet and silent, every
machine format, fingerprints that survive moving lines, messages cut to one line, and the help on a usage error."""

from __future__ import annotations

import io
import json
import re
import tokenize
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from harness import ROOT, UNCHAINED, write
from sadpath.cli import main
from sadpath.commands import check_output
from sadpath.messages import CONCISE_LIMIT, concise, shorten_code
from sarif_schema import sarif_schema

# SAD103 (a safe fix), SAD202 (an unsafe fix only) and SAD102: findings whose shape the rule work leaves alone
NO_TIMEOUT = 'import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n'
FINDING_LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<code>SAD\d{3})(?: \[\*\])? (?P<message>.*)$")


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("SADPATH_OUTPUT_FORMAT", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.sadpath]\n", encoding="utf-8")
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", "--no-cache", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# ---------------------------------------------------------------- full and concise


def test_full_shows_the_lines_a_caret_and_the_fix(project, capsys):
    write(project, "app.py", UNCHAINED)
    code, out, _ = run(capsys, "--output-format", "full", "app.py")
    assert code == 1
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("app.py:9:9: SAD103 [*] "))
    assert "does not declare the caught error as its cause" in lines[header]
    snippet = lines[header + 1 : header + 9]
    source_row = next(row for row in snippet if row.startswith("9 | "))
    caret_row = snippet[snippet.index(source_row) + 1]
    column = source_row.index("raise")
    assert caret_row[column:].startswith("^" * len('raise GatewayError("charge failed")') + " SAD103")
    assert set(caret_row[:column].replace("|", "")) == {" "}
    assert any(row.startswith("7 | ") for row in snippet)  # context above
    assert "= help: Chain the cause: add `from exc` (safe fix)" in out
    assert out.rstrip().endswith("[*] 1 fixable with `sadpath check --fix`.")


def test_full_is_the_default_on_a_terminal_and_concise_in_a_pipe(project, capsys, monkeypatch):
    write(project, "app.py", UNCHAINED)
    monkeypatch.setattr(check_output, "_isatty", lambda stream: True)
    _, out, _ = run(capsys, "--color", "never", "app.py")
    assert "9 |     " in out and "^^^^" in out
    monkeypatch.setattr(check_output, "_isatty", lambda stream: False)
    _, out, _ = run(capsys, "app.py")
    assert "^^^" not in out and out.startswith("app.py:9:9: SAD103 [*] ")
    monkeypatch.setenv("SADPATH_OUTPUT_FORMAT", "json")
    _, out, _ = run(capsys, "app.py")
    assert json.loads(out)["findings"][0]["code"] == "SAD103"


def test_colour_follows_color_and_no_color(project, capsys, monkeypatch):
    write(project, "app.py", UNCHAINED)
    _, out, _ = run(capsys, "--color", "always", "app.py")
    assert "\x1b[" in out
    _, out, _ = run(capsys, "--color", "never", "app.py")
    assert "\x1b[" not in out
    monkeypatch.setattr(check_output, "_isatty", lambda stream: True)
    _, out, _ = run(capsys, "app.py")
    assert "\x1b[" in out  # auto, on a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = run(capsys, "app.py")
    assert "\x1b[" not in out
    _, out, _ = run(capsys, "--color", "always", "app.py")
    assert "\x1b[" in out  # the flag wins over the environment


def test_concise_messages_fit_one_screen_line_on_the_example_service(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, _ = run(capsys, "--output-format", "concise", "examples/")
    assert code == 1
    findings = [FINDING_LINE.match(line) for line in out.splitlines() if FINDING_LINE.match(line)]
    assert len(findings) > 20
    for match in findings:
        message = match.group("message")
        assert len(message) <= CONCISE_LIMIT, message
        for quoted in re.findall(r"`([^`]+)`", message):
            _assert_tokenizes(quoted.replace("…", "x"))


def _assert_tokenizes(code: str) -> None:
    list(tokenize.generate_tokens(io.StringIO(code).readline))  # raises on a string cut in the middle


def test_quoted_code_is_cut_at_a_token_never_inside_a_string():
    call = 'session.query(Order).filter(Order.status == "pending_payment", Order.created_at < older_than).all()'
    short = shorten_code(call, 48)
    assert short.endswith(")") and "…" in short and len(short) <= 48
    assert '"pending_payment"' in short or "pending" not in short
    _assert_tokenizes(short.replace("…", "x"))
    message = (
        f"`{call}` runs a query for every row of `{call}`: n rows cost n + 1 round trips, fine on a test database "
        "and slow in production. Load them with the outer query or in one `IN` query before the loop."
    )
    one_line = concise(message)
    assert len(one_line) <= CONCISE_LIMIT and "…" in one_line
    for quoted in re.findall(r"`([^`]+)`", one_line):
        _assert_tokenizes(quoted.replace("…", "x"))
    cut_by_a_rule = "`session.query(Order).filter(Order.status == 'pending_payment` runs a query for every row."
    assert concise(cut_by_a_rule) == "`session.query(Order).filter(Order.status == …)` runs a query for every row."
    assert concise("`a` is short.") == "`a` is short."


def test_summary_reads_right_when_only_unsafe_fixes_exist(project, capsys):
    write(project, "app.py", NO_TIMEOUT)
    code, out, _ = run(capsys, "app.py")
    assert code == 1 and "SAD202" in out
    assert out.rstrip().splitlines()[-1] == "No safe fixes; 1 fixable with `sadpath check --fix --unsafe-fixes`."
    write(project, "app.py", UNCHAINED + "\n\n" + NO_TIMEOUT)
    _, out, _ = run(capsys, "app.py")
    assert "[*] 1 fixable with `sadpath check --fix`; 1 more with `--unsafe-fixes`." in out


def test_statistics_count_codes_and_fixable(project, capsys):
    write(project, "a.py", UNCHAINED)
    write(project, "b.py", UNCHAINED + "\n\n" + NO_TIMEOUT)
    code, out, _ = run(capsys, "--statistics", ".")
    assert code == 1
    rows = {line.split()[1]: line for line in out.splitlines() if re.match(r"^\s*\d+\s+SAD\d{3}", line)}
    assert re.match(r"^2\s+SAD103\s+\[\*\] unchained-translation\s+2 fixable$", rows["SAD103"])
    assert re.match(r"^1\s+SAD202\s+\[ \] missing-timeout\s+no safe fix, 1 with --unsafe-fixes$", rows["SAD202"])
    assert "Found 3 findings in 2 files checked." in out
    _, out, _ = run(capsys, "--statistics", "--output-format", "json", ".")
    assert json.loads(out) == [
        {"code": "SAD103", "name": "unchained-translation", "count": 2, "fixable": 2, "unsafe_fixable": 0},
        {"code": "SAD202", "name": "missing-timeout", "count": 1, "fixable": 0, "unsafe_fixable": 1},
    ]


def test_quiet_prints_findings_only_and_silent_nothing(project, capsys):
    write(project, "app.py", UNCHAINED)
    write(project, "blob.py", "x = 1\x00\n")
    code, out, err = run(capsys, "--quiet", ".")
    assert code == 1 and out.startswith("app.py:9:9: SAD103") and "Found" not in out and "blob.py" in err
    code, out, err = run(capsys, "--silent", ".")
    assert code == 1 and out == "" and err == ""
    write(project, "app.py", "x = 1\n")
    (project / "blob.py").unlink()
    code, out, _ = run(capsys, "--quiet", ".")
    assert code == 0 and out == ""


# ---------------------------------------------------------------- machine formats


def test_json_contract_is_byte_for_byte_version_1(project, capsys):
    write(project, "app.py", UNCHAINED)
    _, out, _ = run(capsys, "--format", "json", "app.py")
    document = json.loads(out)
    (finding,) = document["findings"]
    expected = {
        "version": 1,
        "files_checked": 1,
        "findings": [
            {
                "path": "app.py", "line": 9, "column": 9, "end_line": 9, "end_column": 44, "code": "SAD103",
                "rule": "unchained-translation", "severity": "warning", "message": finding["message"],
                "fix": {"title": "Chain the cause: add `from exc`", "applicability": "safe"},
            }
        ],
        "errors": [],
    }  # fmt: skip
    assert out == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    _, same, _ = run(capsys, "--output-format", "json", "app.py")
    assert same == out  # --format is an alias of --output-format


def test_json_lines_are_the_contracts_finding_objects(project, capsys):
    write(project, "a.py", UNCHAINED)
    write(project, "b.py", NO_TIMEOUT)
    _, out, _ = run(capsys, "--output-format", "json-lines", ".")
    _, whole, _ = run(capsys, "--output-format", "json", ".")
    assert [json.loads(line) for line in out.splitlines()] == json.loads(whole)["findings"]


def test_gitlab_code_quality(project, capsys):
    write(project, "pkg/a.py", UNCHAINED)
    write(project, "pkg/b.py", UNCHAINED)
    _, out, _ = run(capsys, "--output-format", "gitlab", ".")
    issues = json.loads(out)
    assert {i["location"]["path"] for i in issues} == {"pkg/a.py", "pkg/b.py"}
    assert len({i["fingerprint"] for i in issues}) == len(issues) == 2
    issue = issues[0]
    assert issue["check_name"] == "SAD103 unchained-translation" and issue["severity"] == "minor"
    assert issue["location"]["positions"]["begin"] == {"line": 9, "column": 9}
    assert issue["content"]["body"].endswith("docs/rules/SAD103-unchained-translation.md)")


def test_junit_and_pylint(project, capsys):
    write(project, "app.py", UNCHAINED + "\n\n" + NO_TIMEOUT)
    _, out, _ = run(capsys, "--output-format", "junit", "app.py")
    root = ET.fromstring(out.split("\n", 1)[1])
    assert root.tag == "testsuites" and root.get("failures") == "2"
    cases = root.findall("./testsuite/testcase")
    assert {c.find("failure").get("type") for c in cases} == {"SAD103 unchained-translation", "SAD202 missing-timeout"}
    _, out, _ = run(capsys, "--output-format", "pylint", "app.py")
    assert re.match(r"^app\.py:9: \[SAD103\(unchained-translation\)\] `raise", out)
    _, clean, _ = run(capsys, "--output-format", "junit", "--select", "SAD105", "app.py")
    assert ET.fromstring(clean.split("\n", 1)[1]).get("failures") == "0"


def test_sarif_fingerprints_survive_lines_moving_and_help_uris_exist(project, capsys):
    write(project, "app.py", UNCHAINED + "\n\n" + UNCHAINED.replace("GatewayError", "OtherError").replace("charge(", "refund("))
    _, out, _ = run(capsys, "--output-format", "sarif", "app.py")
    document = json.loads(out)
    jsonschema.validate(document, sarif_schema())
    before = [r["partialFingerprints"]["sadpath/v1"] for r in document["runs"][0]["results"]]
    assert len(set(before)) == 2
    write(project, "app.py", '"""A docstring added above."""\n\nimport os\n\n' + (project / "app.py").read_text(encoding="utf-8"))
    _, moved, _ = run(capsys, "--output-format", "sarif", "app.py")
    results = json.loads(moved)["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results] != [9, 23]
    assert [r["partialFingerprints"]["sadpath/v1"] for r in results] == before
    for rule in document["runs"][0]["tool"]["driver"]["rules"]:
        uri = rule["helpUri"]
        prefix = "https://github.com/sadpath/sadpath/blob/main/"
        assert uri.startswith(prefix), uri
        assert (ROOT / uri[len(prefix) :]).is_file(), f"{rule['id']}: {uri} points at no page"
    _, mirrored, _ = run(capsys, "--output-format", "sarif", "--docs-url", "https://docs.example/sadpath", "app.py")
    rules = json.loads(mirrored)["runs"][0]["tool"]["driver"]["rules"]
    assert {r["helpUri"].rsplit("/docs/rules/", 1)[0] for r in rules} == {"https://docs.example/sadpath"}


# ---------------------------------------------------------------- files, settings, usage


def test_show_files_and_show_settings(project, capsys):
    write(project, "pyproject.toml", '[project]\nname = "x"\nrequires-python = ">=3.10"\n\n[tool.sadpath]\nexclude = ["generated"]\n')
    write(project, "src/app.py", UNCHAINED)
    write(project, "src/generated/client.py", UNCHAINED)
    code, out, _ = run(capsys, "--show-files", ".")
    assert code == 0 and out == "src/app.py\n"
    code, out, _ = run(capsys, "--show-settings", "src/app.py")
    assert code == 0
    assert "Resolved settings for: src/app.py" in out and "Settings path: pyproject.toml" in out
    assert 'target-version = "py310"' in out and 'exclude = ["generated"]' in out
    assert "SAD103 unchained-translation" in out and "SAD100" not in out.split("Enabled rules")[1].split("\n")[0]


def test_a_usage_error_shows_the_check_usage(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["check", "--output-format", "xml"])
    err = capsys.readouterr().err
    assert raised.value.code == 2
    assert err.startswith("usage: sadpath check ")
    assert "invalid choice: 'xml'" in err and "Run `sadpath check -h` for the options." in err
