"""A stage's log file, `.pivot/logs/<stage>.log`: relayed line by line while it runs (so concurrent
stages never interleave mid-line), and ended with the reason when the stage fails."""

from __future__ import annotations

import contextlib
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


def append_failure(path: pathlib.Path, text: str) -> None:
    """Add why the stage failed (its traceback, or the one-line reason) after what it printed: the
    log is where a user looks first, and the console output may be long gone."""
    if not text:
        return
    with contextlib.suppress(OSError):  # a log we cannot write must not hide the failure itself
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
