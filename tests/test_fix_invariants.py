"""The fix invariants, enforced over every fixture: each offered fix builds, parses, removes its
finding, declares the applicability its rule declares, and applying fixes again changes nothing.

Then every fix together (``sadpath check --fix --unsafe-fixes``) over the fixtures, ``examples/`` and
``bench/quality/cases/``, with the checks of ``bench/fix_sweep.py``, and ``examples/`` imported after it."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import sys

import pytest

from harness import ROOT, fixtures
from sadpath.commands.check import fix_text
from sadpath.config import resolve_settings
from sadpath.linter import lint_fix
from sadpath.model import Applicability
from sadpath.fixes import apply_edits, build_fix
from sadpath.source import SourceFile

FIXTURES = fixtures()


def _cases():
    for fixture in FIXTURES:
        for finding in fixture.findings():
            for offer in finding.fixes:
                if offer.applicability is Applicability.DISPLAY_ONLY:
                    continue  # advice only: never built or applied (checked below)
                yield pytest.param(fixture, finding, offer, id=f"{fixture.id}:{finding.span.line}:{offer.kind}")


@pytest.mark.parametrize(("fixture", "finding", "offer"), list(_cases()))
def test_fix_builds_parses_and_removes_its_finding(fixture, finding, offer):
    assert offer.applicability in fixture.rule.fix_applicabilities
    source = SourceFile(str(fixture.path), fixture.text)
    fix = build_fix(source, finding, offer, fixture.settings)  # offered means it must build
    assert fix.applicability is offer.applicability
    fixed = apply_edits(source.text, fix.edits)
    ast.parse(fixed)
    before = [f for f in fixture.findings() if f.code == finding.code]
    after = [f for f in fixture.findings(fixed) if f.code == finding.code]
    assert len(after) == len(before) - 1, f"{offer.kind} did not remove exactly its finding"
    anchor_text = source.line(finding.span.line).strip()
    remaining = {SourceFile("x", fixed).line(f.span.line).strip() for f in after}
    if sum(1 for f in before if source.line(f.span.line).strip() == anchor_text) == 1:
        assert anchor_text not in remaining


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_fix_all_is_idempotent_and_parses(fixture, unsafe):
    once, applied = fix_text(str(fixture.path), fixture.text, fixture.settings, unsafe)
    ast.parse(once)
    twice, again = fix_text(str(fixture.path), once, fixture.settings, unsafe)
    assert twice == once and again == 0
    if unsafe:
        def applicable(finding):
            return any(o.applicability is not Applicability.DISPLAY_ONLY for o in finding.fixes)

        fixable = [f for f in fixture.findings() if applicable(f)]
        assert applied >= 1 if fixable else applied == 0
        leftover = [f for f in fixture.findings(once) if applicable(f)]
        assert not leftover, [f.message for f in leftover]


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
def test_display_only_offers_are_advice(fixture):
    for finding in fixture.findings():
        for offer in finding.fixes:
            if offer.applicability is Applicability.DISPLAY_ONLY:
                assert offer.applicability in fixture.rule.fix_applicabilities
                assert len(offer.title) > 20, "a display-only offer must name the remedy"


# ---- every fix together (`sadpath check --fix --unsafe-fixes`), over the fixtures, examples/ and the benchmark

EXAMPLES = ROOT / "examples"
CASES = ROOT / "bench" / "quality" / "cases"
IMPORT_CHECK = ROOT / "tests" / "import_with_stubs.py"

# Files where a rule, not a fix, breaks an invariant: the rule's owner fixes the rule, then this entry goes
# (strict: the test fails once the file passes, so the entry cannot outlive its cause).
RULE_CAUSED: dict[str, str] = {}


def _load_sweep():
    spec = importlib.util.spec_from_file_location("sadpath_fix_sweep", ROOT / "bench" / "fix_sweep.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


SWEEP = _load_sweep()


def _swept_files():
    by_path = {fixture.path: fixture for fixture in FIXTURES}
    paths = [*by_path, *sorted(EXAMPLES.rglob("*.py")), *sorted(CASES.rglob("*.py"))]
    for path in paths:
        rel = path.relative_to(ROOT).as_posix()
        marks = [pytest.mark.xfail(strict=True, reason=RULE_CAUSED[rel])] if rel in RULE_CAUSED else []
        yield pytest.param(path, by_path.get(path), id=rel, marks=marks)


@pytest.mark.parametrize(("path", "fixture"), list(_swept_files()))
def test_all_fixes_together_keep_the_invariants(path, fixture):
    """The file fixed with every fix parses, has no new pyflakes warning, leaves no finding that still offers
    a fix and none that a fix created (required-log-fields and contracts included), and a second run changes
    nothing."""
    settings = fixture.settings if fixture is not None else resolve_settings(path)
    result = SWEEP.check_text(str(path), path.read_text(encoding="utf-8"), settings)
    assert result.problems == []


def test_the_sweep_sees_what_a_bad_fix_would_do():
    """The checks can fail: a new undefined name or unused binding (line numbers aside), a finding more in a
    function, and a run of three blank lines are each reported."""
    from sadpath.linter import lint

    before = "import requests\n\n\ndef f():\n    try:\n        requests.get('u', timeout=1)\n    except Exception as e:\n        raise\n"
    after = before.replace("        raise\n", "        raise ServiceError('x') from None\n")
    assert SWEEP.pyflakes_warnings(after, "x.py") - SWEEP.pyflakes_warnings(before, "x.py") == {
        "UndefinedName: undefined name 'ServiceError'": 1
    }
    moved = "\n\n" + before
    assert not SWEEP.pyflakes_warnings(moved, "x.py") - SWEEP.pyflakes_warnings(before, "x.py")
    quiet = "def f(api):\n    api.push()\n"
    swallowing = "def f(api):\n    try:\n        api.push()\n    except Exception:\n        pass\n"
    created = SWEEP.finding_keys(lint(SourceFile("x.py", swallowing))) - SWEEP.finding_keys(lint(SourceFile("x.py", quiet)))
    assert created == {"SAD101 in f": 1}
    assert SWEEP._blank_runs("x = 1\n\n\n\ny = 2\n") == 1 and SWEEP._blank_runs("x = 1\n\n\ny = 2\n") == 0


def _fixed_examples(target):
    shutil.copytree(EXAMPLES, target)
    settings = resolve_settings(EXAMPLES / "orders_service" / "app.py")
    for path in sorted((EXAMPLES / "orders_service").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        fixed, _ = lint_fix(SourceFile(str(path), text), settings, True)
        (target / "orders_service" / path.name).write_text(fixed, encoding="utf-8")
    return target


def _imports(root):
    return subprocess.run(
        [sys.executable, str(IMPORT_CHECK), str(root), "orders_service"], capture_output=True, text=True, timeout=120
    )


def test_examples_import_after_every_fix(tmp_path):
    done = _imports(_fixed_examples(tmp_path / "fixed"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith(" imported, 0 failed")


def test_the_import_check_fails_on_a_class_used_before_it_is_defined(tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(EXAMPLES, broken)
    worker = broken / "orders_service" / "worker.py"
    text = worker.read_text(encoding="utf-8")
    worker.write_text(text.replace("logger = logging", "class WorkerNotFound(WorkerError):\n    pass\n\n\nlogger = logging", 1), encoding="utf-8")
    done = _imports(broken)
    assert done.returncode == 1 and "orders_service.worker: import failed" in done.stdout
