"""How the `pivot` process ends: the interpreter's own teardown is skipped.

Once a command has finished, what is left of a normal exit is the exit handlers (`atexit`:
logging's flush, multiprocessing's joins and semaphore cleanup, coverage's data file) and then
the interpreter's teardown, which frees every module and object one by one: 30-40 ms with pivot,
click, loky and yaml loaded, on every command, for nothing the kernel would not do at once. So
the handlers run as usual, the standard streams are flushed, and the process ends with
`os._exit`. When another thread is still working, the usual exit runs instead: it waits for it.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
from typing import NoReturn

BROKEN_PIPE = 120  # what Python itself exits with when flushing stdout fails at exit


def end(command: Callable[[], object]) -> NoReturn:
    """Run `command` (which ends with SystemExit, as click's main does) and end the process."""
    import gc

    from pivot.base import lifetime

    # The collector runs rarely (pivot.base.lifetime) and never walks what exists now.
    lifetime.collect_rarely()
    lifetime.ends_after_command = True
    gc.freeze()
    try:
        command()
        status: str | int | None = 0
    except SystemExit as exc:
        status = exc.code
    if not isinstance(status, int | None) or not _alone():
        sys.exit(status)  # a message to print, or a thread to wait for: the usual exit
    atexit._run_exitfuncs()  # the handlers, in their usual order; each runs once
    zygote = sys.modules.get("pivot.executor.zygote")  # (never imported for a command that runs nothing)
    if zygote is not None:
        zygote.retire()
    os._exit(_flushed(status or 0))


def _alone() -> bool:
    """No thread but this one still runs (daemon threads end with the process either way)."""
    main = threading.main_thread()
    return threading.current_thread() is main and all(
        thread is main or thread.daemon for thread in threading.enumerate()
    )


def _flushed(status: int) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (`pivot list | head`), a closed stream
            if stream is sys.stdout and status == 0:
                status = BROKEN_PIPE
    return status & 0xFF
