"""The knowledge base's schema: every entry well-formed, every base and alias known, no cycles."""

from __future__ import annotations

import pytest

from sadpath.knowledge import FAILURE_MODES, KnowledgeError, _parse_hierarchy, exception_hierarchy


def test_every_base_and_alias_target_is_known():
    hierarchy = exception_hierarchy()
    for name, info in hierarchy.exceptions.items():
        for base in info.bases:
            assert hierarchy.canonical(base) in hierarchy.exceptions, f"{name}: unknown base {base}"
        assert set(info.modes) <= FAILURE_MODES
    for alias, target in hierarchy.aliases.items():
        assert hierarchy.canonical(target) in hierarchy.exceptions, f"alias {alias} -> unknown {target}"
    for name in hierarchy.expected:
        assert hierarchy.canonical(name) in hierarchy.exceptions, f"expected name {name} is unknown"


def test_every_exception_reaches_base_exception_without_cycles():
    hierarchy = exception_hierarchy()
    for name in hierarchy.exceptions:
        chain = hierarchy.ancestors(name)
        assert chain[-1] == "BaseException" or "BaseException" in chain, name
        assert len(chain) == len(set(chain))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"exceptions": {"X": "nope"}}, "must be a table"),
        ({"exceptions": {"X": {"bases": "Exception"}}}, "bases must be a list of strings"),
        ({"exceptions": {"X": {"modes": ["melting"]}}}, "unknown mode(s) ['melting']"),
        ({"exceptions": {"X": {"parents": []}}}, "unknown key(s) ['parents']"),
        ({"aliases": {"a": 1}}, "[aliases] must map names to names"),
    ],
)
def test_malformed_entries_are_clear_errors(data, message):
    with pytest.raises(KnowledgeError) as raised:
        _parse_hierarchy(data, "ext.toml")
    assert message in str(raised.value) and "ext.toml" in str(raised.value)
