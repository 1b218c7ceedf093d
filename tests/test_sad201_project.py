"""SAD201 across files (jedi, never importing the code) and the tenacity form of its retry fix."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from sadpath.commands.check import CheckOptions, SettingsResolver, run
from sadpath.config import resolve_settings
from sadpath.engine import analyze
from sadpath.fixes import apply_edits, build_fix
from sadpath.registry import BY_CODE
from sadpath.source import SourceFile


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_escape_through_a_function_in_another_file(tmp_path):
    write(tmp_path, "pyproject.toml", "[tool.sadpath]\n")
    write(tmp_path, "shop/__init__.py", "")
    write(
        tmp_path,
        "shop/payments.py",
        """
        import requests


        def charge(amount):
            return requests.post("https://pay.example/charge", json={"amount": amount}, timeout=5)
        """,
    )
    routes = write(
        tmp_path,
        "shop/routes.py",
        """
        from flask import Flask

        from shop.payments import charge

        app = Flask(__name__)


        @app.post("/checkout")
        def checkout():
            charge(10)
            return {"ok": True}
        """,
    )
    payments = tmp_path / "shop" / "payments.py"
    # the only caller leaves it unhandled: one finding at the external call, where the fix serves every caller
    assert analyze(SourceFile(str(routes), routes.read_text()), resolve_settings(routes), [BY_CODE["SAD201"]]).findings == []
    (finding,) = analyze(SourceFile(str(payments), payments.read_text()), resolve_settings(payments), [BY_CODE["SAD201"]]).findings
    assert finding.span.line == 6
    assert "`requests.post()` (requests) in `charge()`" in finding.message and "no caller handles that" in finding.message
    (related,) = finding.related
    assert related.path.endswith("routes.py") and related.span.line == 11
    assert "request handler `checkout()`" in related.message
    assert finding.fixes and finding.fixes[0].kind == "translate_external"


def test_a_helper_some_callers_handle_is_reported_at_each_unguarded_boundary(tmp_path):
    write(tmp_path, "pyproject.toml", "[tool.sadpath]\n")
    write(tmp_path, "shop/__init__.py", "")
    payments = write(
        tmp_path,
        "shop/payments.py",
        """
        import requests


        def charge(amount):
            return requests.post("https://pay.example/charge", json={"amount": amount}, timeout=5)
        """,
    )
    routes = write(
        tmp_path,
        "shop/routes.py",
        """
        import requests
        from flask import Flask

        from shop.payments import charge

        app = Flask(__name__)


        @app.post("/checkout")
        def checkout():
            charge(10)
            charge(20)
            return {"ok": True}


        @app.post("/tip")
        def tip():
            try:
                charge(1)
            except requests.RequestException:
                return {"error": "payments unavailable"}, 503
            return {"ok": True}
        """,
    )
    assert analyze(SourceFile(str(payments), payments.read_text()), resolve_settings(payments), [BY_CODE["SAD201"]]).findings == []
    # one finding per boundary function, however many of its lines reach the call
    (finding,) = analyze(SourceFile(str(routes), routes.read_text()), resolve_settings(routes), [BY_CODE["SAD201"]]).findings
    assert finding.span.line == 12
    assert "`charge()` in request handler `checkout()`" in finding.message
    assert "in shop/payments.py (line 6)" in finding.message
    (related,) = finding.related
    assert related.path.endswith("payments.py") and related.span.line == 6


def test_a_periodic_task_and_a_local_program_are_not_reported(tmp_path):
    write(tmp_path, "pyproject.toml", "[tool.sadpath]\n")
    tasks = write(
        tmp_path,
        "tasks.py",
        """
        import subprocess

        import requests
        from celery import shared_task
        from django.dispatch import receiver

        from app.signals import periodic_task


        @receiver(signal=periodic_task)
        def fetch_rates(sender, **kwargs):
            fetch_ecb_rates.apply_async()


        @shared_task
        def fetch_ecb_rates():
            return requests.get("https://ecb.example/rates.xml", timeout=10).text


        @shared_task
        def merge_pdfs(paths):
            subprocess.run(["pdftk", *paths, "cat", "output", "out.pdf"], check=True)


        @shared_task
        def push_image(tag):
            subprocess.run(["docker", "push", tag], check=True, timeout=600)


        @shared_task
        def fetch_report():
            return requests.get("https://reports.example/today", timeout=10).text
        """,
    )
    findings = analyze(SourceFile(str(tasks), tasks.read_text()), resolve_settings(tasks), [BY_CODE["SAD201"]]).findings
    # the schedule retries the periodic fetch, pdftk is no remote service; docker push and the plain task are reported
    assert sorted(f.span.line for f in findings) == [28, 33]


def test_retry_fix_uses_tenacity_when_the_project_does(tmp_path):
    write(tmp_path, "pyproject.toml", '[project]\nname = "svc"\ndependencies = ["tenacity>=8"]\n\n[tool.sadpath]\n')
    app = write(
        tmp_path,
        "app.py",
        """
        import requests
        from flask import Flask

        app = Flask(__name__)


        @app.get("/rates")
        def rates():
            resp = requests.get("https://fx.example/latest", timeout=5)
            return {"rates": resp.text}
        """,
    )
    source = SourceFile(str(app), app.read_text())
    settings = resolve_settings(app)
    (finding,) = analyze(source, settings, [BY_CODE["SAD201"]]).findings
    offer = next(o for o in finding.fixes if o.kind == "retry_external")
    fixed = apply_edits(source.text, build_fix(source, finding, offer, settings).edits)
    ast.parse(fixed)
    assert "for attempt in Retrying(" in fixed and "with attempt:" in fixed
    assert "retry=retry_if_exception_type((requests.Timeout, requests.ConnectionError))" in fixed
    assert "from tenacity import" in fixed
    assert analyze(SourceFile(str(app), fixed), settings, [BY_CODE["SAD201"]]).findings == []


def test_check_follows_imports_without_running_them(tmp_path, monkeypatch):
    """A module that would explode on import is still analysed: nothing is imported or executed."""
    write(tmp_path, "pyproject.toml", "[tool.sadpath]\n")
    write(tmp_path, "svc/__init__.py", "raise SystemExit('imported!')\n")
    write(tmp_path, "svc/client.py", "import requests\nraise SystemExit('imported!')\n\n\ndef fetch():\n    return requests.get('u', timeout=1)\n")
    # (a main() with an except promises to handle failures, so the one that slips past is reported)
    write(tmp_path, "svc/main.py", "from svc.client import fetch\n\n\ndef main():\n    try:\n        fetch()\n    except KeyError:\n        return 1\n")
    monkeypatch.chdir(tmp_path)
    options = CheckOptions(jobs=1)
    result = run(["svc"], SettingsResolver(options.overrides), options)
    codes = [f.code for r in result.results for f in r.findings]
    assert "SAD201" in codes


def test_reexports_are_followed_without_jedi(tmp_path, monkeypatch):
    """``from shop import charge`` where ``shop/__init__.py`` re-exports it from ``.payments``."""
    from sadpath.engine import project_calls as _project_calls

    def no_jedi(*args, **kwargs):
        raise AssertionError("jedi should not be needed for a plain re-export")

    monkeypatch.setattr(_project_calls, "_resolve_import", no_jedi)
    write(tmp_path, "pyproject.toml", "[tool.sadpath]\n")
    write(tmp_path, "shop/__init__.py", "from .payments import charge\nfrom .models import Order\n")
    write(tmp_path, "shop/models.py", "class Order:\n    pass\n")
    write(
        tmp_path,
        "shop/payments.py",
        """
        import requests


        def charge(amount):
            return requests.post("https://pay.example/charge", json={"amount": amount}, timeout=5)
        """,
    )
    routes = write(
        tmp_path,
        "routes.py",
        """
        from flask import Flask

        from shop import Order, charge

        app = Flask(__name__)


        @app.post("/checkout")
        def checkout():
            Order()
            charge(10)
            return {"ok": True}
        """,
    )
    findings = analyze(SourceFile(str(routes), routes.read_text()), resolve_settings(routes), [BY_CODE["SAD201"]]).findings
    assert [(f.span.line, "in shop/payments.py (line 6)" in f.message) for f in findings] == [(12, True)]


def test_tenacity_only_in_a_test_extra_or_dev_requirements_does_not_count(tmp_path):
    from sadpath.fixes.retry_external import uses_tenacity

    write(tmp_path, "pyproject.toml", '[project]\nname = "svc"\ndependencies = ["requests"]\n[project.optional-dependencies]\ntest = ["tenacity"]\n')
    write(tmp_path, "requirements-dev.txt", "tenacity==8.2\n")
    module = write(tmp_path, "svc/app.py", "import requests\n")
    assert not uses_tenacity(str(module))
    write(tmp_path, "requirements.txt", "requests==2.31\ntenacity>=8.2  # retries\n")
    assert uses_tenacity(str(module))
    (tmp_path / "requirements.txt").unlink()
    write(tmp_path, "pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.11"\ntenacity = "^8.2"\n')
    assert uses_tenacity(str(module))


def test_two_projects_with_the_same_relative_paths_do_not_share_callers(tmp_path, monkeypatch):
    """Checked one after the other in one process, each from its own directory with relative paths: what the
    first project's files call says nothing about the second's."""
    first, second = tmp_path / "first", tmp_path / "second"
    for root, calls in ((first, "print('no call')"), (second, "fetch()")):
        write(root, "pyproject.toml", "[tool.sadpath]\n")
        write(root, "svc/__init__.py", "")
        write(root, "svc/client.py", "import requests\n\n\ndef fetch():\n    return requests.get('u', timeout=1)\n")
        body = f"from svc.client import fetch\n\n\ndef main():\n    try:\n        {calls}\n    except KeyError:\n        return 1\n"
        write(root, "svc/main.py", body)
    found = {}
    for root in (first, second):
        monkeypatch.chdir(root)
        options = CheckOptions(jobs=1)  # no cache_dir: no result cache, only the in-process readers
        result = run(["svc"], SettingsResolver(options.overrides), options)
        found[root.name] = sorted(f.code for r in result.results for f in r.findings)
    assert "SAD201" not in found["first"]
    assert "SAD201" in found["second"]


def test_a_session_made_by_another_modules_sessionmaker_is_a_sqlalchemy_session(tmp_path):
    write(tmp_path, "pyproject.toml", "[tool.sadpath]\n")
    write(tmp_path, "audit/__init__.py", "")
    write(
        tmp_path,
        "audit/db.py",
        """
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        SessionLocal = sessionmaker(bind=create_engine("postgresql://audit@db/audit"))
        """,
    )
    worker = write(
        tmp_path,
        "audit/worker.py",
        """
        import json
        import logging

        from kafka.errors import KafkaError

        from audit.db import SessionLocal
        from audit.models import Tenant

        log = logging.getLogger(__name__)
        session = SessionLocal()


        def handle(record):
            event = json.loads(record.value)
            tenant = session.get(Tenant, event["tenant_id"])
            return tenant.retention_days


        def handle_checked(record):
            tenant = session.get(Tenant, json.loads(record.value)["tenant_id"])
            if tenant is None:
                return 0
            return tenant.retention_days


        def consume(consumer):
            while True:
                try:
                    batches = consumer.poll(timeout_ms=1000)
                except KafkaError:
                    log.exception("poll failed")
                    continue
                for records in batches.values():
                    for record in records:
                        handle(record)
                        handle_checked(record)
        """,
    )
    findings = analyze(SourceFile(str(worker), worker.read_text()), resolve_settings(worker), [BY_CODE["SAD201"]]).findings
    # the consumer's loop is a boundary; the lookup keyed by the message's tenant id answers None for an unknown
    # tenant and the attribute read raises: one finding, at the lookup; the checked one stays quiet
    assert [(f.span.line, "`Session.get()` (SQLAlchemy)" in f.message) for f in findings] == [(16, True)]
    # the same name made by a factory the project does not define is not taken for a session
    (tmp_path / "audit" / "db.py").write_text("SessionLocal = dict\n", encoding="utf-8")
    assert analyze(SourceFile(str(worker), worker.read_text()), resolve_settings(worker), [BY_CODE["SAD201"]]).findings == []
