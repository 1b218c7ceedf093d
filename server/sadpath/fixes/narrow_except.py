"""Narrow ``except:`` / ``except BaseException`` to ``except Exception`` (SAD102)."""

from __future__ import annotations

import libcst as cst

from sadpath.fixes.request import FixRequest, handler_in_region
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.model import Edit


def _is_base_exception(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name):
        return expr.value == "BaseException"
    return isinstance(expr, cst.Attribute) and expr.attr.value == "BaseException"


def build(req: FixRequest) -> list[Edit]:
    region = req.region()
    handler = handler_in_region(req, region, req.ast_handler())
    if handler.type is None:
        new = handler.with_changes(type=cst.Name("Exception"), whitespace_after_except=cst.SimpleWhitespace(" "))
    elif _is_base_exception(handler.type):
        new = handler.with_changes(type=cst.Name("Exception"))
    elif isinstance(handler.type, cst.Tuple):
        elements = [
            el.with_changes(value=cst.Name("Exception")) if _is_base_exception(el.value) else el
            for el in handler.type.elements
        ]
        new = handler.with_changes(type=handler.type.with_changes(elements=elements))
    else:
        raise FixRefused("the handler does not catch BaseException")
    module = region.module.deep_replace(handler, new)
    return finish(req, region, module)
