"""What a fix builder receives, and the helpers every builder uses to find its nodes."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import libcst as cst

from sadpath.engine.reparse import first_line
from sadpath.settings import Settings
from sadpath.fixes.region import FixRefused, Region, region_for
from sadpath.model import Finding, FixOffer
from sadpath.source import SourceFile

HANDLER_NAMES = ("exc", "err", "error", "exc_")


@dataclass
class FixRequest:
    source: SourceFile
    tree: ast.Module
    finding: Finding
    offer: FixOffer
    settings: Settings
    module_tree: ast.Module | None = None  # the whole module (``tree`` is pruned to the code around the finding)
    notes: list[str] = field(default_factory=list)  # said after the fix's title ("correlation_id is not in scope")
    title: str | None = None  # the fix's own title, when what it writes differs from the offer's (another name)
    narrow: bool = False  # parse only the function's statement that holds the finding (``region_for``)

    def region(self) -> Region:
        return region_for(self.source, self.tree, self.finding.span.line, self.narrow)

    def ast_handler(self) -> ast.ExceptHandler:
        """The ``except`` handler whose header is on the finding's line."""
        line = self.finding.span.line
        for node in nodes_around(self.tree, line):
            if isinstance(node, ast.ExceptHandler) and node.lineno == line:
                return node
        raise FixRefused(f"no except handler at line {line}")

    def ast_at(self, node_type: type, line: int | None = None, column: int | None = None) -> ast.AST:
        line = self.finding.span.line if line is None else line
        column = self.finding.span.column if column is None else column
        for node in nodes_around(self.tree, line):
            if isinstance(node, node_type) and node.lineno == line:
                if self.source.char_col_from_utf8(line, node.col_offset) == column:
                    return node
        raise FixRefused(f"no {node_type.__name__} at line {line}")

    def enclosing_function(self, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        best = None
        for node in nodes_around(self.tree, line):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= line <= (node.end_lineno or 0):
                if best is None or node.lineno > best.lineno:
                    best = node
        return best


def nodes_around(tree: ast.AST, line: int):
    """The nodes of ``tree`` whose lines hold ``line`` (and those without lines, such as ``arguments``), outer
    first: the other subtrees are skipped, so a search near the finding costs the depth of the code there, not
    the size of the file."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in reversed(list(ast.iter_child_nodes(node))):
            start = getattr(child, "lineno", None)
            if start is None or first_line(child) <= line <= (getattr(child, "end_lineno", None) or start):
                todo.append(child)


def refuse_at_import_time(req: FixRequest, handler: ast.ExceptHandler) -> None:
    """A handler outside every function (module or class body) runs at import time: raising from it, re-raised or
    translated, stops the module from importing, so a missing optional setting would stop the service."""
    if req.enclosing_function(handler.lineno) is None:
        raise FixRefused("the handler runs at import time; raising there stops the module from importing")


def free_name(handler: ast.ExceptHandler, func: ast.AST | None) -> str:
    """A name for the caught exception that nothing in the function uses yet."""
    scope = func if func is not None else handler
    used = {n.id for n in ast.walk(scope) if isinstance(n, ast.Name)}
    used |= {a.arg for a in ast.walk(scope) if isinstance(a, ast.arg)}
    for candidate in HANDLER_NAMES:
        if candidate not in used:
            return candidate
    index = 2
    while f"exc{index}" in used:
        index += 1
    return f"exc{index}"


TERMINAL = (cst.Pass, cst.Continue, cst.Break, cst.Return)


def strip_terminal(body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """Drop trailing pass/continue/break/return statements (they would follow a raise)."""
    return drop_terminal(body)[0]


def drop_terminal(body: list[cst.BaseStatement]) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
    """``strip_terminal``, and the comments of the dropped statements (their own comment lines and a trailing
    ``# ...``), to put on what replaces them: the comment that explains a deliberate swallow stays."""
    out = list(body)
    comments: list[cst.EmptyLine] = []
    while out:
        last = out[-1]
        if isinstance(last, cst.SimpleStatementLine):
            kept = [s for s in last.body if not isinstance(s, TERMINAL) and not _is_ellipsis(s)]
            if len(kept) == len(last.body):
                break
            own = [line for line in last.leading_lines if line.comment is not None]
            trailing = last.trailing_whitespace.comment
            dropped = own + ([cst.EmptyLine(indent=True, comment=trailing)] if trailing is not None else [])
            comments = dropped + comments
            if kept:
                out[-1] = last.with_changes(body=kept, trailing_whitespace=cst.TrailingWhitespace())
                break
            out.pop()
            continue
        break
    return out, comments


def with_comments(statement: cst.SimpleStatementLine, comments: list[cst.EmptyLine]) -> cst.SimpleStatementLine:
    if not comments:
        return statement
    return statement.with_changes(leading_lines=[*statement.leading_lines, *comments])


LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal"})


def drop_lossy_logs(statements: list[cst.BaseStatement], name: str | None) -> list[cst.BaseStatement]:
    """Without the statements that only print or log the caught error's message (``print(e)``,
    ``logger.error(str(e))``): once the handler raises ``from`` it, the error travels with its traceback."""
    if name is None:
        return statements
    return [s for s in statements if not _only_logs(s, name)]


def _only_logs(statement: cst.BaseStatement, name: str) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    expr = statement.body[0]
    if not isinstance(expr, cst.Expr) or not isinstance(expr.value, cst.Call):
        return False
    call = expr.value
    func = call.func
    is_print = isinstance(func, cst.Name) and func.value == "print"
    is_log = isinstance(func, cst.Attribute) and func.attr.value in LOG_METHODS
    if not (is_print or is_log) or len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return False
    value = call.args[0].value
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("str", "repr") and len(value.args) == 1:
        value = value.args[0].value
    return isinstance(value, cst.Name) and value.value == name


def _is_ellipsis(stmt: cst.BaseSmallStatement) -> bool:
    return isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Ellipsis)


def bind_handler(handler: cst.ExceptHandler, name: str) -> cst.ExceptHandler:
    if handler.name is not None:
        return handler
    if handler.type is None:
        return handler.with_changes(
            type=cst.Name("Exception"),
            whitespace_after_except=cst.SimpleWhitespace(" "),
            name=cst.AsName(name=cst.Name(name)),
        )
    return handler.with_changes(name=cst.AsName(name=cst.Name(name)))


def handler_name(handler: cst.ExceptHandler) -> str | None:
    if handler.name is not None and isinstance(handler.name.name, cst.Name):
        return handler.name.name.value
    return None


def replace_node(region: Region, target: cst.CSTNode, replacement: cst.CSTNode) -> cst.Module:
    return region.module.deep_replace(target, replacement)  # type: ignore[return-value]


def simple_line(code: str) -> cst.SimpleStatementLine:
    statement = cst.parse_statement(code)
    if not isinstance(statement, cst.SimpleStatementLine):
        raise FixRefused(f"not a simple statement: {code!r}")
    return statement


def handler_statements(handler: cst.ExceptHandler) -> list[cst.BaseStatement]:
    """The handler's statements as lines, whether it is an indented block or ``except X: pass`` on one line."""
    body = handler.body
    if isinstance(body, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=list(body.body))] if body.body else []
    return list(body.body)


def with_statements(handler: cst.ExceptHandler, statements: list[cst.BaseStatement]) -> cst.ExceptHandler:
    body = handler.body
    if isinstance(body, cst.IndentedBlock):
        return handler.with_changes(body=body.with_changes(body=statements))
    return handler.with_changes(body=cst.IndentedBlock(body=statements))


def handler_in_region(req: FixRequest, region: Region, handler: ast.ExceptHandler) -> cst.ExceptHandler:
    column = req.source.char_col_from_utf8(handler.lineno, handler.col_offset)
    node = region.node_at(cst.ExceptHandler, handler.lineno, column)
    if not isinstance(node, cst.ExceptHandler):
        raise FixRefused(f"no except handler at line {handler.lineno}")
    return node


def py_string(text: str) -> str:
    """A double-quoted Python string literal for generated code."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
