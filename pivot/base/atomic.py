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
    with diskfull.writing(path), _temp_beside(path, ".tmp", durable=False) as tmp, open(tmp, mode) as handle:
        yield handle
        handle.flush()
        if durable:
            os.fsync(handle.fileno())


@contextlib.contextmanager
def replacing(path: pathlib.Path, *, durable: bool = True) -> Iterator[pathlib.Path]:
    """Yield the path of an empty temp file next to `path`, for writers that want a path rather
    than a handle (pandas, matplotlib); it replaces `path` only if the block succeeds. The temp
    name ends in `path`'s suffix, as libraries that choose a format by suffix expect.

    A full disk stays a plain OSError: the caller names the file the user knows (the stage worker
    hands loaders a temp name of its own and wraps the save in `diskfull.writing(output)`)."""
    with _temp_beside(path, f".tmp{path.suffix}", durable=durable) as tmp:
        yield tmp


@contextlib.contextmanager
def _temp_beside(path: pathlib.Path, suffix: str, *, durable: bool) -> Iterator[pathlib.Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    try:
        os.fchmod(fd, 0o666 & ~UMASK)  # mkstemp makes 0600; files we write are ordinary files
        os.close(fd)
        yield pathlib.Path(tmp)
        if durable:
            _fsync(tmp)
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


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
