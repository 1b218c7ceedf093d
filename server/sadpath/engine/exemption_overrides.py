"""The exemption for a fallback the callers already want, one level up: a method that overrides a project base
class's implementation answering the same empty value (``return []``), whose every caller in the package wraps the
call in its own catch (``except Exception: ... return []``, "should not hard crash"). The empty answer is the
interface's own "nothing here", and the callers have already decided that a failure means it."""

from __future__ import annotations

import ast

from sadpath.engine.call_index import method_calls
from sadpath.engine.trapping import BROAD_NAMES
from sadpath.engine.handler_site import Site
from sadpath.engine.project_files import modules_calling
from sadpath.engine.rollback_hooks import ancestors

_MAX_CALLERS = 20


def fallback_the_callers_want(site: Site) -> bool | None:
    """The method overrides a project base class whose implementation answers the same empty value (the
    interface's default, possibly further up than the nearest override), and every call
    of it elsewhere in the package sits in a ``try`` with a broad handler of its own: the callers want the empty
    answer when it fails (autocomplete, optional metadata), so they can tell and have chosen not to care."""
    func, value = site.func, site.path.value
    if func is None or site.path.end != "return" or value is None or not _empty(value):
        return None
    klass = site.ctx.enclosing_class()
    if klass is None or func not in klass.body or not klass.bases:
        return None
    try:
        chain = ancestors(klass, site.ctx.tree, site.ctx.source.path)
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None
    bases = [m for cls, _ in chain[1:] for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name == func.name]
    if not bases:
        return None
    if not any(_answers_only(base, ast.unparse(value)) for base in bases):
        return False  # the interface's root implementation (or an override between) is no such default
    return _callers_catch(func.name, site.ctx.source.path)


def _empty(value: ast.expr) -> bool:
    if isinstance(value, ast.Constant):
        return value.value in (None, "", 0, False)
    if isinstance(value, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
        return not getattr(value, "elts", getattr(value, "keys", None))
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in ("list", "dict", "set", "tuple") and not value.args


def _answers_only(method: ast.AST, shown: str) -> bool:
    """Every ``return`` of the base implementation answers ``shown`` (its body is that default)."""
    returns = [n for n in ast.walk(method) if isinstance(n, ast.Return)]
    return bool(returns) and all(r.value is not None and ast.unparse(r.value) == shown for r in returns)


def _callers_catch(name: str, path: str) -> bool | None:
    """Every call ``x.name(...)`` in the package (not ``super().name()``, which reaches the base) sits in the body of
    a ``try`` with a broad handler that does not re-raise. None when no caller is found."""
    found = 0
    for file, tree in modules_calling(name, path):
        if tree is None:
            return None  # a module that cannot be read: the callers cannot all be seen
        for call, parents in method_calls(tree, name):
            found += 1
            if found > _MAX_CALLERS or not _caught(call, parents):
                return False
    return True if found else None




def _caught(call: ast.Call, parents: list[ast.AST]) -> bool:
    node: ast.AST = call
    for parent in reversed(parents):
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return False
        if isinstance(parent, ast.Try) and node in parent.body:
            return any(_broad(h) and not any(isinstance(n, ast.Raise) for n in ast.walk(h)) for h in parent.handlers)
        node = parent
    return False


def _broad(handler: ast.ExceptHandler) -> bool:
    kind = handler.type
    return kind is None or (isinstance(kind, ast.Name) and kind.id in BROAD_NAMES) or (
        isinstance(kind, ast.Attribute) and kind.attr in BROAD_NAMES
    )

