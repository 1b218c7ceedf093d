"""Whether a function's name is used outside its own module, read from the project's text without importing it.

- ``named_elsewhere(name, path)``: True when another module of the project (the folder above the module's
  outermost package, tests left out by ``project_files``) holds the word ``name``; False when none does; None when
  that cannot be shown (a project too large or unreadable, a file that cannot be read or resolved).
- ``top_level_owner(func, tree)``: the top-level class that holds ``func``, None for a module-level function,
  False for anything nested (whose scope names it).
- ``plain_class(owner)``: a class with no base but ``object``, no decorator and no keywords, so its methods
  override nothing a base or a framework calls.
- ``dead_candidate(site)``: ``(owner, path)`` when the handler's function is one whose callers could all be seen:
  no boundary, decorator or dunder (a route, a hook, a protocol method), top level, a method only of a plain
  class, in a ``.py`` file; None otherwise.

Shared by the exemptions that keep a dead function quiet (``exemption_unreferenced``) and the message that says a
function has no callers (``uncalled_functions``), so the two agree on what "nobody names it" means.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sadpath.engine.namespace_callers import project_probe
from sadpath.engine.project_files import project_files, texts_mentioning

_PLAIN_BASES = frozenset({"object"})


def named_elsewhere(name: str, path: str) -> bool | None:
    """Whether another module of the project holds the word ``name``; None when that cannot be shown."""
    probe = project_probe(path)
    files = project_files(Path(probe))
    if not files:
        return None  # a project too large or unreadable: nothing can be shown
    try:
        own = Path(path).resolve()
    except OSError:
        return None
    for candidate, found in texts_mentioning(name, files, str(Path(probe).parent)):
        if found is None:
            return None
        try:
            if candidate.resolve() == own:
                continue
        except OSError:
            return None
        return True  # another module names it
    return False


def word_count(name: str, text: str) -> int:
    """How often ``name`` appears in ``text`` as a whole word (a call, a reference, a string, ``__all__``)."""
    return len(re.findall(rf"\b{re.escape(name)}\b", text))


def top_level_owner(func: ast.AST, tree: ast.Module) -> ast.ClassDef | None | bool:
    """The top-level class that holds ``func``, None for a module-level function, False for anything nested."""
    for stmt in tree.body:
        if stmt is func:
            return None
        if isinstance(stmt, ast.ClassDef) and func in stmt.body:
            return stmt
    return False


def plain_class(owner: ast.ClassDef) -> bool:
    """No base but ``object``, no decorator, no keywords: its methods override nothing."""
    return not owner.decorator_list and not owner.keywords and all(ast.unparse(b) in _PLAIN_BASES for b in owner.bases)


def dead_candidate(site) -> tuple[ast.ClassDef | None, str] | None:
    """``(owner, path)`` when the function holding the handler (``site``, an ``engine.handler_site.Site``) could be
    shown to have no caller: no boundary, decorator or dunder, top level (None owner) or a method of a plain
    top-level class, in a ``.py`` file. None when it cannot."""
    func, ctx = site.func, site.ctx
    if func is None or site.boundary is not None or func.decorator_list or func.name.startswith("__"):
        return None  # a route, a hook, a handler, a task, a protocol method: something else calls it
    owner = top_level_owner(func, ctx.tree)
    if owner is False:
        return None  # a nested function, or a method of a nested class: its scope names it
    if isinstance(owner, ast.ClassDef) and not plain_class(owner):
        return None  # a method of a subclass may override what a base or a framework calls
    path = ctx.source.path
    if not path or not path.endswith(".py"):
        return None
    return owner, path


__all__ = ["dead_candidate", "named_elsewhere", "plain_class", "top_level_owner", "word_count"]
