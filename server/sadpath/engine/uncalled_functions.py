"""Whether the function that holds a handler is named anywhere in its project, public names included.

``uncalled(site)`` is True only when it can be shown: the function is a module-level function or a method of a
plain top-level class (no base but ``object``, no class decorator or keywords, so it overrides nothing), it is a method of a plain top-level class, has
no decorator (a route, a hook, a handler, a task) and is no dunder, its own module names it only in its ``def``
(no call, no attribute or name reference, no string, no ``__all__`` entry), and no other module of the project
(tests left out) holds the word at all, while another function of the module (another method of the
class) is named elsewhere: the module is used, this function is not. Anything unsure answers False. A swallow whose
only harm is what its callers get then has no one to harm in the project, and SAD101 stays quiet on it (``engine.exemption_unreferenced.never_referenced`` already keeps a private
function that nobody names quiet; a public one may still be an API that code outside the project calls).
"""

from __future__ import annotations

import ast

from sadpath.engine.handler_site import Site
from sadpath.engine.project_names import dead_candidate, named_elsewhere, word_count


def uncalled(site: Site) -> bool:
    """Nothing in the project names the handler's function: no caller exists that could get its fallback."""
    found = dead_candidate(site)
    if found is None:
        return False
    owner, path = found
    if not isinstance(owner, ast.ClassDef):
        return False  # a module function may be an entry point a config names: only a dead method of a used class
    func, ctx = site.func, site.ctx
    scope = owner.body
    siblings = [s.name for s in scope if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s is not func and not s.name.startswith("__")]
    if word_count(func.name, ctx.source.text) != 1:
        return False  # the module itself names it again (a call, a reference, ``__all__``, a string)
    if not ctx.fact(f"uncalled:{func.name}", lambda: named_elsewhere(func.name, path) is False):
        return False
    # the rest of the module is used elsewhere (another method of the class, another function): this one is dead
    return any(ctx.fact(f"uncalled:{name}", lambda name=name: named_elsewhere(name, path) is False) is False for name in siblings[:8])


__all__ = ["uncalled"]
