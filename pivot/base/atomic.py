"""Atomic file writes: a temp file in the same directory, fsync'd, then `os.replace`.

Readers see the old content or the new, never a half-written file, even after a crash; a full
disk raises `DiskFullError` naming `path`, with the old content in place.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
from collections.abc import Iterator
from typing import IO, Any

from pivot.base import diskfull


@contextlib.contextmanager
def open_atomic(path: pathlib.Path, mode: str = "wb", *, durable: bool = True) -> Iterator[IO[Any]]:
    """Yield a temp file next to `path`; it replaces `path` only if the block succeeds.

    `durable=False` skips the fsync: for files whose loss in a power cut costs nothing but a
    recomputation, and whose damage their reader detects (run-cache entries)."""
    with diskfull.writing(path):
        fd, tmp = _created_beside(path, ".tmp")
        try:
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


@contextlib.contextmanager
def replacing(path: pathlib.Path, *, durable: bool = True) -> Iterator[pathlib.Path]:
    """Yield the path of an empty temp file next to `path`, for writers that want a path rather
    than a handle (pandas, matplotlib); it replaces `path` only if the block succeeds. The temp
    name ends in `path`'s suffix, as libraries that choose a format by suffix expect.

    A full disk stays a plain OSError: the caller names the file the user knows (the stage worker
    hands loaders a temp name of its own and wraps the save in `diskfull.writing(output)`)."""
    fd, tmp = _created_beside(path, f".tmp{path.suffix}")
    os.close(fd)
    try:
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


def _created_beside(path: pathlib.Path, suffix: str) -> tuple[int, str]:
    """A new temp file next to `path`, open for writing: its descriptor and its name. The
    directory is made only when the create finds it missing: a commit writes two files per stage
    (its lock and its run-cache entry) on the path of every run's end, mostly into directories
    that exist."""
    directory, prefix = os.path.dirname(path), f".{os.path.basename(path)}."
    try:
        return _new_fd(directory, prefix, suffix)
    except FileNotFoundError:
        os.makedirs(directory, exist_ok=True)
        return _new_fd(directory, prefix, suffix)


def _new_fd(directory: str, prefix: str, suffix: str) -> tuple[int, str]:
    """A new empty file of a name nobody else holds, made as an ordinary file (the umask
    applies), as tempfile.mkstemp would (without importing tempfile, shutil, bz2 and lzma on
    every command's path): its descriptor, open for writing, and its name."""
    for _ in range(100):
        name = os.path.join(directory, f"{prefix}{os.urandom(6).hex()}{suffix}")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", os.path.join(directory, prefix))


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
