"""Limits on a tenacity decorator (SAD204, unsafe): ``stop=stop_after_attempt(3)`` and
``wait=wait_random_exponential(multiplier=0.5, max=30)`` where the decorator lacks them.
"""

from __future__ import annotations

import ast

import libcst as cst

from sadpath.fixes.additions import ModuleAdditions
from sadpath.fixes.tidy import finish
from sadpath.fixes.nodes import keyword_arg, with_arguments
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
    new_args = [keyword_arg(name, values[name]) for name in missing]
    expression = decorator.decorator
    if isinstance(expression, cst.Call):
        new_expression = with_arguments(expression, new_args)
    else:
        new_expression = with_arguments(cst.Call(func=expression), new_args)
    module = region.module.deep_replace(decorator, decorator.with_changes(decorator=new_expression))
    names = {"stop": "stop_after_attempt", "wait": "wait_random_exponential"}
    additions = ModuleAdditions(imports=[("tenacity", names[m]) for m in missing if not _imports(req.tree, names[m])])
    return finish(req, region, module, additions)


def _imports(tree: ast.Module, name: str) -> bool:
    return any(
        isinstance(node, ast.ImportFrom) and any(alias.name == name for alias in node.names) for node in ast.walk(tree)
    )
