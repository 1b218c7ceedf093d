"""`sadpath check --fix --unsafe-fixes` on a copy of examples/: the code still imports, and it still does what it
did: refund() retries, _post() has one retry policy (tenacity's, with the contract's attempts), the handling fits
the place (a task retries, a queue-drain loop and a compensation step log and carry on), and the error logs carry
the project's required `correlation_id`.

The fixed payments module runs for real (requests and tenacity are test dependencies) in a fresh interpreter,
against a fake session."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from harness import ROOT
from sadpath.cli import main as sadpath_main
from sadpath.config import resolve_settings
from sadpath.linter import lint
from sadpath.source import SourceFile

EXAMPLES = ROOT / "examples"
IMPORT_CHECK = ROOT / "tests" / "import_with_stubs.py"


@pytest.fixture(scope="module")
def fixed(tmp_path_factory):
    """A copy of examples/ after `sadpath check --fix --unsafe-fixes` (the command line, as a user runs it)."""
    target = tmp_path_factory.mktemp("examples") / "examples"
    shutil.copytree(EXAMPLES, target)
    sadpath_main(["check", "--fix", "--unsafe-fixes", "--quiet", str(target)])
    return target


def _source(root, name):
    return (root / "orders_service" / name).read_text(encoding="utf-8")


def _function(text, name):
    return next(n for n in ast.walk(ast.parse(text)) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name)


def _run(root, code):
    script = f"import sys\nsys.path.insert(0, {str(root)!r})\n" + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


_FAKE_SESSION = """
import requests, time
from orders_service import payments
time.sleep = lambda seconds: None

class Response:
    status_code = 200
    def raise_for_status(self):
        pass
    def json(self):
        return {"id": "re_1", "status": "succeeded"}

class Session:
    def __init__(self, failures):
        self.failures = list(failures)
        self.calls = 0
    def post(self, *args, **kwargs):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return Response()

def client(failures):
    c = payments.PaymentGatewayClient("https://gw.example", "key")
    c.session = Session(failures)
    return c
"""


def test_the_fixed_examples_import(fixed):
    done = subprocess.run([sys.executable, str(IMPORT_CHECK), str(fixed), "orders_service"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_refund_still_retries(fixed):
    result = _run(fixed, _FAKE_SESSION + """
c = client([requests.ConnectionError("down"), requests.Timeout("slow")])
refund = c.refund("ch_1")
gave_up = client([requests.ConnectionError("down")] * 3)
try:
    gave_up.refund("ch_1")
    error = None
except Exception as exc:
    error = type(exc).__name__
print(__import__("json").dumps({"refund": refund["id"], "calls": c.session.calls, "error": error, "tries": gave_up.session.calls}))
""")
    assert result == {"refund": "re_1", "calls": 3, "error": "PaymentError", "tries": 3}
    handler = _function(_source(fixed, "payments.py"), "refund")
    sleeps = [n for n in ast.walk(handler) if isinstance(n, ast.Call) and ast.unparse(n.func) == "time.sleep"]
    assert sleeps and not isinstance(sleeps[0].args[0], ast.Constant), "the retry backs off"


def test_post_keeps_one_retry_policy(fixed):
    post = _function(_source(fixed, "payments.py"), "_post")
    assert not [n for n in ast.walk(post) if isinstance(n, (ast.For, ast.While))], "a second retry loop inside @retry"
    assert [ast.unparse(d.func) for d in post.decorator_list if isinstance(d, ast.Call)] == ["retry"]
    result = _run(fixed, _FAKE_SESSION + """
c = client([requests.ConnectionError("down")] * 5)
c._post.retry.sleep = lambda seconds: None
try:
    c._post("charges", {}, "k")
except Exception as exc:
    lost = type(exc).__name__
slow = client([requests.Timeout("slow")] * 5)
try:
    slow._post("charges", {}, "k")
except Exception as exc:
    timed_out = type(exc).__name__
print(__import__("json").dumps({"lost": lost, "attempts": c.session.calls, "timed_out": timed_out, "timeout_attempts": slow.session.calls}))
""")
    # connections: tenacity's 3 attempts (the contract's), then the error for charge() to translate; a timeout is
    # translated at once, as the contract declares
    assert result == {"lost": "ConnectionError", "attempts": 3, "timed_out": "PaymentGatewayUnavailable", "timeout_attempts": 1}


def test_the_handling_fits_the_place(fixed):
    worker = _source(fixed, "worker.py")
    drain = _function(worker, "drain_refund_requests")
    assert not [n for n in ast.walk(drain) if isinstance(n, ast.Raise)], "a re-raise would kill the queue-drain loop"
    assert "logger.exception(" in ast.unparse(drain)
    sync = _function(worker, "sync_payment_status")
    assert "self.retry(exc=" in ast.unparse(sync) and "bind=True" in ast.unparse(sync.decorator_list[0])
    receipt = _function(worker, "send_receipt")
    assert len([n for n in ast.walk(receipt) if isinstance(n, ast.Try)]) == 1, "one handler, one retry policy"
    assert "class MailError" not in worker and "WorkerUnavailable" not in worker
    create = _function(_source(fixed, "app.py"), "create_order")
    compensation = [h for h in ast.walk(create) if isinstance(h, ast.ExceptHandler) and "gateway.cancel" in ast.unparse(h)]
    inner = [h for h in ast.walk(compensation[0]) if isinstance(h, ast.ExceptHandler) and h is not compensation[0]]
    assert inner and not [n for n in ast.walk(inner[0]) if isinstance(n, ast.Raise)], "a re-raise replaces the 500 answer"
    assert "logger.exception(" in ast.unparse(inner[0])




def test_the_error_logs_carry_the_correlation_id(fixed):
    missing = set()
    for path in sorted((fixed / "orders_service").glob("*.py")):
        source = SourceFile(str(path), path.read_text(encoding="utf-8"))
        analysis = lint(source, resolve_settings(path))
        for finding in analysis.findings:
            if finding.code == "SAD105":
                func = max(
                    (n for n in ast.walk(analysis.tree) if isinstance(n, ast.FunctionDef) and n.lineno <= finding.span.line <= n.end_lineno),
                    key=lambda n: n.lineno,
                )
                missing.add((path.name, func.name))
    assert not missing, f"error logs without correlation_id after the fixes: {sorted(missing)}"
