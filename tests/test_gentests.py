"""Generated failure-injection tests fail against the unfixed example and pass once SAD301's fix is applied."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import ROOT
from sadpath.cli import main
from sadpath.config import resolve_settings
from sadpath.gentests import GenerateError, generate, module_name, parse_target

CONTRACT = """
[tool.sadpath.contracts.paystream]
calls = ["requests.Session.*"]
[tool.sadpath.contracts.paystream.modes]
timeout = { translate = "PaymentGatewayUnavailable", status = 503 }
connection = { retry = { attempts = 3, then = "translate:PaymentGatewayUnavailable" } }
"""


@pytest.fixture
def example(tmp_path, monkeypatch):
    copy = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", copy, ignore=shutil.ignore_patterns(".sadpath_cache", "__pycache__"))
    pyproject = copy / "pyproject.toml"
    if "[tool.sadpath.contracts.paystream]" not in pyproject.read_text(encoding="utf-8"):
        pyproject.write_text(pyproject.read_text(encoding="utf-8") + CONTRACT, encoding="utf-8")
    monkeypatch.chdir(copy)
    return copy


def run_pytest(folder: Path, test_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning", str(test_file)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("style", ["mock.patch", "responses"])
def test_generated_tests_fail_unfixed_and_pass_fixed(example, capsys, style):
    if style == "responses":  # the project's own tests stub HTTP with responses: the generated ones do too
        pyproject = example / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        pyproject.write_text(text.replace("\n[tool.sadpath]", '\n[project.optional-dependencies]\ntest = ["pytest", "responses>=0.25"]\n\n[tool.sadpath]', 1))
    assert main(["gen-tests", "orders_service/payments.py::PaymentGatewayClient.cancel"]) == 0
    test_file = example / "tests" / "test_failures_paymentgatewayclient_cancel.py"
    assert "Wrote 2 failure-injection test(s)" in capsys.readouterr().out
    text = test_file.read_text(encoding="utf-8")
    if style == "responses":
        assert "@responses.activate" in text and "responses.add(method, _ANY_URL, body=_injected(requests.Timeout))" in text
        assert "assert len(responses.calls) == 3" in text and 'PaymentGatewayClient("https://example.test", "test")' in text
    else:
        assert "unittest.mock.patch('requests.Session.post', failing)" in text
        assert "assert failing.call_count == 3" in text
    assert "delays == sorted(delays)" in text

    unfixed = run_pytest(example, test_file)
    assert unfixed.returncode == 1 and "2 failed" in unfixed.stdout, unfixed.stdout + unfixed.stderr

    assert main(["check", "--no-cache", "--select", "SAD301", "--fix", "--unsafe-fixes", "orders_service/payments.py"]) == 1
    assert "from exc" in (example / "orders_service" / "payments.py").read_text(encoding="utf-8")
    fixed = run_pytest(example, test_file)
    assert fixed.returncode == 0 and "2 passed" in fixed.stdout, fixed.stdout + fixed.stderr


def test_log_fields_and_fallbacks_are_asserted(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sadpath]\n[tool.sadpath.contracts.cache]\ncalls = ["redis"]\nlog-fields = ["correlation_id"]\n'
        '[tool.sadpath.contracts.cache.modes]\nconnection = { fallback = "None" }\ntimeout = "propagate"\n'
    )
    (tmp_path / "cache.py").write_text(
        "import redis\n\nclient = redis.Redis(socket_timeout=1)\n\n\n"
        "def price(sku: str, correlation_id: str):\n    return client.get(sku)\n"
    )
    _, text = generate(f"{tmp_path / 'cache.py'}::price")
    assert "unittest.mock.patch('redis.Redis.get', failing)" in text
    assert "_call()  # the contract declares a fallback: no error escapes" in text
    assert "no warning carries correlation_id" in text
    assert "with pytest.raises(redis.TimeoutError)" in text  # propagate: the original escapes
    assert 'module.price("test", "test")' in text
    compile(text, "generated.py", "exec")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("payments.py", "expected PATH::function"),
        ("payments.py::no such", "is not a function name"),
        ("orders_service/payments.py::PaymentGatewayClient.nope", "no function PaymentGatewayClient.nope"),
        ("orders_service/payments.py::Nope.cancel", "no class Nope"),
        ("orders_service/payments.py::minor_units", "no external call in minor_units() is covered"),
    ],
)
def test_clear_errors(example, spec, message):
    with pytest.raises(GenerateError) as raised:
        parse_target(spec)
        generate(spec)
    assert message in str(raised.value)


def test_respx_for_httpx_projects_that_use_it(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "svc"\ndependencies = ["httpx"]\n[dependency-groups]\ndev = ["respx>=0.21"]\n\n'
        '[tool.sadpath]\n[tool.sadpath.contracts.api]\ncalls = ["httpx"]\n[tool.sadpath.contracts.api.modes]\n'
        'timeout = { translate = "ApiTimeout" }\nnot-found = "propagate"\n'
    )
    (tmp_path / "svc.py").write_text(
        "import httpx\n\n\nclass ApiTimeout(Exception):\n    pass\n\n\n"
        "def fetch(base_url: str):\n    response = httpx.get(base_url + '/x', timeout=5)\n    response.raise_for_status()\n    return response.json()\n"
    )
    _, text = generate(f"{tmp_path / 'svc.py'}::fetch")
    assert "@respx.mock" in text and "route = respx.route().mock(side_effect=_injected(httpx.TimeoutException))" in text
    assert "route = respx.route().respond(404)" in text and 'module.fetch("https://example.test")' in text
    compile(text, "generated.py", "exec")


def test_module_names_follow_the_project_root(example):
    path = example / "orders_service" / "payments.py"
    assert module_name(path, resolve_settings(path)) == "orders_service.payments"


def test_without_contracts_it_says_what_to_do(tmp_path, capsys):
    (tmp_path / "svc.py").write_text("import requests\n\n\ndef f():\n    return requests.get('https://x', timeout=1)\n")
    assert main(["gen-tests", f"{tmp_path / 'svc.py'}::f"]) == 2
    assert "run `sadpath contracts init` first" in capsys.readouterr().err
