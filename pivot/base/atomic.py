"""Atomic file writes: a temp file in the same directory, fsync'd, then `os.replace`.

Readers see the old content or the new, never a half-written file, even after a crash; a full
disk raises `DiskFullError` naming `path`, with the old content in place.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from pivot.base import diskfull


@contextlib.contextmanager
def open_atomic(path: pathlib.Path, mode: str = "wb", *, durable: bool = True) -> Iterator[IO[Any]]:
    """Yield a temp file next to `path`; it replaces `path` only if the block succeeds.

    `durable=False` skips the fsync: for files whose loss in a power cut costs nothing but a
    recomputation, and whose damage their reader detects (run-cache entries)."""
    with diskfull.writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o666 & ~UMASK)  # mkstemp makes 0600; files we write are ordinary files
            with os.fdopen(fd, mode) as handle:
                yield handle
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def write_bytes(path: pathlib.Path, data: bytes, *, durable: bool = True) -> None:
    with open_atomic(path, "wb", durable=durable) as handle:
        handle.write(data)


def write_text(path: pathlib.Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def _read_umask() -> int:
    """The process's umask. Linux shows it in /proc; elsewhere the only way to read it is to set
    it and put it back, and for that moment a file another thread creates gets no umask at all."""
    status = "/proc/self/status"  # the process name in it may be any bytes
    with contextlib.suppress(OSError, ValueError, StopIteration), open(status, errors="replace") as lines:
        return int(next(line for line in lines if line.startswith("Umask:")).split()[1], 8)
    current = os.umask(0)
    os.umask(current)
    return current


# Read once, at import, before any transfer thread starts: reading it per write raced with the
# threads that write (one could read the 0 another had just set, and restore 0 for good). pivot
# never changes its umask, so the value holds for the life of the process.
UMASK = _read_umask()
