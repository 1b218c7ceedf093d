"""Resilience contracts: configuration validation, coverage of calls, and the hover table."""

from __future__ import annotations

import pytest

from harness import FIXTURES
from sadpath.config import ConfigError, resolve_settings, settings_from_table
from sadpath.contracts import Strategy
from sadpath.linter import lint
from sadpath.lsp.hover import hover
from sadpath.source import SourceFile

GOOD = {
    "calls": ["requests", "redis.Redis.*"],
    "log-fields": ["correlation_id"],
    "modes": {
        "timeout": {"translate": "PaymentTimeoutError", "status": 503},
        "connection": {"retry": {"attempts": 3, "then": "translate:PaymentUnavailableError"}},
        "server-error": {"retry": {"attempts": 4}},
        "not-found": "propagate",
        "rate-limit": {"fallback": "None"},
        "auth": "fallback",
    },
}


def contracts(table: dict):
    return settings_from_table({"contracts": table}, origin="pyproject.toml").contracts


def test_a_full_contract_parses():
    (contract,) = contracts({"paystream": GOOD})
    modes = dict(contract.modes)
    assert contract.name == "paystream" and contract.calls == ("requests", "redis.Redis.*")
    assert modes["timeout"] == Strategy("translate", error="PaymentTimeoutError", status=503)
    assert modes["connection"] == Strategy("retry", error="PaymentUnavailableError", attempts=3)
    assert modes["server-error"] == Strategy("retry", attempts=4)
    assert modes["not-found"] == Strategy("propagate") and modes["auth"] == Strategy("fallback")
    assert modes["rate-limit"].describe() == "fall back to None"
    assert contract.covers("redis", "redis", ("redis.Redis.get",)) and not contract.covers("httpx", "httpx", ("httpx.get",))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"paystream": {"modes": {"timeout": "propagate"}}}, "contracts.paystream.calls: expected a list of strings"),
        ({"paystream": {"calls": [], "modes": {"timeout": "propagate"}}}, "name at least one interface or call"),
        ({"paystream": {"calls": ["requests"]}}, "contracts.paystream.modes: expected a table"),
        ({"paystream": {"calls": ["requests"], "modes": {"boredom": "propagate"}}}, "unknown failure mode 'boredom'"),
        ({"paystream": {"calls": ["requests"], "modes": {"timeout": "ignore"}}}, "modes.timeout: expected \"propagate\""),
        ({"paystream": {"calls": ["requests"], "modes": {"timeout": {"translate": "X", "retry": {}}}}}, "exactly one of"),
        ({"paystream": {"calls": ["requests"], "modes": {"timeout": {"translate": "X", "status": 42}}}}, "status: expected an HTTP status"),
        ({"paystream": {"calls": ["requests"], "modes": {"timeout": {"translate": "no such"}}}}, "translate: expected the name of an exception class"),
        ({"paystream": {"calls": ["requests"], "modes": {"timeout": {"retry": {"attempts": 1}}}}}, "attempts: expected a whole number from 2 to 20"),
        ({"paystream": {"calls": ["requests"], "modes": {"timeout": {"retry": {"then": "log"}}}}}, "retry.then: expected"),
        ({"paystream": {"calls": ["requests"], "modes": {"timeout": "propagate"}, "owner": "me"}}, "unknown key(s) ['owner']"),
        ({"paystream": "requests"}, "contracts.paystream: expected a table"),
    ],
)
def test_malformed_contracts_name_the_key(table, message):
    with pytest.raises(ConfigError) as raised:
        contracts(table)
    assert message in str(raised.value) and "tool.sadpath.contracts" in str(raised.value)


def _hover_at(path, needle: str, settings) -> str:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    line = next(i for i, l in enumerate(lines, 1) if needle in l)
    column = lines[line - 1].index(needle) + 3
    return hover(lint(SourceFile(str(path), text), settings), line, column, "", settings) or ""


def test_hover_shows_the_contract_with_each_mode_here():
    path = FIXTURES / "SAD301_contract-violation" / "payments.py"
    settings = resolve_settings(path)
    text = _hover_at(path, 'requests.post("https://pay.example/charges", json={"order": order_id}, timeout=10)  # error', settings)
    assert "Contract **paystream**" in text
    assert "| timeout | translate to PaymentTimeoutError (status 503) | ✘ timeout is not translated to PaymentTimeoutError |" in text
    assert "| not-found | propagate | ✔ |" in text


def test_a_module_that_defines_the_error_with_another_status_breaks_the_contract(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sadpath]\nselect = ["SAD301"]\n[tool.sadpath.contracts.pay]\ncalls = ["requests.get"]\n'
        '[tool.sadpath.contracts.pay.modes]\ntimeout = { translate = "PayTimeout", status = 503 }\n'
    )
    code = (
        "import requests\n\n\nclass PayTimeout(Exception):\n    status = 500\n\n\n"
        "def fetch():\n    try:\n        return requests.get('https://p.example', timeout=5)\n"
        "    except requests.Timeout as exc:\n        raise PayTimeout('slow') from exc\n"
    )
    path = tmp_path / "pay.py"
    path.write_text(code)
    (finding,) = lint(SourceFile(str(path), code), resolve_settings(path)).findings
    assert "PayTimeout carries status 500, the contract says 503" in finding.message
    fixed = code.replace("status = 500", "status = 503")
    assert lint(SourceFile(str(path), fixed), resolve_settings(path)).findings == []
    # requests.post is not covered by a contract on requests.get
    assert lint(SourceFile(str(path), code.replace("requests.get", "requests.post")), resolve_settings(path)).findings == []


def test_contracts_init_dry_run_then_write(tmp_path, monkeypatch, capsys):
    from sadpath.cli import main

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop"\n\n[tool.sadpath]\nselect = ["SAD301"]\n')
    (tmp_path / "shop.py").write_text(
        "import requests\n\n\ndef pay(order):\n"
        "    return requests.post('https://api.paystream.example/charges', json=order, timeout=5)\n"
    )
    monkeypatch.chdir(tmp_path)
    before = (tmp_path / "pyproject.toml").read_text()
    assert main(["contracts", "init"]) == 0
    out = capsys.readouterr().out
    assert "dry run" in out and "[tool.sadpath.contracts.requests]" in out
    assert 'timeout = { retry = { attempts = 3, then = "translate:PaystreamTimeoutError" } }' in out
    assert (tmp_path / "pyproject.toml").read_text() == before
    assert main(["contracts", "init", "--write"]) == 0
    written = (tmp_path / "pyproject.toml").read_text()
    assert written.startswith(before) and "[tool.sadpath.contracts.requests.modes]" in written
    assert main(["contracts", "init", "--write"]) == 0  # a second run leaves the contract alone
    assert "already has a contract" in capsys.readouterr().out
    assert (tmp_path / "pyproject.toml").read_text() == written
    assert main(["check", "--no-cache", "--output-format", "full", "."]) == 1  # full: the whole message
    out = capsys.readouterr().out
    assert "SAD301 `requests.post()` breaks the `requests` contract:" in out and "timeout is not retried" in out


def test_contracts_init_never_breaks_the_configuration(tmp_path, monkeypatch, capsys):
    from sadpath.cli import main

    broken = '[tool.sadpath]\ncontracts = { }\n'  # an inline table: appending sub-tables would be invalid TOML
    (tmp_path / "pyproject.toml").write_text(broken)
    (tmp_path / "svc.py").write_text("import redis\n\nr = redis.Redis(socket_timeout=1)\n\n\ndef get(k):\n    return r.get(k)\n")
    monkeypatch.chdir(tmp_path)
    assert main(["contracts", "init", "--write"]) == 2
    assert "nothing written" in capsys.readouterr().err
    assert (tmp_path / "pyproject.toml").read_text() == broken


def test_sad101_defers_to_a_declared_fallback(tmp_path):
    code = (
        "import redis\n\nclient = redis.Redis(socket_timeout=1)\n\n\n"
        "def price(sku):\n    try:\n        return client.get(sku)\n"
        "    except (redis.ConnectionError, redis.TimeoutError):\n        return None\n"
    )
    path = tmp_path / "cache.py"
    path.write_text(code)

    def sad101(modes: str) -> list[int]:
        (tmp_path / "pyproject.toml").write_text(
            f'[tool.sadpath]\nselect = ["SAD101"]\n[tool.sadpath.contracts.cache]\ncalls = ["redis"]\n[tool.sadpath.contracts.cache.modes]\n{modes}\n'
        )
        return [f.span.line for f in lint(SourceFile(str(path), code), resolve_settings(path)).findings]

    assert sad101('connection = "fallback"\ntimeout = { fallback = "None" }') == []
    assert sad101('connection = "fallback"\ntimeout = { translate = "CacheTimeout" }') == [9]  # the team wants timeouts raised
    (tmp_path / "pyproject.toml").write_text('[tool.sadpath]\nselect = ["SAD101"]\n')
    assert [f.span.line for f in lint(SourceFile(str(path), code), resolve_settings(path)).findings] == [9]
