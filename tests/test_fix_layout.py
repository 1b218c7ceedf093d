"""What a reviewer checks in a fix: imports in their group, generated definitions in one block after the module's
constants (a base before its subclasses), keyword arguments in the call's layout, comments kept, no unused
binding left, domain errors named after the service, and log calls that keep their message."""

from __future__ import annotations

import ast
import textwrap

import pytest

from sadpath.fixes import apply_edits, build_fix
from sadpath.fixes.additions import ModuleAdditions, additions_edits
from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile


def fixed(path, text: str, code: str, kind: str, settings: Settings | None = None, line: int | None = None) -> tuple[str, str]:
    """The text with the ``kind`` fix of the (first, or at ``line``) ``code`` finding applied, and its title."""
    settings = settings or Settings()
    source = SourceFile(str(path), text)
    for finding in lint(source, settings).findings:
        if finding.code != code or (line is not None and finding.span.line != line):
            continue
        for offer in finding.fixes:
            if offer.kind == kind:
                fix = build_fix(source, finding, offer, settings)
                return apply_edits(text, fix.edits), fix.title
    raise AssertionError(f"no {code} finding offers {kind}")


def add(path, text: str, imports=(), definitions=()) -> str:
    source = SourceFile(str(path), text)
    additions = ModuleAdditions(imports=list(imports), definitions=list(definitions))
    return apply_edits(text, additions_edits(source, ast.parse(text), additions))


@pytest.fixture
def project(tmp_path):
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "errors.py").write_text("class ShopError(Exception):\n    status_code = 500\n")
    return package


# ---- imports


HEADER = '''"""Doc."""

from __future__ import annotations

import logging
import os

import redis
from requests import Session

from shop import errors
from shop.errors import ShopError

logger = logging.getLogger(__name__)
'''


def test_each_import_goes_into_its_group_at_its_sorted_place(project):
    path = project / "mod.py"
    out = add(path, HEADER, imports=[("time", None), ("sqlalchemy.exc", None), ("shop.context", "current_id"), ("json", None)])
    assert out.splitlines()[4:17] == [
        "import json",
        "import logging",
        "import os",
        "import time",
        "",
        "import redis",
        "import sqlalchemy.exc",
        "from requests import Session",
        "",
        "from shop import errors",
        "from shop.context import current_id",
        "from shop.errors import ShopError",
        "",
    ]


def test_a_name_joins_the_existing_from_import_in_order(project):
    out = add(project / "mod.py", HEADER, imports=[("requests", "Response"), ("requests", "Timeout")])
    assert "from requests import Response, Session, Timeout\n" in out


def test_a_missing_group_is_opened_between_its_neighbours(project):
    text = "import os\n\nfrom shop import errors\n\n\ndef f():\n    pass\n"
    out = add(project / "mod.py", text, imports=[("requests", None)])
    assert out.startswith("import os\n\nimport requests\n\nfrom shop import errors\n\n\ndef f():")


def test_an_import_further_down_does_not_count_for_code_above_it(tmp_path):
    text = "def f():\n    pass\n\n\nimport asyncio\n"
    source = SourceFile(str(tmp_path / "m.py"), text)
    edits = additions_edits(source, ast.parse(text), ModuleAdditions(imports=[("asyncio", None)]), 1)
    assert apply_edits(text, edits).startswith("import asyncio\n")


# ---- definitions


def test_classes_go_after_the_constants_and_never_between_the_imports_and_the_logger(project):
    text = HEADER + "\nRETRIES = 3\n\n\ndef f():\n    pass\n"
    out = add(
        project / "mod.py",
        text,
        definitions=["class PayTimeout(PayError):\n    status = 503\n", "class PayError(Exception):\n    status = 502\n"],
    )
    body = out[len(HEADER):]
    assert body == (
        "\nRETRIES = 3\n\n\nclass PayError(Exception):\n    status = 502\n\n\nclass PayTimeout(PayError):\n    status = 503\n\n\n"
        "def f():\n    pass\n"
    )
    assert "\n\n\n\n" not in out


def test_a_subclass_of_a_class_the_module_defines_goes_after_that_class(tmp_path):
    text = "import os\n\n\nclass WorkerError(Exception):\n    pass\n\n\ndef task():\n    pass\n"
    out = add(tmp_path / "m.py", text, definitions=["class WorkerNotFound(WorkerError):\n    pass\n"])
    assert out.index("class WorkerError") < out.index("class WorkerNotFound") < out.index("def task")
    assert "\n\n\n\n" not in out
    ast.parse(out)


def test_a_logger_goes_right_after_the_imports(tmp_path):
    text = "import os\n\nTIMEOUT = 5\n\n\ndef f():\n    pass\n"
    out = add(tmp_path / "m.py", text, imports=[("logging", None)], definitions=["logger = logging.getLogger(__name__)"])
    assert out == "import logging\nimport os\n\nlogger = logging.getLogger(__name__)\n\nTIMEOUT = 5\n\n\ndef f():\n    pass\n"


# ---- fixes


def test_add_timeout_follows_a_multi_line_call(tmp_path):
    text = textwrap.dedent('''\
        import requests


        def send(phone):
            return requests.post(
                "https://sms.example/v1",
                json={"to": phone},
            )
        ''')
    out, _ = fixed(tmp_path / "m.py", text, "SAD202", "add_timeout")
    assert '        json={"to": phone},\n        timeout=10,\n    )\n' in out


def test_reraise_keeps_the_comments_of_what_it_replaces(tmp_path):
    text = textwrap.dedent('''\
        import requests


        def charge(url):
            try:
                requests.post(url, timeout=2)
            except requests.RequestException:
                return None  # see ticket 12
        ''')
    out, _ = fixed(tmp_path / "m.py", text, "SAD101", "reraise")
    assert "        # see ticket 12\n        raise\n" in out


def test_translate_names_the_service_reuses_the_project_error_and_drops_the_unused_name(project):
    text = textwrap.dedent('''\
        import requests

        from shop.errors import ShopError


        class ShopClient:
            def __init__(self):
                self.session = requests.Session()

            def status(self, order_id):
                try:
                    return self.session.get(f"https://api.shop.example/{order_id}", timeout=5).json()
                except Exception as e:
                    print(e)
                    return "UNKNOWN"
        ''')
    out, title = fixed(project / "client.py", text, "SAD101", "translate")
    assert 'raise ShopError("status failed") from e' in out and "print(e)" not in out
    assert "class " not in out.split("class ShopClient")[0]  # nothing new defined: the project's error is reused
    assert "ShopError" in title


def test_translate_external_names_errors_after_the_database_not_the_module(project):
    (project / "db.py").write_text(textwrap.dedent('''\
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        engine = None


        def load(order_id):
            with Session(engine) as session:
                return session.execute(select(order_id)).scalar_one()
        '''))
    text = textwrap.dedent('''\
        import json

        import pika

        from shop import db

        connection = pika.BlockingConnection()
        channel = connection.channel()


        def on_message(ch, method, properties, body):
            db.load(json.loads(body)["order_id"])


        channel.basic_consume(queue="orders", on_message_callback=on_message)
        ''')
    path = project / "worker.py"
    path.write_text(text)
    out, title = fixed(path, text, "SAD201", "translate_external")
    # SAD201 reports a database lookup's not-found only (its infrastructure failures are the framework's), here for
    # a key from a consumed message, which can miss
    assert "Worker" not in out and "ShopDatabaseNotFound" in out
    assert "class ShopDatabaseError(Exception):" in out and out.index("class ShopDatabaseError") < out.index("class ShopDatabaseNotFound")
    assert out.index("channel = connection.channel()") < out.index("class ShopDatabaseError") < out.index("def on_message")
    ast.parse(out)


def test_log_structured_keeps_the_message_and_adds_the_required_field(tmp_path):
    text = textwrap.dedent('''\
        import logging

        logger = logging.getLogger(__name__)


        def current_correlation_id():
            return "-"


        def push(api, failed, item):
            try:
                payload = api.prepare(item)
                api.push(payload)
            except Exception as exc:
                logger.error("push of %s failed: %s", item, exc)
                failed.append(item)
        ''')
    settings = Settings(required_log_fields=("correlation_id",))
    out, title = fixed(tmp_path / "m.py", text, "SAD104", "log_structured", settings)
    assert out.split("except Exception as exc:\n")[1].startswith(
        "        logger.exception(\n"
        '            "push of %s failed: %s",\n'
        "            item,\n"
        "            exc,\n"
        '            extra={"correlation_id": current_correlation_id()},\n'
        "        )\n"
    )  # one argument per line: on one line it would pass 99 characters
    assert "not in scope" not in title


def test_log_structured_says_which_required_field_it_could_not_add(tmp_path):
    text = textwrap.dedent('''\
        import logging

        logger = logging.getLogger(__name__)


        def push(api, failed, item):
            try:
                api.push(item)
            except Exception as exc:
                logger.warning(str(exc))
                failed.append(item)
        ''')
    settings = Settings(required_log_fields=("tenant_id",))
    out, title = fixed(tmp_path / "m.py", text, "SAD104", "log_structured", settings)
    assert "tenant_id" not in out and "`tenant_id` is not in scope" in title
    # (no ``extra=`` in the project's log calls: no "operation" either, only the required field it lacks)
    assert 'logger.warning("push failed", exc_info=True)' in out


def test_log_structured_never_turns_a_print_in_a_logging_handler_into_a_log_call(tmp_path):
    from sadpath.fixes import FixRefused

    text = textwrap.dedent('''\
        import logging
        import sys


        class MailHandler(logging.Handler):
            def emit(self, record):
                try:
                    self.send(record)
                except Exception as exc:
                    print(exc)
        ''')
    source = SourceFile(str(tmp_path / "m.py"), text)
    findings = [f for f in lint(source, Settings()).findings if f.code == "SAD104"]
    for finding in findings:
        for offer in finding.fixes:
            if offer.kind == "log_structured":
                with pytest.raises(FixRefused, match="logging handler"):
                    build_fix(source, finding, offer, Settings())


def test_an_import_the_fix_stopped_using_goes_and_an_unused_one_before_stays(tmp_path):
    text = textwrap.dedent('''\
        import logging
        import sys

        import requests


        def push(api, failed, item):
            try:
                payload = api.prepare(item)
                api.push(payload)
            except Exception as exc:
                print(exc, file=sys.stderr)
                failed.append(item)
        ''')
    out, _ = fixed(tmp_path / "m.py", text, "SAD104", "log_structured")
    assert out.startswith("import logging\n\nimport requests\n\nlogger = logging.getLogger(__name__)\n\n\ndef push(")
    assert 'logger.exception("push failed")' in out and "except Exception:\n" in out


def test_reraise_lets_a_cancellation_through_before_a_translation(tmp_path):
    text = textwrap.dedent('''\
        import asyncio


        class GatewayError(Exception):
            pass


        async def refund(psp, payment):
            try:
                await asyncio.wait_for(psp.refund(payment), timeout=15)
            except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
                raise GatewayError("refund timed out") from exc
        ''')
    out, _ = fixed(tmp_path / "m.py", text, "SAD102", "reraise")
    assert (
        "    except asyncio.CancelledError:\n        raise\n"
        "    except asyncio.TimeoutError as exc:\n        raise GatewayError(\"refund timed out\") from exc\n"
    ) in out


def test_an_assignment_and_a_function_added_together_keep_pep8_gaps(tmp_path):
    text = "import asyncio\n\nALIASES = {\n    'a': 'b',\n}\nif ALIASES:\n    pass\n"
    out = add(
        tmp_path / "m.py",
        text,
        definitions=["_tasks: set[asyncio.Task] = set()", "def _done(task):\n    _tasks.discard(task)\n"],
    )
    assert out == (
        "import asyncio\n\nALIASES = {\n    'a': 'b',\n}\n_tasks: set[asyncio.Task] = set()\n\n\n"
        "def _done(task):\n    _tasks.discard(task)\n\n\nif ALIASES:\n    pass\n"
    )


def test_a_django_view_answers_the_frameworks_404_for_a_lookup_that_misses(project):
    (project / "models.py").write_text("from django.db import models\n\n\nclass Order(models.Model):\n    pass\n")
    text = textwrap.dedent('''\
        from django.http import JsonResponse

        from shop.models import Order


        def order_detail(request, pk):
            order = Order.objects.get(pk=pk)
            return JsonResponse({"id": order.pk})
        ''')
    path = project / "views.py"
    path.write_text(text)
    out, title = fixed(path, text, "SAD201", "translate_external")
    assert "from django.http import Http404, JsonResponse" in out
    assert "except Order.DoesNotExist as exc:" in out or "except ObjectDoesNotExist as exc:" in out
    assert "raise Http404(" in out and ") from exc" in out
    assert "class " not in out  # no invented error class: the framework's answer is already registered
    assert "404" in title
    ast.parse(out)


def test_a_fastapi_route_answers_an_http_exception_for_a_lookup_that_misses(project):
    text = textwrap.dedent('''\
        from fastapi import APIRouter
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        router = APIRouter()
        engine = None


        @router.get("/orders/{order_id}")
        def read_order(order_id: int):
            with Session(engine) as session:
                return session.execute(select(order_id)).scalar_one()
        ''')
    path = project / "api.py"
    path.write_text(text)
    out, title = fixed(path, text, "SAD201", "translate_external")
    assert "from fastapi import APIRouter, HTTPException" in out
    assert "raise HTTPException(status_code=404, detail=" in out and ") from exc" in out
    assert "class " not in out
    ast.parse(out)


def test_a_service_helper_keeps_its_domain_error_and_a_shadowed_name_is_not_reused(project):
    text = textwrap.dedent('''\
        from fastapi import APIRouter
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        router = APIRouter()
        engine = None


        class HTTPException(Exception):
            pass


        @router.get("/orders/{order_id}")
        def read_order(order_id: int):
            with Session(engine) as session:
                return session.execute(select(order_id)).scalar_one()
        ''')
    path = project / "api.py"
    path.write_text(text)
    out, _ = fixed(path, text, "SAD201", "translate_external")
    assert "HTTPException(status_code=404" not in out and "NotFound(" in out  # the module's own HTTPException stays its own
    ast.parse(out)


def test_reraise_removes_a_try_left_holding_only_raise(tmp_path):
    text = textwrap.dedent('''\
        import requests


        def charge_status(charge_id):
            try:
                response = requests.get(f"https://pay.example/{charge_id}", timeout=10)
                return response.json()["status"]
            except Exception as e:
                print(e)
                return "UNKNOWN"
        ''')
    out, title = fixed(tmp_path / "m.py", text, "SAD101", "reraise")
    assert "try:" not in out and "except" not in out and "print(e)" not in out
    assert '    response = requests.get(f"https://pay.example/{charge_id}", timeout=10)\n    return response.json()' in out
    assert "propagate" in title
    ast.parse(out)


@pytest.mark.parametrize(
    "body",
    [
        "    try:  # one request per status page\n        return fetch(charge_id)\n    except Exception:\n        return 'UNKNOWN'\n",
        "    try:\n        return fetch(charge_id)\n    except Exception:\n        return 'UNKNOWN'\n    finally:\n        log.info('done')\n",
        "    try:\n        return fetch(charge_id)\n    except KeyError:\n        return 'MISSING'\n    except Exception:\n        return 'UNKNOWN'\n",
    ],
)
def test_reraise_keeps_a_try_with_a_comment_or_another_clause(tmp_path, body):
    text = (
        "import logging\n\nimport requests\n\nlog = logging.getLogger(__name__)\n\n\n"
        "def fetch(charge_id):\n    return requests.get(f'https://pay.example/{charge_id}', timeout=10).json()['status']\n\n\n"
        "def charge_status(charge_id):\n" + body
    )
    source = SourceFile(str(tmp_path / "m.py"), text)
    offers = [(f, o) for f in lint(source, Settings()).findings if f.code == "SAD101" for o in f.fixes if o.kind == "reraise"]
    assert offers, "the look-alike must still offer the re-raise"
    for finding, offer in offers:
        out = apply_edits(text, build_fix(source, finding, offer).edits)
        assert "try:" in out and "raise" in out
        ast.parse(out)


def test_reraise_is_refused_at_import_time(tmp_path):
    from sadpath.fixes import FixRefused
    from sadpath.model import Applicability, FixOffer

    text = "import redis\n\ncache = redis.Redis()\ntry:\n    cache.ping()\nexcept Exception:\n    pass\n"
    source = SourceFile(str(tmp_path / "config.py"), text)
    findings = [f for f in lint(source, Settings()).findings if f.code == "SAD101"]
    assert findings, "the module-level swallow must still be reported"
    for finding in findings:
        assert not finding.fixes, "no fix is offered that would raise while the module imports"
        for kind in ("reraise", "translate"):  # and a fix asked for anyway refuses
            with pytest.raises(FixRefused, match="import time"):
                build_fix(source, finding, FixOffer(kind, "asked for", Applicability.UNSAFE))


def test_keep_task_logs_through_tornados_app_log_in_a_tornado_module(tmp_path):
    text = textwrap.dedent('''\
        import asyncio

        from tornado import web


        class Handler(web.RequestHandler):
            async def post(self):
                asyncio.ensure_future(self.cleanup())
                self.set_status(202)

            async def cleanup(self):
                await asyncio.sleep(1)
        ''')
    out, _ = fixed(tmp_path / "handlers.py", text, "SAD207", "keep_task")
    assert "from tornado.log import app_log" in out and "app_log.error(" in out
    assert "logging.getLogger" not in out
    ast.parse(out)


def test_a_multi_line_log_call_whose_arguments_share_a_line_is_laid_out_again_when_it_grows_too_long(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    # the package passes ``extra={"operation": ...}`` to its log calls, so the fix adds the operation and the call grows
    (tmp_path / "peer.py").write_text('import logging\nlogging.getLogger(__name__).info("x", extra={"a": 1})\n')
    (tmp_path / "peer2.py").write_text('import logging\nlogger = logging.getLogger(__name__)\nlogger.info("x", extra={"operation": "sync"})\n')
    text = textwrap.dedent('''\
        import logging

        logger = logging.getLogger(__name__)


        def check(dataset):
            try:
                exists = dataset.database.has_table(dataset.table_name, dataset.schema, dataset.catalog)
            except Exception:
                logger.warning(
                    "Couldn't check if table %s exists, assuming it does", dataset.table_name
                )
                exists = True
            return exists
        ''')
    out, _ = fixed(tmp_path / "m.py", text, "SAD104", "log_structured")
    assert '        logger.warning(\n            "Couldn\'t check if table %s exists, assuming it does",\n            dataset.table_name,\n' in out
    assert max(len(line) for line in out.splitlines()) <= 100
    ast.parse(out)


def test_the_structured_fields_a_fix_adds_are_keys_the_project_uses_itself(tmp_path):
    # the package's records carry ``extra={"send_to_api": False}``: no ``operation`` or ``service`` key nothing reads
    (tmp_path / "peer.py").write_text(
        'import logging\nlogger = logging.getLogger(__name__)\nlogger.info("x", extra={"send_to_api": False})\n'
    )
    text = textwrap.dedent('''\
        import logging

        import requests

        logger = logging.getLogger(__name__)


        def commit(store, key):
            try:
                store.write(key)
                requests.post("https://audit.example/commit", json={"key": key}, timeout=10)
            except Exception as exc:
                logger.error("commit of %s failed: %s", key, exc)
                return False
            return True
        ''')
    out, _ = fixed(tmp_path / "m.py", text, "SAD104", "log_structured")
    assert "exc_info" in out or "logger.exception(" in out
    assert '"operation"' not in out and '"service"' not in out, out
    ast.parse(out)


ROUTE_CALL = '''\
@{owner}.get("/rates")
def rates():
    resp = requests.get("https://fx.example/latest", timeout=5)
    return {{"rates": resp.text}}
'''


@pytest.mark.parametrize(
    ("opening", "owner", "registrar"),
    [
        ("from flask import Flask\n\napp = Flask(__name__)\n", "app", "@app.errorhandler"),
        ("from flask import Blueprint\n\nbp = Blueprint('fx', __name__)\n", "bp", "@bp.app_errorhandler"),
        ("from fastapi import FastAPI\n\napp = FastAPI()\n", "app", "@app.exception_handler"),
    ],
)
def test_a_route_translation_registers_the_answer_for_its_domain_error(project, opening, owner, registrar):
    """A route raising a domain error with a status answers that status only when a handler reads it: the fix
    registers one on the app or blueprint the route is declared on, after the classes it names."""
    text = "import requests\n" + opening + "\n\n" + ROUTE_CALL.format(owner=owner)
    path = project / "fx.py"
    out, title = fixed(path, text, "SAD201", "translate_external")
    tree = ast.parse(out)
    classes = [s for s in tree.body if isinstance(s, ast.ClassDef)]
    base = classes[0].name
    assert f"{registrar}({base})" in out and "answers it" in title
    handlers = [s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name.startswith("handle_")]
    assert len(handlers) == 1 and tree.body.index(handlers[0]) > tree.body.index(classes[-1])
    assert "exc.status" in ast.unparse(handlers[0])
    if "fastapi" in opening:
        assert "from fastapi.responses import JSONResponse" in out
    assert "\n\n\n\n" not in out
    assert not any(f.code == "SAD201" for f in lint(SourceFile(str(path), out), Settings()).findings)


@pytest.mark.parametrize(
    "opening",
    [
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n",  # a router has no handlers: the app does
        "from fastapi import FastAPI\n\nfrom shop.web import app\n",  # an app made elsewhere: its module registers
    ],
)
def test_no_handler_is_registered_on_a_router_or_an_imported_app(project, opening):
    owner = "router" if "APIRouter" in opening else "app"
    text = "import requests\n" + opening + "\n\n" + ROUTE_CALL.format(owner=owner).replace("fx.example/latest", "paystream.example/charge")
    out, title = fixed(project / "fx.py", text, "SAD201", "translate_external")
    ast.parse(out)
    assert "def handle_" not in out and "answers it" not in title
