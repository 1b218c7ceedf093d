"""Pydantic validators: where a raised ``ValueError``/``TypeError``/``AssertionError`` becomes a line error.

Pydantic catches those errors raised in a validator (``@field_validator``, ``@model_validator``, ``@validator``,
``@root_validator``, or a function handed to ``BeforeValidator``/``AfterValidator``/``WrapValidator``/
``PlainValidator``) and rebuilds them into a ``ValidationError`` without their ``__cause__`` (SAD103).
"""

from __future__ import annotations

import ast

from sadpath.engine.context import ModuleContext


def in_validator(raised: str, ctx: ModuleContext) -> bool:
    """``raised`` (a simple class name) is an error pydantic rebuilds, raised inside a pydantic validator."""
    return raised in VALIDATOR_ERRORS and _in_validator_function(ctx)


VALIDATOR_ERRORS = frozenset({"ValueError", "TypeError", "AssertionError", "PydanticCustomError"})
VALIDATOR_DECORATORS = frozenset({"field_validator", "model_validator", "validator", "root_validator"})
VALIDATOR_WRAPPERS = frozenset({"BeforeValidator", "AfterValidator", "WrapValidator", "PlainValidator"})


def _in_validator_function(ctx: ModuleContext) -> bool:
    """Inside a pydantic validator: a ``@field_validator``/``@model_validator``/``@validator`` method, or a function
    the module hands to ``BeforeValidator``/``AfterValidator``/``WrapValidator``/``PlainValidator``."""
    for parent in reversed(ctx.parents):
        if not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in parent.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name in VALIDATOR_DECORATORS and (ctx.qualified_name(target) or "").startswith(("pydantic", name)):
                return True
        if parent.name in _wrapped_validators(ctx):
            return True
    return False


def _wrapped_validators(ctx: ModuleContext) -> set[str]:
    def compute() -> set[str]:
        if "Validator" not in ctx.source.text:
            return set()
        names = set()
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in VALIDATOR_WRAPPERS:
                    names.add(node.args[0].id)
        return names

    return ctx.fact("pydantic_validators.wrapped", compute)
