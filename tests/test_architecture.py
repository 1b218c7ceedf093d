"""The house's rules, checked on the code: layers point one way, every rule is registered and documented, fix
kinds are modules, the VS Code client's settings are the server's options, and analysis never loads libcst.

The import graph counts every import, the ones placed inside functions too: an import that only runs later
still ties the two modules together.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "server" / "sadpath"

# Layers, lowest first: a module may import its own layer's modules or lower ones, never higher ones.
LAYERS: dict[str, int] = {
    "sadpath": 0,  # the package's face: its version
    "sadpath.model": 0,
    "sadpath.source": 0,
    "sadpath.messages": 0,  # how a message and the code it quotes are cut to fit
    "sadpath.settings": 1,
    "sadpath.files": 1,
    "sadpath.knowledge": 2,
    "sadpath.contracts": 2,
    "sadpath.declared_dependencies": 2,
    "sadpath.engine": 3,
    "sadpath.rules": 4,
    "sadpath.fixes": 4,
    "sadpath.registry": 5,
    "sadpath.config": 6,
    "sadpath.linter": 7,
    "sadpath.cache": 8,
    "sadpath.output": 8,
    "sadpath.inventory": 8,
    "sadpath.gentests": 8,
    "sadpath.commands": 9,
    "sadpath.lsp": 9,
    "sadpath.cli": 10,
    "sadpath.__main__": 11,
    "sadpath.showcase": 8,  # the README's "Before and after": the headline fixes applied to a sample
    "sadpath.docgen": 11,  # the generated docs include the command line's help
}
# Layers that share a rank but must not know each other.
SIBLINGS = [("sadpath.rules", "sadpath.fixes"), ("sadpath.commands", "sadpath.lsp")]


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported module, dotted
    names: tuple[str, ...]  # names taken from it (``from target import names``)
    line: int


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(dotted: str, package: Path = PACKAGE) -> bool:
    relative = Path(*dotted.split(".")[1:]) if "." in dotted else Path()
    base = package / relative
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(path: Path, package: Path = PACKAGE) -> list[Import]:
    """Every import of sadpath modules in a file, at any depth."""
    source = module_name(path, package)
    is_package = path.name == "__init__.py"
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == package.name:
                    found.append(Import(source, alias.name, (), node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = source.split(".") if is_package else source.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            else:
                module = node.module or ""
            if module.split(".")[0] != package.name:
                continue
            plain = []
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                if is_module(submodule, package):
                    found.append(Import(source, submodule, (), node.lineno))
                else:
                    plain.append(alias.name)
            if plain:
                found.append(Import(source, module, tuple(plain), node.lineno))
    return found


def layer_of(dotted: str) -> tuple[str, int]:
    parts = dotted.split(".")
    for length in range(len(parts), 0, -1):
        key = ".".join(parts[:length])
        if key in LAYERS:
            return key, LAYERS[key]
    raise KeyError(dotted)


def violations(package: Path = PACKAGE) -> list[str]:
    """Every breach of the house's import rules under ``package``, one line each."""
    problems: list[str] = []
    edges: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        where = path.relative_to(package.parent)
        for imp in imports_of(path, package):
            try:
                (source_layer, source_rank), (target_layer, target_rank) = layer_of(imp.source), layer_of(imp.target)
            except KeyError as exc:
                problems.append(f"{where}:{imp.line}: {exc.args[0]} is in no layer (add it to LAYERS)")
                continue
            if source_layer != target_layer:
                edges.setdefault(source_layer, set()).add(target_layer)
            if target_rank > source_rank:
                problems.append(f"{where}:{imp.line}: {source_layer} (layer {source_rank}) imports {imp.target} (layer {target_rank})")
            for a, b in SIBLINGS:
                if {source_layer, target_layer} == {a, b}:
                    problems.append(f"{where}:{imp.line}: {source_layer} imports {imp.target}: {a} and {b} must not know each other")
            if imp.source.startswith("sadpath.rules.sad") and imp.target.startswith("sadpath.rules.sad") and imp.source != imp.target:
                problems.append(f"{where}:{imp.line}: the rule {imp.source} imports the rule {imp.target}")
            for name in imp.names:
                if name.startswith("_") and not name.startswith("__"):
                    problems.append(f"{where}:{imp.line}: imports the private name {name} from {imp.target}")
        problems.extend(_private_attribute_uses(path, package))
    problems.extend(f"an import cycle between layers: {' -> '.join(cycle)}" for cycle in _cycles(edges))
    return problems


def _private_attribute_uses(path: Path, package: Path) -> list[str]:
    """``module._name`` where ``module`` is a sadpath module imported under that name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == package.name:
            aliases |= {a.asname or a.name for a in node.names if is_module(f"{node.module}.{a.name}", package)}
        elif isinstance(node, ast.Import):
            aliases |= {a.asname for a in node.names if a.asname and a.name.split(".")[0] == package.name}
    where = path.relative_to(package.parent)
    return [
        f"{where}:{node.lineno}: uses the private name {node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in aliases
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one layer (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_layers_point_one_way():
    assert violations() == []


@pytest.mark.parametrize(
    ("planted_in", "line", "kind"),
    [
        ("engine/walker.py", "from sadpath.rules.base import Rule\n", "imports sadpath.rules.base"),
        ("engine/walker.py", "def later():\n    from sadpath.lsp import server\n", "imports sadpath.lsp"),
        ("rules/sad101_silent_except.py", "from sadpath.fixes import reraise\n", "must not know each other"),
        ("rules/sad102_bare_except.py", "from sadpath.rules import sad101_silent_except\n", "the rule sadpath.rules.sad102_bare_except imports the rule"),
        ("config.py", "from sadpath.linter import lint\n", "imports sadpath.linter"),
        ("fixes/reraise.py", "from sadpath.engine.walker import _walk_from\n", "private name _walk_from"),
        ("linter.py", "from sadpath.engine import walker\nwalker._walk_from\n", "private name walker._walk_from"),
    ],
)
def test_the_graph_check_catches_each_kind_of_violation(tmp_path, planted_in, line, kind):
    """The check above would fail on each kind of violation: planted in a scratch copy of the package."""
    import shutil

    copy = tmp_path / "sadpath"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / planted_in
    target.write_text(target.read_text(encoding="utf-8") + "\n" + line, encoding="utf-8")
    found = violations(copy)
    assert any(kind in problem for problem in found), found


def test_a_cycle_between_layers_is_caught():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_is_over_600_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}


def test_tomllib_is_imported_only_under_a_version_check():
    """The server runs on Python 3.10, which has no ``tomllib``: a module imports it only under a version check
    (falling back to ``tomli``), or takes it from ``sadpath.files`` (the bundled server under 3.10 failed to start
    on a plain top-level import)."""
    offenders = []
    for path in sorted((ROOT / "server" / "sadpath").rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module] if isinstance(node, ast.ImportFrom) else []
            if any(name and name.split(".")[0] == "tomllib" for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_every_rule_module_is_registered():
    from sadpath.registry import RULES

    registered = {rule.__module__ for rule in RULES}
    modules = {f"sadpath.rules.{p.stem}" for p in (PACKAGE / "rules").glob("sad*.py")}
    modules |= {f"sadpath.rules.{p.name}" for p in (PACKAGE / "rules").glob("sad*") if p.is_dir()}
    assert modules - registered == set(), "rule modules that the registry never runs"
    assert registered <= modules


def test_fix_kinds_are_modules_and_rules_declare_theirs():
    from sadpath import fixes
    from sadpath.registry import RULES

    kind_modules = {p.stem for p in (PACKAGE / "fixes").glob("*.py")} - set(fixes.HELPER_MODULES) - {"__init__"}
    assert set(fixes.KINDS) == kind_modules
    declared = set()
    for rule in RULES:
        for kind in rule.fix_kinds:
            assert kind in fixes.KINDS, f"{rule.code} declares the unknown fix kind {kind}"
            declared.add(kind)
    assert declared == set(fixes.KINDS), "fix kinds no rule offers"


def test_rule_findings_offer_only_their_declared_fix_kinds():
    from harness import fixtures

    from sadpath.model import Applicability

    for fixture in fixtures():
        for finding in fixture.findings():
            kinds = {offer.kind for offer in finding.fixes if offer.applicability is not Applicability.DISPLAY_ONLY}
            assert kinds <= set(fixture.rule.fix_kinds), (fixture.path.name, finding.code, kinds)


def test_the_client_settings_are_the_server_options():
    """Every VS Code setting that reaches the server is one of its options, with the same default."""
    from sadpath.lsp.options import Options, wire_names

    package = json.loads((ROOT / "client-vscode" / "package.json").read_text(encoding="utf-8"))
    properties = package["contributes"]["configuration"]["properties"]
    resolve = (ROOT / "client-vscode" / "src" / "common" / "resolve.ts").read_text(encoding="utf-8")
    sent = sorted(set(_sent_keys(resolve)))
    server_options = wire_names()
    defaults = Options()
    for key in sent:
        assert key in server_options, f"the client sends {key}, which the server does not read"
        setting = properties[f"sadpath.{key}"]
        default = getattr(defaults, server_options[key])
        expected = setting["default"]
        if key == "select" and expected == [] and default is None:
            continue  # empty means "the project's selection" on both sides
        if key in ("coverage", "configuration") and expected == "" and default is None:
            continue  # empty: no data file / the nearest pyproject.toml, on both sides
        if isinstance(default, tuple):
            default = list(default)
        assert expected == default, f"sadpath.{key}: the client's default {expected!r}, the server's {default!r}"


def test_every_client_setting_has_a_markdown_description_and_a_readme_row():
    """Settings read as Markdown in the Settings UI, and the client README's table is package.json's, generated."""
    sys.path.insert(0, str(ROOT / "client-vscode" / "scripts"))
    try:
        import settings_table
    finally:
        sys.path.pop(0)
    package = json.loads((ROOT / "client-vscode" / "package.json").read_text(encoding="utf-8"))
    properties = package["contributes"]["configuration"]["properties"]
    for name, spec in properties.items():
        assert spec.get("markdownDescription", "").strip(), f"{name} has no markdownDescription"
        assert "description" not in spec, f"{name}: a plain description shows its backticks literally"
    readme = (ROOT / "client-vscode" / "README.md").read_text(encoding="utf-8")
    assert settings_table.current(readme) == settings_table.table(package), (
        "client-vscode/README.md's settings table is out of date: run `npm run readme-settings` in client-vscode"
    )
    for name in properties:
        assert f"| `{name}` |" in readme


def _sent_keys(resolve_ts: str) -> list[str]:
    body = resolve_ts[resolve_ts.index("export function initializationOptions") :]
    body = body[: body.index("\n}\n")]
    import re

    return re.findall(r"\b(\w+): settings\.\w+", body) + re.findall(r"options\.(\w+) = settings\.\w+", body)


def test_analysis_never_loads_libcst():
    """Analysing every fixture (all rules) in a fresh interpreter leaves libcst unloaded: it is for fixes only."""
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from sadpath.linter import lint
        from sadpath.config import resolve_settings
        from sadpath.source import SourceFile
        for path in sorted(Path({str(ROOT / "tests" / "fixtures")!r}).rglob("*.py")):
            lint(SourceFile(str(path), path.read_text(encoding="utf-8")), resolve_settings(path))
        loaded = sorted(m for m in sys.modules if m == "libcst" or m.startswith("libcst."))
        print(len(loaded))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"
