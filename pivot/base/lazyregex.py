"""Library regular expressions compiled when first used instead of when the library is
imported, for patterns pivot never uses (or uses few of) and that are slow to compile.

`deferred`: `re.compile` looks a pattern up in `re`'s cache before compiling it, so a placeholder
put there for the exact text is what the library's `re.compile(text)` returns; it compiles the
pattern on its first use. The placeholder is taken out of the cache again as soon as the import
is done: any later `re.compile` of that text gets a real pattern. Where `re` keeps no such cache
(another Python), nothing is deferred and the import compiles as usual.

`install`, for the pivot program's own process: every pattern one of `LIBRARIES` compiles is a
placeholder from then on. Their imports compile some 30 patterns on the way to a run's first
stage (5 ms of 75 ms of imports): the platform module's, which click imports through uuid;
logging's and string.Template's, through concurrent.futures; gettext's plural forms; PyYAML's
resolver keeps one per implicit type, and a file needs two or three.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

_CACHES = ("_cache", "_cache2")  # Python 3.11's one cache; 3.12 and later keep a second, smaller one

LIBRARIES = frozenset({
    "platform", "gettext", "logging", "string", "yaml.resolver", "yaml.constructor", "json.encoder", "json.scanner", "click._compat",
})


class Deferred:
    """Stands in for a compiled pattern: `make()` compiles it on first use."""

    __slots__ = ("_compiled", "_make")

    def __init__(self, make: Callable[[], re.Pattern[Any]]) -> None:
        self._make = make
        self._compiled: re.Pattern[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled(), name)

    def compiled(self) -> re.Pattern[Any]:
        if self._compiled is None:
            self._compiled = self._make()
        return self._compiled


_pending: dict[str, list[Deferred]] = {}  # by library, those `install` handed out


def install() -> None:
    """From now on in this process, each pattern a module of `LIBRARIES` compiles is compiled on
    its first use (nothing where `re` has no `_compile`: another Python)."""
    real = getattr(re, "_compile", None)
    if real is None or getattr(real, "__module__", None) == __name__:
        return

    def _compile(pattern: Any, flags: Any) -> Any:
        if isinstance(pattern, Deferred):  # handed back to re (gettext: `re.finditer(pattern, text)`)
            return real(pattern.compiled(), flags)
        # Called by re.compile, re.match and the like: the frame above theirs is the caller's.
        library = sys._getframe(2).f_globals.get("__name__")
        if isinstance(pattern, str | bytes) and not flags & re.DEBUG and library in LIBRARIES:
            placeholder = Deferred(lambda: real(pattern, flags))
            _pending.setdefault(library, []).append(placeholder)
            return placeholder
        return real(pattern, flags)

    re._compile = _compile  # type: ignore[attr-defined]


def compile_pending(library: str) -> None:
    """Compile now what `library` was handed and has not used yet: for a time pivot has nothing
    else to do (a run's stages are running, and each lock it writes goes through PyYAML's
    resolver)."""
    for placeholder in _pending.pop(library, ()):
        placeholder.compiled()


@contextlib.contextmanager
def deferred(*texts: str) -> Iterator[None]:
    """While the block runs, `re.compile(text)` (no flags) returns a `Deferred` for each text."""
    cache = getattr(re, "_cache", None)
    keys = [(str, text, 0) for text in texts]
    if not isinstance(cache, dict):
        yield
        return
    for key, text in zip(keys, texts, strict=True):
        cache.setdefault(key, Deferred(_as_group(text)))
    try:
        yield
    finally:
        for name in _CACHES:
            found = getattr(re, name, None)
            for key in keys:
                if isinstance(found, dict) and isinstance(found.get(key), Deferred):
                    del found[key]


def _as_group(text: str) -> Callable[[], re.Pattern[str]]:
    # Another cache key than the placeholder's, the same matches.
    return lambda: re.compile(f"(?:{text})")
