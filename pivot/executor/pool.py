"""Executors behind the stdlib `concurrent.futures.Executor` interface: loky's process pool, or
an in-process one for tests and debugging. The only module that imports loky."""

from __future__ import annotations

import concurrent.futures
import os
import re
from collections.abc import Callable
from typing import Any

BROKEN = (concurrent.futures.BrokenExecutor,)


def create(jobs: int, kind: str = "loky") -> concurrent.futures.Executor:
    if kind == "inprocess":
        return InProcessExecutor()
    import loky

    # loky hands back a new pool when the last one broke (a worker died), which is what lets
    # the scheduler retry the innocent stages of a crashed pool.
    return loky.get_reusable_executor(max_workers=jobs, timeout=30)


def shutdown(executor: concurrent.futures.Executor, *, kill: bool = False) -> None:
    """End the pool after a run, so the next run's workers import the user's code afresh."""
    if isinstance(executor, InProcessExecutor):
        return
    if kill:
        executor.shutdown(wait=False, kill_workers=True)  # type: ignore[call-arg]
        return
    executor.shutdown(wait=True)


def is_broken(error: BaseException) -> bool:
    """A worker died (segfault, os._exit, kill) rather than the stage raising."""
    return isinstance(error, BROKEN) or type(error).__name__ == "TerminatedWorkerError"


def describe_crash(error: BaseException) -> str:
    """Turn loky's message about a dead worker into the exit code and its likely cause."""
    text = str(error)
    match = re.search(r"\{([^}]*)\}", text)
    codes = match.group(1) if match else ""
    cause = "the worker process died"
    if "SIGKILL" in codes or "-9" in codes:
        cause = "killed by SIGKILL (out of memory, or killed by hand)"
    elif "SIGSEGV" in codes or "-11" in codes:
        cause = "segmentation fault (a crash in native code)"
    elif "SIGABRT" in codes:
        cause = "aborted (SIGABRT, a crash in native code)"
    elif "EXIT" in codes:
        cause = "the process exited (os._exit or a C library calling exit)"
    return f"worker died ({codes or 'unknown exit code'}): {cause}" if codes else f"worker died: {cause}"


class InProcessExecutor(concurrent.futures.Executor):
    """Runs each task at submit time in this process: no parallelism, easy debugging."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future, like a pool would
            future.set_exception(exc)
        return future


def default_jobs() -> int:
    return os.cpu_count() or 1


class LazyExecutor(concurrent.futures.Executor):
    """Starts the real pool on the first submit: a run where every stage is up to date never
    pays for worker processes."""

    def __init__(self, factory: Callable[[], concurrent.futures.Executor]) -> None:
        self._factory = factory
        self._executor: concurrent.futures.Executor | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future:
        if self._executor is None:
            self._executor = self._factory()
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False, kill_workers: bool = False) -> None:
        if self._executor is None:
            return
        shutdown(self._executor, kill=kill_workers)
