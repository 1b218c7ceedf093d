"""Handlers that run again and again for one recurring failure: a traceback per pass floods the log.

``polled``: the handler sits in a loop of its function that sleeps between passes and runs until stopped (a poll,
a watch), not one that counts its passes (a bounded retry: a traceback per attempt is affordable there).
``on_every_request``: the handler fails open (it raises nothing) in code that runs on every request: middleware,
a rate limiter, a request hook. Both SAD104's advice and its ``log_structured`` fix use them, so the message says
what the fix writes: the error's text, and its traceback only at DEBUG.
"""

from __future__ import annotations

import ast

__all__ = ["HOT_METHODS", "HOT_WORDS", "bounded_loop", "on_every_request", "polled", "repeats"]

# names of the code that runs on every request: middleware, rate limiters, request hooks
HOT_WORDS = ("middleware", "rate_limit", "ratelimit", "limiter", "throttl")
HOT_METHODS = frozenset({"dispatch", "process_request", "process_response", "process_view", "before_request", "after_request", "on_request"})


def polled(func: ast.AST, handler: ast.ExceptHandler) -> bool:
    """A loop of ``func`` around ``handler`` sleeps between passes and is not bounded (``bounded_loop``)."""
    for node in ast.walk(func):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)) and node.lineno > func.lineno:
            if node.lineno < handler.lineno <= (node.end_lineno or node.lineno) and _sleeps(node) and not bounded_loop(node):
                return True
    return False


def bounded_loop(loop: ast.AST) -> bool:
    """A loop that runs a bounded number of passes: a ``for`` over ``range(n)``, or a ``while`` that counts its
    passes (``num_retries -= 1`` and ``if num_retries <= 0: raise``, or ``while attempt < n`` with ``attempt += 1``).
    A traceback per pass is affordable there; a poll that runs until stopped is another matter."""
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        return isinstance(loop.iter, ast.Call) and isinstance(loop.iter.func, ast.Name) and loop.iter.func.id == "range"
    if not isinstance(loop, ast.While):
        return False
    counted = {
        n.target.id for n in ast.walk(loop) if isinstance(n, ast.AugAssign) and isinstance(n.op, (ast.Add, ast.Sub)) and isinstance(n.target, ast.Name)
    }
    tests = [loop.test] + [
        n.test for n in ast.walk(loop) if isinstance(n, ast.If) and any(isinstance(s, (ast.Raise, ast.Break, ast.Return)) for s in n.body)
    ]
    return any(isinstance(c, ast.Compare) and isinstance(c.left, ast.Name) and c.left.id in counted for t in tests for c in ast.walk(t))


def on_every_request(func: ast.AST, handler: ast.ExceptHandler, tree: ast.Module) -> bool:
    """The handler raises nothing, and ``func`` (or the class that holds it) is named as request-path code."""
    if any(isinstance(n, ast.Raise) for n in ast.walk(handler)):
        return False
    owner = next(
        (c for c in ast.walk(tree) if isinstance(c, ast.ClassDef) and any(i is func or (getattr(i, "lineno", 0) == func.lineno and getattr(i, "name", "") == func.name) for i in c.body)),
        None,
    )
    name = getattr(func, "name", "")
    names = " ".join([name, owner.name if owner is not None else ""]).lower()
    return name in HOT_METHODS or any(word in names for word in HOT_WORDS)


def repeats(func: ast.AST | None, handler: ast.ExceptHandler, tree: ast.Module) -> str | None:
    """"poll" or "request" when the handler runs again and again for one recurring failure; None otherwise."""
    if func is None:
        return None
    if polled(func, handler):
        return "poll"
    return "request" if on_every_request(func, handler, tree) else None


def _sleeps(loop: ast.AST) -> bool:
    for node in ast.walk(loop):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name == "sleep":
                return True
    return False
