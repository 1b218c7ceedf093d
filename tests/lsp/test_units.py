"""Unit tests of the server's pieces: option parsing, position and edit conversion."""

from __future__ import annotations

import pytest
from lsprotocol import types as t

from sadpath.lsp.convert import decode_column, encode_column, finding_data, finding_from_data, to_range
from sadpath.lsp.options import Options, parse_options
from sadpath.model import Applicability, Finding, FixOffer, Span
from sadpath.source import SourceFile


def test_defaults_and_valid_options():
    options, problems = parse_options(
        {"select": ["SAD1"], "ignore": ["silent-except"], "unsafeFixes": True, "fixAll": False, "debounceMs": 0,
         "maxFileSize": 10, "docsUrl": "https://docs.example/", "logLevel": "DEBUG", "otherTool": 1}
    )
    assert problems == []
    assert options == Options(
        select=("SAD1",), ignore=("silent-except",), unsafe_fixes=True, fix_all=False, debounce_ms=0,
        max_file_size=10, docs_url="https://docs.example/", log_level="debug",
    )
    assert parse_options(None) == (Options(), [])


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"debounceMs": -1}, "debounceMs"),
        ({"debounceMs": "fast"}, "debounceMs"),
        ({"maxFileSize": 0}, "maxFileSize"),
        ({"select": "SAD101"}, "select"),
        ({"select": ["SAD999"]}, "select"),
        ({"unsafeFixes": "yes"}, "unsafeFixes"),
        ({"logLevel": "loud"}, "logLevel"),
        ({"docsUrl": 3}, "docsUrl"),
    ],
)
def test_invalid_values_fall_back_and_name_the_key(raw, key):
    options, problems = parse_options(raw)
    (problem,) = problems
    assert problem.startswith(f"{key}:")
    assert options == Options()


def test_settings_nested_under_sadpath():
    options, _ = parse_options({"sadpath": {"debounceMs": 5}})
    assert options.debounce_ms == 5


def test_not_an_object():
    options, problems = parse_options(["x"])
    assert options == Options() and "must be an object" in problems[0]


LINE = "s = 'é🎉日'; raise ValueError(s)"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        (t.PositionEncodingKind.Utf16, LINE.index("raise") + 1),  # the emoji is two UTF-16 units
        (t.PositionEncodingKind.Utf8, len(LINE[: LINE.index("raise")].encode())),
        (t.PositionEncodingKind.Utf32, LINE.index("raise")),
    ],
)
def test_columns_in_every_encoding(encoding, expected):
    source = SourceFile("u.py", LINE + "\n")
    column = LINE.index("raise")
    assert encode_column(source, 1, column, encoding) == expected
    assert decode_column(source, 1, expected, encoding) == column


def test_range_past_the_end_of_the_text():
    source = SourceFile("x.py", "a = 1\n")
    rng = to_range(source, Span(1, 0, 2, 0), t.PositionEncodingKind.Utf16)
    assert rng == t.Range(start=t.Position(0, 0), end=t.Position(1, 0))


def test_finding_round_trips_through_diagnostic_data():
    finding = Finding(
        "SAD103", "unchained-translation", Span(3, 4, 3, 20), "m",
        fixes=(FixOffer("chain_cause", "Chain", Applicability.SAFE),), data={"binding": "exc"},
    )
    rebuilt = finding_from_data(finding_data(finding, 7), "m")
    assert rebuilt.fixes == finding.fixes and rebuilt.span == finding.span and rebuilt.data == finding.data
    assert finding_from_data({"code": "SAD103"}) is None
    assert finding_from_data("junk") is None
