"""Back-off in a retry loop (SAD204, unsafe): the loop's constant sleep becomes
``min(30, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.5)`` seconds, in place: the condition around it, its
comments and the sleep function it calls stay as written (a loop that waits only after the second attempt keeps
doing so). A loop with no sleep gets one at the end of each retrying handler (``await asyncio.sleep`` in async
code), before the next attempt.
"""

from __future__ import annotations

import libcst as cst

from sadpath.fixes.request import FixRequest, drop_terminal, handler_statements, with_comments, with_statements
from sadpath.fixes.additions import ModuleAdditions
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

    class InPlace(cst.CSTTransformer):
        """Replace the delay of every constant sleep in the loop; ``count`` says how many there were."""

        count = 0

        def leave_Call(self, original, updated):
            if _constant_sleep(updated):
                self.count += 1
                return updated.with_changes(args=[updated.args[0].with_changes(value=backoff), *updated.args[1:]])
            return updated

    in_place = InPlace()
    replaced = loop.visit(in_place)
    if in_place.count:
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


def _constant_sleep(call: cst.Call) -> bool:
    """``time.sleep(1)``, ``asyncio.sleep(DELAY)``, ``sleep(0.5)``: a sleep whose delay is one constant or name."""
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return name in SLEEP_NAMES and bool(call.args) and call.args[0].keyword is None and isinstance(
        call.args[0].value, (cst.Integer, cst.Float, cst.Name)
    )
