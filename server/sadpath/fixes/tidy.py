"""The last step of every builder: tidy what the fix touched, then turn it into edits.

``finish`` drops an ``except X as name`` binding that the rewritten handler no longer uses (pyflakes would call
it an unused variable), and adds the module-level imports and definitions through ``additions_edits``, so that
every fix lays out a module the same way. Handlers the fix did not change keep what they have.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
from collections import Counter

import libcst as cst

from sadpath.fixes.additions import ModuleAdditions, additions_edits
from sadpath.fixes.region import Region
from sadpath.model import Edit
from sadpath.source import SourceFile


def finish(req, region: Region, module: cst.Module, additions: ModuleAdditions | None = None) -> list[Edit]:
    """The edits of a builder's rewritten region ``module``, tidied, with ``additions`` placed before it."""
    module = drop_unused_names(region.module, module)
    additions = additions or ModuleAdditions()
    additions.unused |= no_longer_used(req, region.module, module) - {name for name, _ in _imported_by(additions)}
    edits = region.edits_for(module)
    if additions:
        edits = additions_edits(req.source, req.tree, additions, region) + edits
    return edits


def _imported_by(additions: ModuleAdditions) -> list[tuple[str, str]]:
    return [((n or m).split(".")[0], m) for m, n in additions.imports]


def _names(node: cst.CSTNode) -> Counter:
    found: Counter = Counter()

    class Count(cst.CSTVisitor):
        """References only: not an attribute's name (``obj.time``) or a keyword's (``f(time=1)``)."""

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

        def visit_Name(self, n: cst.Name) -> None:
            found[n.value] += 1

    node.visit(Count())
    return found


def no_longer_used(req, old: cst.Module, new: cst.Module) -> set[str]:
    """Names a top-level import binds that the region used and the fix stopped using, used nowhere else."""
    tree = req.module_tree
    if tree is None:
        return set()
    before, after = _names(old), _names(new)
    gone = {name for name, count in before.items() if count and not after.get(name)}
    if not gone:
        return set()
    imported = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                imported[alias.asname or alias.name.split(".")[0]] = stmt
    gone &= set(imported)
    if not gone:
        return set()
    uses: Counter = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in gone:
            uses[node.id] += 1
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in gone:
            uses[node.value] += 1  # named in __all__ or a string annotation: kept
    # the region's old uses are all the uses there were: nothing outside it needs the import
    return {name for name in gone if uses[name] <= before[name]}


class _Handlers(cst.CSTVisitor):
    def __init__(self, code_for) -> None:
        self.codes: Counter = Counter()
        self.code_for = code_for
        self.bound: set[str] = set()  # names handlers bind
        self.used: set[str] = set()  # names handlers bind and use

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self.codes[self.code_for(node)] += 1
        if node.name is not None and isinstance(node.name.name, cst.Name):
            name = node.name.name.value
            self.bound.add(name)
            if _uses(node.body, name):
                self.used.add(name)


def _uses(node: cst.CSTNode, name: str) -> bool:
    found = False

    class Find(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            nonlocal found
            if n.value == name:
                found = True

    node.visit(Find())
    return found


def drop_unused_names(old: cst.Module, new: cst.Module) -> cst.Module:
    """``new`` with ``as name`` removed from each changed or added handler whose body no longer uses the name
    (a binding that was unused before the fix stays: it is not the fix's business)."""
    before = _Handlers(old.code_for_node)
    old.visit(before)
    unchanged = before.codes

    class Drop(cst.CSTTransformer):
        def leave_ExceptHandler(self, original: cst.ExceptHandler, updated: cst.ExceptHandler) -> cst.ExceptHandler:
            code = new.code_for_node(original)
            if unchanged[code] > 0:
                unchanged[code] -= 1
                return updated
            if updated.name is None or not isinstance(updated.name.name, cst.Name) or updated.type is None:
                return updated
            name = updated.name.name.value
            if _uses(updated.body, name):
                return updated
            if name in before.bound and name not in before.used:
                return updated  # unused before the fix too: not the fix's business
            return updated.with_changes(name=None)

    return new.visit(Drop())


# a one-line double-quoted literal (with a prefix) with no quote of either kind inside: safe to requote
_DOUBLE_QUOTED = re.compile(r"""(?<![\w"'\\])([rRfFbBuU]{0,2})"((?:[^"'\\\n]|\\[^'"\n])*)"(?!")""")


QUOTE_SAMPLE = 100  # one-line literals counted: a file keeps one style, so its first 100 decide


@functools.lru_cache(maxsize=16)  # the fixes of one request all ask about the same text
def dominant_quote(text: str) -> str:
    """The quote the file writes its one-line string literals in (``'`` or ``"``; ``"`` on a tie or no strings),
    judged on the first ``QUOTE_SAMPLE`` of them, so a long file costs no more than its first screens."""
    counts = Counter()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING:
                body = token.string.lstrip("rRfFbBuU")
                if body[:3] in ('"""', "'''"):
                    continue
                counts[body[:1]] += 1
                if counts["'"] + counts['"'] >= QUOTE_SAMPLE:
                    break
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return '"'
    return "'" if counts["'"] > counts['"'] else '"'


def in_file_quotes(text: str, edits: list[Edit]) -> list[Edit]:
    """``edits`` with the double-quoted literals they add written in single quotes when the file writes its
    strings so: a literal that one of the replaced lines already had stays as it was."""
    if dominant_quote(text) != "'":
        return edits
    source = SourceFile("<quotes>", text)
    old = "".join(text[source.offset(e.span.line, e.span.column) : source.offset(e.span.end_line, e.span.end_column)] for e in edits)
    kept = {m.group(0) for m in _DOUBLE_QUOTED.finditer(old)}

    def requote(match: re.Match) -> str:
        if match.group(0) in kept:
            return match.group(0)
        return f"{match.group(1)}'{match.group(2)}'"

    return [Edit(e.span, _DOUBLE_QUOTED.sub(requote, e.text)) for e in edits]
