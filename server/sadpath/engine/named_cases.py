"""A handler whose own words name the expected case it is there for: a comment, or the text of its log call.

``log.debug('This was most likely caused by bypassing embedding processing')`` around a vector-store delete
(services review round 17, SAD101 row 12). The expected case (a collection that was never created) deserves a
quiet branch; the same ``except Exception`` also hides the store being down. "Log every failure at warning with
the traceback" would flood the log with the expected case, so the advice says to split it: catch that case's
error alone, quietly, and log the rest with the traceback.

``named_case(handler, ctx)`` is the handler's text that names the case (a comment or a log message, quoted as
written, shortened), or None.
"""

from __future__ import annotations

import ast
import re

from sadpath.engine import logcalls
from sadpath.engine.context import ModuleContext
from sadpath.engine.exemption_comments import handler_comments

__all__ = ["named_case", "split_note"]

_NAMES_A_CASE = re.compile(
    r"\b(?:most likely|probably|presumably|likely (?:caused|because|due)|expected (?:when|if|for)|(?:this|it) (?:can|may) happen|"
    r"happens (?:when|if)|(?:was|were|is) never (?:created|embedded|indexed|uploaded|processed|stored|registered)|"
    r"(?:does not|doesn't|did not|didn't) exist|already (?:exists|deleted|removed|gone))\b",
    re.IGNORECASE,
)


def named_case(handler: ast.ExceptHandler, ctx: ModuleContext) -> str | None:
    for text in [*handler_comments(handler, ctx), *_log_texts(handler, ctx)]:
        if _NAMES_A_CASE.search(text):
            text = text.lstrip("#").strip()
            return text if len(text) <= 70 else text[:67].rstrip() + "..."
    return None


def split_note(handler: ast.ExceptHandler, ctx: ModuleContext) -> str | None:
    """The sentence SAD101's carry-on advice gains when the handler names its expected case."""
    case = named_case(handler, ctx)
    if case is None:
        return None
    return (
        f" The handler names the case it expects (\"{case}\"), but the catch also hides every other failure: where"
        " that case raises an error of its own, catch it alone and keep it quiet."
    )


def _log_texts(handler: ast.ExceptHandler, ctx: ModuleContext) -> list[str]:
    texts = []
    for node in ast.walk(handler):
        if isinstance(node, ast.Call) and logcalls.as_log_call(node, ctx) is not None and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                texts.append(first.value)
            elif isinstance(first, ast.JoinedStr):
                texts.append("".join(v.value for v in first.values if isinstance(v, ast.Constant) and isinstance(v.value, str)))
    return texts
