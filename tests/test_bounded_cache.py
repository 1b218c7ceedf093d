"""engine/bounded_cache: the caches of other files' trees stay within a count and a size of source text, the
newest entry always kept; parso's cache keeps its most recently used modules."""

from __future__ import annotations

from collections import OrderedDict
from types import SimpleNamespace

from sadpath.engine.bounded_cache import evict, trim_parso_cache


def _cache(*sizes: int) -> OrderedDict:
    return OrderedDict((f"m{i}", "x" * size) for i, size in enumerate(sizes))


def test_the_oldest_entries_go_beyond_the_count():
    cache = _cache(1, 1, 1, 1)
    evict(cache, 2, 1000, len)
    assert list(cache) == ["m2", "m3"]


def test_the_oldest_entries_go_beyond_the_size_of_their_text():
    cache = _cache(400, 400, 400)
    evict(cache, 64, 900, len)
    assert list(cache) == ["m1", "m2"]


def test_the_newest_entry_stays_even_when_it_alone_is_too_large():
    cache = _cache(10, 5000)
    evict(cache, 64, 100, len)
    assert list(cache) == ["m1"]


def test_entries_without_text_count_for_nothing():
    cache = OrderedDict([("a", None), ("b", "x" * 10), ("c", None)])
    evict(cache, 64, 10, lambda v: len(v) if v is not None else 0)
    assert list(cache) == ["a", "b", "c"]


def test_parso_keeps_its_most_recently_used_modules(monkeypatch):
    import parso.cache

    modules = {f"p{i}": SimpleNamespace(last_used=i) for i in range(5)}
    monkeypatch.setattr(parso.cache, "parser_cache", {"grammar": modules})
    trim_parso_cache(2)
    assert sorted(modules) == ["p3", "p4"]
