"""``sadpath gen-tests PATH::function``: a pytest module that makes each external call of a function fail in each
failure mode its resilience contract declares, and asserts the declared outcome.

For every external call in the function (found with the engine, never by importing the code) that a contract
covers, and every mode the contract declares and the call can raise, one test:

* makes the call fail in that mode with ``unittest.mock.patch`` on the name the code looks it up by (the
  module attribute for ``requests.post(...)``, the client class's method for ``self.session.post(...)``); an
  HTTP status mode (``auth``, ``not-found``, ...) answers with a response of that status whose
  ``raise_for_status()`` raises, when the function checks the status;
* asserts the declared outcome: ``translate``: the declared error is raised with the original as its cause
  (and the declared status); ``retry``: the call is made exactly ``attempts`` times with growing sleeps
  (``time.sleep``/``asyncio.sleep`` and the jitter patched), then the declared error or the original is
  raised; ``propagate``: the original escapes; ``fallback``: the function returns normally; and, when the
  contract names log fields, a warning-or-worse record carries them (``caplog``).

The function is called with placeholder arguments chosen from the annotations (a method on an instance built
the same way); edit them where the code needs real values.
"""

from __future__ import annotations

import ast
import keyword
from dataclasses import dataclass
from pathlib import Path

from sadpath.config import resolve_settings
from sadpath.settings import Settings
from sadpath.contracts import Contract, Strategy
from sadpath.engine import analyze
from sadpath.engine.context import ModuleContext
from sadpath.engine.external import ExternalCall, external_call
from sadpath.engine.walker import NESTED_SCOPES, Root, call_sites
from sadpath.files import read_source
from sadpath.knowledge import exception_hierarchy
from sadpath.model import FileError
from sadpath.declared_dependencies import dependencies
from sadpath.engine.contract_check import covering_contract
from sadpath.knowledge import HTTP_STATUS_MODES
from sadpath.source import SourceFile
from sadpath.fixes.nodes import public_name

# the status the faked upstream answers with in a generated test (not the status a translation answers with)
STATUS_OF_MODE = {"auth": 401, "not-found": 404, "rate-limit": 429, "server-error": 503, "conflict": 409}
_PLACEHOLDERS = {"str": '"test"', "int": "1", "float": "1.0", "bool": "False", "dict": "{}", "list": "[]", "bytes": 'b""'}


class GenerateError(Exception):
    """Nothing can be generated; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    path: Path
    module: str  # dotted import path
    function: str  # "charge" or "PaymentClient.charge"


@dataclass(frozen=True)
class Case:
    call: ExternalCall
    patch_target: str
    mode: str
    exception: str  # canonical name of the exception to inject
    strategy: Strategy
    contract: Contract
    is_async_call: bool
    module: str = ""
    style: str = "patch"  # how the failure is injected: mock.patch, or the project's responses / respx


def parse_target(spec: str) -> tuple[Path, str]:
    if "::" not in spec:
        raise GenerateError(f"{spec!r}: expected PATH::function or PATH::Class.method")
    path, function = spec.split("::", 1)
    if not function or not all(part.isidentifier() for part in function.split(".")):
        raise GenerateError(f"{function!r} is not a function name (expected function or Class.method)")
    return Path(path), function


def module_name(path: Path, settings: Settings) -> str:
    """The dotted name to import the file by: relative to the project root (the pyproject's folder), or up
    through the packages that hold it."""
    path = path.resolve()
    root = settings.root.resolve() if settings.root is not None else None
    parts = [path.stem] if path.stem != "__init__" else []
    folder = path.parent
    while True:
        if root is not None and folder == root:
            break
        if root is None and not (folder / "__init__.py").is_file():
            break
        if folder == folder.parent:
            break
        parts.insert(0, folder.name)
        folder = folder.parent
    name = ".".join(parts)
    if not name or not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        raise GenerateError(f"{path}: cannot be imported by a dotted name from the project root")
    return name


def generate(spec: str, settings: Settings | None = None) -> tuple[Target, str]:
    """The target and the text of the test module. Raises GenerateError."""
    path, function = parse_target(spec)
    read = read_source(str(path))
    if isinstance(read, FileError):
        raise GenerateError(f"{read.path}: {read.message}")
    settings = settings or resolve_settings(path)
    analysis = analyze(SourceFile(str(path), read.text), settings, rules=[])
    return generate_for(analysis, path, function, settings)


def generate_for(analysis, path: Path, function: str, settings: Settings) -> tuple[Target, str]:
    """The same, from an analysis of the file's current text (the language server's buffer)."""
    if analysis.tree is None or analysis.semantic is None:
        raise GenerateError(f"{path}: does not parse")
    func, cls = _find(analysis.tree, function)
    target = Target(path, module_name(path, settings), function)
    ctx = ModuleContext(analysis.source, analysis.tree, analysis.semantic, exception_hierarchy(), settings)
    cases = _cases(func, cls, ctx, target.module)
    stubs = dependencies(path, development=True) & {"responses", "respx"}
    cases = [_with_style(case, stubs) for case in cases]
    if not settings.contracts:
        raise GenerateError("no resilience contract is configured: run `sadpath contracts init` first")
    if not cases:
        raise GenerateError(f"no external call in {function}() is covered by a contract (see [tool.sadpath.contracts])")
    return target, _render(target, func, cls, cases)


def _find(tree: ast.Module, function: str) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.ClassDef | None]:
    parts = function.split(".")
    body, cls = tree.body, None
    if len(parts) == 2:
        cls = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == parts[0]), None)
        if cls is None:
            raise GenerateError(f"no class {parts[0]} at the top level of the file")
        body = cls.body
    elif len(parts) != 1:
        raise GenerateError(f"{function}: only functions and methods of top-level classes")
    func = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == parts[-1]), None)
    if func is None:
        raise GenerateError(f"no function {function} in the file")
    return func, cls


def _cases(func: ast.AST, cls: ast.ClassDef | None, ctx: ModuleContext, module: str) -> list[Case]:
    cases: list[Case] = []
    checks_status = any(isinstance(n, ast.Attribute) and n.attr == "raise_for_status" for n in ast.walk(func))
    ancestors = (ctx.tree, *([cls] if cls is not None else []))
    seen_targets: set[tuple[str, str]] = set()
    for node, parents, scopes in call_sites(ctx, [Root(func, ancestors)]):
        if any(isinstance(p, NESTED_SCOPES) for p in parents[len(ancestors) + 1 :]):
            continue  # a nested function or lambda runs elsewhere, if at all
        ctx.parents, ctx.scopes = parents, scopes
        external = external_call(node, ctx)
        contract = covering_contract(external, ctx) if external is not None else None
        if external is None or contract is None:
            continue
        raised = dict(external.interface.modes_of_call(node, external.name))
        patch_target = _patch_target(external, ctx)
        for mode, strategy in contract.modes:
            exceptions = raised.get(mode)
            if not exceptions or patch_target is None or (patch_target, mode) in seen_targets:
                continue
            if mode in HTTP_STATUS_MODES and external.interface.kind == "http" and not checks_status:
                continue  # the status is never checked: no way to make this mode happen here
            seen_targets.add((patch_target, mode))
            exception = public_name(exceptions[0])  # requests.exceptions.Timeout -> requests.Timeout
            cases.append(Case(external, patch_target, mode, exception, strategy, contract, external.is_async, module))
    return cases


def _patch_target(external: ExternalCall, ctx: ModuleContext) -> str | None:
    if external.method is None:  # requests.post(...): patch the attribute where the module looks it up
        return ast.unparse(external.call.func)
    if external.client_type:
        return f"{external.client_type}.{external.method}"  # self.session.post -> requests.Session.post
    return None


# ------------------------------------------------------------------ rendering
def _render(target: Target, func, cls, cases: list[Case]) -> str:
    call = _invocation(target, func, cls)
    is_async = isinstance(func, ast.AsyncFunctionDef)
    imports = {"logging", "unittest.mock", "pytest", "random", "time", "importlib"}
    if is_async:
        imports.add("asyncio")
    exception_modules = {c.exception.rsplit(".", 1)[0] for c in cases if "." in c.exception}
    styles = {c.style for c in cases}
    if "responses" in styles:
        imports.add("re")
    lines = [
        f'"""Failure-injection tests for `{target.function}()` in {target.module}, generated by `sadpath gen-tests`.',
        "",
        "Each test makes one external call fail in one mode and asserts what the resilience contract declares.",
        'Edit the placeholder arguments where the code needs real values."""',
        "",
        *(f"import {m}" for m in sorted(imports - {"pytest"})),
        "",
        "import pytest",
        *(["import responses"] if "responses" in styles else []),
        *(["import respx"] if "respx" in styles else []),
        *(f"import {m}" for m in sorted(exception_modules - imports)),
        "",
        *(
            ['_ANY_URL = re.compile(r".*")', "_METHODS = (responses.GET, responses.POST, responses.PUT, responses.PATCH, responses.DELETE, responses.HEAD, responses.OPTIONS)", ""]
            if "responses" in styles
            else []
        ),
        f'MODULE = "{target.module}"',
        "",
        "",
        "def _module():",
        "    return importlib.import_module(MODULE)",
        "",
        "",
        "def _injected(exc_type, response=None):",
        '    """An instance of the library\'s exception, built even when its constructor wants more arguments."""',
        "    try:",
        '        exc = exc_type("injected by sadpath gen-tests")',
        "    except TypeError:",
        "        exc = exc_type.__new__(exc_type)",
        '        exc.args = ("injected by sadpath gen-tests",)',
        "    if response is not None:",
        "        exc.response = response",
        "    return exc",
        "",
        "",
        "def _response(status):",
        "    response = unittest.mock.MagicMock(status_code=status, status=status, ok=False)",
        "    response.json.return_value = {}",
        "    return response",
        "",
        "",
        "def _call():",
        "    module = _module()",
        f"    return {call}",
    ]
    for index, case in enumerate(cases, start=1):
        lines += ["", "", *_test(case, index, is_async)]
    return "\n".join(lines) + "\n"


def _invocation(target: Target, func, cls) -> str:
    args = _placeholders(func, skip_first=cls is not None and not _is_static(func))
    if cls is not None and not _is_static(func):
        init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
        ctor = _placeholders(init, skip_first=True) if init is not None else ""
        expression = f"module.{cls.name}({ctor}).{func.name}({args})"
    elif cls is not None:
        expression = f"module.{cls.name}.{func.name}({args})"
    else:
        expression = f"module.{func.name}({args})"
    return f"asyncio.run({expression})" if isinstance(func, ast.AsyncFunctionDef) else expression


def _is_static(func) -> bool:
    return any(isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod") for d in func.decorator_list)


def _placeholders(func, skip_first: bool) -> str:
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    if skip_first:
        positional = positional[1:]
    required = positional[: len(positional) - len(args.defaults)] if args.defaults else positional
    values = [_placeholder(a) for a in required]
    values += [f"{a.arg}={_placeholder(a)}" for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    return ", ".join(values)


def _placeholder(arg: ast.arg) -> str:
    annotation = arg.annotation
    if isinstance(annotation, ast.BinOp):  # X | None
        annotation = annotation.left
    name = ast.unparse(annotation).rsplit(".", 1)[-1] if annotation is not None else ""
    name = name.split("[", 1)[0]
    if name == "str" and any(part in arg.arg.lower() for part in ("url", "uri", "endpoint", "host")):
        return '"https://example.test"'  # a real HTTP stack (responses, respx) needs a URL it can parse
    return _PLACEHOLDERS.get(name, f"unittest.mock.MagicMock(name={arg.arg!r})")


def _test(case: Case, index: int, is_async: bool) -> list[str]:
    strategy = case.strategy
    name = f"test_{index}_{_ident(case.call.name)}_{_ident(case.mode)}_{strategy.kind}"
    mock = "unittest.mock.AsyncMock" if case.is_async_call else "unittest.mock.MagicMock"
    status = STATUS_OF_MODE.get(case.mode) if case.mode in HTTP_STATUS_MODES and case.call.interface.kind == "http" else None
    lines = [f"def {name}(caplog):", f'    """{case.call.name}() fails with {case.mode}: {strategy.describe()}."""']
    patches = []
    if case.style == "responses":  # the project stubs HTTP with responses: the real requests stack runs
        lines.insert(0, "@responses.activate")
        failure = f"status={status}, json={{}}" if status is not None else f"body=_injected({case.exception})"
        lines.append(f"    for method in _METHODS:\n        responses.add(method, _ANY_URL, {failure})")
        count = "len(responses.calls)"
    elif case.style == "respx":
        lines.insert(0, "@respx.mock")
        failure = f"respond({status})" if status is not None else f"mock(side_effect=_injected({case.exception}))"
        lines.append(f"    route = respx.route().{failure}")
        count = "route.call_count"
    else:
        if status is not None:
            lines += [
                f"    response = _response({status})",
                f"    response.raise_for_status.side_effect = _injected({case.exception}, response)",
                f"    failing = {mock}(return_value=response)",
            ]
        else:
            lines.append(f"    failing = {mock}(side_effect=_injected({case.exception}))")
        patches.append(f"unittest.mock.patch({_patch_string(case)!r}, failing)")
        count = "failing.call_count"
    sleep = "asyncio.sleep" if is_async else "time.sleep"
    sleep_mock = "unittest.mock.AsyncMock" if is_async else "unittest.mock.MagicMock"
    patches += [f"unittest.mock.patch({sleep!r}, sleep)", 'unittest.mock.patch("random.uniform", return_value=1.0)']
    lines += [
        f"    sleep = {sleep_mock}()",
        f"    with {patches[0]}, \\",
        *(f"            {p}, \\" for p in patches[1:]),
        "            caplog.at_level(logging.WARNING):",
    ]
    expected = case.exception
    if strategy.kind in ("translate", "retry") and strategy.error:
        lines.append(f"        expected = getattr(_module(), {strategy.error.rsplit('.', 1)[-1]!r})")
        expected = "expected"
    if strategy.kind == "fallback":
        lines.append("        _call()  # the contract declares a fallback: no error escapes")
    else:
        lines += [f"        with pytest.raises({expected}) as raised:", "            _call()"]
    if strategy.kind in ("translate", "retry") and strategy.error:
        lines.append(f"    assert isinstance(raised.value.__cause__, {case.exception}), \"the original error must be the cause\"")
    if strategy.kind == "translate" and strategy.status is not None:
        lines.append(f"    assert getattr(raised.value, \"status\", getattr(raised.value, \"status_code\", None)) == {strategy.status}")
    if strategy.kind == "retry":
        lines += [
            f"    assert {count} == {strategy.attempts}, f\"expected {strategy.attempts} attempts, got {{{count}}}\"",
            "    delays = [call.args[0] for call in sleep.call_args_list]",
            f"    assert len(delays) == {strategy.attempts - 1} and all(d > 0 for d in delays), delays",
            "    assert delays == sorted(delays), f\"no backoff: {delays}\"",
        ]
    elif status is None:
        lines.append(f"    assert {count} >= 1")
    if case.contract.log_fields and strategy.kind != "propagate":
        fields = ", ".join(repr(f) for f in case.contract.log_fields)
        lines += [
            "    records = [r for r in caplog.records if r.levelno >= logging.WARNING]",
            f"    assert any(all(hasattr(r, field) for field in ({fields},)) for r in records), \"no warning carries {', '.join(case.contract.log_fields)}\"",
        ]
    return lines


def _with_style(case: Case, stubs: set[str]) -> Case:
    """Inject HTTP failures the way the project's own tests do, when it uses responses (requests) or respx
    (httpx): the real client stack runs and the library answers with the failure."""
    from dataclasses import replace

    if case.call.interface.name == "requests" and "responses" in stubs and not case.is_async_call:
        return replace(case, style="responses")
    if case.call.interface.name == "httpx" and "respx" in stubs:
        return replace(case, style="respx")
    return case


def _patch_string(case: Case) -> str:
    """Where ``mock.patch`` replaces the call: the module's own attribute path for a module function
    (``orders.payments.requests.post``), the client class's method for a method call."""
    return f"{case.module}.{case.patch_target}" if case.call.method is None else case.patch_target


def _ident(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_").lower()


def function_at(tree: ast.Module, line: int) -> str | None:
    """``function`` or ``Class.method`` whose lines hold ``line`` (top-level functions and methods)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= line <= (node.end_lineno or node.lineno):
            return node.name
        if isinstance(node, ast.ClassDef) and node.lineno <= line <= (node.end_lineno or node.lineno):
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and member.lineno <= line <= (member.end_lineno or member.lineno):
                    return f"{node.name}.{member.name}"
    return None


def default_output(target: Target, settings: Settings) -> Path:
    root = settings.root if settings.root is not None else target.path.parent
    return root / "tests" / f"test_failures_{_ident(target.function)}.py"



__all__ = ["GenerateError", "default_output", "generate", "parse_target"]
