"""Back-off in a retry loop (SAD204, unsafe): each retrying handler of a ``for attempt in range(n)`` loop sleeps
``min(30, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.5)`` seconds (``await asyncio.sleep`` in async code)
before the next attempt, replacing a constant sleep.
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


