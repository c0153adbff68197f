"""The compiled code of the methods dataclasses writes for pivot's own classes, kept beside
pivot's bytecode so that each command does not compile it again.

dataclasses writes each class's `__init__`, `__repr__`, `__eq__`, `__hash__` and (frozen)
`__setattr__`/`__delattr__` as source text and compiles it when the class is made: about 500
compilations, a third of the time pivot takes to import what a run needs (about 30 of 100 ms on
every command). The compiled code depends on that text alone, so it is kept as Python keeps
bytecode: in `pivot/__pycache__/`, valid for this interpreter's bytecode format (as a .pyc is),
not written when Python is told not to write bytecode, recompiled whenever the text is not
found or the file cannot be read. The file is indexed by a digest of each text, and mapped: a
command reads the index and the codes of the classes it makes, not the whole file.

dataclasses calls `exec` by its name, which it looks up in its own module before the builtins;
`install` puts a caching `exec` there, which compiles only text made for a class of pivot's
(the caller's classes are compiled as usual, never stored), and passes anything else through.

Importing dataclasses (with inspect, ast and dis) and reading the file take some 15 ms, and the
`pivot` program starts its fork server before either is needed (pivot.program). So `install`
only asks to be told when dataclasses is imported, and the file is opened when the first of
pivot's classes is made.
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
_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "__pycache__", f"dataclasses.{sys.implementation.cache_tag}.codes")
# The file: the length of the index (8 bytes, little-endian), the index (marshalled: this format's
# key, then each text's digest with the offset and length of its code after the index), the codes.
_HEADER = 8

# A text's digest -> its code, or where its code is in the file until a class needs it: a command
# makes a few hundred of the thousand or so classes the file has seen. Reading the texts and the
# codes of all of them (1.2 MB, 600 page faults) cost 3 ms of each start; the index is 40 kB, and
# the file is mapped, not read.
_stored: dict[bytes, types.CodeType | tuple[int, int]] = {}
_used: set[bytes] = set()
_file: Any = None  # the file's contents, mapped: the codes _stored locates
_base = 0  # where its codes start
_added = False
_loaded = False  # whether the file's index was read into _stored
_hash: Any = None  # xxhash's 128-bit digest of bytes


def install() -> None:
    """Have dataclasses compile pivot's generated methods through the cache (once per process):
    now if it is imported already, else as it is imported."""
    dataclasses = sys.modules.get("dataclasses")
    if dataclasses is not None:
        _patch(dataclasses)
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
            _patch(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _patch(dataclasses: types.ModuleType) -> None:
    dataclasses.exec = _exec  # type: ignore[attr-defined]
    if sys.version_info[:2] == (3, 11):  # the code fastclass writes is 3.11's
        from pivot.base import fastclass

        fastclass.wrap(dataclasses)


def _exec(source: Any, globals: dict[str, Any] | None = None, locals: Any = None, /) -> None:
    if isinstance(source, str) and globals is not None and str(globals.get("__name__", "")).startswith("pivot."):
        source = _compiled(source)
    builtins.exec(source, globals, locals)


def _compiled(text: str) -> types.CodeType:
    global _added, _loaded
    if not _loaded:
        _loaded = True
        _load()
    key = _digest(text)
    _used.add(key)
    code = _stored.get(key)
    if isinstance(code, tuple):
        code = _unmarshalled(code)
        if code is not None:
            _stored[key] = code
    if code is None:
        # As exec compiles text from dataclasses' own frame, which has no __future__ flags.
        code = _stored[key] = compile(text, "<string>", "exec", dont_inherit=True)
        if not _added:
            _added = True
            atexit.register(_write)
    return code


def _digest(text: str) -> bytes:
    """128 bits of xxh3: the texts are pivot's own, so only an accidental collision could
    confuse two of them, and at this size there is none to expect."""
    global _hash
    if _hash is None:
        import xxhash

        _hash = xxhash.xxh3_128_digest
    digest: bytes = _hash(text.encode())
    return digest


def _load() -> None:
    global _file, _base
    index, contents, base = _read()
    for key, span in index.items():
        _stored.setdefault(key, span)
    _file, _base = contents, base


def _unmarshalled(span: tuple[int, int]) -> types.CodeType | None:
    try:
        start, length = span
        code = marshal.loads(_file[_base + start : _base + start + length])
    except Exception:  # a damaged entry: compiled anew
        return None
    return code if isinstance(code, types.CodeType) else None


def _read() -> tuple[dict[bytes, tuple[int, int]], Any, int]:
    """The file's index, its contents (mapped) and where its codes start; nothing when it is
    absent, damaged or of another format (then everything is compiled as usual)."""
    import mmap

    try:
        with open(_PATH, "rb") as handle:
            contents = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        size = int.from_bytes(contents[:_HEADER], "little")
        key, index = marshal.loads(contents[_HEADER : _HEADER + size])
    except Exception:
        return {}, None, 0
    if key != _KEY or not isinstance(index, dict):
        return {}, None, 0
    return index, contents, _HEADER + size


def _write() -> None:
    """At exit, when this process compiled something new: the file with it (best effort)."""
    if sys.dont_write_bytecode:
        return
    kept = list(_stored) if len(_stored) <= _MAX_KEPT else [key for key in _stored if key in _used]
    index: dict[bytes, tuple[int, int]] = {}
    codes: list[bytes] = []
    offset = 0
    for key in kept:
        data = _marshalled(_stored[key])
        if data:
            index[key] = (offset, len(data))
            codes.append(data)
            offset += len(data)
    head = marshal.dumps((_KEY, index))
    tmp = f"{_PATH}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(_PATH), exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(len(head).to_bytes(_HEADER, "little"))
            handle.write(head)
            handle.writelines(codes)
        os.replace(tmp, _PATH)  # readers see the old file or the new one, never half of one
    except OSError:  # a read-only install: every command compiles, as without the cache
        import contextlib  # (only at exit: not among what `import pivot` imports)

        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _marshalled(value: types.CodeType | tuple[int, int]) -> bytes:
    if isinstance(value, types.CodeType):
        return marshal.dumps(value)
    try:
        start, length = value
        return bytes(_file[_base + start : _base + start + length])
    except Exception:  # the old file's entry cannot be read: left out
        return b""
