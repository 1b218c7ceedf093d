"""Keep the traceback and add context to a lossy log call in a handler (SAD104, unsafe).

What was there stays: the message and its arguments, the logger, the level of a ``warning`` or ``critical``.
``logger.error(...)`` becomes ``logger.exception(...)``; another level gets ``exc_info=True``. ``extra={...}``
(keyword fields with structlog) gains the operation, the service when the interface names it, and every
``required-log-fields`` entry that has a value in scope (the title says which has none). A call that only
logged the error itself (``logger.error(e)``) says which operation failed instead.

``print(...)`` becomes a logger call too (its words as the message, its values as arguments; a module-level
``logger`` is added when there is none), except where a logger must not be used: inside a ``logging.Handler``
(its ``emit`` would log through itself) and for a command line's message to its user (``main()``, a click or
typer command, a handler that exits). A print is console output, a log record is not: its colour codes
(colorama's ``Fore.RED``/``Style.RESET_ALL``, ``\\x1b[...m``) and console labels (``ERROR:``, ``NOTE:``) go, its
lines join with "; ", implicitly concatenated f-strings become one lazily formatted message, and a SQLAlchemy
URL is rendered with ``render_as_string(hide_password=True)`` (only in the arm of a conditional that makes the URL;
a value that may or may not be one refuses the fix).
"""

from __future__ import annotations

import ast
import re

import libcst as cst

from sadpath.engine import repeated_handlers
from sadpath.fixes.request import FixRequest, bind_handler, free_name, handler_in_region, py_string
from sadpath.fixes.failure_context import FailureContext, failure_context, ids_in_scope, log_fields
from sadpath.fixes.additions import ModuleAdditions, module_binds
from sadpath.fixes.nodes import fitted, imports_root, keyword_arg, line_limit, logger_for, names_in, with_arguments, with_fields, with_ids
from sadpath.fixes.place import extra_keys, is_error_only, traced_logger_call
from sadpath.fixes.region import FixRefused
from sadpath.fixes.tidy import finish
from sadpath.model import Edit

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"})
_HANDLER_BASES = ("Handler", "StreamHandler", "FileHandler", "QueueHandler", "RotatingFileHandler", "TimedRotatingFileHandler")
_CLI_DECORATORS = ("command", "group", "callback")


def build(req: FixRequest) -> list[Edit]:
    call_ast = req.ast_at(ast.Call)
    handler_ast = innermost_handler(req.tree, call_ast.lineno)
    if handler_ast is None:
        raise FixRefused("the log call is not inside an except handler")
    context = failure_context(req, handler_ast)
    region = req.region()
    call = region.node_at(cst.Call, req.finding.span.line, req.finding.span.column)
    if not isinstance(call, cst.Call):
        raise FixRefused("no call at the finding")
    additions = ModuleAdditions()
    structlog = imports_root(req.tree, "structlog")
    error_name = handler_ast.name
    fields = log_fields(req, context, additions=additions, call=call)
    hot = not polling_loop(req, handler_ast) and hot_path(req, handler_ast)
    polled = polling_loop(req, handler_ast) or hot
    if isinstance(call.func, cst.Attribute) and call.func.attr.value in LOG_METHODS and polled and not structlog:
        # a handler that runs on every pass of a polling loop: a traceback per poll is log spam; the error's text
        handler = handler_in_region(req, region, handler_ast)
        name = error_name or free_name(handler_ast, req.enclosing_function(handler_ast.lineno))
        logger_code = region.module.code_for_node(call.func.value)
        new = _with_error_text(call, name)
        if not any(a.keyword is not None and a.keyword.value == "exc_info" for a in new.args):
            new = with_arguments(new, [keyword_arg("exc_info", f"{logger_code}.isEnabledFor(logging.DEBUG)")])
        present = extra_keys(new)
        new = with_fields(with_ids(new, ids_in_scope(req, handler_ast.lineno)), [(k, v) for k, v in fields if k not in present], structlog)
        additions.add_import("logging")
        new = fitted(new, region.positions[call].start.column, line_limit(req.source), region.module)
        req.title = (
            "Log the error's text, and its traceback only at DEBUG (the handler fails open on every request)"
            if hot
            else "Log the error's text, and its traceback only at DEBUG (the handler runs on every pass of a loop)"
        )
        new_handler = bind_handler(handler.deep_replace(call, new), name)  # type: ignore[arg-type]
        module = region.module.deep_replace(handler, new_handler)
        return finish(req, region, module, additions)
    if isinstance(call.func, cst.Attribute) and call.func.attr.value in LOG_METHODS:
        new = traced_logger_call(call, context, fields, structlog, error_name, ids_in_scope(req, handler_ast.lineno))
    elif isinstance(call.func, cst.Name) and call.func.value == "print":
        _refuse_print(req, call_ast, handler_ast)
        logger = logger_for(req, call_ast.lineno)
        if logger is None:
            logger = "logger" if not module_binds(req.tree, "logger") else "_sadpath_logger"
            factory = "structlog.get_logger()" if structlog else "logging.getLogger(__name__)"
            additions.add_import("structlog" if structlog else "logging")
            additions.define(f"{logger} = {factory}")
        new = _from_print(call, logger, context, fields, structlog, error_name, _console_names(req, call_ast.lineno))
        if not structlog:
            new = with_ids(new, ids_in_scope(req, handler_ast.lineno))  # which item of a loop, which connection
    else:
        raise FixRefused("not a logger or print call")
    new = fitted(new, region.positions[call].start.column, line_limit(req.source), region.module)
    twins = _twins(region, handler_in_region(req, region, handler_ast), call) if call.func is not None and isinstance(call.func, cst.Attribute) else []
    replaced: dict[cst.Call, cst.BaseExpression] = {call: new}
    for twin in twins:  # (the same record on another branch of the handler: ``if logger: ... else: get_logger()...``)
        traced = traced_logger_call(twin, context, fields, structlog, error_name, ids_in_scope(req, handler_ast.lineno))
        replaced[twin] = fitted(traced, region.positions[twin].start.column, line_limit(req.source), region.module)
    module = region.module.visit(_Replacing(replaced))
    return finish(req, region, module, additions)


class _Replacing(cst.CSTTransformer):
    """Puts each call of the map in place of the original node, in one pass (``deep_replace`` makes new nodes,
    so a second one could not find the first one's siblings)."""

    def __init__(self, replaced: dict) -> None:
        super().__init__()
        self.replaced = replaced

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        return self.replaced.get(original_node, updated_node)


def _twins(region, handler: cst.ExceptHandler, call: cst.Call) -> list[cst.Call]:
    """The other log calls of the handler that write the same message as ``call`` (its first argument, to the
    letter) without a traceback: one record on two branches, which one fix keeps whole (fix review round 12, row
    6)."""
    if not call.args:
        return []
    message = region.module.code_for_node(call.args[0].value)
    found: list[cst.Call] = []

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if node is call or not isinstance(node.func, cst.Attribute) or node.func.attr.value not in LOG_METHODS or not node.args:
                return
            if any(a.keyword is not None and a.keyword.value == "exc_info" for a in node.args):
                return
            if region.module.code_for_node(node.args[0].value) == message and node in region.positions:
                found.append(node)

    handler.visit(_Calls())
    return found


def polling_loop(req: FixRequest, handler: ast.ExceptHandler) -> bool:
    """The handler sits in a loop of its function that sleeps between passes (``repeated_handlers.polled``)."""
    func = req.enclosing_function(handler.lineno)
    return func is not None and repeated_handlers.polled(func, handler)


def hot_path(req: FixRequest, handler: ast.ExceptHandler) -> bool:
    """The handler fails open in code that runs on every request (``repeated_handlers.on_every_request``)."""
    func = req.enclosing_function(handler.lineno)
    return func is not None and repeated_handlers.on_every_request(func, handler, req.module_tree or req.tree)


def _with_error_text(call: cst.Call, name: str) -> cst.Call:
    """The log call with the caught error's text (``"...: %s", e``) when it does not carry it yet."""
    args = list(call.args)
    positional = [a for a in args if a.keyword is None and not a.star]
    carries = any(isinstance(n, cst.Name) and n.value == name for a in args for n in names_in(a.value))
    if not carries:
        if not positional or not isinstance(positional[0].value, cst.SimpleString) or "b" in positional[0].value.prefix.lower():
            raise FixRefused("a log message this fix cannot extend with the error's text")
        if any(a.star for a in args):
            raise FixRefused("the log call passes *args")
        first = positional[0]
        text = str(first.value.evaluated_value)
        index = args.index(first)
        args[index] = first.with_changes(value=cst.SimpleString(py_string(text.rstrip(".") + ": %s")))
        last_positional = max(i for i, a in enumerate(args) if a.keyword is None)
        error_arg = cst.Arg(cst.Name(name))
        before = args[last_positional]
        error_arg = error_arg.with_changes(comma=before.comma if last_positional < len(args) - 1 else cst.MaybeSentinel.DEFAULT)
        args[last_positional] = before.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args.insert(last_positional + 1, error_arg)
    return call.with_changes(args=args)



def _from_print(
    call: cst.Call, logger: str, context: FailureContext, fields, structlog: bool, error_name: str | None, names=None
) -> cst.Call:
    if any(a.star for a in call.args):
        raise FixRefused("print(*args) has no message to keep")
    values = [a.value for a in call.args if a.keyword is None]
    keywords = {a.keyword.value for a in call.args if a.keyword is not None}
    if keywords - {"file", "flush", "sep"}:
        raise FixRefused("print with end= has no log equivalent")
    message, arguments = _message(values, error_name, context.operation, names)
    args = [cst.Arg(cst.SimpleString(py_string(message)))] + [cst.Arg(a) for a in arguments]
    text = f"{logger}.exception()"
    new = cst.parse_expression(text)
    assert isinstance(new, cst.Call)
    new = new.with_changes(args=_comma_separated(args))
    return with_fields(new, fields, structlog)


def _message(
    values: list[cst.BaseExpression], error_name: str | None, operation: str, names=None
) -> tuple[str, list[cst.BaseExpression]]:
    """A %-style message and its arguments from print's values: literal words as they are, f-string holes and
    other values as ``%s`` (``%r`` for ``!r``), colour codes and console labels left out. ``print(e)`` alone says
    which operation failed."""
    names = names or ConsoleNames()
    if not values or (len(values) == 1 and is_error_only(values[0], error_name)):
        return f"{operation} failed", []
    parts: list[str] = []
    arguments: list[cst.BaseExpression] = []
    for value in values:
        pieces = _string_pieces(value)
        if pieces is None:
            parts.append("%s")
            arguments.append(value)
            continue
        piece = ""
        for string in pieces:
            if isinstance(string, cst.SimpleString):
                piece += str(string.evaluated_value).replace("%", "%%")
                continue
            for part in string.parts:
                if isinstance(part, cst.FormattedStringText):
                    try:
                        text = ast.literal_eval('"' + part.value.replace('"', '\\"') + '"') if "r" not in string.prefix.lower() else part.value
                    except (ValueError, SyntaxError):
                        raise FixRefused("an f-string this fix cannot read") from None
                    piece += text.replace("%", "%%").replace("{{", "{").replace("}}", "}")
                    continue
                if _is_colour(part.expression, names):
                    continue  # console colour: no place in a log record
                url = _is_url_hole(part, names)
                if url == "drop":
                    raise FixRefused("the print shows a value that may be a SQLAlchemy URL, whose text carries the password")
                if part.format_spec is not None:
                    raise FixRefused("an f-string with a format spec: keep it by hand")
                piece += "%r" if part.conversion == "r" else "%s"
                expression = part.expression
                if url == "render":
                    expression = cst.parse_expression(f"{cst.Module([]).code_for_node(expression)}.render_as_string(hide_password=True)")
                elif url is not None:
                    expression = cst.parse_expression(url)
                arguments.append(expression)
        parts.append(piece)
    return _plain(" ".join(parts)), arguments


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LABEL = re.compile(r"^\s*(?:ERROR|Error|WARNING|Warning|WARN|NOTE|Note|INFO|FATAL|CRITICAL)\s*:\s*")
COLOUR_ROOTS = frozenset({"Fore", "Back", "Style", "colorama", "bcolors", "Colors", "colors", "Colours", "colours", "termcolor"})
COLOUR_WORDS = frozenset(
    {"BLACK", "RED", "GREEN", "YELLOW", "BLUE", "MAGENTA", "CYAN", "WHITE", "RESET", "RESET_ALL", "BRIGHT", "DIM",
     "NORMAL", "BOLD", "ENDC", "END", "FAIL", "WARNING", "OKGREEN", "OKBLUE", "OKCYAN", "HEADER", "UNDERLINE"}
)
URL_FACTORIES = frozenset({"make_url", "make_url_safe", "create"})


def _plain(message: str) -> str:
    """The console text as a one-line record: no escape codes, no ``ERROR:`` labels, lines joined with "; "."""
    lines = [_LABEL.sub("", line).strip() for line in _ANSI.sub("", message).splitlines()]
    joined = "; ".join(line for line in lines if line)
    return re.sub(r" {2,}", " ", joined).replace(" ;", ";").strip() or message.strip()


def _string_pieces(value: cst.BaseExpression) -> list | None:
    """The strings an (implicitly concatenated) literal is made of, or None for another value."""
    if isinstance(value, cst.ConcatenatedString):
        left, right = _string_pieces(value.left), _string_pieces(value.right)
        return None if left is None or right is None else [*left, *right]
    if isinstance(value, (cst.SimpleString, cst.FormattedString)) and "b" not in value.prefix.lower():
        return [value]
    return None


class ConsoleNames:
    """What the print's f-string holes are: the names bound by a colour library's import, and the SQLAlchemy
    URLs of the function (``url = make_url(...)``; "maybe" when another value can be there)."""

    def __init__(self, colour: frozenset[str] = frozenset(), urls: dict[str, str] | None = None) -> None:
        self.colour = colour
        self.urls = urls or {}


def _console_names(req: FixRequest, line: int) -> ConsoleNames:
    tree = req.module_tree or req.tree
    colour = {
        alias.asname or alias.name
        for stmt in ast.walk(tree) if isinstance(stmt, ast.ImportFrom) and (stmt.module or "").split(".")[0] in ("colorama", "termcolor")
        for alias in stmt.names
    }
    urls: dict[str, str] = {}
    func = req.enclosing_function(line)
    for node in ast.walk(func) if func is not None else ():
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
            if _url_call(value):
                urls.setdefault(name, "url")
            elif isinstance(value, ast.IfExp) and _url_call(value.body) != _url_call(value.orelse) and name not in urls:
                rendered = f"{name}.render_as_string(hide_password=True)"  # a URL in one arm, a placeholder in the other
                arms = (rendered, name) if _url_call(value.body) else (name, rendered)
                urls[name] = f"{arms[0]} if {ast.unparse(value.test)} else {arms[1]}"
            elif any(_url_call(n) for n in ast.walk(value)):
                urls[name] = "maybe"
            else:
                urls[name] = "maybe" if name in urls else "other"
    return ConsoleNames(frozenset(colour), {k: v for k, v in urls.items() if v != "other"})


def _url_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    owner = func.value if isinstance(func, ast.Attribute) else None
    return name in ("make_url", "make_url_safe") or (name == "create" and isinstance(owner, ast.Name) and owner.id == "URL")


def _is_colour(expression: cst.BaseExpression, names: ConsoleNames) -> bool:
    root = expression
    while isinstance(root, cst.Attribute):
        root = root.value
    last = expression.attr.value if isinstance(expression, cst.Attribute) else getattr(expression, "value", "")
    root_name = root.value if isinstance(root, cst.Name) else ""
    if root_name in names.colour and (isinstance(expression, cst.Attribute) or root_name in COLOUR_WORDS):
        return True
    return isinstance(expression, cst.Attribute) and last in COLOUR_WORDS and root_name in COLOUR_ROOTS


def _is_url_hole(part: cst.FormattedStringExpression, names: ConsoleNames) -> str | None:
    """"render" for a SQLAlchemy URL (``str()`` of it can carry the password), the code that renders a name bound
    to a URL in one arm of a conditional, "drop" for a name that may hold one otherwise, None for another value."""
    expression = part.expression
    if isinstance(expression, cst.Name):
        kind = names.urls.get(expression.value) or ""
        return {"url": "render", "maybe": "drop"}.get(kind, kind or None)
    if isinstance(expression, cst.Call):
        func = expression.func
        name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
        return "render" if name in ("make_url", "make_url_safe") else None
    if isinstance(expression, cst.Attribute) and expression.attr.value == "url":
        owner = expression.value
        owner_name = owner.attr.value if isinstance(owner, cst.Attribute) else getattr(owner, "value", "")
        return "render" if "engine" in str(owner_name).lower() else None
    return None


def _comma_separated(args: list[cst.Arg]) -> list[cst.Arg]:
    out = []
    for index, arg in enumerate(args):
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if index < len(args) - 1 else cst.MaybeSentinel.DEFAULT
        out.append(arg.with_changes(comma=comma))
    return out


def _refuse_print(req: FixRequest, call: ast.Call, handler: ast.ExceptHandler) -> None:
    """A print that must stay a print: in a logging handler, or a command line's message to its user."""
    line = call.lineno
    for node in ast.walk(req.tree):
        if isinstance(node, ast.ClassDef) and node.lineno <= line <= (node.end_lineno or node.lineno):
            bases = {b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in node.bases}
            if bases & set(_HANDLER_BASES) or any(b.endswith("Handler") for b in bases if b):
                raise FixRefused("a print inside a logging handler must not log (it would log through itself)")
    func = req.enclosing_function(line)
    if func is not None and func.name == "emit":
        raise FixRefused("a print inside a logging handler's emit() must not log")
    if not _has_words(call):
        return  # print(e) alone tells no one anything: the traceback does
    cli = func is not None and (func.name in ("main", "cli", "run_cli") or any(_is_cli_decorator(d) for d in func.decorator_list))
    if cli or any(_exits(node) for stmt in handler.body for node in ast.walk(stmt)):
        raise FixRefused("a command line's message to its user stays a print")


def _has_words(call: ast.Call) -> bool:
    """The print says something of its own (a literal or an f-string's text), not only a value."""
    for arg in call.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.strip():
            return True
        if isinstance(arg, ast.JoinedStr) and any(isinstance(v, ast.Constant) and str(v.value).strip() for v in arg.values):
            return True
    return False


def _is_cli_decorator(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr in _CLI_DECORATORS


def _exits(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return name in ("exit", "_exit") or (isinstance(func, ast.Attribute) and func.attr == "Exit")
    if isinstance(node, ast.Raise) and node.exc is not None:
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return isinstance(target, ast.Name) and target.id == "SystemExit"
    return False


def innermost_handler(tree: ast.Module, line: int) -> ast.ExceptHandler | None:
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.lineno < line <= (node.end_lineno or node.lineno):
            if best is None or node.lineno > best.lineno:
                best = node
    return best
