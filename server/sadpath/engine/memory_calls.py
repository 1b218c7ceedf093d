"""In-memory work of web and mail libraries that ``pure_calls`` does not know, and what a ``pass`` around it drops.

``pure_calls.block_errors`` treats an unknown method as possible I/O. Two kinds of library calls only compute on
the values they are given:

- a DRF serializer field's parse (``serializers.DateField().to_internal_value(text)``, ``run_validation``): it
  raises DRF's ``ValidationError`` for bad input;
- building a Django email in memory (``email.attach(name, content, mimetype)``, ``attach_alternative``, on an
  ``EmailMessage``/``EmailMultiAlternatives`` or a module's subclass of one): nothing is sent yet, and it raises
  only on a bug (a wrong argument).

A block of such calls is in-memory work too, and SAD102 words its finding for that (a bug becomes the fallback,
name the errors), not with a stop signal landing in microseconds of work. ``dropped_output`` says when the
fallback is ``pass`` and the block only added a part to an output (an attachment, a row, an item): the part is
dropped without a trace while the rest goes on.
"""

from __future__ import annotations

import ast

from sadpath.engine import pure_calls
from sadpath.engine.context import ModuleContext

_DRF_FIELDS = "rest_framework.serializers."
_DRF_PARSES = frozenset({"to_internal_value", "run_validation"})
_DRF_ERROR = "rest_framework.exceptions.ValidationError"
_EMAIL_TYPES = frozenset({
    "django.core.mail.EmailMessage", "django.core.mail.EmailMultiAlternatives",
    "django.core.mail.message.EmailMessage", "django.core.mail.message.EmailMultiAlternatives",
})  # fmt: skip
_EMAIL_BUILDS = frozenset({"attach", "attach_alternative"})  # (not ``attach_file``: it reads a file)
# methods that add one part to an output being assembled
_ADDS = frozenset({"attach", "attach_alternative", "append", "add", "insert", "writerow", "extend"})


def block_errors(stmts: list[ast.stmt], ctx: ModuleContext) -> tuple[str, ...] | None:
    """``pure_calls.block_errors``, counting the library calls above as in-memory work."""
    errors = pure_calls.block_errors(stmts, ctx)
    if errors is not None:
        return errors
    known: dict[tuple, tuple[str, ...]] = {}
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                raised = _library_errors(node, ctx)
                if raised is not None:
                    known[pure_calls.position(node)] = raised
    return pure_calls.errors_with(stmts, ctx, known, pure_calls.block_errors)


def dropped_output(handler: ast.ExceptHandler, stmts: list[ast.stmt]) -> str | None:
    """The fallback is ``pass`` (or ``continue``) and the ``try`` only adds a part to an output (``email.attach(...)``,
    ``rows.append(...)``): the call shown, whose part a failure drops without a trace."""
    if not handler.body or not all(isinstance(s, (ast.Pass, ast.Continue)) for s in handler.body):
        return None
    if len(stmts) != 1 or not isinstance(stmts[0], ast.Expr) or not isinstance(stmts[0].value, ast.Call):
        return None
    call = stmts[0].value
    if not isinstance(call.func, ast.Attribute) or call.func.attr not in _ADDS:
        return None
    return f"{ast.unparse(call.func)}(...)"


def _library_errors(call: ast.Call, ctx: ModuleContext) -> tuple[str, ...] | None:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    receiver = _type_of(func.value, ctx)
    if func.attr in _DRF_PARSES and receiver.startswith(_DRF_FIELDS) and receiver.endswith("Field"):
        return (_DRF_ERROR,)
    if func.attr in _EMAIL_BUILDS and receiver in _EMAIL_TYPES:
        return ()
    return None


def _type_of(expr: ast.AST, ctx: ModuleContext) -> str:
    """The receiver's type, a module class standing for the library class it derives from (``class
    TicketEmail(EmailMultiAlternatives)``)."""
    known = ctx.type_of(expr) or (_assigned_class(expr, ctx) if isinstance(expr, ast.Name) else "")
    if not known:
        return ""
    local = known.rsplit(".", 1)[-1]
    for stmt in ctx.tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == local and known.endswith(f".{local}"):
            for base in stmt.bases:
                qualified = ctx.semantic.qualified_name(base, [ctx.tree]) or ""
                if qualified in _EMAIL_TYPES or qualified.startswith(_DRF_FIELDS):
                    return qualified
    return known


def _assigned_class(name: ast.Name, ctx: ModuleContext) -> str:
    """The class a local was last built from above its use (``email = CustomEmail(...)``), when the function binds
    the name more than once and the type model gives up."""
    func = ctx.enclosing_function()
    if func is None:
        return ""
    made = [
        node for node in ast.walk(func)
        if isinstance(node, ast.Assign) and node.lineno < name.lineno and isinstance(node.value, ast.Call)
        and any(isinstance(t, ast.Name) and t.id == name.id for t in node.targets)
    ]  # fmt: skip
    if not made:
        return ""
    last = max(made, key=lambda node: node.lineno)
    return ctx.qualified_name(last.value.func) or ""

