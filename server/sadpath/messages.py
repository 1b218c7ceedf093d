"""Shortening a finding's message for one-line formats, in one place for every rule.

A Finding keeps its whole message (``full``, JSON, SARIF and the editor show it); ``concise`` and ``pylint`` show
``concise(message)``: at most ``CONCISE_LIMIT`` characters. Code quoted in backticks is cut first, at a token
boundary and never inside a string literal, with "…" and its open brackets closed (``session.query(Order).filter(…)``);
then whole sentences are kept while they fit; a first sentence still too long is cut at a word outside the
quoted code, with "…".
"""

from __future__ import annotations

import io
import re
import tokenize

CONCISE_LIMIT = 160
CODE_WIDTH = 48  # quoted code longer than this is cut when the message is too long
ELLIPSIS = "…"
_QUOTED = re.compile(r"`([^`\n]+)`")
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def concise(message: str, limit: int = CONCISE_LIMIT) -> str:
    """The message on one screen line: at most ``limit`` characters."""
    text = " ".join(message.split())
    text = _QUOTED.sub(lambda m: f"`{repair_code(m.group(1))}`", text)
    if len(text) <= limit:
        return text
    text = _QUOTED.sub(lambda m: f"`{shorten_code(m.group(1), CODE_WIDTH)}`", text)
    if len(text) <= limit:
        return text
    sentences = _sentences(text)
    kept = ""
    for sentence in sentences:
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    if kept:
        return kept
    return _cut_words(sentences[0], limit)


def tidy(message: str) -> str:
    """The whole message, with quoted code that a rule cut inside a string literal repaired (``full``)."""
    return _QUOTED.sub(lambda m: f"`{repair_code(m.group(1))}`", message)


def _outside_code(text: str) -> list[bool]:
    """For each character of ``text``: whether it lies outside backtick-quoted code."""
    outside = [True] * len(text)
    for match in _QUOTED.finditer(text):
        for index in range(match.start(), match.end()):
            outside[index] = False
    return outside


def _sentences(text: str) -> list[str]:
    outside = _outside_code(text)
    out: list[str] = []
    start = 0
    for index, char in enumerate(text):
        if char == "." and outside[index] and (index + 1 == len(text) or text[index + 1] == " "):
            out.append(text[start : index + 1].strip())
            start = index + 1
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


def _cut_words(text: str, limit: int) -> str:
    outside = _outside_code(text)
    best = -1
    for index, char in enumerate(text[: limit - 1]):
        if char == " " and outside[index]:
            best = index
    if best <= 0:
        best = limit - 1
    return text[:best].rstrip(" ,;:") + ELLIPSIS


def _tokens(code: str) -> list[tokenize.TokenInfo] | None:
    try:
        return [
            t
            for t in tokenize.generate_tokens(io.StringIO(code).readline)
            if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT)
        ]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None


def repair_code(code: str) -> str:
    """Quoted code that was cut inside a string literal (``filter(x == 'pend``) loses the unfinished literal:
    ``filter(x == …)``. Code that tokenizes is returned as it is."""
    if _tokens(code) is not None or ELLIPSIS in code:
        return code
    quote = _unterminated_quote(code)
    if quote is None:
        return code
    return _close(code[:quote].rstrip() + " " + ELLIPSIS if code[:quote].strip() else ELLIPSIS)


def shorten_code(code: str, width: int) -> str:
    """``code`` in at most about ``width`` characters: cut after a whole token (never inside a string), "…",
    and the brackets left open closed again."""
    if len(code) <= width:
        return code
    tokens = _tokens(code)
    if tokens is None:
        return code
    cut = 0
    for token in tokens:
        if token.start[0] != 1:
            break
        end = token.end[1] if token.end[0] == 1 else len(code)
        opened = _open_brackets(code[:end])
        if end + 1 + len(opened) > width:
            break
        if token.string != ".":  # never end on an attribute dot: `filter(…)`, not `filter(Order.…)`
            cut = end
    if cut == 0:
        return ELLIPSIS
    return _close(code[:cut] + ELLIPSIS)


def _open_brackets(text: str) -> list[str]:
    stack: list[str] = []
    quote = None
    for char in text:
        if quote:
            if char == quote:
                quote = None
            continue
        if char in "'\"":
            quote = char
        elif char in _CLOSERS:
            stack.append(char)
        elif char in _CLOSERS.values() and stack and _CLOSERS[stack[-1]] == char:
            stack.pop()
    return stack


def _close(text: str) -> str:
    return text + "".join(_CLOSERS[b] for b in reversed(_open_brackets(text)))


def _unterminated_quote(code: str) -> int | None:
    """The index where a string literal opens that the code never closes."""
    index = 0
    while index < len(code):
        char = code[index]
        if char in "'\"":
            triple = code[index : index + 3] == char * 3
            closer = char * 3 if triple else char
            end = code.find(closer, index + len(closer))
            while end != -1 and code[end - 1] == "\\":
                end = code.find(closer, end + 1)
            if end == -1:
                start = index
                while start > 0 and code[start - 1].isalpha():  # its prefix: f, rb, ...
                    start -= 1
                return start
            index = end + len(closer)
            continue
        index += 1
    return None


__all__ = ["CONCISE_LIMIT", "concise", "repair_code", "shorten_code", "tidy"]
