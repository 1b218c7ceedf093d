"""Back-off in a retry loop (SAD204, unsafe): the loop's constant sleep becomes
``min(30, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.5)`` seconds, in place: the condition around it, its
comments and the sleep function it calls stay as written (a loop that waits only after the second attempt keeps
doing so). A loop with no sleep gets one at the end of each retrying handler (``await asyncio.sleep`` in async
code), before the next attempt.
"""

from __future__ import annotations

import re

import libcst as cst

from sadpath.fixes.request import FixRequest, drop_terminal, handler_statements, with_comments, with_statements
from sadpath.fixes.additions import ModuleAdditions
from sadpath.fixes.nodes import fitted, line_limit
from sadpath.fixes.tidy import finish
from sadpath.fixes.region import FixRefused
from sadpath.model import Edit

SLEEP_NAMES = ("sleep",)


def backoff_expression(counter: str) -> str:
    return f"min(30.0, 0.5 * 2**{counter}) * random.uniform(0.5, 1.5)"


def build(req: FixRequest) -> list[Edit]:
    counter = str(req.finding.data.get("counter") or "")
    if not counter.isidentifier():
        raise FixRefused("the loop has no attempt counter")
    is_async = bool(req.finding.data.get("async"))
    region = req.region()
    loop = region.node_at(cst.For, req.finding.span.line)
    if not isinstance(loop, cst.For) or not isinstance(loop.body, cst.IndentedBlock):
        raise FixRefused("no retry loop at the finding")
    sleep_code = f"await asyncio.sleep({backoff_expression(counter)})" if is_async else f"time.sleep({backoff_expression(counter)})"
    sleep_line = cst.parse_statement(sleep_code + "\n")

    backoff = cst.parse_expression(backoff_expression(counter))
    limit = line_limit(req.source)

    class InPlace(cst.CSTTransformer):
        """Replace the delay of every constant sleep in the loop; ``count`` says how many there were."""

        count = 0

        def leave_Call(self, original, updated):
            if _constant_sleep(updated):
                self.count += 1
                new = updated.with_changes(args=[updated.args[0].with_changes(value=backoff), *updated.args[1:]])
                return fitted(new, region.positions[original].start.column, limit, region.module)
            return updated

    in_place = InPlace()
    old_delays = {_delay_text(c) for c in _sleep_calls(loop)} - {None}
    replaced = loop.visit(in_place)
    if in_place.count:
        replaced = replaced.visit(_StaleProse(old_delays))
        module = region.module.deep_replace(loop, replaced)
        return finish(req, region, module, ModuleAdditions(imports=[("random", None)]))

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
    additions = ModuleAdditions(imports=[("asyncio", None)] if is_async else [("random", None), ("time", None)])
    if is_async:
        additions.imports.append(("random", None))
    return finish(req, region, module, additions)


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
