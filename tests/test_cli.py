"""`sadpath check`, `rule` and `rules` as a user runs them: exit codes, every format, bad input, bad config."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest

from sadpath.cli import main
from sarif_schema import sarif_schema
from harness import UNCHAINED

SWALLOW = textwrap.dedent(
    """\
    import requests


    def get_rate(currency):
        try:
            return requests.get("https://fx.example/" + currency, timeout=5)
        except Exception as e:
            print(e)
            return "UNKNOWN"


    def refresh(failed):
        try:
            requests.post("https://fx.example/refresh", timeout=5).raise_for_status()
        except requests.RequestException as e:
            print(e)
            failed.append("refresh")
        return failed
    """
)
CLEAN = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.sadpath]\n", encoding="utf-8")
    return tmp_path


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# ---------------------------------------------------------------- exit codes


def test_clean_project_exits_zero(project, capsys):
    write(project, "app.py", CLEAN)
    code, out, _ = run(capsys, ".")
    assert code == 0
    assert "All checks passed! (1 file checked)" in out


def test_findings_exit_one_and_exit_zero_overrides(project, capsys):
    write(project, "app.py", SWALLOW)
    code, out, _ = run(capsys, ".")
    assert code == 1
    assert "app.py:7:5: SAD101 `except Exception` swallows" in out
    assert "app.py:16:9: SAD104" in out
    assert "Found 2 findings in 1 file checked." in out
    code, _, _ = run(capsys, ".", "--exit-zero")
    assert code == 0


def test_text_summary_counts_fixable(project, capsys):
    write(project, "app.py", UNCHAINED + "\n\n" + SWALLOW.replace("import requests\n", ""))
    code, out, _ = run(capsys, ".")
    assert code == 1
    assert "SAD103 [*]" in out
    assert "[*] 1 fixable with `sadpath check --fix`; 2 more with `--unsafe-fixes`." in out


def test_unknown_selector_is_a_usage_error(project, capsys):
    write(project, "app.py", CLEAN)
    code, _, err = run(capsys, ".", "--select", "SAD999")
    assert code == 2
    assert "unknown rule selector 'SAD999'" in err


def test_argparse_errors_exit_two(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["check", "--format", "xml"])
    assert raised.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("selct = ['SAD101']", "tool.sadpath.selct: unknown key (did you mean 'select'?)"),
        ("select = 'SAD101'", "tool.sadpath.select: expected a list of strings, got a string"),
        ("preview = 1", "tool.sadpath.preview: expected true or false, got an integer"),
        ("default-timeout = -3", "tool.sadpath.default-timeout: expected a positive number of seconds"),
        ("per-file-ignores = { 'tests/*' = ['NOPE1'] }", "unknown rule selector 'NOPE1'"),
        ("required-log-fields = [1]", "tool.sadpath.required-log-fields: expected a list of strings"),
    ],
)
def test_bad_config_names_key_and_file(project, capsys, table, expected):
    write(project, "pyproject.toml", f"[tool.sadpath]\n{table}\n")
    write(project, "app.py", CLEAN)
    code, out, err = run(capsys, ".")
    assert code == 2
    assert expected in err
    assert "pyproject.toml" in err
    assert out == ""


def test_invalid_toml_is_a_config_error(project, capsys):
    write(project, "pyproject.toml", "[tool.sadpath\nselect = [")
    write(project, "app.py", CLEAN)
    code, _, err = run(capsys, ".")
    assert code == 2 and "invalid TOML" in err


def test_missing_explicit_config(project, capsys):
    write(project, "app.py", CLEAN)
    code, _, err = run(capsys, ".", "--config", "nope.toml")
    assert code == 2 and "nope.toml: no such configuration file" in err


# ---------------------------------------------------------------- configuration


def test_select_ignore_and_extend_select(project, capsys):
    write(project, "app.py", SWALLOW)
    _, out, _ = run(capsys, ".", "--select", "SAD104")
    assert "SAD104" in out and "SAD101" not in out
    _, out, _ = run(capsys, ".", "--ignore", "silent-except")
    assert "SAD104" in out and "SAD101" not in out
    _, out, _ = run(capsys, ".", "--select", "SAD104", "--extend-select", "SAD1")
    assert "SAD101" in out


def test_per_file_ignores_and_exclude(project, capsys):
    write(project, "pyproject.toml", '[tool.sadpath]\nexclude = ["generated"]\nper-file-ignores = { "legacy/*" = ["SAD101"] }\n')
    write(project, "generated/client.py", SWALLOW)
    write(project, "legacy/old.py", SWALLOW)
    _, out, _ = run(capsys, ".")
    assert "generated" not in out
    assert "legacy/old.py:16:9: SAD104" in out
    assert "legacy/old.py:7:5: SAD101" not in out


def test_default_excludes(project, capsys):
    for folder in (".venv", "venv", "node_modules", "build", "dist", ".git"):
        write(project, f"{folder}/mod.py", SWALLOW)
    write(project, "app.py", CLEAN)
    code, out, _ = run(capsys, ".")
    assert code == 0 and "(1 file checked)" in out


def test_nearest_pyproject_wins(project, capsys):
    write(project, "svc/pyproject.toml", '[tool.sadpath]\nignore = ["SAD104"]\n')
    write(project, "svc/app.py", SWALLOW)
    write(project, "top.py", SWALLOW)
    _, out, _ = run(capsys, ".")
    assert "top.py:16:9: SAD104" in out
    assert "svc/app.py:16:9: SAD104" not in out
    assert "svc/app.py:7:5: SAD101" in out


def test_required_log_fields_enable_sad105(project, capsys):
    source = "import logging\nlogger = logging.getLogger(__name__)\n\n\ndef f(api):\n    try:\n        api.call()\n    except Exception:\n        logger.exception('failed')\n        raise\n"
    write(project, "app.py", source)
    code, out, _ = run(capsys, ".")
    assert code == 0
    write(project, "pyproject.toml", '[tool.sadpath]\nrequired-log-fields = ["correlation_id"]\n')
    code, out, _ = run(capsys, ".")
    assert code == 1 and "app.py:9:9: SAD105" in out and "`correlation_id`" in out


# ---------------------------------------------------------------- formats


def test_json_contract_and_unicode_columns(project, capsys):
    text = textwrap.dedent(
        """\
        def f(table):
            try:
                return table["k"]
            except KeyError:
                é = "日本🎉"; raise ValueError(é)
        """
    )
    write(project, "ünï.py", text)
    code, out, _ = run(capsys, ".", "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["version"] == 1 and document["files_checked"] == 1 and document["errors"] == []
    (finding,) = document["findings"]
    assert set(finding) == {"path", "line", "column", "end_line", "end_column", "code", "rule", "severity", "message", "fix"}
    line = text.splitlines()[4]
    assert finding["path"] == "ünï.py"
    assert finding["line"] == 5
    assert finding["column"] == line.index("raise") + 1  # characters, not UTF-8 bytes
    assert finding["end_column"] == len(line) + 1
    assert finding["code"] == "SAD103" and finding["rule"] == "unchained-translation"
    assert finding["severity"] == "warning"
    assert finding["fix"] == {"title": "Chain the cause: add `from exc`", "applicability": "safe"}


def test_sarif_validates_against_the_schema(project, capsys):
    write(project, "app.py", SWALLOW)
    write(project, "broken.py", "def f(:\n")
    write(project, "blob.py", b"\x00\x01binary")
    code, out, _ = run(capsys, ".", "--format", "sarif")
    assert code == 1
    document = json.loads(out)
    jsonschema.validate(document, sarif_schema())
    run_ = document["runs"][0]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    assert {"SAD000", "SAD101", "SAD102", "SAD103", "SAD104", "SAD105"} <= set(rules)
    assert rules["SAD101"]["helpUri"].endswith("docs/rules/SAD101-silent-except.md")
    assert "## Why is this bad?" in rules["SAD101"]["help"]["markdown"]
    results = run_["results"]
    assert {r["ruleId"] for r in results} == {"SAD000", "SAD101", "SAD104"}
    for result in results:
        assert run_["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    notes = run_["invocations"][0]["toolExecutionNotifications"]
    assert any("binary" in n["message"]["text"] for n in notes)


def test_github_annotations(project, capsys):
    write(project, "app.py", SWALLOW)
    code, out, _ = run(capsys, ".", "--format", "github")
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[0].startswith("::warning file=app.py,line=7,col=5,endLine=7,endColumn=")
    assert "title=SAD101 (silent-except)::SAD101 `except Exception` swallows" in lines[0]
    assert all(line.startswith("::") for line in lines)


def test_output_file(project, capsys):
    write(project, "app.py", SWALLOW)
    code, out, _ = run(capsys, ".", "--format", "json", "--output-file", "report.json")
    assert code == 1 and out == ""
    assert len(json.loads((project / "report.json").read_text(encoding="utf-8"))["findings"]) == 2


# ---------------------------------------------------------------- bad input


def test_syntax_error_is_one_finding_and_others_go_on(project, capsys):
    write(project, "a_broken.py", "def f(:\n    pass\n")
    write(project, "b_app.py", SWALLOW)
    code, out, _ = run(capsys, ".")
    assert code == 1
    assert "a_broken.py:1:7: SAD000 syntax error:" in out
    assert out.count("a_broken.py") == 1
    assert "b_app.py:7:5: SAD101" in out


def test_binary_undecodable_and_missing_paths(project, capsys):
    write(project, "blob.py", b"\x00\x01\x02")
    write(project, "latin.py", "x = 'caf\xe9'\n".encode("latin-1"))
    write(project, "app.py", SWALLOW)
    code, out, err = run(capsys, ".", "missing.py", "--format", "json")
    assert code == 1
    document = json.loads(out)
    errors = {e["path"]: e["message"] for e in document["errors"]}
    assert "binary file" in errors["blob.py"]
    assert "cannot decode as utf-8" in errors["latin.py"]
    assert errors["missing.py"] == "no such file or directory"
    assert "sadpath: blob.py: binary file" in err
    assert {f["path"] for f in document["findings"]} == {"app.py"}


def test_coding_cookie_is_honoured(project, capsys):
    write(project, "latin.py", "# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n".encode("latin-1"))
    code, out, _ = run(capsys, ".")
    assert code == 0, out


# ---------------------------------------------------------------- fixes


def test_fix_applies_safe_fixes_only(project, capsys):
    path = write(project, "app.py", UNCHAINED + "\n\n" + SWALLOW.replace("import requests\n", ""))
    code, out, _ = run(capsys, ".", "--fix")
    fixed = path.read_text(encoding="utf-8")
    assert 'except KeyError as exc:\n        raise GatewayError("charge failed") from exc' in fixed
    assert 'return "UNKNOWN"' in fixed  # unsafe fixes are not applied without --unsafe-fixes
    assert "(1 fixed, 2 remaining)" in out
    assert code == 1


def test_unsafe_fixes_and_idempotence(project, capsys):
    path = write(project, "app.py", SWALLOW)
    run(capsys, ".", "--fix", "--unsafe-fixes")
    once = path.read_text(encoding="utf-8")
    assert 'return "UNKNOWN"' not in once
    compile(once, "app.py", "exec")
    code, out, _ = run(capsys, ".", "--fix", "--unsafe-fixes")
    assert path.read_text(encoding="utf-8") == once
    assert code == 0, out


def test_diff_changes_nothing(project, capsys):
    path = write(project, "app.py", UNCHAINED)
    code, out, _ = run(capsys, ".", "--diff")
    assert code == 1
    assert out.startswith("--- a/app.py\n+++ b/app.py\n")
    assert '+        raise GatewayError("charge failed") from exc' in out
    assert path.read_text(encoding="utf-8") == UNCHAINED
    write(project, "app.py", CLEAN)
    code, out, _ = run(capsys, ".", "--diff")
    assert code == 0 and out == ""


def test_fix_keeps_crlf_line_endings(project, capsys):
    path = project / "app.py"
    path.write_bytes(UNCHAINED.replace("\n", "\r\n").encode())
    run(capsys, ".", "--fix")
    data = path.read_bytes()
    assert b"from exc\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


# ---------------------------------------------------------------- parallelism and other commands


def test_parallel_jobs_report_the_same(project, capsys):
    for index in range(24):
        write(project, f"pkg/mod_{index:02d}.py", SWALLOW if index % 2 else UNCHAINED)
    _, serial, _ = run(capsys, ".", "--jobs", "1", "--format", "json")
    _, parallel, _ = run(capsys, ".", "--jobs", "2", "--format", "json")
    assert json.loads(serial) == json.loads(parallel)
    assert json.loads(serial)["files_checked"] == 24


def test_rule_and_rules_commands(capsys):
    assert main(["rule", "silent-except"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# SAD101 silent-except") and "## Use instead" in out
    assert main(["rule", "SAD999"]) == 2
    assert "unknown rule 'SAD999'" in capsys.readouterr().err
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert all(code in out for code in ("SAD101", "SAD102", "SAD103", "SAD104", "SAD105"))


def test_console_script_runs_as_a_process(project):
    write(project, "app.py", SWALLOW)
    done = subprocess.run(
        [sys.executable, "-m", "sadpath", "check", "app.py"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "app.py:7:5: SAD101" in done.stdout
    assert done.stderr == ""
