"""Files pivot writes get the mode an ordinary program's would (0o666 less the umask), even when
transfer threads write many at the same moment, and the process's umask is left as it was."""

from __future__ import annotations

import os
import pathlib
import stat
import sys
import threading

import pytest

from pivot.base import atomic
from pivot.storage import links

THREADS = 8
FILES = 150


def _umask() -> int:
    current = os.umask(0)  # no other thread runs yet
    os.umask(current)
    return current


def _umasks_seen(stop: threading.Event, seen: set[int]) -> None:
    """Every umask the process has while `stop` is unset, as Linux shows it: reading it there
    changes nothing, and runs outside the GIL, alongside the writers."""
    status = pathlib.Path("/proc/self/status")
    while not stop.is_set():
        for line in status.read_text().splitlines():
            if line.startswith("Umask:"):
                seen.add(int(line.split()[1], 8))


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_files_written_from_threads_at_once_all_get_the_umask(tmp_path: pathlib.Path) -> None:
    umask = _umask()
    if umask == 0:
        pytest.skip("with umask 0 a file that missed it would look the same")
    if not pathlib.Path("/proc/self/status").exists():
        pytest.skip("the umask is read from /proc/self/status (Linux)")
    source = tmp_path / "source"
    source.write_bytes(b"x")
    start, done = threading.Barrier(2 * THREADS), threading.Event()

    def write(n: int) -> None:  # what the cache and lock writers do
        start.wait()
        for i in range(FILES):
            atomic.write_bytes(tmp_path / f"w{n}-{i}", b"data", durable=False)

    def copy(n: int) -> None:  # a checkout by copy: the kernel applies the umask in force
        start.wait()
        i = 0
        while not done.is_set() or i < FILES:
            links.copy(str(source), str(tmp_path / f"c{n}-{i}"))
            i += 1

    stop, seen = threading.Event(), set()
    watcher = threading.Thread(target=_umasks_seen, args=(stop, seen))
    watcher.start()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so any window is hit
    try:
        writers = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
        copiers = [threading.Thread(target=copy, args=(n,)) for n in range(THREADS)]
        for thread in writers + copiers:
            thread.start()
        for thread in writers:
            thread.join()
        done.set()  # the copiers went on for as long as anything was written
        for thread in copiers:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
        stop.set()
        watcher.join()

    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in tmp_path.iterdir() if path != source}
    assert len(modes) >= 2 * THREADS * FILES
    assert {name: mode for name, mode in modes.items() if mode != 0o666 & ~umask} == {}
    assert seen == {umask}  # never changed, not even for a moment
    assert _umask() == umask


def test_writing_files_never_sets_the_umask(tmp_path: pathlib.Path) -> None:
    """The threaded test above catches a write that sets the umask only when threads happen to
    switch inside the moment it is changed; the interpreter's own profile hook sees every call."""
    calls: list[str] = []

    def profile(frame: object, event: str, arg: object) -> None:
        if event == "c_call" and arg is os.umask:
            calls.append("os.umask")

    (tmp_path / "source").write_bytes(b"x")
    sys.setprofile(profile)
    try:
        atomic.write_bytes(tmp_path / "written", b"data")
        atomic.write_text(tmp_path / "text", "data")
        links.copy(str(tmp_path / "source"), str(tmp_path / "copied"))
    finally:
        sys.setprofile(None)
    assert calls == []
    assert (tmp_path / "written").read_bytes() == b"data"  # the writes did happen
