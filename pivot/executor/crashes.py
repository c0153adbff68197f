"""How a worker's death is told: the exit code or signal, and its likely cause (out of memory,
a crash in native code, os._exit), from the fork pool's `waitpid` status or loky's message."""

from __future__ import annotations

import concurrent.futures
import re
import signal

BROKEN = (concurrent.futures.BrokenExecutor,)


class WorkerDied(Exception):
    """A fork pool's worker died running a task; `code` as `waitpid` gives it (minus the signal
    number for a signal), None when nobody could say."""

    def __init__(self, code: int | None) -> None:
        super().__init__(describe_exit(code))
        self.code = code


def crash_text(error: BaseException) -> str:
    """What a stage's failure says when its task raised in pivot's own code, not the stage's."""
    return str(error) if isinstance(error, WorkerDied) else f"{type(error).__name__}: {error}"


def describe_exit(code: int | None) -> str:
    if code is None:
        return "worker died: the worker process died"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        codes = f"{name}({code})"
    else:
        codes = f"EXIT({code})"
    return f"worker died ({codes}): {_cause(codes)}"


def is_broken(error: BaseException) -> bool:
    """A worker died (segfault, os._exit, kill) rather than the stage raising."""
    return isinstance(error, BROKEN) or type(error).__name__ == "TerminatedWorkerError"


def describe_crash(error: BaseException) -> str:
    """Turn loky's message about a dead worker into the exit code and its likely cause."""
    text = str(error)
    match = re.search(r"\{([^}]*)\}", text)
    codes = match.group(1) if match else ""
    cause = _cause(codes)
    return f"worker died ({codes or 'unknown exit code'}): {cause}" if codes else f"worker died: {cause}"


def _cause(codes: str) -> str:
    cause = "the worker process died"
    if "SIGKILL" in codes or "-9" in codes:
        cause = "killed by SIGKILL (out of memory, or killed by hand)"
    elif "SIGSEGV" in codes or "-11" in codes:
        cause = "segmentation fault (a crash in native code)"
    elif "SIGABRT" in codes:
        cause = "aborted (SIGABRT, a crash in native code)"
    elif "EXIT" in codes:
        cause = "the process exited (os._exit or a C library calling exit)"
    return cause
