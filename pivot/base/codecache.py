"""The compiled code of the methods dataclasses writes for pivot's own classes, kept beside
pivot's bytecode so that each command does not compile it again.

dataclasses writes each class's `__init__`, `__repr__`, `__eq__`, `__hash__` and (frozen)
`__setattr__`/`__delattr__` as source text and compiles it when the class is made: about 500
compilations, a third of the time pivot takes to import what a run needs (about 30 of 100 ms on
every command). The compiled code depends on that text alone, so it is kept as Python keeps
bytecode: in `pivot/__pycache__/`, valid for this interpreter's bytecode format (as a .pyc is),
not written when Python is told not to write bytecode, recompiled whenever the text is not
found or the file cannot be read.

dataclasses calls `exec` by its name, which it looks up in its own module before the builtins;
`install` puts a caching `exec` there, which compiles only text made for a class of pivot's
(the caller's classes are compiled as usual, never stored), and passes anything else through.

Importing dataclasses (with inspect, ast and dis) and reading the file take some 15 ms, and the
`pivot` program starts its fork server before either is needed (pivot.program). So `install`
only asks to be told when dataclasses is imported, and the file is read when the first of pivot's
classes is made.
"""

from __future__ import annotations

import atexit
import builtins
import marshal
import os
import sys
import types
from importlib import _bootstrap_external  # (importlib.util imports much more)

TYPE_CHECKING = False  # (typing itself is not imported before the fork server starts)
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from typing import Any

# Valid for the bytecode format, as a .pyc is: interpreters of one minor version that share a
# checkout (two venvs, 3.11.2 and 3.11.7) share the file instead of each rewriting it for itself.
_KEY: bytes = _bootstrap_external.MAGIC_NUMBER
_MAX_KEPT = 3000  # entries; beyond that only those this process used are written back
_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "__pycache__", f"dataclasses.{sys.implementation.cache_tag}.marshal")

# Text -> its code, kept marshalled until a class needs it: a command makes a few hundred of the
# thousand or so classes the file has seen, and unmarshalling all of them cost 3 ms of each start.
_stored: dict[str, types.CodeType | bytes] = {}
_used: set[str] = set()
_added = False
_loaded = False  # whether the file was read into _stored


def install() -> None:
    """Have dataclasses compile pivot's generated methods through the cache (once per process):
    now if it is imported already, else as it is imported."""
    dataclasses = sys.modules.get("dataclasses")
    if dataclasses is not None:
        dataclasses.exec = _exec  # type: ignore[attr-defined]
    elif _Patcher not in sys.meta_path:
        sys.meta_path.insert(0, _Patcher)


class _Patcher:
    """A finder of dataclasses alone: the standard one finds it, and its module gets the caching
    `exec` as soon as it has run. A dataclasses that finder does not find (an unusual
    interpreter) is imported as usual and compiles as usual."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name != "dataclasses":
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        run = spec.loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            if _Patcher in sys.meta_path:  # (not while the import system walks the list)
                sys.meta_path.remove(_Patcher)
            run(module)
            module.exec = _exec  # type: ignore[attr-defined]

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _exec(source: Any, globals: dict[str, Any] | None = None, locals: Any = None, /) -> None:
    if isinstance(source, str) and globals is not None and str(globals.get("__name__", "")).startswith("pivot."):
        source = _compiled(source)
    builtins.exec(source, globals, locals)


def _compiled(text: str) -> types.CodeType:
    global _added, _loaded
    if not _loaded:
        _loaded = True
        _stored.update({key: code for key, code in _read().items() if key not in _stored})
    _used.add(text)
    code = _stored.get(text)
    if isinstance(code, bytes):
        code = _unmarshalled(code)
        if code is not None:
            _stored[text] = code
    if code is None:
        # As exec compiles text from dataclasses' own frame, which has no __future__ flags.
        code = _stored[text] = compile(text, "<string>", "exec", dont_inherit=True)
        if not _added:
            _added = True
            atexit.register(_write)
    return code


def _unmarshalled(data: bytes) -> types.CodeType | None:
    try:
        code = marshal.loads(data)
    except Exception:  # a damaged entry: compiled anew
        return None
    return code if isinstance(code, types.CodeType) else None


def _read() -> dict[str, types.CodeType | bytes]:
    try:
        with open(_PATH, "rb") as handle:
            key, entries = marshal.loads(handle.read())  # marshal.load(file) reads object by object: 5x slower
    except Exception:  # absent, damaged, or another format: compiled as usual
        return {}
    return entries if key == _KEY and isinstance(entries, dict) else {}


def _write() -> None:
    """At exit, when this process compiled something new: the file with it (best effort)."""
    if sys.dont_write_bytecode:
        return
    kept = _stored if len(_stored) <= _MAX_KEPT else {text: _stored[text] for text in _used}
    entries = {text: code if isinstance(code, bytes) else marshal.dumps(code) for text, code in kept.items()}
    tmp = f"{_PATH}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(_PATH), exist_ok=True)
        with open(tmp, "wb") as handle:
            marshal.dump((_KEY, entries), handle)
        os.replace(tmp, _PATH)  # readers see the old file or the new one, never half of one
    except OSError:  # a read-only install: every command compiles, as without the cache
        import contextlib  # (only at exit: not among what `import pivot` imports)

        with contextlib.suppress(OSError):
            os.unlink(tmp)
