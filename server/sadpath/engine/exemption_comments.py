"""The exemption for a handler whose silence is explained in a comment, and how comments around a ``try`` are read."""

from __future__ import annotations

import ast
import io
import re
import tokenize

from sadpath.engine import shapes
from sadpath.engine.context import ModuleContext
from sadpath.engine.handler_site import Site


def documents(doc: str, value: ast.AST) -> bool:
    """The docstring names the returned constant (``False when the DLQ could not take it``)."""
    if not doc or not isinstance(value, ast.Constant):
        return False
    spellings = {ast.unparse(value)} | ({value.value} if isinstance(value.value, str) and value.value.strip() else set())
    # the sentence that names it must be about a failure: "True when this is the first request" is the normal answer
    sentences = re.split(r"(?<=[.;:])\s+|\n\s*\n", doc)
    return any(
        _FAILURE_WORDS.search(sentence) and re.search(rf"(?<![\w'\"]){re.escape(str(text))}(?![\w'\"])", sentence)
        for sentence in sentences
        for text in spellings
    )


_FAILURE_WORDS = re.compile(
    r"fail|error|could ?n[o']t|cannot|can't|unavailable|unreachable|\bdown\b|otherwise|time[sd]? ?out|exception|"
    r"\braises?\b|\blost\b|\bbroken\b|\bmissing\b|\binvalid\b|\bunknown\b|\bno (?:answer|connection|response)\b",
    re.IGNORECASE,
)


def explained_in_a_comment(site: Site) -> bool | None:
    """A comment in the handler (or on its ``except`` line) says why the error is let go (``# Liveness expires
    after a crashed worker``): the swallow was decided, not forgotten."""
    comments = handler_comments(site.handler, site.ctx)
    following = shapes.statements_after(site.try_node, site.ctx) if site.try_node is not None else []
    if following and site.path.end == "fall":
        # ``# Development fallback`` between the handler and the statement it falls into
        gap = range((site.handler.end_lineno or site.handler.lineno) + 1, following[0].lineno)
        comments += [c for c in _comments_on(gap, site.ctx) if _SWALLOW_WORDS.search(c)]
    if site.try_node is not None:
        # the comment block right above the ``try`` (``# best-effort flush before the job exits``)
        above = site.try_node.lineno - 1
        while above > 0 and site.ctx.source.line(above).strip().startswith("#"):
            above -= 1
        value = site.path.value
        comments += [
            c
            for c in _comments_on(range(above + 1, site.try_node.lineno), site.ctx)
            if _SWALLOW_WORDS.search(c) or (value is not None and documents(c, value))  # ``# "*" when the body has no name``
        ]
        # a comment in the ``try`` that says which failures are let go and why (``a benign IntegrityError
        # drops only this insert``), not one about the work itself (``# Default sort: updated_at descending``)
        body_lines = range(site.try_node.lineno, site.try_node.body[-1].end_lineno + 1 if site.try_node.body else site.try_node.lineno)
        comments += [c for c in _comments_on(body_lines, site.ctx) if _SWALLOW_WORDS.search(c) and _LETS_GO.search(c)]
    if not comments:
        return None
    return any(_explains(comment) for comment in comments)


_SWALLOW_WORDS = re.compile(
    r"swallow|ignor|benign|safe to|expected|\brace\b|already exists|idempotent|best[- ]effort|harmless|on purpose|"
    r"deliberate|fall ?back|falls back|default|concurrent",
    re.IGNORECASE,
)

# a comment in the ``try`` speaks of the failure it lets go, not only of a default of the work
_LETS_GO = re.compile(r"error|fail|except|raise|crash|missing|not (?:found|there)|conflict|\brace\b|exists|duplicate|integrity|idempotent|benign|harmless|swallow|ignor|best[- ]effort", re.IGNORECASE)


def _comments_on(lines, ctx: ModuleContext) -> list[str]:
    found = []
    for line in lines:
        text = ctx.source.line(line)
        if "#" in text and (comment := _comment(text)):
            found.append(comment)
    return found


_NOT_AN_EXPLANATION = re.compile(r"^#\s*(?:todo|fixme|xxx|hack|noqa|type:|pragma|sadpath:|nosec|pylint:|expect:|quiet:|error:|exemption:)", re.IGNORECASE)


def _explains(comment: str) -> bool:
    text = comment.lstrip("#").strip()
    return not _NOT_AN_EXPLANATION.match(comment.strip()) and len(re.findall(r"[A-Za-z']+", text)) >= 3


def handler_explanations(handler: ast.ExceptHandler, ctx: ModuleContext) -> list[str]:
    """The handler's comments that explain something (not ``# noqa``, ``# TODO`` or a test label)."""
    return [comment for comment in handler_comments(handler, ctx) if _explains(comment)]


def handler_comments(handler: ast.ExceptHandler, ctx: ModuleContext) -> list[str]:
    """The comments on the handler's lines, its ``except`` line included (found by tokenizing each line alone)."""
    return _comments_on(range(handler.lineno, (handler.end_lineno or handler.lineno) + 1), ctx)


def _comment(text: str) -> str | None:
    try:
        for token in tokenize.generate_tokens(io.StringIO(text.strip() + "\n").readline):
            if token.type == tokenize.COMMENT:
                return token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return None


_NON_FATAL = re.compile(
    r"don'?t (?:re-?)?raise|do not (?:re-?)?raise|not (?:re-?)?rais\w*|avoid breaking|must ?n[o']t (?:break|fail|stop)|"
    r"should ?n[o']t (?:break|fail|stop)|non-?fatal|not fatal|never (?:break|fail)s?|keep (?:going|running)",
    re.IGNORECASE,
)


def declared_non_fatal(handler: ast.ExceptHandler, ctx: ModuleContext) -> bool:
    """A comment in the handler, or a text of its log call, says the failure must not stop the work (``# Don't
    raise the exception to avoid breaking app startup``): the advice is to keep the traceback, not to re-raise."""
    texts = handler_comments(handler, ctx)
    line = (handler.end_lineno or handler.lineno) + 1
    while line <= ctx.source.line_count and ctx.source.line(line).strip().startswith("#"):
        texts.append(ctx.source.line(line).strip())  # the comment block that closes the handler
        line += 1
    texts += [n.value for n in ast.walk(handler) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return any(_NON_FATAL.search(text) for text in texts)
