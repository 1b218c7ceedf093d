"""Naming the domain error a translation raises, from what the code itself says about the service."""

from __future__ import annotations

import ast
import re
from urllib.parse import urlparse

_CLASS_SUFFIXES = ("Client", "Service", "Adapter", "Api", "API", "Wrapper", "Session", "Connector")
_VIEWISH = ("View", "ViewSet", "Resource", "Handler", "Test", "TestCase", "Task", "Consumer", "Worker")
_URL_SUFFIXES = ("_URL", "_URI", "_ENDPOINT", "_HOST", "_BASE", "_BASE_URL", "_ADDR", "_ADDRESS")
_GENERIC_HOST_LABELS = {"api", "www", "http", "https", "localhost", "internal", "svc", "service", "app"}


def camel(words: str) -> str:
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", words) if p]
    return "".join(p[:1].upper() + p[1:].lower() if p.isupper() or p.islower() else p[:1].upper() + p[1:] for p in parts)


def domain_base(call: ast.Call, ctx) -> str:
    """``PaymentGatewayError`` for a call in ``PaymentGatewayClient``, to ``PAYMENTS_URL``, to ``https://payments.example``."""
    for parent in reversed(ctx.parents):
        if isinstance(parent, ast.ClassDef):
            name = parent.name.lstrip("_")
            if name.endswith(("Error", "Exception")) or name.endswith(_VIEWISH):
                break
            for suffix in _CLASS_SUFFIXES:
                if name.endswith(suffix) and name != suffix:
                    name = name[: -len(suffix)]
                    break
            return f"{name}Error"
    from_args = _from_arguments(call)
    if from_args:
        return f"{from_args}Error"
    func = call.func
    if isinstance(func, ast.Attribute):
        receiver = func.value
        if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) and receiver.value.id == "self":
            return f"{camel(receiver.attr)}Error"
        if isinstance(receiver, ast.Name) and ctx.type_of(receiver) is not None:
            name = receiver.id.lstrip("_")
            if name and name not in ("client", "conn", "session", "s", "c", "db", "cursor", "cur"):
                return f"{camel(name)}Error"  # cache.get -> CacheError, s3.put_object -> S3Error
    stem = ctx.semantic.module_name.rsplit(".", 1)[-1] if ctx.semantic.module_name else ""
    if stem in ("", "app", "main", "views", "tasks", "routes", "api", "__main__", "handlers"):
        return "ServiceError"
    return f"{camel(stem)}Error"


def _from_arguments(call: ast.Call) -> str | None:
    for arg in [*call.args[:1], *(k.value for k in call.keywords if k.arg in ("url", "endpoint"))]:
        name = _url_name(arg)
        if name:
            return name
    return None


def _url_name(expr: ast.AST) -> str | None:
    if isinstance(expr, ast.JoinedStr):
        head = expr.values[0] if expr.values else None
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            return _host_name(head.value)
        if isinstance(head, ast.FormattedValue):
            return _url_name(head.value)
        return None
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return _host_name(expr.value)
    if isinstance(expr, ast.BinOp):
        return _url_name(expr.left)
    if isinstance(expr, (ast.Name, ast.Attribute)):
        name = expr.id if isinstance(expr, ast.Name) else expr.attr
        upper = name.upper()
        for suffix in _URL_SUFFIXES:
            if upper.endswith(suffix) and len(upper) > len(suffix):
                return camel(name[: -len(suffix)])
    return None


def _host_name(url: str) -> str | None:
    if "://" not in url:
        return None
    host = urlparse(url).hostname or ""
    for label in host.split("."):
        if label and label not in _GENERIC_HOST_LABELS and not label.isdigit():
            return camel(label)
    return None


def module_error_name(ctx) -> str:
    """The domain error a translation raises: an existing module-level root error, else one named for the code."""
    for name, cls in ctx.semantic.module_classes.items():
        if name.endswith("Error") and any(
            isinstance(b, ast.Name) and b.id in ("Exception", "RuntimeError") for b in cls.bases
        ):
            return name
    cls = ctx.enclosing_class()
    if cls is not None and not cls.name.endswith(("Error", "Exception")):
        return cls.name.lstrip("_") + "Error"
    stem = ctx.semantic.module_name.rsplit(".", 1)[-1] or "service"
    words = [w for w in stem.replace("-", "_").split("_") if w]
    camel = "".join(w[:1].upper() + w[1:] for w in words) or "Service"
    return camel + "Error"
