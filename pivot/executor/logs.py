"""Relay a running stage's log file line by line, so concurrent stages never interleave mid-line."""

from __future__ import annotations

import pathlib
from collections.abc import Callable


class LogTail:
    def __init__(self, path: pathlib.Path, emit: Callable[[str], None]) -> None:
        self._path = path
        self._emit = emit
        self._offset = 0
        self._partial = b""

    def poll(self) -> None:
        try:
            with self._path.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return
        self._offset += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        for line in lines:
            self._emit(line.decode("utf-8", "replace").rstrip("\r"))

    def close(self) -> None:
        self.poll()
        if self._partial:
            self._emit(self._partial.decode("utf-8", "replace"))
            self._partial = b""
