"""A SAD103 finding does not depend on which other rules run: it gives way to SAD102 only on a handler whose
SAD102 finding itself asks for ``from``. A bare ``except:`` SAD102 leaves alone (``# noqa: E722``), or one nested
in a reported handler whose message says nothing about the cause, keeps its SAD103 finding when SAD102 runs too
(the services sample runs ``--select SAD1,SAD2``; a ``--select SAD103`` run saw these findings, it did not)."""

from __future__ import annotations

import pytest

from sadpath.config import resolve_settings
from sadpath.engine import analyze
from sadpath.registry import BY_SLUG
from sadpath.source import SourceFile

DECLARED = '''
import json


def validate_result(value):
    try:
        data = json.loads(value)
    except:  # noqa: E722
        raise ValueError("annotation result can't be parsed from str to JSON")
    return data
'''

NESTED = '''
from decimal import Decimal


def parse_price(text, field, client):
    try:
        price = field.to_python(text)
    except:
        try:
            price = Decimal(client.lookup_price(text))
        except:
            raise ValueError("price_not_a_number")
    return price
'''

# round 11: a parse of a local value turned into an outcome code: quiet, SAD102's bare ``except:`` is the finding
PARSE_CODE = NESTED.replace("Decimal(client.lookup_price(text))", "Decimal(text)")

TRANSLATES = '''
class ThumbnailError(Exception):
    pass


def load(image):
    try:
        image.load()
    except:
        raise ThumbnailError("Could not load image")
'''

BARE = BY_SLUG["bare-except"]
UNCHAINED = BY_SLUG["unchained-translation"]


def _found(tmp_path, code, rules):
    path = tmp_path / "pkg" / "mod.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(code, encoding="utf-8")
    findings = analyze(SourceFile(str(path), code), resolve_settings(path), rules).findings
    return sorted((f.code, f.span.line) for f in findings)


@pytest.mark.parametrize("code, line", [(DECLARED, 9), (NESTED, 12)], ids=["noqa-E722", "nested-in-reported"])
def test_sad103_fires_whether_or_not_sad102_runs(tmp_path, code, line):
    alone = [f for f in _found(tmp_path, code, [UNCHAINED])]
    together = [f for f in _found(tmp_path, code, [BARE, UNCHAINED]) if f[0] == "SAD103"]
    assert alone == [("SAD103", line)]
    assert together == alone


def test_one_finding_when_sad102_asks_for_from(tmp_path):
    assert _found(tmp_path, TRANSLATES, [BARE, UNCHAINED]) == [("SAD102", 9)]
    assert _found(tmp_path, TRANSLATES, [UNCHAINED]) == [("SAD103", 10)]


def test_parse_outcome_code_is_quiet_whether_or_not_sad102_runs(tmp_path):
    assert _found(tmp_path, PARSE_CODE, [UNCHAINED]) == []
    assert [f for f in _found(tmp_path, PARSE_CODE, [BARE, UNCHAINED]) if f[0] == "SAD103"] == []
