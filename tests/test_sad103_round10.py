"""SAD103 round 10: the advice fits the shape.

- a wrapper that re-raises the caught error as the same or a more generic builtin class with only its text
  (``raise Exception(f"{e}")``) is told to use a bare ``raise``, and its fix writes one (unsafe: callers now see
  the caught error's own class);
- a one-call ``try`` whose caught error is a single-meaning signal (``asyncio.get_running_loop()``'s
  ``RuntimeError``, ``next(it)``'s ``StopIteration``) restated by the new message is told ``from None``, with no fix;
- everything else keeps ``from exc`` and its safe fix."""

from __future__ import annotations

import ast

import pytest

from sadpath.fixes import apply_edits, build_fix
from sadpath.linter import lint
from sadpath.model import Applicability
from sadpath.settings import Settings
from sadpath.source import SourceFile


def _findings(text: str):
    source = SourceFile("svc/mod.py", text)
    return source, [f for f in lint(source, Settings()).findings if f.code == "SAD103"]


REWRAP = '''
async def run(load, request, payload):
    try:
        filters = await load(request)
        for f in filters:
            payload = await f(payload)
    except Exception as e:
        raise {raised}
    return payload
'''


@pytest.mark.parametrize("raised", ['Exception(f"{e}")', "Exception(str(e))", "Exception(e)", "BaseException(repr(e))", 'Exception("%s" % e)'])
def test_generic_rewrap_asks_for_a_bare_raise(raised):
    source, findings = _findings(REWRAP.format(raised=raised))
    assert len(findings) == 1
    finding = findings[0]
    assert "bare `raise`" in finding.message and "from e` would keep that wrapper" in finding.message
    (offer,) = finding.fixes
    assert offer.title == "Re-raise the caught error unchanged: bare `raise`"
    assert offer.applicability is Applicability.UNSAFE
    fix = build_fix(source, finding, offer, Settings())
    fixed = apply_edits(source.text, fix.edits)
    ast.parse(fixed)
    # the handler would hold a lone ``raise``: the try goes, and the body runs unwrapped (fix review round 11, #21)
    assert "try:" not in fixed and "except" not in fixed
    assert "    filters = await load(request)\n" in fixed
    assert "from e" not in fixed


def test_builtin_base_of_the_caught_class_is_a_rewrap():
    _, findings = _findings(
        "def get(settings, key):\n    try:\n        return settings.lookup(key).value\n"
        "    except KeyError as exc:\n        raise LookupError(exc)\n"
    )
    assert len(findings) == 1 and "plain `LookupError`" in findings[0].message


@pytest.mark.parametrize(
    "handler",
    [
        'except Exception as e:\n        raise Exception(f"filter failed: {e}")',  # a message of its own
        "except Exception as e:\n        raise FilterError(str(e))",  # a project class
        "except OSError as e:\n        raise FileNotFoundError(str(e))",  # narrower than the caught class
        "except KeyError as e:\n        raise Exception(str(e), 1)",  # more than the error
    ],
)
def test_other_translations_keep_from(handler):
    text = (
        "class FilterError(Exception):\n    pass\n\n\n"
        f"def run(load, request):\n    try:\n        return load(request).apply()\n    {handler}\n"
    )
    _, findings = _findings(text)
    assert len(findings) == 1
    assert "bare `raise`" not in findings[0].message
    assert findings[0].fixes[0].title.startswith("Chain the cause: add `from")
    assert findings[0].fixes[0].applicability is Applicability.SAFE


def test_shadowed_exception_name_is_not_a_rewrap():
    text = (
        "from errors import Exception\n\n\n"
        "def run(load, request):\n    try:\n        return load(request).apply()\n"
        "    except ValueError as e:\n        raise Exception(str(e))\n"
    )
    _, findings = _findings(text)
    assert all("bare `raise`" not in f.message for f in findings)


SIGNAL = '''
import asyncio


class Worker:
    def __init__(self):
        try:
            {body}
        except RuntimeError:
            raise RuntimeError({message!r})
'''


def test_running_loop_signal_asks_for_from_none():
    _, findings = _findings(SIGNAL.format(body="asyncio.get_running_loop()", message="Worker must be created inside an async context."))
    assert len(findings) == 1
    assert "Add `from None`" in findings[0].message and "no event loop is running" in findings[0].message
    assert not findings[0].fixes


@pytest.mark.parametrize(
    "body, message",
    [
        ("self.loop = asyncio.get_running_loop(); self.queue = make_queue(self.loop)", "must be created inside an async context"),
        ("asyncio.get_running_loop()", "worker state is corrupt"),  # the message says something else
        ("start_worker()", "must be created inside an async context"),  # not a single-meaning signal
    ],
)
def test_other_runtime_errors_keep_from(body, message):
    _, findings = _findings(SIGNAL.format(body=body, message=message))
    assert len(findings) == 1
    assert "from None" not in findings[0].message and "add `from exc`" in findings[0].message


@pytest.mark.parametrize(
    "call, quiet_words",
    [("next(rows)", True), ("next(r for r in rows if r.ok)", True), ("next(load_rows())", False), ("next(rows, None)", False)],
)
def test_next_signal(call, quiet_words):
    text = (
        "def first(rows, load_rows):\n    try:\n"
        f"        row = {call}\n"
        "    except StopIteration:\n        raise ValueError('the export is empty: no rows')\n    return row\n"
    )
    _, findings = _findings(text)
    assert len(findings) == 1
    assert ("Add `from None`" in findings[0].message) is quiet_words
