"""Executors behind the stdlib `concurrent.futures.Executor` interface: loky's process pool, or
an in-process one for tests and debugging. The only module that imports loky."""

from __future__ import annotations

import _thread
import concurrent.futures
import contextlib
import os
import pathlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any


def create(jobs: int, kind: str = "loky") -> concurrent.futures.Executor:
    """`loky` starts each worker as a fresh interpreter; `forkserver` forks workers from one warm
    server (several times faster to start on a small machine) but re-imports the program's main
    module, so only pivot's own entry points, whose main is guarded, ask for it."""
    if kind == "inprocess":
        return InProcessExecutor()
    finish_ending()  # else loky may hand back the pool still being shut down
    context = None
    if kind == "forkserver" and _has_forkserver():
        from pivot.executor import warm

        try:
            server = warm.start_server()
            context = "forkserver"
        except OSError:  # no socket for it (a temp directory path too long for one): fresh interpreters
            server, context = None, None
        if server is not None:  # a zygote of this process serves: workers forked from it, no loky
            from pivot.executor import forkpool

            return warm.prespawned(server, jobs) or forkpool.ForkPool(server, jobs)
    import loky

    # loky hands back a new pool when the last one broke (a worker died), which is what lets
    # the scheduler retry the innocent stages of a crashed pool.
    executor: concurrent.futures.Executor = loky.get_reusable_executor(
        max_workers=jobs, timeout=30, initializer=worker_started, initargs=(os.getpid(),), context=context
    )
    return executor


def first_stages_run(
    lock_file: Callable[[str], pathlib.Path], upstream: Mapping[str, frozenset[str]], names: Sequence[str], jobs: int, *, force: bool
) -> bool:
    """Whether the stages that start first will surely run (forced, or never run before): then
    the workers are started before those stages are decided, in parallel."""
    if force:
        return True
    members = set(names)
    first = [name for name in names if not upstream[name] & members][: max(1, jobs)]
    return any(not lock_file(name).exists() for name in first)


def _has_forkserver() -> bool:
    if sys.platform.startswith("linux"):  # (without importing multiprocessing, which the zygote's pool does without)
        return True
    import multiprocessing

    return "forkserver" in multiprocessing.get_all_start_methods()


def worker_started(pivot_pid: int) -> None:
    """Pool initializer, run in each new worker before its first task. SIGINT stays held (see
    `sigint_held`) until a task starts: an idle worker that took a Ctrl-C would die inside the
    pool's queue and break the pool, while pivot, which got the signal too, stops the run itself."""
    die_with_parent(pivot_pid)


def in_task(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run one task in a worker with SIGINT accepted, so the stage's code sees KeyboardInterrupt
    as usual; hold it again once the task is over."""
    _accept_sigint()
    try:
        return fn(*args, **kwargs)
    finally:
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Block SIGINT in this thread while it may spawn workers. They inherit the mask, so a Ctrl-C
    (sent by the terminal to every process of the group) cannot kill one half-way through its
    start-up; pivot itself still gets the signal and stops the run."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    # Spawning a worker first starts multiprocessing's resource tracker, which on its way out
    # unblocks SIGINT for the calling thread (SIG_UNBLOCK, not a restore): start it beforehand.
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _accept_sigint() -> None:
    """In a worker started under `sigint_held`: drop a Ctrl-C that came while it was starting or
    idle (pivot got it too), then take SIGINT again."""
    if not hasattr(signal, "pthread_sigmask") or signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, ()):
        return
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)  # discards a pending SIGINT
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, handler)


def die_with_parent(pivot_pid: int) -> None:
    """A worker whose pivot process is gone (SIGKILL, OOM killer) ends at once, instead of
    finishing an orphaned stage and writing its outputs under the next run."""
    if not _alive(pivot_pid):  # pivot died while this worker was starting
        os._exit(1)
    if os.getppid() == pivot_pid and sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            watched = libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            watched = False
        if watched:
            if os.getppid() != pivot_pid:  # pivot died before the kernel was told to watch
                os._exit(1)
            return
    # Forked from a fork server (whose own end is held open by its workers), or not on Linux:
    # watch pivot's pid directly.
    threading.Thread(target=_watch_parent, args=(pivot_pid,), name="pivot-parent-watch", daemon=True).start()


def killed_with_parent(parent: int) -> bool:
    """Have the kernel SIGKILL this process when its parent ends (Linux's PR_SET_PDEATHSIG);
    False when `parent` is not its parent (any more: it died before the kernel was told)."""
    global _prctl
    with contextlib.suppress(OSError, AttributeError):
        if _prctl is None:
            import ctypes

            _prctl = ctypes.CDLL(None, use_errno=True).prctl
        _prctl(1, int(signal.SIGKILL), 0, 0, 0)
    return os.getppid() == parent


# libc's prctl, looked up once: by the zygote, before it forks the workers that call it too
# (looked up in each worker, it cost 0.3 ms and 50 page copies there).
_prctl: Any = None


def _watch_parent(pivot_pid: int) -> None:
    while _alive(pivot_pid):
        time.sleep(0.2)
    os._exit(1)


def _alive(pid: int) -> bool:
    # A killed process stays a zombie until its parent reaps it, and signalling a zombie
    # succeeds: on Linux read its state instead.
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rpartition(b")")[2].split()[0] not in (b"Z", b"X")
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, only not ours to signal
    return True


def shutdown(executor: concurrent.futures.Executor, *, kill: bool = False) -> None:
    """End the pool after a run, so the next run's workers import the user's code afresh.

    After a run every worker is idle, its results collected: they are killed rather than asked
    to exit (each would tear down its interpreter, tens of milliseconds on a busy machine), and
    waited for, so none outlives the run. `kill` (an interrupt, a crash) does not wait."""
    if isinstance(executor, InProcessExecutor):
        return
    if _ends_itself(executor):
        executor.shutdown(wait=True, kill_workers=kill)  # type: ignore[call-arg]
        return
    if kill:
        executor.shutdown(wait=False, kill_workers=True)  # type: ignore[call-arg]
        return
    _kill_all(executor)
    if isinstance(executor, LazyExecutor):
        executor.shutdown(wait=True)
        return
    # The workers are dead already; loky's own bookkeeping (a few ms) ends in a thread while
    # the run records its results, and `finish_ending` waits for it.
    ending = threading.Thread(target=executor.shutdown, kwargs={"wait": True, "kill_workers": True}, name="pivot-pool-end", daemon=True)
    ending.start()
    _ending.append(ending)


_ending: list[threading.Thread] = []  # pools being shut down (see `shutdown`)


def finish_ending() -> None:
    """Wait until every pool `shutdown` left to end in a thread has ended."""
    while _ending:
        _ending.pop().join()


def _kill_all(executor: concurrent.futures.Executor) -> None:
    """SIGKILL every worker at once. loky kills them one at a time, each after a scan of every
    process on the machine for its descendants (psutil) and a wait for its end: 15-25 ms for
    eight workers at the end of every run. It still does all that after this, but finds them
    gone. (`_processes`, loky's pid -> process map, is not public; without it loky does it all.)"""
    for pid in list(getattr(executor, "_processes", None) or ()):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _ends_itself(executor: concurrent.futures.Executor) -> bool:
    """A fork pool (pivot.executor.forkpool): its idle workers end as their sockets close."""
    return type(executor).__name__ == "ForkPool"


class InProcessExecutor(concurrent.futures.Executor):
    """Runs each task at submit time in this process: no parallelism, easy debugging."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def started_soon(target: Callable[[], object]) -> threading.Event:
    """Run `target` in a new thread, without waiting until that thread runs as Thread.start does
    (2-5 ms while a run's workers start on a busy machine); the event is set once it returned.
    `threading` does not see such a thread: `threads_started` counts them for those who must
    know that the process is not single-threaded (a fork, pivot.executor.zygote)."""
    global _soon
    done = threading.Event()

    def run() -> None:
        global _soon
        try:
            target()
        finally:
            with _soon_lock:
                _soon -= 1
            done.set()

    with _soon_lock:
        _soon += 1
    try:
        _thread.start_new_thread(run, ())
    except BaseException:
        with _soon_lock:
            _soon -= 1
        raise
    return done


_soon = 0  # threads `started_soon` that have not returned yet
_soon_lock = threading.Lock()


def threads_started() -> int:
    """How many threads `started_soon` started are still running (threading.active_count misses them)."""
    return _soon


def default_jobs() -> int:
    return os.cpu_count() or 1


class LazyExecutor(concurrent.futures.Executor):
    """Starts the real pool on the first submit: a run where every stage is up to date never
    pays for worker processes. `early`: start it at once, in a thread, so that the workers'
    start overlaps this process's first decisions (for a run whose first stages will run)."""

    def __init__(self, factory: Callable[[], concurrent.futures.Executor], *, early: bool = False) -> None:
        self._factory = factory
        self._executor: concurrent.futures.Executor | None = None
        self._starting: threading.Thread | None = None
        self._failure: BaseException | None = None
        if early:
            self._starting = threading.Thread(target=self._start, name="pivot-pool-start", daemon=True)
            self._starting.start()

    def _start(self) -> None:
        try:
            executor = self._factory()
            if not isinstance(executor, InProcessExecutor) and not _ends_itself(executor):
                with sigint_held():  # loky's first submit starts every worker
                    executor.submit(os.getpid)
            self._executor = executor
        except BaseException as exc:  # raised by the submit that needs the pool
            self._failure = exc

    def _ready(self) -> concurrent.futures.Executor:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
            if self._failure is not None:
                failure, self._failure = self._failure, None
                raise failure
        if self._executor is None:
            self._executor = self._factory()
        return self._executor

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        executor = self._ready()
        if isinstance(executor, InProcessExecutor):  # runs the stage now: never hold Ctrl-C
            return executor.submit(fn, *args, **kwargs)
        if _ends_itself(executor):  # its workers were forked by a zygote that holds Ctrl-C
            return executor.submit(in_task, fn, *args, **kwargs)
        with sigint_held():  # a submit may start (or restart) workers
            return executor.submit(in_task, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False, kill_workers: bool = False) -> None:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._executor is None:
            return
        shutdown(self._executor, kill=not wait)  # the idle workers are killed either way
