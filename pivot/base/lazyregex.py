"""A library's module-level regular expression compiled when first used instead of when the
library is imported (`deferred`), for patterns pivot never uses and that are slow to compile.

`re.compile` looks a pattern up in `re`'s cache before compiling it, so a placeholder put there
for the exact text is what the library's `re.compile(text)` returns; it compiles the pattern on
its first use. The placeholder is taken out of the cache again as soon as the import is done:
any later `re.compile` of that text gets a real pattern. Where `re` keeps no such cache (another
Python), nothing is deferred and the import compiles as usual."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

_CACHES = ("_cache", "_cache2")  # Python 3.11's one cache; 3.12 and later keep a second, smaller one


class Deferred:
    """Stands in for `re.compile(text)` and becomes it on first use."""

    __slots__ = ("_compiled", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            # The same pattern as a group: another cache key than the placeholder's, same matches.
            self._compiled = re.compile(f"(?:{self._text})")
        return getattr(self._compiled, name)


@contextlib.contextmanager
def deferred(*texts: str) -> Iterator[None]:
    """While the block runs, `re.compile(text)` (no flags) returns a `Deferred` for each text."""
    cache = getattr(re, "_cache", None)
    keys = [(str, text, 0) for text in texts]
    if not isinstance(cache, dict):
        yield
        return
    for key, text in zip(keys, texts, strict=True):
        cache.setdefault(key, Deferred(text))
    try:
        yield
    finally:
        for name in _CACHES:
            found = getattr(re, name, None)
            for key in keys:
                if isinstance(found, dict) and isinstance(found.get(key), Deferred):
                    del found[key]
