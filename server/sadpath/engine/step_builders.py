"""Calls in a ``try`` that build something rather than do the work: no step of their own for SAD104.

"Which step failed?" is a question about the calls that do the work: a request, a query, a command. A call that
only builds the answer (``Response({...}, status=200)``), enters a framework scope (``app.app_context()``) or
constructs the object whose method the ``try`` then calls (``observer = Observer()`` then ``observer.start()``)
does no work that fails for a reason of its own; counting it inflates the steps and the "which one failed" claim.
"""

from __future__ import annotations

import ast
import re

from sadpath.engine.context import ModuleContext
from sadpath.engine.external import external_call

# framework scopes that only push state (an application or request context, a warnings filter, a translation)
SCOPE_MANAGERS = frozenset(
    {"app_context", "request_context", "test_request_context", "catch_warnings", "nullcontext", "suppress",
     "no_grad", "inference_mode", "no_autoflush", "override", "redirect_stdout", "redirect_stderr"}
)  # fmt: skip
# the answer a view builds: a web framework's response class
_ANSWER = re.compile(r"^[A-Z]\w*Response$|^Response$")
# ``handler_class()``: a class handed over in a variable, instantiated with no arguments
_CLASS_VARIABLE = re.compile(r"(_class|_cls|_type)$")


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def builds_only(call: ast.Call, try_node: ast.AST, ctx: ModuleContext) -> bool:
    """The call builds an answer, enters a scope, or constructs the object that a later call of the ``try`` talks
    through: it is no step of its own."""
    name = _name(call)
    if name in SCOPE_MANAGERS:
        return True
    if external_call(call, ctx) is not None or name in ctx.semantic.module_functions:
        return False
    if _ANSWER.match(name):
        return True  # ``Response({"sample_task": task}, status=200)``
    if isinstance(call.func, ast.Name) and _CLASS_VARIABLE.search(name) and not call.args and not call.keywords:
        return True
    return name[:1].isupper() and _constructs_receiver(call, try_node)


def _constructs_receiver(call: ast.Call, try_node: ast.AST) -> bool:
    """``label_interface = LabelInterface(config)`` and then ``label_interface.generate(...)`` in the same ``try``:
    building the object and the call on it are one step, whose error is that object's."""
    for node in ast.walk(try_node):
        if not (isinstance(node, ast.Assign) and node.value is call and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        bound = node.targets[0].id
        return any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name) and n.func.value.id == bound
            for n in ast.walk(try_node)
        )  # fmt: skip
    return False


_GETTER = re.compile(r"^_?get_\w+$")


def getter(call: ast.AST) -> bool:
    """``_get_tracking_store()``: a zero-argument getter of the object the work goes through."""
    return isinstance(call, ast.Call) and not call.args and not call.keywords and bool(_GETTER.match(_name(call)))


def chain_getter(call: ast.Call, calls: list[ast.Call]) -> bool:
    """The getter of ``_get_tracking_store().update_run_info(...)``: the call made on what it answers is the step,
    and the one a message names."""
    return getter(call) and any(isinstance(c.func, ast.Attribute) and c.func.value is call for c in calls)
