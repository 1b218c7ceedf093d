"""Back-off in a retry loop (SAD204, unsafe): the loop's constant sleep becomes
``min(30, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.5)`` seconds, in place: the condition around it, its
comments and the sleep function it calls stay as written (a loop that waits only after the second attempt keeps
doing so). A loop with no sleep gets one at the end of each retrying handler (``await asyncio.sleep`` in async
code), before the next attempt.

Sibling retry loops of a class or file (``__aenter__``'s ``for i in range(n)``, ``__anext__``'s ``while failures <= n``)
are each their own finding: each fix changes its own loop only, with the same back-off of its own attempt counter, so
all of them fixed keep one policy. The counted loop bounds the attempts and each wait is capped, so the total stays
bounded.

Where the package has its own back-off helper (a top-level function named ``*backoff*`` with ``jitter`` or
``exponential``, whose first parameter is the attempt, e.g. prefect's
``exponential_backoff_with_jitter(attempt, base_delay, max_delay)``), the delay is that helper's, capped at 10 s.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import libcst as cst

from sadpath.fixes.request import FixRequest, drop_terminal, handler_statements, with_comments, with_statements
from sadpath.fixes.additions import ModuleAdditions
from sadpath.fixes.nodes import fitted, line_limit
from sadpath.fixes.tidy import finish
from sadpath.fixes.region import FixRefused
from sadpath.model import Edit

SLEEP_NAMES = ("sleep",)


def backoff_expression(counter: str, helper: tuple[str, str, int] | None = None) -> str:
    if helper is not None:
        name, _, required = helper
        return f"{name}({counter}, 0.5, 10.0)" if required == 3 else f"{name}({counter})"
    return f"min(30.0, 0.5 * 2**{counter}) * random.uniform(0.5, 1.5)"


def build(req: FixRequest) -> list[Edit]:
    counter = str(req.finding.data.get("counter") or "")
    if not counter.isidentifier():
        raise FixRefused("the loop has no attempt counter")
    is_async = bool(req.finding.data.get("async"))
    region = req.region()
    kind = cst.While if req.finding.data.get("loop") == "While" else cst.For
    loop = region.node_at(kind, req.finding.span.line)
    if not isinstance(loop, kind) or not isinstance(loop.body, cst.IndentedBlock):
        raise FixRefused("no retry loop at the finding")
    helper = project_backoff_helper(req.source.path)
    expression = backoff_expression(counter, helper)
    sleep_code = f"await asyncio.sleep({expression})" if is_async else f"time.sleep({expression})"
    sleep_line = cst.parse_statement(sleep_code + "\n")
    # the helper's import (none when it is defined in this module), else ``random`` for the jitter
    imports = [("random", None)] if helper is None else [(helper[1], helper[0])] if helper[1] else []

    limit = line_limit(req.source)
    assigned = _assigned_names(loop)

    class InPlace(cst.CSTTransformer):
        """Replace the delay of every constant sleep in the loop; ``count`` says how many there were. A sleep under
        ``if <name> > N:`` grows on that gate's counter (the one that decides the wait), when the loop counts it."""

        count = 0
        gates: list[tuple[str, cst.CSTNode]] = []

        def visit_If(self, node):
            self.gates = [*self.gates, (_gate_counter(node.test), node.body)]

        def leave_If(self, original, updated):
            self.gates = self.gates[:-1]
            return updated

        def leave_Call(self, original, updated):
            if _constant_sleep(updated):
                self.count += 1
                exponent = counter
                for name, body in reversed(self.gates):
                    if _within(region.positions[original], region.positions[body]):
                        if name is not None and name in assigned:
                            exponent = name
                        break
                value = cst.parse_expression(backoff_expression(exponent, helper))
                if exponent != counter:
                    req.notes.append(f"the delay grows on `{exponent}`, the counter that gates the sleep")
                new = updated.with_changes(args=[updated.args[0].with_changes(value=value), *updated.args[1:]])
                return fitted(new, region.positions[original].start.column, limit, region.module)
            return updated

    in_place = InPlace()
    old_delays = {_delay_text(c) for c in _sleep_calls(loop)} - {None}
    replaced = loop.visit(in_place)
    if in_place.count:
        replaced = replaced.visit(_StaleProse(old_delays))
        module = region.module.deep_replace(loop, replaced)
        return finish(req, region, module, ModuleAdditions(imports=imports))

    class Rewrite(cst.CSTTransformer):
        def leave_SimpleStatementLine(self, original, updated):
            # drop the old fixed sleep; the handler gets the backoff instead
            if len(updated.body) == 1 and isinstance(updated.body[0], cst.Expr):
                value = updated.body[0].value
                if isinstance(value, cst.Await):
                    value = value.expression
                if isinstance(value, cst.Call) and isinstance(value.func, (cst.Attribute, cst.Name)):
                    name = value.func.attr.value if isinstance(value.func, cst.Attribute) else value.func.value
                    if name in SLEEP_NAMES and value.args and isinstance(value.args[0].value, (cst.Integer, cst.Float, cst.Name)):
                        return cst.RemoveFromParent()
            return updated

        def leave_ExceptHandler(self, original, updated):
            statements, comments = drop_terminal(handler_statements(updated))
            if any(isinstance(n, cst.SimpleStatementLine) and "raise" in cst.Module([]).code_for_node(n) for n in statements):
                return updated
            return with_statements(updated, [*statements, with_comments(sleep_line, comments)])

    new_loop = loop.visit(Rewrite())
    module = region.module.deep_replace(loop, new_loop)
    additions = ModuleAdditions(imports=[*imports, ("time", None)] if not is_async else [("asyncio", None), *imports])
    return finish(req, region, module, additions)


def _gate_counter(test: cst.BaseExpression) -> str | None:
    """``attempts`` of ``if attempts > 2:`` / ``if attempts >= 3:``: the counter that decides whether to wait."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name):
        target = test.comparisons[0]
        if isinstance(target.operator, (cst.GreaterThan, cst.GreaterThanEqual)) and isinstance(target.comparator, cst.Integer):
            return test.left.value
    return None


def _within(inner, outer) -> bool:
    return (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and (
        inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column)


def _assigned_names(loop: cst.CSTNode) -> set[str]:
    """The plain names the loop assigns (``attempts = ...``, ``attempts += 1``): its own counters."""
    names: set[str] = set()

    class Collect(cst.CSTVisitor):
        def visit_AssignTarget(self, node):
            if isinstance(node.target, cst.Name):
                names.add(node.target.value)

        def visit_AugAssign(self, node):
            if isinstance(node.target, cst.Name):
                names.add(node.target.value)

    loop.visit(Collect())
    return names


_HELPER_WORDS = ("jitter", "exponential")
_ATTEMPT_WORDS = ("attempt", "retr", "count", "try", "tries")
_MAX_FILES = 3000
_HELPERS: dict[str, tuple[str, str, int] | None] = {}  # the package's folder -> its helper (read once)


def project_backoff_helper(path: str) -> tuple[str, str, int] | None:
    """The package's own back-off helper: (its name, the module to import it from, or "" when it is in the fixed
    module itself, its required argument count: 1 or 3), or None."""
    here = Path(path)
    top = here.parent
    if not (top / "__init__.py").is_file():
        return None
    while (top.parent / "__init__.py").is_file():
        top = top.parent
    key = f"{top}|{here}"
    if key not in _HELPERS:
        _HELPERS[key] = _find_helper(top, here)
    return _HELPERS[key]


def _find_helper(top: Path, here: Path) -> tuple[str, str, int] | None:
    try:
        files = sorted(top.rglob("*.py"))[:_MAX_FILES]
    except OSError:
        return None
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "backoff" not in text:
            continue
        for name, required in _helpers_in(text):
            same = file.resolve() == here.resolve()
            if name.startswith("_") and not same:
                continue
            module = "" if same else ".".join(file.relative_to(top.parent).with_suffix("").parts)
            return name, module.removesuffix(".__init__"), required
    return None


def _helpers_in(text: str) -> list[tuple[str, int]]:
    """The module's top-level ``def *backoff*_(jitter|exponential)*(attempt, ...)`` returning a number, with their
    required argument counts."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        low = node.name.lower()
        if "backoff" not in low or not any(w in low for w in _HELPER_WORDS):
            continue
        args = node.args
        params = [*args.posonlyargs, *args.args]
        required = len(params) - len(args.defaults)
        if not params or required not in (1, 3) or args.vararg or any(d is None for d in args.kw_defaults):
            continue
        if not any(w in params[0].arg.lower() for w in _ATTEMPT_WORDS):
            continue
        returns = ast.unparse(node.returns) if node.returns is not None else "float"
        if returns not in ("float", "int"):
            continue
        if any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Yield, ast.YieldFrom)) for n in ast.walk(node) if n is not node):
            continue
        found.append((node.name, required))
    return found


_UNIT = r"(?:-|\s)?(?:seconds?|secs?|s)\b"


def _delay_text(call: cst.Call) -> str | None:
    value = call.args[0].value
    return value.value if isinstance(value, (cst.Integer, cst.Float)) else None


def _sleep_calls(loop: cst.CSTNode) -> list[cst.Call]:
    found: list[cst.Call] = []

    class Find(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if _constant_sleep(node):
                found.append(node)

    loop.visit(Find())
    return found


def reworded(text: str, delays: set[str]) -> str:
    """``text`` with every statement of an old constant delay ("for 1 second", "1s", "a 0.5 sec delay") said as
    the back-off it became."""
    for delay in sorted(delays, key=len, reverse=True):
        number = re.escape(delay) + (r"(?:\.0+)?" if "." not in delay else "")
        text = re.sub(r"\bfor (?:a |an )?" + number + _UNIT, "with exponential back-off", text)
        text = re.sub(r"(?:\ba |\ban )?\b" + number + _UNIT, "exponential back-off", text)
    if delays & {"1", "1.0"}:
        text = re.sub(r"\bfor (?:a|one) second\b", "with exponential back-off", text)
        text = re.sub(r"\b(?:a|one) second\b", "exponential back-off", text)
    return text


class _StaleProse(cst.CSTTransformer):
    """Comments and log messages in the rewritten loop that state the old constant delay say the back-off."""

    def __init__(self, delays: set[str]) -> None:
        super().__init__()
        self.delays = delays

    def leave_Comment(self, original, updated):
        return updated.with_changes(value=reworded(updated.value, self.delays)) if self.delays else updated

    def leave_SimpleString(self, original, updated):
        if not self.delays or "b" in updated.prefix.lower():
            return updated
        new = reworded(updated.value, self.delays)
        return updated if new == updated.value else updated.with_changes(value=new)

    def leave_FormattedStringText(self, original, updated):
        return updated.with_changes(value=reworded(updated.value, self.delays)) if self.delays else updated


def _constant_sleep(call: cst.Call) -> bool:
    """``time.sleep(1)``, ``asyncio.sleep(DELAY)``, ``sleep(0.5)``: a sleep whose delay is one constant or name."""
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return name in SLEEP_NAMES and bool(call.args) and call.args[0].keyword is None and isinstance(
        call.args[0].value, (cst.Integer, cst.Float, cst.Name)
    )
