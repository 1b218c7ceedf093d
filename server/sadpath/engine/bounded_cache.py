"""Bounds for the caches of other modules' parsed files (``project_files``, ``reexports``, ``project_calls``) and
for the trees jedi keeps (parso's cache).

A cache is an ``OrderedDict`` used least-recently-used first. ``evict`` drops its oldest entries until at most
``max_items`` are left and the source text they hold adds up to at most ``max_chars``: a parsed tree costs about
30 bytes a character of its source, so a count alone lets a few very large files (a generated module, a vendored
library) hold hundreds of megabytes through a long run or an editor session. The newest entry always stays: the
caller is about to use it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

__all__ = ["evict", "trim_parso_cache"]

V = TypeVar("V")


def evict(cache: OrderedDict[object, V], max_items: int, max_chars: int, chars_of: Callable[[V], int]) -> None:
    """Drop the least recently used entries of ``cache`` beyond ``max_items``, or beyond ``max_chars`` of source
    text (``chars_of(value)``: the length of the source an entry holds, 0 for an entry that holds none)."""
    size = sum(chars_of(value) for value in cache.values())
    while len(cache) > 1 and (len(cache) > max_items or size > max_chars):
        size -= chars_of(cache.popitem(last=False)[1])


def trim_parso_cache(keep: int) -> None:
    """Keep the ``keep`` most recently used of the modules jedi parsed (parso's own cache drops them only after
    10 minutes, so a long run would hold every module jedi ever read)."""
    try:
        from parso.cache import parser_cache

        for modules in parser_cache.values():
            if len(modules) > keep:
                for path, _ in sorted(modules.items(), key=lambda item: item[1].last_used)[: len(modules) - keep]:
                    del modules[path]
    except (ImportError, AttributeError, TypeError):  # another parso: its cache is left as it is
        return
