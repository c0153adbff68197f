"""Parsed lock files kept between commands in `.pivot/tmp/locks.memo`, keyed by each file's stat.

A no-op `pivot run` of hundreds of stages spends most of its time turning lock YAML back into
values. A lock file whose inode, mtime and size are what they were when it was last parsed is
not parsed again. As in the stat memo, an entry is kept only for a file whose mtime was already
safely in the past when it was read, so an edit within the same clock tick is never missed. The
memo only saves time: when it is absent, damaged or from another pivot, every lock is parsed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import pickle
import time
from typing import Any

import pivot
from pivot.base import atomic
from pivot.storage import lock as lock_mod
from pivot.storage.state import settled

# The fields of the pickled values are part of the version: a memo written before a field was added
# would unpickle into values that lack it.
_VERSION = (
    1,
    lock_mod.SCHEMA,
    pivot.__version__,
    tuple(f.name for f in dataclasses.fields(lock_mod.StageLock)),
    tuple(f.name for f in dataclasses.fields(lock_mod.LockedOutput)),
)
_Stamp = tuple[int, int, int]  # inode, mtime_ns, size


class LockReader:
    """`read(path)` for one command, and `save()` of what it parsed, once, at its end."""

    def __init__(self, memo_path: pathlib.Path) -> None:
        self._path = memo_path
        self._entries: dict[str, tuple[_Stamp, lock_mod.StageLock | None]] | None = None
        self._changed = False
        # Locks this command wrote, by the stat taken right after writing: read back (the no-op
        # memo checks the stages that ran) without parsing. Under the project lock no other pivot
        # writes them; they are too fresh for the memo on disk.
        self._written: dict[str, tuple[_Stamp, lock_mod.StageLock]] = {}

    def wrote(self, path: pathlib.Path, lock: lock_mod.StageLock) -> None:
        """`path` was just written with `lock`."""
        with contextlib.suppress(OSError):
            st = os.stat(path)
            self._written[os.fspath(path)] = ((st.st_ino, st.st_mtime_ns, st.st_size), lock)

    def read(self, path: pathlib.Path) -> lock_mod.StageLock | None:
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        key = os.fspath(path)
        written = self._written.get(key)
        if written is not None and written[0] == stamp:
            return written[1]
        entries = self._load()
        found = entries.get(key)
        if found is not None and found[0] == stamp:
            return found[1]
        lock = lock_mod.read(path)
        if settled(st, time.time_ns()):
            entries[key] = (stamp, lock)
            self._changed = True
        return lock

    def save(self) -> None:
        """Write the memo if this command parsed or wrote something new; never fails a command."""
        self._learn_written()
        if not self._changed or self._entries is None or not self._path.parent.parent.is_dir():
            return
        with contextlib.suppress(OSError, pickle.PicklingError):
            self._path.parent.mkdir(exist_ok=True)
            atomic.write_bytes(self._path, pickle.dumps((_VERSION, self._entries), protocol=pickle.HIGHEST_PROTOCOL), durable=False)
        self._changed = False

    def _learn_written(self) -> None:
        """Keep the locks this command wrote that are still as written and settled by now: the
        next command (often one answered from the no-op memo, which reads no lock, and then an
        edit) need not parse them."""
        if not self._written:
            return
        entries, now = self._load(), time.time_ns()
        for key, (stamp, lock) in self._written.items():
            try:
                st = os.stat(key)
            except OSError:
                continue
            if (st.st_ino, st.st_mtime_ns, st.st_size) == stamp and settled(st, now):
                entries[key] = (stamp, lock)
                self._changed = True
        self._written.clear()

    def _load(self) -> dict[str, tuple[_Stamp, lock_mod.StageLock | None]]:
        if self._entries is None:
            self._entries = _read_memo(self._path)
        return self._entries


def _read_memo(path: pathlib.Path) -> dict[str, tuple[_Stamp, lock_mod.StageLock | None]]:
    try:
        with open(path, "rb") as handle:
            version, entries = pickle.load(handle)
    except Exception:  # absent, truncated, or written by other code: parse every lock
        return {}
    if version != _VERSION or not isinstance(entries, dict):
        return {}
    checked: dict[str, Any] = entries
    return checked
