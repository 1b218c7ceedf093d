"""Which calls go over the wire: a call matched against the interface knowledge base.

A call is external when its qualified name is an interface's I/O function
(``requests.post``), or when it is a method that performs I/O on a receiver whose
type is one of an interface's clients (``s.get`` after ``s = requests.Session()``,
``self.client.post`` after ``self.client = httpx.Client()`` in ``__init__``,
``boto3.client("s3").put_object``). Django's ``Model.objects`` managers are
recognised by the ``objects`` attribute. An attribute of a typed object is the
client the knowledge base's factories name for it (``db.session`` after ``db =
SQLAlchemy(app)``: ``flask_sqlalchemy.SQLAlchemy.session``), and an instance made
by calling another project module's session factory (``session = SessionLocal()``
after ``from app.db import SessionLocal``, where ``SessionLocal = sessionmaker(...)``)
is that factory's session.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from sadpath.engine.semantic import INSTANCE_CALLS
from sadpath.knowledge.interfaces import Interface, interface_index

DJANGO_EVALUATING = frozenset(
    {"get", "create", "get_or_create", "update_or_create", "update", "delete", "bulk_create", "bulk_update",
     "count", "exists", "first", "last", "aggregate", "in_bulk", "earliest", "latest", "iterator"}
)


@dataclass(frozen=True)
class ExternalCall:
    interface: Interface
    call: ast.Call
    name: str  # how to show it: "requests.post", "Session.get", "s3.put_object"
    method: str | None  # the client method, None for a module-level function
    receiver: ast.AST | None
    client_type: str | None
    is_async: bool


def _interfaces(ctx) -> object:
    return interface_index(getattr(ctx.settings, "interfaces", ()))


def external_call(call: ast.Call, ctx) -> ExternalCall | None:
    """The interface call behind ``call``, or None (asked by several rules: computed once per call and scope)."""
    memo = getattr(ctx, "memo", None)
    if memo is None:
        return _external_call(call, ctx)
    scopes = ctx.scopes
    key = ("external", id(call), id(scopes[-1]) if scopes else 0, len(scopes))
    if key not in memo:
        memo[key] = _external_call(call, ctx)
    return memo[key]


def _external_call(call: ast.Call, ctx) -> ExternalCall | None:
    index = _interfaces(ctx)
    func = call.func
    qn = ctx.qualified_name(func)
    if qn is not None:
        interface = index.functions.get(qn)
        if interface is not None:
            return ExternalCall(interface, call, qn, None, None, None, False)
    if not isinstance(func, ast.Attribute):
        return None
    method = func.attr
    receiver = func.value
    client_type = index.client_type(ctx.type_of(receiver)) or _attribute_client(receiver, ctx, index)
    if client_type is not None and client_type not in index.clients:
        client_type = _project_instance(client_type, ctx, index) or client_type
    if client_type is not None:
        interface = index.clients.get(client_type)
        if interface is not None and interface.performs_io(method):
            short = client_type.rsplit(".", 1)[-1]
            return ExternalCall(
                interface, call, f"{short}.{method}", method, receiver, client_type, client_type in index.async_clients
            )
    if method in DJANGO_EVALUATING and is_django_manager_chain(receiver):
        interface = index.interfaces.get("django_orm")
        if interface is not None:
            return ExternalCall(interface, call, f"objects.{method}", method, receiver, "django.db.models.Manager", False)
    return None


def _attribute_client(receiver: ast.AST, ctx, index) -> str | None:
    """``db.session`` when ``db`` is a ``flask_sqlalchemy.SQLAlchemy``: the factories map
    ``flask_sqlalchemy.SQLAlchemy.session`` to the scoped session it is. The owner may be another project
    module's instance (``from app.extensions import db``)."""
    if not isinstance(receiver, ast.Attribute):
        return None
    owner = ctx.type_of(receiver.value)
    if owner is None and isinstance(receiver.value, ast.Name):
        owner = _project_instance_type(ctx.qualified_name(receiver.value), ctx)
    if owner is None:
        return None
    made = index.factories.get(f"{owner}.{receiver.attr}")
    return made


def _project_instance(made_by: str, ctx, index) -> str | None:
    """The client an instance is when another project module's factory made it: ``session = SessionLocal()``
    with ``SessionLocal = sessionmaker(...)`` in ``app/db.py``."""
    if "." not in made_by:
        return None
    factory = _project_instance_type(made_by, ctx)
    client = INSTANCE_CALLS.get(factory or "")
    return index.client_type(client) if client is not None else None


def _project_instance_type(qualified: str | None, ctx) -> str | None:
    """The type of another project module's module-level instance (None when the name is not the project's)."""
    if not qualified or "." not in qualified:
        return None
    from sadpath.engine.reexports import library_type  # reexports reads project modules through project_calls

    return library_type(qualified, ctx)


def is_django_manager_chain(expr: ast.AST) -> bool:
    """``Model.objects``, ``Model.objects.filter(...)``, ``self.model.objects.all().select_related(...)``."""
    node = expr
    for _ in range(12):
        if isinstance(node, ast.Call):
            node = node.func
            continue
        if isinstance(node, ast.Attribute):
            if node.attr == "objects" and isinstance(node.value, (ast.Name, ast.Attribute)):
                owner = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
                return owner[:1].isupper() or owner == "model"
            node = node.value
            continue
        return False
    return False
