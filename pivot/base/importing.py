"""Importing the user's code by reference, kept free of heavy imports: worker processes use it
too, and every millisecond here is paid by each worker at start-up.

Python trusts a module's `.pyc` while the source's size and modification time, in whole seconds,
are those it was compiled from: an edit in the same second that keeps the size (`lr = 0.1` ->
`lr = 0.2`) is served from the old bytecode, although pivot, comparing the source's digest, knows
the stage changed and imports its module again. So each of the project's modules pivot has
imported gets a `.pyc` that Python checks against a hash of the source on every import
(`seal_bytecode`: PEP 552's checked hash-based pycs, which Python keeps writing that way once a
module has one). Nothing is written where Python writes no bytecode.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
from typing import Any


def name_main_module() -> None:
    """multiprocessing re-runs a main *script* in every worker forked from a fork server (for the
    `pivot` console script: importing the whole CLI again, per worker), but never a package's
    `__main__` module. Naming the console script as `pivot.__main__`, which it is in all but name,
    spares each worker that import."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None:
        main.__spec__ = importlib.util.find_spec("pivot.__main__")


def main_is_pivot() -> bool:
    """Whether this process is the pivot program: its main module is pivot's own guarded entry
    point (`pivot`, `python -m pivot`), never a user's script."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return getattr(spec, "name", None) == "pivot.__main__"


def import_object(ref: str) -> Any:
    """`module:qualname` -> the object."""
    module_name, _, qualname = ref.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


_roots: set[str] = set()  # project roots this process imported user modules from


def prepare_imports(root: Any) -> None:
    """Put the project root first on sys.path and forget every module imported from this or an
    earlier project, so a long-lived process (tests, a notebook) sees the files as they are now
    and never reuses another project's `stages` module."""
    root_str = os.fspath(root)
    for known in _roots | {root_str}:
        forget(known, keep_on_path=known == root_str)
    _roots.clear()
    _roots.add(root_str)
    put_on_path(root_str)


def forget(root: str, *, keep_on_path: bool = False) -> None:
    """Drop every module imported from the project at `root` (the next import reads the files
    again); unless kept, the root and its `src/` leave sys.path too."""
    global _modules_seen
    for name, module in list(sys.modules.items()):
        if name in _NEVER_FORGET or name == "pivot" or name.startswith("pivot."):
            continue
        if is_project_module(getattr(module, "__file__", None), root):
            del sys.modules[name]
            _sealed.discard(name)  # looked at again when it is imported again
            _modules_seen = 0
    if not keep_on_path:
        for entry in (root, os.path.join(root, "src")):
            while entry in sys.path:
                sys.path.remove(entry)
    importlib.invalidate_caches()


def put_on_path(root: str) -> None:
    """The project root first on sys.path, then its `src/` when it has one (the src layout)."""
    wanted = [root, *([os.path.join(root, "src")] if os.path.isdir(os.path.join(root, "src")) else [])]
    if sys.path[: len(wanted)] != wanted:
        for entry in wanted:
            while entry in sys.path:
                sys.path.remove(entry)
        sys.path[:0] = wanted


def current_root() -> str | None:
    """The project whose modules were imported last."""
    return next(iter(_roots), None)


# The running program itself: `pivot` started as `../../.venv/bin/pivot` from inside the project
# has a __file__ that starts with the project root, yet it is no module of the project.
_NEVER_FORGET = frozenset({"__main__", "__mp_main__"})


def is_project_module(path: str | None, root: str) -> bool:
    """Whether a module file belongs to the user's project (not to a venv inside it)."""
    if not path:
        return False
    prefix = _prefix(os.fspath(root))
    if path[:1] == "/" and "/." not in path and not path.startswith(prefix):
        return False  # the common case, thousands of times per load: no abspath needed
    path = os.path.abspath(path)  # "proj/../.venv/bin/pivot" is not inside proj
    if not path.startswith(prefix):
        return False
    return "site-packages" not in path and "dist-packages" not in path


@functools.lru_cache(maxsize=64)
def _prefix(root: str) -> str:
    return os.path.abspath(root).rstrip("/") + "/"


_CHECKED = 0b11  # the flags of a checked hash-based pyc (PEP 552)
_sealed: set[str] = set()  # module names `seal_bytecode` looked at in this process
_modules_seen = 0  # how many modules sys.modules held when they were last looked at


def seal_bytecode(root: str) -> None:
    """Give each module imported so far from the project at `root` a hash-checked .pyc (once per
    module and process; nothing to look at while no module was imported or forgotten since: a
    worker asks after every stage)."""
    global _modules_seen
    if sys.dont_write_bytecode or len(sys.modules) == _modules_seen:
        return
    _modules_seen = len(sys.modules)
    for name, module in list(sys.modules.items()):
        if name in _sealed:
            continue
        _sealed.add(name)
        source, cached = getattr(module, "__file__", None), getattr(module, "__cached__", None)
        if isinstance(source, str) and isinstance(cached, str) and source.endswith(".py") and is_project_module(source, root):
            _seal(source, cached)


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
