"""Limits on a tenacity decorator (SAD204, unsafe): ``stop=stop_after_attempt(3)`` and
``wait=wait_random_exponential(multiplier=0.5, max=30)`` where the decorator lacks them.
"""

from __future__ import annotations

import ast

import libcst as cst

from sadpath.fixes.additions import ModuleAdditions, additions_edits
from sadpath.fixes.region import FixRefused
from sadpath.fixes.request import FixRequest
from sadpath.model import Edit


def build(req: FixRequest) -> list[Edit]:
    missing = [m for m in req.finding.data.get("missing", []) if m in ("stop", "wait")]
    if not missing:
        raise FixRefused("nothing to add")
    region = req.region()
    decorator = region.node_at(cst.Decorator, req.finding.span.line)
    if not isinstance(decorator, cst.Decorator):
        raise FixRefused("no decorator at the finding")
    values = {"stop": "stop_after_attempt(3)", "wait": "wait_random_exponential(multiplier=0.5, max=30)"}
    new_args = [
        cst.Arg(
            keyword=cst.Name(name),
            value=cst.parse_expression(values[name]),
            equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
        )
        for name in missing
    ]
    expression = decorator.decorator
    if isinstance(expression, cst.Call):
        args = list(expression.args)
        if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
            args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        for index, arg in enumerate(new_args[:-1]):
            new_args[index] = arg.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        new_expression = expression.with_changes(args=[*args, *new_args])
    else:
        for index, arg in enumerate(new_args[:-1]):
            new_args[index] = arg.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        new_expression = cst.Call(func=expression, args=new_args)
    module = region.module.deep_replace(decorator, decorator.with_changes(decorator=new_expression))
    names = {"stop": "stop_after_attempt", "wait": "wait_random_exponential"}
    additions = ModuleAdditions(imports=[("tenacity", names[m]) for m in missing if not _imports(req.tree, names[m])])
    return additions_edits(req.source, req.tree, additions) + region.edits_for(module)


def _imports(tree: ast.Module, name: str) -> bool:
    return any(
        isinstance(node, ast.ImportFrom) and any(alias.name == name for alias in node.names) for node in ast.walk(tree)
    )
