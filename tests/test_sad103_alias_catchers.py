"""SAD103 finds a signal's catchers under the names other modules bind them to: a caller that imports the raising
function under an alias (``from aliasapp.utils.chat import completed as completed_handler``), a handler that
names the project's class under an alias (``from aliasapp.errors import QuotaExceeded as Quota``), in a package
whose subfolder has no ``__init__.py`` (``aliasapp/utils/``). Quiet where every such catcher answers or shows
the message; reported where one logs the traceback."""

from pathlib import Path

from sadpath.config import resolve_settings
from sadpath.engine import analyze
from sadpath.registry import BY_SLUG
from sadpath.source import SourceFile

CHAT = Path(__file__).parent / "fixtures" / "SAD103_unchained-translation" / "aliasapp" / "aliasapp" / "utils" / "chat.py"


def test_aliased_callers_and_handlers_are_followed():
    text = CHAT.read_text(encoding="utf-8")
    findings = analyze(SourceFile(str(CHAT), text), resolve_settings(CHAT), [BY_SLUG["unchained-translation"]]).findings
    expected = {n for n, line in enumerate(text.splitlines(), 1) if "# error:" in line}
    assert {f.span.line for f in findings} == expected == {24, 41}


HOOKS = Path(__file__).parent / "fixtures" / "SAD103_unchained-translation" / "attribute_hooks.py"


def test_unnamed_attribute_error_is_asked_for_the_name():
    text = HOOKS.read_text(encoding="utf-8")
    findings = analyze(SourceFile(str(HOOKS), text), resolve_settings(HOOKS), [BY_SLUG["unchained-translation"]]).findings
    by_line = {f.span.line: f.message for f in findings}
    assert "`AttributeError(item) from None`" in by_line[15]
    assert "`AttributeError(key) from None`" in by_line[26]
    assert "Add `from None` to drop it" in by_line[37] and "AttributeError(key)" not in by_line[37]
