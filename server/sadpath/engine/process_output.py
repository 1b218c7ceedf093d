"""A handler of a failed command (``subprocess.CalledProcessError``) that tests the command's output for the
expected case (``if "already exists" not in e.output.decode(): return``). ``e.output`` and ``e.stdout`` are the
command's standard output; a command writes its errors to standard error (``e.stderr``), so the test never sees
the error's text, and SAD101 says so (and names an inverted test: returning when the expected text is missing)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from sadpath.engine.handler_site import Site

__all__ = ["OutputTest", "stdout_test"]

_STDOUT = ("output", "stdout")


@dataclass(frozen=True)
class OutputTest:
    needle: str  # the expected text tested for ("already exists")
    stream: str  # how the code reads standard output: "e.output"
    inverted: bool  # the swallowing path is taken when the expected text is *not* there


def stdout_test(site: Site) -> OutputTest | None:
    """The swallowing way out of a ``CalledProcessError`` handler is decided by a test of the error's standard
    output for a piece of text."""
    name = site.handler.name
    if name is None or not any(n.rsplit(".", 1)[-1] == "CalledProcessError" for n in site.caught.names):
        return None
    for test, taken in site.path.conditions:
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        compare = test.operand if negated else test
        if not (isinstance(compare, ast.Compare) and len(compare.ops) == 1 and isinstance(compare.ops[0], (ast.In, ast.NotIn))):
            continue
        left = compare.left
        if not (isinstance(left, ast.Constant) and isinstance(left.value, str)):
            continue
        stream = _stdout_of(compare.comparators[0], name)
        if stream is None:
            continue
        missing = isinstance(compare.ops[0], ast.NotIn) != negated  # the test asks "is the text missing?"
        return OutputTest(left.value, stream, inverted=missing == taken)
    return None


def _stdout_of(expr: ast.AST, name: str) -> str | None:
    """``e.output``, ``e.stdout.decode("utf-8")``, ``str(e.output)``: the standard output of the error ``name``."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Attribute) and node.attr in _STDOUT and isinstance(node.value, ast.Name) and node.value.id == name:
            return f"{name}.{node.attr}"
    return None
