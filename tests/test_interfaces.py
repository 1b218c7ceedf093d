"""The external-interface knowledge base: schema, coverage of the required libraries, call matching."""

from __future__ import annotations

import ast
import textwrap

import pytest

from sadpath.config import Settings
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call
from sadpath.engine.handling import mode_status
from sadpath.engine.semantic import SemanticModel
from sadpath.knowledge import KnowledgeError, exception_hierarchy
from sadpath.knowledge.interfaces import builtin_interfaces, interface_index, parse_interface
from sadpath.source import SourceFile

REQUIRED = {
    "requests", "httpx", "aiohttp", "urllib", "urllib3", "boto3", "redis", "psycopg2", "psycopg", "asyncpg",
    "pymysql", "sqlite3", "sqlalchemy", "django_orm", "kafka_python", "confluent_kafka", "pika", "pymongo",
    "elasticsearch", "smtplib", "ftplib", "socket", "subprocess", "stripe",
}


def test_required_libraries_are_known():
    assert REQUIRED <= {i.name for i in builtin_interfaces()}


@pytest.mark.parametrize("interface", builtin_interfaces(), ids=lambda i: i.name)
def test_interface_is_complete(interface):
    assert interface.functions or interface.clients, "no I/O entry point"
    assert interface.modes, "no failure modes"
    assert set(interface.retryable) <= set(interface.mode_names()) | {"rate-limit", "server-error"}
    if interface.kind == "http":
        assert interface.timeout is not None or interface.name == "stripe"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"kind": "telepathy"}, "kind: expected one of"),
        ({"kind": "http", "modes": {"timeout": ["nope.Error"]}}, "unknown exception type 'nope.Error'"),
        ({"kind": "http", "modes": {"boredom": []}}, "unknown key(s) ['boredom']"),
        ({"kind": "http", "timeout": {"param": "t", "default": "soon"}}, "timeout.default"),
        ({"kind": "http", "functions": "requests.get"}, "functions: expected a list of strings"),
        ({"kind": "http", "colour": "red"}, "unknown key(s) ['colour']"),
        ({"kind": "process", "modes": {"timeout": ["TimeoutError"]}, "mode_requires": {"io": {"keyword": "x"}}}, "mode_requires: unknown key(s) ['io']"),
        ({"kind": "process", "modes": {"timeout": ["TimeoutError"]}, "mode_requires": {"timeout": {}}}, "mode_requires.timeout: expected a keyword (a string) or functions"),
        ({"kind": "process", "modes": {"timeout": ["TimeoutError"]}, "mode_requires": {"timeout": {"keyword": 1, "functions": ["f"]}}}, "mode_requires.timeout.keyword: expected a string"),
        ({"kind": "process", "modes": {"timeout": ["TimeoutError"]}, "mode_requires": {"timeout": {"keyword": "t", "when": 1}}}, "unknown key(s) ['when']"),
    ],
)
def test_malformed_interfaces_are_rejected(table, message):
    with pytest.raises(KnowledgeError) as raised:
        parse_interface("x", table, "pyproject.toml")
    assert message in str(raised.value)


def analyze_calls(code: str, settings: Settings | None = None):
    text = textwrap.dedent(code)
    tree = ast.parse(text)
    ctx = ModuleContext(SourceFile("m.py", text), tree, SemanticModel(tree, "m"), exception_hierarchy(), settings or Settings())
    results = []

    def visit(node, parents, scopes):
        if isinstance(node, ast.Call):
            ctx.parents, ctx.scopes = parents, scopes
            found = external_call(node, ctx)
            if found is not None:
                results.append((found, list(parents)))
        is_scope = isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, parents + [node], scopes + [node] if is_scope else scopes)

    visit(tree, [], [])
    return ctx, results


def test_call_matching_through_aliases_sessions_and_attributes():
    _, found = analyze_calls(
        """
        import boto3
        import httpx
        import requests as rq
        from requests import post

        class Gateway:
            def __init__(self):
                self.client = httpx.Client(timeout=5)

            def charge(self):
                return self.client.post("/charge")

        def f():
            rq.get("a")
            post("b")
            with rq.Session() as s:
                s.put("c")
            boto3.client("s3").put_object(Bucket="b")
            Order.objects.filter(x=1).first()
            s.mount("x", None)
            len("not external")
        """
    )
    names = sorted((f.interface.name, f.name) for f, _ in found)
    assert names == [
        ("boto3", "BaseClient.put_object"),
        ("django_orm", "objects.first"),
        ("httpx", "Client.post"),
        ("requests", "Session.put"),
        ("requests", "requests.get"),
        ("requests", "requests.post"),
    ]


def test_handled_modes_by_enclosing_try_and_registered_handlers():
    ctx, found = analyze_calls(
        """
        import requests
        from flask import Flask

        app = Flask(__name__)

        @app.errorhandler(requests.ConnectionError)
        def on_connection_error(exc):
            return "down", 503

        def f():
            try:
                requests.get("a", timeout=5)
            except requests.Timeout:
                pass
        """
    )
    (external, parents), = found
    status = {s.mode: s.handler for s in mode_status(external, parents, ctx)}
    assert status["timeout"].label == "except requests.Timeout"
    assert status["connection"].where == "registered"
    assert status["server-error"] is None


def test_user_interfaces_from_configuration(tmp_path):
    from sadpath.config import load_settings

    config = tmp_path / "pyproject.toml"
    config.write_text(
        textwrap.dedent(
            """
            [tool.sadpath.interfaces.billing]
            kind = "http"
            label = "billing API"
            functions = ["billing.client.charge"]
            [tool.sadpath.interfaces.billing.modes]
            timeout = ["TimeoutError"]
            """
        ),
        encoding="utf-8",
    )
    settings = load_settings(config)
    assert interface_index(settings.interfaces).functions["billing.client.charge"].label == "billing API"
    _, found = analyze_calls("from billing.client import charge\ncharge(1)\n", settings)
    assert [f.interface.name for f, _ in found] == ["billing"]


def test_sessions_made_by_a_sessionmaker_instance():
    """``SessionLocal = sessionmaker(...)`` at module level, then ``SessionLocal()`` makes sessions."""
    _, found = analyze_calls(
        """
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        engine = create_engine("postgresql://db/orders")
        SessionLocal = sessionmaker(bind=engine)

        def load(order_id):
            with SessionLocal() as session:
                return session.get(Order, order_id)

        def save(order):
            session = SessionLocal()
            session.add(order)
            session.commit()

        def not_a_factory(SessionLocal):
            SessionLocal().get(Order, 1)
        """
    )
    assert sorted(f.name for f, _ in found) == ["Session.commit", "Session.get"]


def test_a_mode_required_by_functions_only_applies_to_those_calls():
    import ast

    interface = parse_interface(
        "q", {"kind": "queue", "clients": ["q.Consumer"], "methods": ["poll", "commit"], "modes": {"connection": ["OSError"]},
              "mode_requires": {"connection": {"functions": ["Consumer.commit"]}}}, "pyproject.toml",
    )
    call = ast.parse("c.poll(1.0)").body[0].value
    assert interface.modes_of_call(call, "Consumer.poll") == ()
    assert [m for m, _ in interface.modes_of_call(call, "Consumer.commit")] == ["connection"]
