"""Helpers several fix builders share: spelling exception types in the module, finding a call's statement."""

from __future__ import annotations

import ast
import configparser
import functools
import re
from pathlib import Path

import libcst as cst

from sadpath.fixes.additions import ModuleAdditions, module_binds
from sadpath.fixes.region import FixRefused
from sadpath.fixes.request import FixRequest, py_string
from sadpath.files import tomllib  # tomli on Python 3.10
from sadpath.knowledge import exception_hierarchy

LOGGER_FACTORIES = {"logging": "getLogger", "structlog": "get_logger"}  # module -> the call that makes a logger
# loggers a framework hands its applications, taken as the module's logger when imported (stdlib loggers all)
FRAMEWORK_LOGGERS = {"tornado.log": ("app_log", "gen_log"), "celery.utils.log": ()}


def most_specific_first(names: list[str], hierarchy) -> list[str]:
    return sorted(names, key=lambda n: -len(hierarchy.ancestors(n)))


def public_name(canonical: str) -> str:
    """``requests.exceptions.Timeout`` -> ``requests.Timeout`` when the package re-exports it."""
    hierarchy = exception_hierarchy()
    aliases = [alias for alias, target in hierarchy.aliases.items() if hierarchy.canonical(target) == canonical]
    candidates = [a for a in aliases if a.count(".") < canonical.count(".")]
    return min(candidates, key=len) if candidates else canonical


def spell(canonical: str, req: FixRequest, additions: ModuleAdditions) -> str:
    """How the module can name an exception type, importing its package when needed."""
    public = public_name(canonical)
    if "." not in public:
        return public
    package = public.split(".", 1)[0]
    func = req.enclosing_function(req.finding.span.line)
    local = [n for n in ast.walk(func) if isinstance(n, (ast.Import, ast.ImportFrom))] if func is not None else []
    for stmt in [*req.tree.body, *local]:  # an import inside the function counts: a second one at the top would shadow
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name == package:
                    return public if alias.asname is None else alias.asname + public[len(package) :]
                if public.startswith(alias.name + ".") and alias.asname is None:
                    return public
        if isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            for alias in stmt.names:
                if f"{stmt.module}.{alias.name}" in (public, canonical):
                    return alias.asname or alias.name
    module, name = public.rsplit(".", 1)
    top = req.tree.body
    from_style = any(isinstance(t, ast.ImportFrom) and not t.level and (t.module or "").split(".")[0] == package for t in top)
    plain_style = any(isinstance(t, ast.Import) and any(a.name.split(".")[0] == package for a in t.names) for t in top)
    bound_here = func is not None and any(
        (isinstance(n, ast.Name) and n.id == name) or (isinstance(n, ast.arg) and n.arg == name) for n in ast.walk(func)
    )
    if from_style and not plain_style and not module_binds(req.tree, name) and not bound_here:
        additions.add_import(module, name)  # the file says `from django.db import transaction`: so `IntegrityError`
        return name
    additions.add_import(module)
    return public


def statement_at(tree: ast.Module, line: int, column: int, source) -> ast.stmt:
    """The innermost statement holding the call at (line, column)."""
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if node.lineno <= line <= (node.end_lineno or node.lineno):
            if best is None or (node.lineno, node.col_offset) >= (best.lineno, best.col_offset):
                best = node
    if best is None:
        raise FixRefused(f"no statement at line {line}")
    return best


def region_statement(region, line: int, column: int) -> cst.CSTNode:
    for node_type in (cst.SimpleStatementLine, cst.BaseCompoundStatement):
        try:
            node = region.node_at(node_type, line, column)
        except FixRefused:
            continue
        return node
    raise FixRefused(f"no statement at line {line}")


def imports_root(tree: ast.Module, root: str) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.Import) and any(a.name.split(".")[0] == root for a in stmt.names):
            return True
        if isinstance(stmt, ast.ImportFrom) and (stmt.module or "").split(".")[0] == root:
            return True
    return False


def module_logger(tree: ast.Module) -> str | None:
    """The name of a module-level logger made by logging.getLogger or structlog.get_logger, else one the
    framework hands its application and the module imports (``from tornado.log import app_log``)."""
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module in FRAMEWORK_LOGGERS:
            for alias in stmt.names:
                if alias.name in FRAMEWORK_LOGGERS[stmt.module]:
                    return alias.asname or alias.name
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            value = stmt.value
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
                owner = value.func.value
                if isinstance(owner, ast.Name) and LOGGER_FACTORIES.get(owner.id) == value.func.attr:
                    return stmt.targets[0].id
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in LOGGER_FACTORIES.values():
                return stmt.targets[0].id  # ``log = getLogger(__name__)`` after ``from logging import getLogger``
    for stmt in tree.body:  # the project's own logger, imported: ``from open_webui.env import log``
        if isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if stmt.module in NOT_LOGGERS or (stmt.module or "").split(".")[0] in NOT_LOGGERS:
                    continue
                if alias.name in LOGGER_NAMES or (alias.asname or "") in LOGGER_NAMES:
                    return alias.asname or alias.name
    return None


# names that hold a logger when a module imports them (or a class keeps one on ``self``)
LOGGER_NAMES = frozenset({"log", "logger", "LOG", "LOGGER", "_log", "_logger", "app_log", "gen_log", "access_log"})
# modules whose ``log`` is no logger (math.log), or whose logger takes no ``exc_info`` (loguru)
NOT_LOGGERS = frozenset({"math", "cmath", "numpy", "torch", "jax", "mpmath", "sympy", "loguru", "tensorflow"})
_LOG_CALLS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical"})


def class_logger(req: FixRequest, line: int) -> str | None:
    """``self.log`` (or ``self.logger``...) when the method at ``line`` has ``self`` and its class logs through
    that attribute somewhere."""
    func = req.enclosing_function(line)
    if func is None or not func.args.args or func.args.args[0].arg != "self":
        return None
    tree = req.module_tree or req.tree
    owner = next(
        (c for c in ast.walk(tree) if isinstance(c, ast.ClassDef) and c.lineno <= func.lineno <= (c.end_lineno or 0)
         and any(n.lineno == func.lineno and n.name == func.name for n in c.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))),
        None,
    )
    if owner is None:
        return None
    for node in ast.walk(owner):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _LOG_CALLS:
            target = node.func.value
            if (isinstance(target, ast.Attribute) and target.attr in LOGGER_NAMES and isinstance(target.value, ast.Name)
                    and target.value.id == "self"):
                return f"self.{target.attr}"
    return None


def logger_for(req: FixRequest, line: int) -> str | None:
    """The logger code at ``line`` logs through: the module's, else the class's ``self.log``; None for neither."""
    return module_logger(req.module_tree or req.tree) or class_logger(req, line)


def _separator(whitespace: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """The same line break and indentation, without any comment it carried."""
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(), empty_lines=[], indent=whitespace.indent, last_line=whitespace.last_line
        )
    return cst.SimpleWhitespace(" ")


def _breaks(whitespace) -> bool:
    return isinstance(whitespace, cst.ParenthesizedWhitespace)


def keyword_arg(name: str, value: cst.BaseExpression | str) -> cst.Arg:
    expression = cst.parse_expression(value) if isinstance(value, str) else value
    return cst.Arg(
        keyword=cst.Name(name),
        value=expression,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )


def with_arguments(call: cst.Call, new: list[cst.Arg]) -> cst.Call:
    """``call`` with ``new`` arguments appended in the call's own layout: ``, `` on one line; on a call whose
    arguments are one per line, each new one on its own line with the same indentation, and the closing
    parenthesis (and a trailing comma) where it was."""
    if not new:
        return call
    args = list(call.args)
    if not args:
        return call.with_changes(args=_joined(new, cst.SimpleWhitespace(" ")))
    last = args[-1]
    middle = next((a.comma.whitespace_after for a in args[:-1] if isinstance(a.comma, cst.Comma)), None)
    if middle is None:
        middle = call.whitespace_before_args
    multi_line = _breaks(middle) or _breaks(call.whitespace_before_args)
    separator = _separator(middle) if multi_line else cst.SimpleWhitespace(" ")
    if isinstance(last.comma, cst.Comma):
        # a trailing comma: the new arguments go after it, and the last one takes the comma before ")"
        closing = last.comma
        args[-1] = last.with_changes(comma=closing.with_changes(whitespace_after=separator))
        added = _joined(new, separator)
        added[-1] = added[-1].with_changes(comma=closing)
        return call.with_changes(args=[*args, *added])
    closing_space = last.whitespace_after_arg
    args[-1] = last.with_changes(
        comma=cst.Comma(whitespace_after=separator), whitespace_after_arg=cst.SimpleWhitespace("")
    )
    added = _joined(new, separator)
    if _breaks(separator) and _breaks(closing_space):
        # one argument per line and ")" on its own: black's magic trailing comma goes after the new last one
        added[-1] = added[-1].with_changes(comma=cst.Comma(whitespace_after=closing_space), whitespace_after_arg=cst.SimpleWhitespace(""))
    else:
        added[-1] = added[-1].with_changes(whitespace_after_arg=closing_space)
    return call.with_changes(args=[*args, *added])


def _joined(args: list[cst.Arg], separator) -> list[cst.Arg]:
    out = []
    for index, arg in enumerate(args):
        if index < len(args) - 1:
            arg = arg.with_changes(comma=cst.Comma(whitespace_after=separator))
        else:
            arg = arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        out.append(arg)
    return out


def with_fields(call: cst.Call, fields: list[tuple[str, str]], structlog: bool) -> cst.Call:
    """A log call with these (key, expression) fields added where missing: to ``extra={...}`` (made when the call
    has none; an ``extra=`` that is not a literal dict is left alone), or as structlog keyword arguments."""
    if not fields:
        return call
    if structlog:
        present = {a.keyword.value for a in call.args if a.keyword is not None}
        new = [keyword_arg(k, v) for k, v in fields if k not in present and k.isidentifier()]
        return with_arguments(call, new)
    extra = next((a for a in call.args if a.keyword is not None and a.keyword.value == "extra"), None)
    if extra is None:
        elements = ", ".join(f"{py_string(k)}: {v}" for k, v in fields)
        return with_arguments(call, [keyword_arg("extra", f"{{{elements}}}")])
    if not isinstance(extra.value, cst.Dict):
        return call  # extra=ctx: what it carries is the caller's business
    present = {el.key.evaluated_value for el in extra.value.elements if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString)}
    added = [(k, v) for k, v in fields if k not in present]
    if not added:
        return call
    elements = list(extra.value.elements)
    new_elements = [cst.DictElement(cst.SimpleString(py_string(k)), cst.parse_expression(v)) for k, v in added]
    return call.deep_replace(extra.value, extra.value.with_changes(elements=dict_elements(elements, new_elements)))


def dict_elements(old: list, new: list) -> list:
    """``new`` appended after ``old`` in the dict's own layout (one line, or one element per line)."""
    if not old:
        return [el.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) if i < len(new) - 1 else el for i, el in enumerate(new)]
    last = old[-1]
    separator = next((el.comma.whitespace_after for el in old[:-1] if isinstance(el.comma, cst.Comma)), cst.SimpleWhitespace(" "))
    if isinstance(separator, cst.ParenthesizedWhitespace):
        separator = cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), empty_lines=[], indent=separator.indent, last_line=separator.last_line)
    else:
        separator = cst.SimpleWhitespace(" ")
    out = list(old)
    closing = last.comma if isinstance(last.comma, cst.Comma) else None
    out[-1] = last.with_changes(comma=cst.Comma(whitespace_after=separator))
    for index, el in enumerate(new):
        if index < len(new) - 1:
            out.append(el.with_changes(comma=cst.Comma(whitespace_after=separator)))
        else:
            out.append(el.with_changes(comma=closing) if closing is not None else el)
    return out


def line_limit(source) -> int:
    """The longest line a fix may write: the project's configured line length (ruff, black or flake8 settings in
    pyproject.toml, ruff.toml, setup.cfg, tox.ini or .flake8, the nearest above the file; a ruff or black section
    that sets none means the formatter's 88), else the file's own
    style (its longest line, at most 120, when at least 3% of its lines are past 88), else 88."""
    configured = configured_line_length(str(Path(source.path).resolve().parent)) if source.path else None
    if configured is not None:
        return configured
    lengths = [len(source.line(n)) for n in range(1, min(source.line_count, 3000) + 1)]
    longest = max(lengths, default=0)
    past = sum(1 for n in lengths if n > DEFAULT_LINE_LENGTH)
    if past < LONG_LINE_SHARE * len(lengths):
        return DEFAULT_LINE_LENGTH  # a formatted file's few long lines are strings and comments it cannot wrap
    return min(longest, 120) if longest > DEFAULT_LINE_LENGTH else DEFAULT_LINE_LENGTH


DEFAULT_LINE_LENGTH = 88
LONG_LINE_SHARE = 0.03  # below this share of lines past 88, the file keeps to 88 (black's and ruff's default)
_INI_FILES = ("setup.cfg", "tox.ini", ".flake8")


@functools.lru_cache(maxsize=256)
def configured_line_length(directory: str) -> int | None:
    """The line length the nearest project configuration at or above ``directory`` sets (a ruff or black section
    without one: the formatter's default, 88), or None."""
    for folder in [Path(directory), *Path(directory).parents]:
        for name in ("ruff.toml", ".ruff.toml"):
            found = _toml_length(folder / name, ())
            if found is not None:
                return found
        found = _toml_length(folder / "pyproject.toml", ("tool",))
        if found is not None:
            return found
        for name in _INI_FILES:
            found = _ini_length(folder / name)
            if found is not None:
                return found
        if (folder / ".git").exists() or (folder / "pyproject.toml").exists():
            return None  # the project's root: nothing above it is its configuration
    return None


def _toml_length(path: Path, prefix: tuple[str, ...]) -> int | None:
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    for key in prefix:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    if not isinstance(data, dict):
        return None
    candidates = [data.get("line-length")]
    if prefix:
        candidates = [_get(data, "ruff", "line-length"), _get(data, "black", "line-length"), _get(data, "flake8", "max-line-length")]
    found = next((int(v) for v in candidates if isinstance(v, int) and not isinstance(v, bool) and 40 <= v <= 400), None)
    if found is None and (not prefix or any(isinstance(data.get(tool), dict) for tool in ("ruff", "black"))):
        return DEFAULT_LINE_LENGTH  # the project runs ruff or black with its default length: 88
    return found


def _get(data: dict, section: str, key: str):
    inner = data.get(section)
    return inner.get(key) if isinstance(inner, dict) else None


def _ini_length(path: Path) -> int | None:
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    for section in ("flake8", "pycodestyle", "pep8"):
        value = parser.get(section, "max-line-length", fallback=None) or parser.get(section, "max_line_length", fallback=None)
        if value is not None and value.strip().isdigit() and 40 <= int(value) <= 400:
            return int(value)
    return None


def _break(last_line: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), empty_lines=[], indent=True, last_line=cst.SimpleWhitespace(last_line)
    )


def fitted(call: cst.Call, column: int, limit: int, module: cst.Module | None = None) -> cst.Call:
    """``call`` (a statement of its own, starting at ``column``) one argument per line, black's way, when a line of
    it would pass ``limit`` (the one-line form, or a continuation line holding several arguments, as
    ``logger.warning(\n    "msg %s", name, exc_info=True, extra={...}\n)``); a call that fits, or that already
    puts one argument per line or carries comments, is kept."""
    code = (module or cst.Module([])).code_for_node(call)
    if not call.args or max(column + len(line) for line in code.splitlines()) <= limit:
        return call
    if "\n" in code and (not _args_share_a_line(code) or "#" in code):
        return call  # already one argument per line (or it carries comments): its own layout stays
    args = []
    for arg in call.args:
        args.append(arg.with_changes(comma=cst.Comma(whitespace_after=_break("    ")), whitespace_after_arg=cst.SimpleWhitespace("")))
    args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=_break("")))
    return call.with_changes(whitespace_before_args=_break("    "), args=args)


def _args_share_a_line(code: str) -> bool:
    """Some continuation line of a multi-line call holds more than one top-level argument."""
    try:
        call = cst.parse_expression(code)
    except cst.ParserSyntaxError:
        return False
    if not isinstance(call, cst.Call):
        return False
    lines = set()
    position = code.index("(") + 1
    for arg in call.args:
        piece = cst.Module([]).code_for_node(arg)
        at = code.find(piece, position)
        if at < 0:
            return False
        line = code.count("\n", 0, at)
        if line in lines:
            return True
        lines.add(line)
        position = at + len(piece)
    return False


def id_label(expression: str) -> str:
    """How a log message labels an id: ``chat_id`` for ``metadata.get('chat_id')``, the last part of a dotted name."""
    key = re.fullmatch(r"\w+\.get\(['\"](\w+)['\"]\)", expression)
    return key.group(1) if key else expression.rsplit(".", 1)[-1]


def with_ids(call: cst.Call, ids: list[str]) -> cst.Call:
    """A log call whose message names ``ids`` (``"Error: {e}"`` -> ``"Error: {e} (pipe_id={pipe_id})"``, ``"could
    not refresh %s", url`` -> ``"could not refresh %s (path=%s)", url, path``) when the call does not name them yet
    and its message is one literal: an f-string gains fields, a %-format string gains placeholders and arguments
    (not when it holds a ``%`` it does not format). An id may be dotted (``backend.entrypoint``): its last part
    labels it. Others are kept."""
    module = cst.Module([])
    used = {n.value for n in names_in(call)} | {module.code_for_node(n) for n in _nodes_in(call, cst.Attribute)}
    ids = [i for i in ids if i not in used]
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if not ids or not positional or any(a.star for a in call.args):
        return call
    message = positional[0].value
    suffix = ", ".join(f"{id_label(i)}={{}}" for i in ids)
    if isinstance(message, cst.FormattedString) and any(q in i for i in ids for q in "'\""):
        # ``data.get('id')`` inside an f-string's braces: before Python 3.12 its quotes may not be the f-string's, and
        # the file's quote style is applied to every new literal; the record goes without those ids
        ids = [i for i in ids if "'" not in i and '"' not in i]
        if not ids:
            return call
        suffix = ", ".join(f"{id_label(i)}={{}}" for i in ids)
    if isinstance(message, cst.FormattedString) and message.end in ('"', "'"):
        parts = list(message.parts)
        parts.append(cst.FormattedStringText(" ("))
        for index, name in enumerate(ids):
            parts.append(cst.FormattedStringText(f"{', ' if index else ''}{id_label(name)}="))
            parts.append(cst.FormattedStringExpression(expression=cst.parse_expression(name)))
        parts.append(cst.FormattedStringText(")"))
        new_message = message.with_changes(parts=parts)
        extra: list[cst.Arg] = []
    elif isinstance(message, cst.SimpleString) and message.prefix.lower() in ("", "u") and message.value[-1:] in ('"', "'") and not message.value.endswith(('"""', "'''")):
        text = message.evaluated_value
        placeholders = text.count("%") - 2 * text.count("%%")
        if placeholders != len(positional) - 1:
            return call  # a ``%`` the call does not format, or arguments it formats some other way
        quote = message.value[-1]
        body = message.value[len(message.prefix) + 1 : -1]
        added = " (" + suffix.replace("{}", "%s") + ")"
        new_message = message.with_changes(value=f"{message.prefix}{quote}{body}{added}{quote}")
        extra = [cst.Arg(cst.parse_expression(name)) for name in ids]
    else:
        return call
    args = list(call.args)
    index = args.index(positional[0])
    args[index] = args[index].with_changes(value=new_message)
    if extra:
        at = max(i for i, a in enumerate(args) if a.keyword is None and not a.star)
        last = args[at]
        space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        added = [a.with_changes(comma=space) for a in extra[:-1]]
        if isinstance(last.comma, cst.Comma):  # more arguments follow, or a trailing comma: the last new one takes it
            added.append(extra[-1].with_changes(comma=last.comma))
            args[at] = last.with_changes(comma=space)
        else:
            added.append(extra[-1].with_changes(whitespace_after_arg=last.whitespace_after_arg))
            args[at] = last.with_changes(comma=space, whitespace_after_arg=cst.SimpleWhitespace(""))
        args = [*args[: at + 1], *added, *args[at + 1 :]]
    return call.with_changes(args=args)


def names_in(node: cst.CSTNode) -> list[cst.Name]:
    """Every name in ``node``, in order."""
    return _nodes_in(node, cst.Name)


def _nodes_in(node: cst.CSTNode, kind: type) -> list:
    """Every node of ``kind`` in ``node`` (``node`` itself included), in order."""
    found: list = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, child: cst.CSTNode) -> bool:
            if isinstance(child, kind):
                found.append(child)
            return True

    node.visit(Collect())
    return found
