"""The bytecode of the user's modules checked against their source, not their source's mtime.

Python trusts a module's `.pyc` while the source's size and modification time, in whole seconds,
are those it was compiled from: an edit in the same second that keeps the size (`lr = 0.1` ->
`lr = 0.2`) is served from the old bytecode, although pivot, comparing the source's digest, knows
the stage changed and imports its module again. So each of the project's modules pivot has
imported gets a `.pyc` that Python checks against a hash of the source on every import (PEP 552's
checked hash-based pycs, which Python keeps writing that way once a module has one). Nothing is
written where Python writes no bytecode.
"""

from __future__ import annotations

import sys

from pivot.base.importing import is_project_module

_CHECKED = 0b11  # the flags of a checked hash-based pyc (PEP 552)
_seen: set[str] = set()  # module names looked at in this process
_count = 0  # how many modules sys.modules held when they were last looked at


def seal(root: str) -> None:
    """Give each module imported so far from the project at `root` a hash-checked .pyc (once per
    module and process; nothing to look at while no module was imported or forgotten since: a
    worker asks after every stage)."""
    global _count
    if sys.dont_write_bytecode or len(sys.modules) == _count:
        return
    _count = len(sys.modules)
    for name, module in list(sys.modules.items()):
        if name in _seen:
            continue
        _seen.add(name)
        source, cached = getattr(module, "__file__", None), getattr(module, "__cached__", None)
        if isinstance(source, str) and isinstance(cached, str) and source.endswith(".py") and is_project_module(source, root):
            _seal(source, cached)


def forget(names: set[str]) -> None:
    """Modules dropped from sys.modules: looked at again when they are imported again."""
    global _count
    _seen.difference_update(names)
    _count = 0


def _seal(source: str, cached: str) -> None:
    try:
        with open(cached, "rb") as handle:
            flags = int.from_bytes(handle.read(16)[4:8], "little")
    except OSError:
        flags = 0  # none yet (a module Python could not write one for): one is made now
    if flags & _CHECKED == _CHECKED:
        return
    import contextlib
    import py_compile

    # Compiled from the source as it is now, written atomically; a read-only tree or a module
    # Python cannot compile is left as Python left it.
    with contextlib.suppress(OSError, py_compile.PyCompileError):
        py_compile.compile(source, cfile=cached, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH, doraise=True)
