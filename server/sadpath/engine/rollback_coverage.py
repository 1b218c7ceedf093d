"""Which of a handle's other commits the rollback SAD206 advises would really cover, said in its message.

The advice is one ``except: rollback(); raise`` on the ``try`` that holds the reported commit (or, without one, the
fix's one new ``try`` around the whole transaction). A commit in the body of that ``try`` is covered; one before or
after it, or in its ``except``/``finally`` (which runs on the failed session), is not, and the message names it apart
instead of claiming "one rollback path covers them all".
"""

from __future__ import annotations

import ast

from sadpath.engine.rollback_fit import in_try_body


def same_commits_clause(handle: str, commit: ast.Call, same: list[ast.Call], found: list[tuple[ast.Call, list[ast.AST]]],
                        plan: dict) -> str:
    """The sentence about the handle's other commits ``same`` (``found``: every commit of the function with its
    parents; ``plan``: the fix's plan, with ``commit_offsets`` when one rollback path covers every commit)."""
    if not same:
        return ""
    later = same[0].lineno > commit.lineno
    calls = f"{len(same)} {'later' if later else 'other'} `{handle}.commit()` call{'s' if len(same) > 1 else ''}"
    head = f" The same holds for its {calls} ({_lines(same)})"
    if "commit_offsets" in plan:
        return f"{head}: one rollback path covers them all."
    parents = {(c.lineno, c.col_offset): chain for c, chain in found}
    holder = _holding_try(parents.get((commit.lineno, commit.col_offset), []))
    if holder is None:
        return f"{head}: each needs the rollback too."
    covered = [c for c in same if in_try_body(holder, parents.get((c.lineno, c.col_offset), []))]
    apart = [c for c in same if c not in covered]
    if not apart:
        return f"{head}: a rollback in the `except` of the `try` at line {holder.lineno} covers them all."
    outside = f"outside the body of the `try` at line {holder.lineno}"
    if not covered:
        return f"{head}, {outside}: {'they need a rollback of their own' if len(apart) > 1 else 'it needs a rollback of its own'}."
    return (
        f"{head}: a rollback in the `except` of the `try` at line {holder.lineno} also covers {_lines(covered)}; "
        f"{_lines(apart)} {'are' if len(apart) > 1 else 'is'} {outside} and need{'' if len(apart) > 1 else 's'} a "
        "rollback of {0}.".format("their own" if len(apart) > 1 else "its own")
    )


def plan_past_reuse(plan: dict, reuse: str | None) -> dict:
    """No new ``try`` around the transaction when a handler inside it goes on with the failed session (``reuse``):
    that handler runs before the new rollback could, so the fix would not cover what the message reports."""
    return {} if reuse and "first_line" in plan else plan


def _lines(commits: list[ast.Call]) -> str:
    numbers = ", ".join(str(c.lineno) for c in commits)
    return f"line{'s' if len(commits) > 1 else ''} {numbers}"


def _holding_try(parents: list[ast.AST]) -> ast.Try | None:
    """The innermost ``try`` whose body (not its handlers or ``finally``) holds the commit."""
    for index in range(len(parents) - 1, -1, -1):
        node = parents[index]
        if isinstance(node, ast.Try) and in_try_body(node, parents):
            return node
    return None
