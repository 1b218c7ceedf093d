"""SAD302 against real coverage.py data: a small service runs under ``coverage.Coverage`` with tests that
exercise some of its error branches; the rule reports exactly the others, and stays quiet whenever the data
cannot speak for the text (not measured, changed since, missing or damaged data)."""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
from pathlib import Path
from unittest import mock

import coverage
import pytest
import requests

from sadpath.commands import check as check_module
from sadpath.commands.check import CheckOptions, SettingsResolver, run
from sadpath.cli import main
from sadpath.config import ConfigError, Settings, load_settings
from sadpath.engine import coverage_data
from sadpath.engine import analyze
from sadpath.registry import enabled_rules
from sadpath.engine.incremental import IncrementalAnalyzer
from sadpath.registry import BY_CODE
from sadpath.source import SourceFile

RULE = BY_CODE["SAD302"]

SERVICE = textwrap.dedent(
    """\
    import requests


    class ServiceError(Exception):
        pass


    def charge(amount):
        try:
            resp = requests.post("https://pay.example/charges", json={"amount": amount}, timeout=5)
        except requests.Timeout as exc:
            raise ServiceError("the payment service timed out") from exc
        except requests.ConnectionError as exc:
            raise ServiceError("the payment service is unreachable") from exc
        if not resp.ok:
            raise ServiceError(f"the payment was refused: HTTP {resp.status_code}")
        return resp.json()["id"]


    def lookup(table, key):
        try:
            return table[key]
        except KeyError:
            return None


    def parse(text):
        try:
            return int(text)
        except ValueError: return None
        except TypeError: return -1
    """
)


def line_of(text: str, fragment: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if fragment in line)


TIMEOUT = line_of(SERVICE, "except requests.Timeout")
CONNECTION = line_of(SERVICE, "except requests.ConnectionError")
NOT_OK = line_of(SERVICE, "if not resp.ok")
KEY_ERROR = line_of(SERVICE, "except KeyError")
VALUE_ERROR = line_of(SERVICE, "except ValueError")
TYPE_ERROR = line_of(SERVICE, "except TypeError")


def _ok(body: dict) -> mock.Mock:
    return mock.Mock(status_code=200, ok=True, json=mock.Mock(return_value=body))


def happy_path(service) -> None:
    """The tests a team writes first: every call succeeds, plus one outage."""
    with mock.patch("requests.post", return_value=_ok({"id": "ch_1"})):
        assert service.charge(10) == "ch_1"
    with mock.patch("requests.post", side_effect=requests.ConnectionError):
        with pytest.raises(service.ServiceError):
            service.charge(10)
    assert service.lookup({"a": 1}, "a") == 1
    assert service.parse("12") == 12
    assert service.parse(None) == -1


def with_timeout_test(service) -> None:
    happy_path(service)
    with mock.patch("requests.post", side_effect=requests.Timeout):
        with pytest.raises(service.ServiceError):
            service.charge(10)


def run_tests(module: Path, exercise, data_file: Path, branch: bool = False) -> Path:
    """A test run: the module imported and exercised under coverage.py, only the module measured."""
    before = data_file.stat().st_mtime_ns if data_file.exists() else 0
    cov = coverage.Coverage(data_file=str(data_file), include=[str(module)], branch=branch, config_file=False)
    cov.start()
    try:
        name = f"_sad302_service_{abs(hash((str(module), str(data_file))))}"
        spec = importlib.util.spec_from_file_location(name, module)
        service = importlib.util.module_from_spec(spec)
        sys.modules[name] = service
        try:
            spec.loader.exec_module(service)
            exercise(service)
        finally:
            sys.modules.pop(name, None)
    finally:
        cov.stop()
        cov.save()
    later(data_file, module)
    if data_file.stat().st_mtime_ns <= before:  # file clocks tick coarsely: two runs in one tick are one identity
        os.utime(data_file, ns=(before + 1_000_000, before + 1_000_000))
    return data_file


def later(path: Path, than: Path) -> None:
    """Make sure ``path`` is newer than ``than`` (a test run always ends after the sources were written)."""
    if path.stat().st_mtime_ns <= than.stat().st_mtime_ns:
        stamp = than.stat().st_mtime_ns + 1_000_000
        os.utime(path, ns=(stamp, stamp))


def findings(path: Path, data: Path | None, text: str | None = None) -> list[tuple[int, str]]:
    settings = Settings(coverage=data)
    source = SourceFile(str(path), path.read_text(encoding="utf-8") if text is None else text)
    return [(f.span.line, f.message) for f in analyze(source, settings, [RULE]).findings]


@pytest.fixture(autouse=True)
def _fresh_readings():
    coverage_data.forget()
    yield
    coverage_data.forget()


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.sadpath]\n", encoding="utf-8")
    service = tmp_path / "shop" / "service.py"
    service.parent.mkdir()
    service.write_text(SERVICE, encoding="utf-8")
    return tmp_path


# ------------------------------------------------------------------ the rule


def test_reports_exactly_the_branches_the_tests_never_entered(project):
    service = project / "shop" / "service.py"
    data = run_tests(service, happy_path, project / ".coverage")
    found = findings(service, data)
    assert [line for line, _ in found] == [TIMEOUT, NOT_OK, KEY_ERROR]
    messages = dict(found)
    assert messages[TIMEOUT] == (
        "the `except requests.Timeout` branch of `charge()` never ran under the tests: nobody knows whether it "
        "works; add a test that makes `requests.post()` time out."
    )
    assert "`if not resp.ok:`" in messages[NOT_OK] and "`requests.post()` answers with an error status" in messages[NOT_OK]
    # `except ValueError: return None` on one line ran its header (a TypeError was matched against it):
    # line data cannot tell whether the body ran, so it stays quiet; CONNECTION and TYPE_ERROR ran
    assert CONNECTION not in messages and VALUE_ERROR not in messages and TYPE_ERROR not in messages


def test_a_test_for_the_branch_silences_it(project):
    service = project / "shop" / "service.py"
    data = run_tests(service, with_timeout_test, project / ".coverage")
    assert [line for line, _ in findings(service, data)] == [NOT_OK, KEY_ERROR]


def test_branch_data_judges_one_line_handlers(project):
    service = project / "shop" / "service.py"
    data = run_tests(service, happy_path, project / ".coverage", branch=True)
    reported = [line for line, _ in findings(service, data)]
    # the only arc out of the `except ValueError:` line goes on to `except TypeError:`: it never matched
    assert reported == [TIMEOUT, NOT_OK, KEY_ERROR, VALUE_ERROR]


def test_a_file_the_data_does_not_measure_is_quiet(project):
    service = project / "shop" / "service.py"
    other = project / "shop" / "other.py"
    other.write_text(SERVICE, encoding="utf-8")
    data = run_tests(service, happy_path, project / ".coverage")
    later(data, other)
    assert findings(other, data) == []
    assert findings(service, data)


def test_a_file_changed_since_the_data_is_quiet(project):
    service = project / "shop" / "service.py"
    data = run_tests(service, happy_path, project / ".coverage")
    assert findings(service, data)
    # an editor buffer with unsaved edits: the same path, another text
    edited = "import logging\n" + SERVICE
    assert findings(service, data, text=edited) == []
    # the edit saved: the file is newer than the data, whatever it holds
    service.write_text(edited, encoding="utf-8")
    later(service, data)
    assert findings(service, data) == []
    # the tests run again: the data speaks for the new text
    data = run_tests(service, happy_path, project / ".coverage")
    assert [line for line, _ in findings(service, data)] == [TIMEOUT + 1, NOT_OK + 1, KEY_ERROR + 1]


def test_no_data_configured_means_inactive_and_bad_data_means_silent(project):
    service = project / "shop" / "service.py"
    assert not RULE.is_active(Settings())
    assert RULE not in enabled_rules(Settings(), str(service))
    assert RULE in enabled_rules(Settings(coverage=project / ".coverage"), str(service))
    assert findings(service, project / "missing" / ".coverage") == []
    corrupt = project / "corrupt.coverage"
    corrupt.write_bytes(b"this is not a coverage.py data file\n" * 20)
    assert findings(service, corrupt) == []
    problem = coverage_data.problem(Settings(coverage=corrupt))
    assert problem is not None and str(corrupt) in problem.message
    empty = project / "empty.coverage"
    empty.write_bytes(b"")
    assert findings(service, empty) == []
    assert coverage_data.problem(Settings(coverage=empty)) is not None


def test_test_modules_and_marked_branches_are_quiet(project):
    text = SERVICE.replace("except KeyError:", "except KeyError:  # pragma: no cover")
    tests_module = project / "shop" / "test_service.py"
    tests_module.write_text(SERVICE, encoding="utf-8")
    data = run_tests(tests_module, happy_path, project / ".coverage")
    assert findings(tests_module, data) == []
    marked = project / "shop" / "service.py"
    marked.write_text(text, encoding="utf-8")
    data = run_tests(marked, happy_path, project / ".coverage")
    assert [line for line, _ in findings(marked, data)] == [TIMEOUT, NOT_OK]


def test_the_editor_analysis_follows_new_data(project):
    """Incremental analysis: SAD302's context_key is the data's identity, so new data re-runs the rule."""
    service = project / "shop" / "service.py"
    data = run_tests(service, happy_path, project / ".coverage")
    settings = Settings(select=("SAD302",), coverage=data)
    analyzer = IncrementalAnalyzer()
    source = SourceFile(str(service), SERVICE)
    assert [f.span.line for f in analyzer.analyze(source, settings, enabled_rules(settings)).findings] == [TIMEOUT, NOT_OK, KEY_ERROR]
    run_tests(service, with_timeout_test, data)
    assert [f.span.line for f in analyzer.analyze(source, settings, enabled_rules(settings)).findings] == [NOT_OK, KEY_ERROR]
    # typing in the buffer silences the rule; undoing brings the findings back
    edited = SourceFile(str(service), SERVICE.replace("return None", "return None  # fallback"))
    assert analyzer.analyze(edited, settings, enabled_rules(settings)).findings == []
    assert [f.span.line for f in analyzer.analyze(source, settings, enabled_rules(settings)).findings] == [NOT_OK, KEY_ERROR]


# ------------------------------------------------------------------ configuration


def test_the_coverage_key_is_relative_to_the_pyproject(tmp_path):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.sadpath]\ncoverage = "build/.coverage"\n', encoding="utf-8")
    assert load_settings(config).coverage == tmp_path / "build" / ".coverage"
    config.write_text("[tool.sadpath]\ncoverage = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert "tool.sadpath.coverage" in str(error.value) and str(config) in str(error.value)


# ------------------------------------------------------------------ the command line


def test_cli_coverage_flag_reports_and_a_missing_file_is_said_once(project, capsys):
    service = project / "shop" / "service.py"
    (project / "shop" / "second.py").write_text(SERVICE, encoding="utf-8")
    run_tests(service, happy_path, project / "data.coverage")
    assert main(["check", "--no-cache", "--select", "SAD302", "--coverage", "data.coverage", "shop"]) == 1
    out, err = capsys.readouterr()
    assert f"shop/service.py:{TIMEOUT}:" in out and "second.py" not in out and err == ""
    assert main(["check", "--no-cache", "--select", "SAD302", "--coverage", "gone/.coverage", "shop"]) == 0
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1 and str(project / "gone" / ".coverage") in lines[0] and "Traceback" not in err
    (project / "broken.coverage").write_text("not a database\n" * 50, encoding="utf-8")
    assert main(["check", "--no-cache", "--select", "SAD302", "--coverage", "broken.coverage", "shop"]) == 0
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "broken.coverage" in err and "Traceback" not in err


def test_cli_reads_the_configured_data(project, capsys):
    service = project / "shop" / "service.py"
    run_tests(service, happy_path, project / ".coverage")
    (project / "pyproject.toml").write_text('[tool.sadpath]\nselect = ["SAD302"]\ncoverage = ".coverage"\n', encoding="utf-8")
    os.chdir(project / "shop")  # relative to the pyproject, not to where the command runs
    assert main(["check", "--no-cache", "."]) == 1
    assert f"service.py:{NOT_OK}:" in capsys.readouterr().out


def test_the_result_cache_follows_the_data_file(project, monkeypatch):
    service = project / "shop" / "service.py"
    data = run_tests(service, happy_path, project / ".coverage")
    analyzed: list[str] = []
    original = check_module.check_text

    def counting(read, settings, options):
        analyzed.append(Path(read.path).name)
        return original(read, settings, options)

    monkeypatch.setattr(check_module, "check_text", counting)
    options = CheckOptions(select=("SAD302",), cache_dir=project / ".sadpath_cache", coverage=data)

    def lines() -> list[int]:
        result = run(["shop"], SettingsResolver(options.overrides), options)
        return [f.span.line for r in result.results for f in r.findings]

    assert lines() == [TIMEOUT, NOT_OK, KEY_ERROR] and analyzed == ["service.py"]
    assert lines() == [TIMEOUT, NOT_OK, KEY_ERROR] and analyzed == ["service.py"]  # served from the cache
    run_tests(service, with_timeout_test, data)  # a new test run rewrites the data
    assert lines() == [NOT_OK, KEY_ERROR] and analyzed == ["service.py", "service.py"]


def test_a_suppression_comment_on_disk_silences_the_branch(project):
    # (the fixture harness's suppression test edits the text in memory, which silences SAD302 anyway)
    service = project / "shop" / "service.py"
    service.write_text(SERVICE.replace("except KeyError:", "except KeyError:  # sadpath: ignore[SAD302]"), encoding="utf-8")
    data = run_tests(service, happy_path, project / ".coverage")
    assert [line for line, _ in findings(service, data)] == [TIMEOUT, NOT_OK]
