"""Exemptions of the swallow judgement decided by the role of the code around the handler: an optional component
that announces it did not start, a permission predicate that fails closed, figures gathered only to be shown, a
helper whose docstring declares that it fails silently. Each answers like the exemptions of ``engine.exemptions``:
None when it is not about this handler, False when considered and not applying, True when it applies."""

from __future__ import annotations

import ast
import re

from sadpath.engine import shapes
from sadpath.engine.call_index import calls_named
from sadpath.engine.handler_site import Site
from sadpath.engine.walker import body_nodes

_WARNING_LEVELS = ("warning", "warn", "error", "critical", "fatal", "exception")


# ------------------------------------------------------------------ an optional component that did not start

_START_METHODS = frozenset({"start", "serve_forever", "init_app", "install", "enable", "load_plugin", "load_extension", "register_plugin"})
_SETUP_NAME = re.compile(r"start|setup|set_up|init|enable|install|register|load|watch|launch|boot|plugin|integration|extension", re.IGNORECASE)


def optional_component_start(site: Site) -> bool | None:
    """Starting an optional component (a file watcher, a plugin, an optional integration) failed, the log line at
    warning level or above says so with the error's text, and the setup function ends there: the application runs
    without it, an announced degraded mode (SAD104 judges the log line)."""
    func, try_node = site.func, site.try_node
    if func is None or try_node is None or site.after is not None or site.path.end not in ("fall", "return") or site.path.value is not None:
        return None
    starts = [
        n for n in body_nodes(try_node.body)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and (n.func.attr in _START_METHODS or n.func.attr.startswith("start_"))
    ]
    if not starts:
        return None
    if not _SETUP_NAME.search(func.name) or any(isinstance(n, ast.Return) and n.value is not None for n in shapes.walk_outside_handlers(func)):
        return False  # not a setup step, or its caller gets an answer from it
    if shapes.statements_after(try_node, site.ctx):
        return False  # more work follows, which may need the component
    return any(log.kind == "logger" and log.level in _WARNING_LEVELS and _mentions_error(log.call, site) for log in site.path.logs)


def _mentions_error(call: ast.Call, site: Site) -> bool:
    name = site.handler.name
    return bool(name) and any(isinstance(n, ast.Name) and n.id == name for a in [*call.args, *(k.value for k in call.keywords)] for n in ast.walk(a))


# ------------------------------------------------------------------ a permission predicate that fails closed

_GUARD_CONTEXT = re.compile(r"auth|permission|access|acl|polic|secur|guard|rbac|privilege|allow|deny|denied|forbid|restrict|protect|valid|verif|trust|sanit", re.IGNORECASE)
_STRICT_TRUE = re.compile(r"needs?|requires?|must|restricted|protected|denied|deny|forbidden|blocked|private|sensitive|unsafe|invalid|untrusted|suspicious|locked|revoked|expired|selects?", re.IGNORECASE)
_STRICT_FALSE = re.compile(r"allow|can_|may_|permit|authori[sz]ed|granted|is_public|is_safe|is_valid|trusted|exempt|bypass|skip", re.IGNORECASE)
_CHECK_CALL = re.compile(r"check|require|deny|denied|verify|permission|authori|forbid|reject|validate", re.IGNORECASE)


def fail_closed_predicate(site: Site) -> bool | None:
    """A predicate of a permission or validation check answers the stricter value when it fails (``True`` for
    "this request needs the version-level check", ``False`` for "allowed"): failing closed is handling."""
    func, value = site.func, site.path.value
    if func is None or site.path.end != "return" or not (isinstance(value, ast.Constant) and isinstance(value.value, bool)):
        return None
    if not _returns_bool(func):
        return None
    by_callers = _callers_decide(func, site.ctx, depth=0)
    if by_callers is not None:
        return value.value is by_callers  # the callers' stricter branch runs a permission check: the context is clear
    module = site.ctx.source.path.replace("\\", "/").rsplit("/", 2)[-2:]
    cls = site.ctx.enclosing_class()
    if not any(_GUARD_CONTEXT.search(text) for text in (*module, func.name, cls.name if cls is not None else "")):
        return None
    stricter = _by_name(func)
    if stricter is None:
        return False
    return value.value is stricter


def _returns_bool(func) -> bool:
    if func.returns is not None:
        return ast.unparse(func.returns) == "bool"
    returns = [n.value for n in shapes.walk_outside_handlers(func) if isinstance(n, ast.Return)]
    return bool(returns) and all(isinstance(v, (ast.Compare, ast.BoolOp)) or (isinstance(v, ast.Constant) and isinstance(v.value, bool)) for v in returns)


def _by_name(func) -> bool | None:
    """The stricter answer by the predicate's name: ``True`` for ``needs_review``, ``False`` for ``is_allowed``."""
    words = func.name.lstrip("_")
    strict_true, strict_false = bool(_STRICT_TRUE.search(words)), bool(_STRICT_FALSE.search(words))
    return True if strict_true and not strict_false else False if strict_false and not strict_true else None


def _stricter_answer(func, ctx, depth: int) -> bool | None:
    """Which answer of the predicate sends its callers down the stricter path: by what the module's callers do with
    it, else by its name's polarity."""
    by_callers = _callers_decide(func, ctx, depth)
    return by_callers if by_callers is not None else _by_name(func)


def _callers_decide(func, ctx, depth: int) -> bool | None:
    """``if pred(): return check_permission(user)`` (or ``raise``) in a caller of the module makes ``True`` the
    stricter answer; ``if pred(): return True`` in another predicate passes the question on to its callers."""
    if depth > 3:
        return None
    for call, parents in calls_named(ctx, func.name):
        answer = _caller_branch(call, parents, ctx, depth)
        if answer is not None:
            return answer
    return None


def _caller_branch(call: ast.Call, parents: list[ast.AST], ctx, depth: int) -> bool | None:
    node: ast.AST = call
    negated = False
    for parent in reversed(parents):
        if isinstance(parent, ast.Await) or (isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.And)):
            node = parent
            continue
        if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
            negated, node = not negated, parent
            continue
        if not (isinstance(parent, ast.If) and parent.test is node) or not parent.body:
            return None
        first = parent.body[0]
        if isinstance(first, ast.Raise) or (isinstance(first, ast.Return) and isinstance(first.value, ast.Call) and _CHECK_CALL.search(ast.unparse(first.value.func))):
            return not negated  # the branch it takes on ``True`` runs the stricter check
        if isinstance(first, ast.Return) and isinstance(first.value, ast.Constant) and first.value.value is True:
            outer = next((p for p in reversed(parents) if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
            if outer is not None and _returns_bool(outer):
                answer = _stricter_answer(outer, ctx, depth + 1)  # ``if pred(): return True`` in another predicate
                return None if answer is None else (answer is not negated)
        return None
    return None


# ------------------------------------------------------------------ figures gathered only to be shown

_DISPLAY_CALL = re.compile(r"print|summar|report|render|format|display|table|show|echo|pretty|describe|log", re.IGNORECASE)


def display_only_figures(site: Site) -> bool | None:
    """A figure left out of a collection the function returns (``counts[key] = conn.execute(...).scalar()`` /
    ``except Exception: pass``) when every caller in the module only shows the collection (``print(summary(counts))``):
    a best-effort report whose gap the reader sees."""
    func, try_node = site.func, site.try_node
    if func is None or try_node is None or site.verdict not in ("pass", "continue") or site.ctx.enclosing(ast.For, ast.AsyncFor) is None:
        return None
    stored = {
        ast.unparse(t.value) for n in body_nodes(try_node.body) if isinstance(n, ast.Assign)
        for t in n.targets if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)
    }
    returned = {ast.unparse(n.value) for n in shapes.walk_outside_handlers(func) if isinstance(n, ast.Return) and n.value is not None}
    if not stored or not stored <= returned or len(returned) != 1:
        return None
    calls = calls_named(site.ctx, func.name)
    if not calls:
        return None  # called from elsewhere: what its callers do cannot be read here
    return all(_shown_only(call, parents) for call, parents in calls)


def _shown_only(call: ast.Call, parents: list[ast.AST]) -> bool:
    """The call's result goes straight into a display call, or into a name whose every use is an argument of one."""
    parent = parents[-1] if parents else None
    if isinstance(parent, ast.Call) and call in [*parent.args, *(k.value for k in parent.keywords)]:
        return bool(_DISPLAY_CALL.search(ast.unparse(parent.func)))
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return False
    name = parent.targets[0].id
    scope = next((p for p in reversed(parents) if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module))), None)
    if scope is None:
        return False
    uses = 0
    for node in ast.walk(scope):
        if isinstance(node, ast.Call) and not _DISPLAY_CALL.search(ast.unparse(node.func)):
            continue
        if isinstance(node, ast.Call):
            uses += sum(1 for a in [*node.args, *(k.value for k in node.keywords)] if isinstance(a, ast.Name) and a.id == name)
    reads = sum(1 for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load))
    return reads > 0 and uses == reads


# ------------------------------------------------------------------ a declared silent failure

_SILENT_DOC = re.compile(
    r"\bsilent\w*[^.]{0,40}\b(?:fail\w*|errors?|exceptions?)\b|\b(?:fail\w*|errors?|exceptions?)\b[^.]{0,40}\bsilent\w*|"
    r"\bignores?\s+(?:all\s+|any\s+)?(?:errors|failures|exceptions)\b",
    re.IGNORECASE,
)


def declared_silent(site: Site) -> bool | None:
    """The function's or the module's docstring declares that it fails silently (``Exits silently on failure``):
    the silence is its documented contract, not a forgotten error."""
    if site.func is None or site.verdict not in ("pass", "return", "continue") and not site.verdict.startswith("return "):
        return None
    docs = [ast.get_docstring(site.func) or ""]
    if site.func.name == "main" or (site.boundary is not None and site.boundary.kind == "main"):
        docs.append(ast.get_docstring(site.ctx.tree) or "")  # a ``python -m`` helper: its module docstring is its manual
    return any(_SILENT_DOC.search(doc) for doc in docs) or None


# ------------------------------------------------------------------ a permission refusal that fails closed

_REFUSAL_CHECK = re.compile(
    r"^_*(?:pre_(?:delete|update|add|save|remove)|before_(?:delete|update|save)|raise_for_\w+|check_\w+|require_\w+|ensure_\w+|"
    r"assert_\w+|authori[sz]e\w*|\w*_(?:permission|permissions|ownership|access)|can_\w+)$",
    re.IGNORECASE,
)
_REFUSAL_WORDS = re.compile(r"pre_|before_|permission|ownership|owner|access|authori|forbid|allowed|can_|raise_for", re.IGNORECASE)


def fail_closed_refusal(site: Site) -> bool | None:
    """The ``try`` only asks a permission or veto hook (``self.pre_delete(item)``, ``check_ownership(obj)``) and the
    action it guards sits in the ``try``'s ``else:`` or after a ``return`` of the handler: a refusal skips the
    action. Failing closed is handling, not swallowing (at most the user misses a message)."""
    try_node = site.try_node
    if try_node is None or len(try_node.body) != 1 or not isinstance(try_node.body[0], ast.Expr):
        return None
    call = try_node.body[0].value
    if isinstance(call, ast.Await):
        call = call.value
    if not isinstance(call, ast.Call):
        return None
    name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) else ""
    if not (_REFUSAL_CHECK.match(name) and _REFUSAL_WORDS.search(name)):
        return None
    if site.path.end == "fall":
        guarded = try_node.orelse  # ``else:`` runs only when the hook let it through
    elif site.path.end == "return" and (site.path.value is None or not isinstance(site.path.value, ast.Constant) or not site.path.value.value):
        guarded = shapes.statements_after(try_node, site.ctx)
    else:
        return False
    return bool(guarded) and any(isinstance(n, ast.Call) for n in body_nodes(guarded))
