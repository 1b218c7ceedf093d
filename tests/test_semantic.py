"""The semantic model: imports and aliases to qualified names, receiver types, exception hierarchy."""

from __future__ import annotations

import ast
import textwrap

import pytest

from sadpath.engine.semantic import SemanticModel
from sadpath.knowledge import exception_hierarchy


def model_and_scopes(code: str, function: str | None = None):
    tree = ast.parse(textwrap.dedent(code))
    model = SemanticModel(tree, "svc")
    scopes: list[ast.AST] = [tree]
    target = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and function and function.startswith(node.name + "."):
            scopes.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == (function or "").split(".")[-1]:
            target = node
    if target is not None:
        scopes.append(target)
    return model, scopes


def expr(code: str) -> ast.AST:
    return ast.parse(code, mode="eval").body


@pytest.mark.parametrize(
    ("imports", "expression", "expected"),
    [
        ("import requests as rq", "rq.get", "requests.get"),
        ("from requests import get", "get", "requests.get"),
        ("from requests.exceptions import RequestException as RE", "RE", "requests.exceptions.RequestException"),
        ("import urllib.request", "urllib.request.urlopen", "urllib.request.urlopen"),
        ("import os.path as osp", "osp.join", "os.path.join"),
        ("from . import client", "client.fetch", "client.fetch"),
        ("", "print", "print"),
    ],
)
def test_imports_and_aliases(imports, expression, expected):
    model, scopes = model_and_scopes(imports)
    assert model.qualified_name(expr(expression), scopes) == expected


def test_local_rebinding_shadows_an_import():
    model, scopes = model_and_scopes(
        """
        import requests

        def f():
            requests = object()
            return requests.get
        """,
        "f",
    )
    assert model.qualified_name(expr("requests.get"), scopes) is None


def test_function_level_import():
    model, scopes = model_and_scopes(
        """
        def f():
            import httpx as hx
            return hx.get
        """,
        "f",
    )
    assert model.qualified_name(expr("hx.get"), scopes) == "httpx.get"


def test_import_after_use_still_resolves():
    model, scopes = model_and_scopes(
        """
        def f():
            return rq.get("x")

        import requests as rq
        """,
        "f",
    )
    assert model.qualified_name(expr("rq.get"), scopes) == "requests.get"


def test_receiver_type_from_constructor_and_context_managers():
    model, scopes = model_and_scopes(
        """
        import aiohttp
        import requests

        async def f():
            s = requests.Session()
            with requests.Session() as t:
                pass
            async with aiohttp.ClientSession() as u:
                pass
        """,
        "f",
    )
    assert model.type_of(expr("s"), scopes) == "requests.Session"
    assert model.type_of(expr("t"), scopes) == "requests.Session"
    assert model.type_of(expr("u"), scopes) == "aiohttp.ClientSession"


def test_receiver_type_from_annotations():
    model, scopes = model_and_scopes(
        """
        from typing import Optional

        import aiohttp
        import httpx

        async def f(session: aiohttp.ClientSession, client: Optional[httpx.AsyncClient], other: "httpx.Client | None"):
            pass
        """,
        "f",
    )
    assert model.type_of(expr("session"), scopes) == "aiohttp.ClientSession"
    assert model.type_of(expr("client"), scopes) == "httpx.AsyncClient"
    assert model.type_of(expr("other"), scopes) == "httpx.Client"


def test_self_attribute_type_set_in_init_used_elsewhere():
    model, scopes = model_and_scopes(
        """
        import httpx

        class Gateway:
            timeout: float

            def __init__(self):
                self.client = httpx.Client(timeout=5)

            def charge(self):
                return self.client.post("/charge")
        """,
        "Gateway.charge",
    )
    assert model.type_of(expr("self.client"), scopes) == "httpx.Client"
    assert model.type_of(expr("self.other"), scopes) is None


def test_conflicting_assignments_give_no_type():
    model, scopes = model_and_scopes(
        """
        import httpx
        import requests

        def f(flag):
            c = requests.Session()
            if flag:
                c = httpx.Client()
        """,
        "f",
    )
    assert model.type_of(expr("c"), scopes) is None


def test_module_level_type():
    model, scopes = model_and_scopes("import redis\ncache = redis.Redis()\n")
    assert model.type_of(expr("cache"), scopes) == "redis.Redis"


@pytest.mark.parametrize(
    ("name", "base", "expected"),
    [
        ("requests.Timeout", "requests.RequestException", True),
        ("requests.exceptions.ReadTimeout", "requests.RequestException", True),
        ("requests.ConnectTimeout", "requests.ConnectionError", True),
        ("requests.ConnectionError", "ConnectionError", False),
        ("requests.RequestException", "OSError", True),
        ("httpx.ReadTimeout", "httpx.HTTPError", True),
        ("httpx.HTTPStatusError", "httpx.RequestError", False),
        ("redis.TimeoutError", "redis.RedisError", True),
        ("socket.timeout", "OSError", True),
        ("asyncio.TimeoutError", "TimeoutError", True),
        ("asyncio.CancelledError", "Exception", False),
        ("sqlalchemy.exc.IntegrityError", "sqlalchemy.exc.SQLAlchemyError", True),
        ("Order.DoesNotExist", "django.core.exceptions.ObjectDoesNotExist", True),
        ("KeyError", "LookupError", True),
    ],
)
def test_exception_hierarchy(name, base, expected):
    assert exception_hierarchy().is_subclass(name, base) is expected


def test_failure_modes():
    hierarchy = exception_hierarchy()
    assert hierarchy.modes("requests.ReadTimeout") == ("timeout",)
    assert "connection" in hierarchy.modes("requests.ConnectionError")
    assert hierarchy.is_expected("KeyError") and not hierarchy.is_expected("requests.RequestException")
