"""SAD102's advice for dict navigation names AttributeError when the block calls a method of a value it looked
up (``details = pi["x"]["y"]`` then ``details.get(...)``): a JSON None there raises it, and advice leaving it
out would turn the fallback into a crash. A plain subscript chain keeps the lookup errors only."""

from pathlib import Path

from sadpath.config import resolve_settings
from sadpath.engine import analyze
from sadpath.registry import BY_SLUG
from sadpath.source import SourceFile

SHAPES = Path(__file__).parent / "fixtures" / "SAD102_bare-except" / "review27_shapes.py"


def test_advice_names_attribute_error_only_where_a_looked_up_value_is_used():
    text = SHAPES.read_text(encoding="utf-8")
    findings = analyze(SourceFile(str(SHAPES), text), resolve_settings(SHAPES), [BY_SLUG["bare-except"]]).findings
    by_line = {f.span.line: f.message for f in findings}
    assert "(`KeyError`, `TypeError`, `AttributeError`)" in by_line[15]
    assert "`KeyError`" in by_line[24] and "AttributeError" not in by_line[24]
