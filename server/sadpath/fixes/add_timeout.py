"""Add a timeout to a call or a client constructor, or replace ``None`` with one (SAD202, unsafe but preferred)."""

from __future__ import annotations

import ast

import libcst as cst

from sadpath.fixes.request import FixRequest, nodes_around
from sadpath.fixes.nodes import fitted, keyword_arg, line_limit, with_arguments
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.model import Edit


def _owner_class(tree: ast.Module, func) -> ast.ClassDef | None:
    if func is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(item is func or (getattr(item, "lineno", None) == func.lineno and getattr(item, "name", None) == func.name) for item in node.body):
            return node
    return None


def configured_timeout(req: FixRequest) -> str | None:
    """The project's own timeout for this place: ``self.timeout`` / ``self.<x>_timeout`` that the class sets, or a
    module-level ``*_TIMEOUT`` constant."""
    func = req.enclosing_function(req.finding.span.line)
    tree = req.module_tree or req.tree
    owner = _owner_class(tree, func)
    if owner is not None and func is not None and func.args.args and func.args.args[0].arg == "self":
        for node in ast.walk(owner):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"
                            and (target.attr == "timeout" or target.attr.endswith("_timeout"))):
                        return f"self.{target.attr}"
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            if name.isupper() and name.endswith("TIMEOUT"):
                return name
    return None


DEADLINE_NAMES = ("timeout", "deadline", "max_wait", "wait", "timeout_seconds", "total_timeout")


def _number(node: ast.AST | None) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value if node.value > 0 else None
    return None


def caller_deadline(req: FixRequest) -> float | None:
    """The smallest deadline visible where the function holding the call is used in this module: a ``timeout=N``
    passed alongside it (``exponential_backoff(lambda: probe(...), timeout=10)``), or the numeric default of the
    user's own ``timeout`` parameter (``async def wait_for_server(ip, port, timeout=10)``)."""
    func = req.enclosing_function(req.finding.span.line)
    tree = req.module_tree or req.tree
    if func is None:
        return None
    found: list[float] = []
    for user in ast.walk(tree):
        if not isinstance(user, (ast.FunctionDef, ast.AsyncFunctionDef)) or user is func or user.name == func.name:
            continue
        uses = [n for n in ast.walk(user) if (isinstance(n, ast.Name) and n.id == func.name) or (isinstance(n, ast.Attribute) and n.attr == func.name)]
        if not uses:
            continue
        args = user.args
        positional = [*args.posonlyargs, *args.args]
        defaults = dict(zip([a.arg for a in positional][len(positional) - len(args.defaults):], args.defaults))
        defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
        found += [v for name, d in defaults.items() if name in DEADLINE_NAMES and (v := _number(d)) is not None]
        for call in ast.walk(user):
            if isinstance(call, ast.Call) and any(u in set(ast.walk(call)) for u in uses):
                found += [v for k in call.keywords if k.arg in DEADLINE_NAMES and (v := _number(k.value)) is not None]
    return min(found) if found else None


def _timeouts_classified(req: FixRequest, module: cst.Module) -> cst.Module:
    """A handler that sorts ``OSError`` by ``errno`` and counts ``ETIMEDOUT`` as an expected outcome gets the same
    answer for the new ``TimeoutError`` (whose ``errno`` is ``None``)."""

    func = req.enclosing_function(req.finding.span.line)
    if func is None:
        return module

    class Classify(cst.CSTTransformer):
        depth = 0

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            self.depth += node.name.value == func.name

        def leave_FunctionDef(self, original, updated):
            self.depth -= original.name.value == func.name
            return updated

        def leave_Comparison(self, original, updated):
            left = updated.left
            if not self.depth or len(updated.comparisons) != 1 or not isinstance(left, cst.Attribute) or left.attr.value != "errno":
                return updated
            target = updated.comparisons[0]
            if "ETIMEDOUT" not in cst.Module([]).code_for_node(target.comparator):
                return updated
            error = cst.Module([]).code_for_node(left.value)
            code = cst.Module([]).code_for_node(updated)
            if isinstance(target.operator, cst.NotIn):
                new = cst.parse_expression(f"not isinstance({error}, TimeoutError) and {code}")
                return new.with_changes(lpar=updated.lpar, rpar=updated.rpar)
            if isinstance(target.operator, cst.In):
                return cst.parse_expression(f"(isinstance({error}, TimeoutError) or {code})")
            return updated

    new = module.visit(Classify())
    if not new.deep_equals(module):
        req.notes.append("a timeout is classified as ETIMEDOUT by the handler below")
    return new


def build(req: FixRequest) -> list[Edit]:
    param = str(req.finding.data.get("param") or "")
    seconds = req.finding.data.get("seconds")
    if not param.isidentifier() or not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds <= 0:
        raise FixRefused("no timeout parameter to set")
    region = req.region()
    span = req.finding.span
    call = region.node_at(cst.Call, span.line, span.column, end=(span.end_line, span.end_column))
    if not isinstance(call, cst.Call):
        raise FixRefused("no call at the finding")
    deadline = caller_deadline(req)
    if deadline is not None and seconds >= deadline:
        # the caller polls this under a deadline: one probe must not take the whole budget (or block an event loop)
        seconds = max(0.1, round(deadline / 10, 1))
        seconds = int(seconds) if float(seconds).is_integer() else seconds
        req.title = f"Add `{param}={seconds!r}` (a tenth of the caller's {deadline!r} s deadline)"
        value = cst.parse_expression(repr(seconds))
    else:
        value = cst.parse_expression(repr(seconds))
        configured = configured_timeout(req)
        if configured is not None and (req.finding.data.get("long") or configured.startswith("self.")):
            value = cst.parse_expression(configured)
            req.title = f"Add `{param}={configured}` (the timeout the code already configures)"
    calls = [call]
    for twin in req.finding.data.get("twins") or ():
        line, column, end_line, end_column = twin
        calls.append(region.node_at(cst.Call, line, column, end=(end_line, end_column)))
    limit = line_limit(req.source) if _statement_value(req) else 10**6  # a call inside an expression keeps its layout
    replacements = {id(c): _fitted(region, c, _with_timeout(c, param, value), limit) for c in calls}

    class Replace(cst.CSTTransformer):
        def leave_Call(self, original, updated):
            return replacements.get(id(original), updated)

    module = region.module.visit(Replace())
    added = any(not any(a.keyword is not None and a.keyword.value == param for a in c.args) for c in calls)
    return finish(req, region, _timeouts_classified(req, module) if added else module)


def _with_timeout(call: cst.Call, param: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with ``param=value`` added, or its ``param=None`` replaced."""
    args = list(call.args)
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == param:
            if not (isinstance(arg.value, cst.Name) and arg.value.value == "None"):
                raise FixRefused(f"{param} is already set")
            args[index] = arg.with_changes(value=value)
            return call.with_changes(args=args)
    if any(arg.star for arg in args):
        raise FixRefused("the call passes *args or **kwargs")
    return with_arguments(call, [keyword_arg(param, value)])


def _fitted(region, old: cst.Call, new: cst.Call, limit: int) -> cst.Call:
    """The call with its timeout, one argument per line (black's way) when the added keyword pushes a line that
    fitted past the project's line length; a call already past it keeps its layout."""
    position = region.positions.get(old) if hasattr(region.positions, "get") else None
    column = position.start.column if position is not None else 0
    before = region.module.code_for_node(old)
    if max(column + len(line) for line in before.splitlines()) > limit:
        return new
    if position is not None and _pragma_after(region, position.end.line - region.line_delta):
        return new  # ``# pyright: ignore`` / ``# type: ignore`` after the call: splitting would move it off its line
    return fitted(new, column, limit, region.module)


PRAGMAS = ("pyright:", "type:", "noqa", "pylint:", "mypy:", "nosec", "pragma:")


def _pragma_after(region, line: int) -> bool:
    """The file's ``line`` ends with a tool's pragma comment, which acts on the line it sits on."""
    lines = region.source.text.splitlines()
    if not 1 <= line <= len(lines) or "#" not in lines[line - 1]:
        return False
    comment = lines[line - 1][lines[line - 1].index("#") :]
    return any(p in comment for p in PRAGMAS)


def _statement_value(req: FixRequest) -> bool:
    """The call is a statement's whole value (``resp = requests.get(...)``, ``return client.post(...)``): black
    splits it one argument per line when it is too long; a call inside a larger expression it splits otherwise."""
    span = req.finding.span
    for node in nodes_around(req.tree, span.line):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Return)):
            value = node.value
            if isinstance(value, ast.Await):
                value = value.value
            if isinstance(value, ast.Call) and value.lineno == span.line and req.source.char_col_from_utf8(value.lineno, value.col_offset) == span.column:
                return True
    return False
