"""`pivot exp queue start|stop|status|logs`: the queue run by a worker in the background, as
`dvc queue start` runs it, so the terminal is free and can be closed.

The worker is `pivot exp queue work` in a session of its own, its output in
`.pivot/exps/worker/worker.log`. It runs the queue as `exp run --run-all` does, then whatever was
queued meanwhile, and ends when the queue is empty. While it lives it holds an OS lock on
`worker.lock` (freed by the kernel however it ends), so whether one runs never depends on a pid
that may have been reused; `worker.json` says what it is doing or how it ended. Stopping it is
Ctrl-C by another name (SIGTERM): the stages running stop, the experiments not recorded stay
queued for the next start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

from pivot import errors
from pivot.api import Project, executors
from pivot.base import project
from pivot.experiments import queue, queuestate, record, runner

READY_SECONDS = 30.0  # how long `start` waits for the worker to take its lock
STOP_SECONDS = 30.0  # how long `stop` waits for running stages to stop before killing them


def start(proj: project.Project, jobs: int | None) -> queuestate.Worker | None:
    """Start a worker on the queue; None when the queue is empty. One that runs already is an
    InputError: it takes what is queued meanwhile too."""
    now = queuestate.current(proj)
    if now.alive:
        raise errors.InputError(
            f"the queue's worker is running already (pid {now.pid}, since {now.started})",
            hint="it runs what is queued meanwhile too: 'pivot exp queue status' follows it, 'pivot exp queue stop' ends it",
        )
    if not queuestate.entries(proj):
        return None
    record.keep_out_of_git(proj)
    queuestate.worker_dir(proj).mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pivot", "exp", "queue", "work", *(["-j", str(jobs)] if jobs else [])]
    queuestate.log_path(proj).write_bytes(b"")
    # Through a shell that puts it in the background and ends: the worker is nobody's child (no
    # zombie left in a long-lived caller); it makes a session of its own (`detach`), so a Ctrl-C
    # or a closed terminal where it was started does not reach it.
    launched = subprocess.run(
        ["/bin/sh", "-c", '"$@" </dev/null >>"$PIVOT_QUEUE_LOG" 2>&1 & echo $!', "sh", *command],
        cwd=proj.root,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PIVOT_QUEUE_LOG": str(queuestate.log_path(proj))},
        capture_output=True,
        text=True,
        check=True,
    )
    return _ready(proj, int(launched.stdout.strip()))


def detach() -> None:
    """In the worker: a session of its own, so that `stop --kill` reaches its stage workers too."""
    with contextlib.suppress(PermissionError):  # a session leader already
        os.setsid()


def _ready(proj: project.Project, pid: int) -> queuestate.Worker:
    """Wait until the worker has taken its lock (or has already ended) and say what it is doing."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        now = queuestate.current(proj)
        if now.pid == pid and now.state != "none":
            return now
        if not _exists(pid) and queuestate.current(proj).pid != pid:
            raise errors.PivotError("the queue's worker ended as it started", hint=f"its log says why: {queuestate.log_path(proj)}")
        time.sleep(0.05)
    raise errors.PivotError(f"the queue's worker (pid {pid}) did not start within {READY_SECONDS:.0f} s", hint=f"see its log: {queuestate.log_path(proj)}")


def _exists(pid: int) -> bool:
    """Whether process `pid` is alive (not ended, nor ended and waiting to be reaped)."""
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except ProcessLookupError:
        return False
    except (OSError, IndexError):  # no /proc (macOS): it answered the signal
        return True


def stop(proj: project.Project, *, kill: bool = False) -> queuestate.Worker:
    """Stop the worker: its running stages stop as on Ctrl-C (`kill`: at once, with SIGKILL) and
    the experiments it had not recorded stay queued. No worker running is an InputError."""
    now = queuestate.current(proj)
    if not now.alive or now.pid is None:
        raise errors.InputError("the queue's worker is not running", hint="'pivot exp queue start' starts one")
    with contextlib.suppress(ProcessLookupError):
        if kill:
            os.killpg(now.pid, signal.SIGKILL)  # its stage workers too: they are in its session
        else:
            os.kill(now.pid, signal.SIGTERM)
    if not _unlocked_within(proj, STOP_SECONDS):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(now.pid, signal.SIGKILL)  # its stages did not stop: kill them all
        if not _unlocked_within(proj, STOP_SECONDS):  # a process outside its session holds the lock
            raise errors.PivotError(
                f"the queue's worker (pid {now.pid}) was killed, but its lock is still held",
                hint=f"a process it started outside its session holds {queuestate.worker_dir(proj) / queuestate.LOCK}: end it (fuser names it)",
            )
    ended = queuestate.current(proj)
    if ended.state == "died":  # killed before it could say so
        ended = dataclasses.replace(ended, state="stopped", ended=_now(), error="killed")
        queuestate.write_worker(proj, ended)
    return ended


def _unlocked_within(proj: project.Project, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while queuestate.locked(proj):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def work(proj: Project, jobs: int | None, progress: runner.Progress, **options: Any) -> queuestate.Worker:
    """The worker itself: run the queue until it is empty, saying in `worker.json` what it does."""
    with _held(proj.paths), executors.sigterm_as_interrupt():
        me = queuestate.Worker("running", os.getpid(), _now(), jobs=jobs)
        queuestate.write_worker(proj.paths, me)
        try:
            _drain(proj, me, jobs, progress, options)
        except (KeyboardInterrupt, errors.Interrupted):
            me = dataclasses.replace(me, state="stopped", ended=_now(), running=())
        except errors.PivotError as exc:
            me = dataclasses.replace(me, state="failed", ended=_now(), running=(), error=exc.message)
            queuestate.write_worker(proj.paths, me)
            raise
        else:
            me = dataclasses.replace(me, state="finished", ended=_now(), running=())
        queuestate.write_worker(proj.paths, me)
        return me


def _drain(proj: Project, me: queuestate.Worker, jobs: int | None, progress: runner.Progress, options: dict[str, Any]) -> None:
    left = [item.name for item in queuestate.entries(proj.paths)]
    while left:
        queuestate.write_worker(proj.paths, dataclasses.replace(me, running=tuple(left)))
        queue.run_all(proj, jobs=jobs, progress=progress, **options)
        before, left = left, [item.name for item in queuestate.entries(proj.paths)]
        if set(left) >= set(before):  # nothing left the queue: running it again would do the same
            raise errors.PivotError(f"the queue still holds {', '.join(left)} after running it", hint=f"see {queuestate.log_path(proj.paths)}")


@contextlib.contextmanager
def _held(proj: project.Project) -> Iterator[None]:
    """Hold the worker's lock for this process, or say that another worker holds it."""
    queuestate.worker_dir(proj).mkdir(parents=True, exist_ok=True)
    fd = os.open(queuestate.worker_dir(proj) / queuestate.LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise errors.InputError(
                "the queue's worker is running already", hint="'pivot exp queue status' follows it, 'pivot exp queue stop' ends it"
            ) from None
        yield
    finally:
        os.close(fd)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
