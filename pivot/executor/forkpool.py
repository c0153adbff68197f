"""A process pool whose workers are forked by the zygote (pivot.executor.zygote), each talking
to this process over its own socket.

Against loky on the same fork server it saves what a run pays at both ends: no queue, lock or
semaphore to share (so no resource tracker), no process object pickled to each worker, workers
that end at once when their socket closes; and a worker that dies fails its own stage only, as
a stage's process does under DVC or Snakemake, while the stages beside it run on.

Wire: each message is an 8-byte length and a pickle. This process sends `(fn, args)`; the worker
answers `(True, result)` or `(False, exception)`. End of file on a busy worker's socket means it
died; the zygote, which reaps it, says how (`X pid code`) on the server's control socket.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from pivot.base import lifetime
from pivot.executor import crashes, pool, unixsock

_HEADER = struct.Struct("!Q")
_STATUS_WAIT = 5.0  # seconds to wait for the zygote to say how a dead worker ended


def send_message(sock: unixsock.Socket, data: bytes) -> None:
    sock.sendall(_HEADER.pack(len(data)) + data)


def recv_message(sock: unixsock.Socket) -> bytes | None:
    """One message, or None at end of file (also in the middle of one: the sender died)."""
    header = _recv_exact(sock, _HEADER.size)
    if header is None:
        return None
    return _recv_exact(sock, _HEADER.unpack(header)[0])


def _recv_exact(sock: unixsock.Socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def worker_main(fd: int) -> None:
    """A worker, in a fresh fork of the zygote: run what arrives on the socket until it closes."""
    status = 1
    try:
        sock = unixsock.adopt(fd)
        while (data := recv_message(sock)) is not None:
            fn, args = pickle.loads(data)
            try:
                reply: tuple[bool, Any] = (True, fn(*args))
            except BaseException as exc:  # pivot's own task wrapper; a stage's errors come back as outcomes
                reply = (False, exc)
            send_message(sock, _dumped(reply))
        status = 0
    finally:
        os._exit(status)  # nothing of the zygote's to finalize, nothing to flush


_lingering: list[int] = []  # pidfds of idle workers left waiting to end with the zygote


def _linger(idle: list[_Worker]) -> list[_Worker]:
    """Have each idle worker wait for the end of the zygote, which the kernel ends right after
    this process: eight workers woken to exit would take the CPU from the run's last steps.
    Each is held by a pidfd, so that `end_lingering` can never signal a reused pid. The
    workers that could not be told, to be closed as usual."""
    told = pickle.dumps((_wait_for_end, ()), protocol=pickle.HIGHEST_PROTOCOL)
    left = []
    for worker in idle:
        try:
            if worker.pid is None:
                raise OSError
            pidfd = os.pidfd_open(worker.pid)
        except (OSError, AttributeError):  # not known yet, or no pidfds here: it ends now
            left.append(worker)
            continue
        try:
            send_message(worker.sock, told)
        except OSError:
            os.close(pidfd)
            left.append(worker)
            continue
        _lingering.append(pidfd)
        worker.sock.close()
    return left


def _wait_for_end() -> None:
    """In a worker: nothing more to do until the zygote ends (and this one with it). Its end,
    as the kernel ends everything after pivot, runs only on an idle CPU: not before the shell
    or the caller waiting for pivot has run (2.5 ms, for eight workers on two cores)."""
    idle()
    while True:
        signal.pause()


def idle() -> None:
    """This process runs only when no other wants the CPU (it only waits to end)."""
    with contextlib.suppress(OSError, AttributeError):  # (not on every platform)
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def end_lingering() -> None:
    """End the workers `_linger` left waiting (this process runs another pool after all)."""
    while _lingering:
        pidfd = _lingering.pop()
        with contextlib.suppress(OSError):  # ended already
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        os.close(pidfd)


def stdin_from_devnull() -> None:
    """A stage's code reads an empty stdin, as in any multiprocessing worker: never the terminal
    pivot was started from, whose input is the user's (and Ctrl-C's). Done by the zygote, whose
    workers inherit it."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdin.close()
    fd = os.open(os.devnull, os.O_RDONLY)
    sys.stdin = open(fd, encoding="utf-8", closefd=False)  # noqa: SIM115 (the process's stdin)


def _dumped(reply: tuple[bool, Any]) -> bytes:
    try:
        return pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an exception or result pickle cannot carry: say what it was
        return pickle.dumps((False, RuntimeError(f"the worker could not send back {reply[1]!r}: {exc}")))


class _Worker:
    def __init__(self, sock: unixsock.Socket, token: int) -> None:
        self.sock = sock
        self.token = token
        self.pid: int | None = None
        self.future: concurrent.futures.Future[Any] | None = None
        self.dead_since: float | None = None  # end of file seen, waiting for how it ended


class ForkPool(concurrent.futures.Executor):
    """`workers` processes forked by `server` (a `zygote.Server`), started at once."""

    def __init__(self, server: Any, workers: int) -> None:
        self.server = server
        self.workers = workers
        self._lock = threading.Lock()
        self._idle: collections.deque[_Worker] = collections.deque()
        self._busy: dict[int, _Worker] = {}  # socket fd -> worker running a task
        self._live: dict[int, _Worker] = {}  # socket fd -> every worker not known dead (the results thread watches them all)
        self._by_token: dict[int, _Worker] = {}
        self._exits: dict[int, int] = {}  # pid -> exit code, for workers not known yet
        self._closed = False
        end_lingering()  # the idle workers a previous run of this process left waiting
        self._wake_r, self._wake_w = os.pipe()
        for _ in range(workers):
            self._idle.append(self._spawn())
        self._collected = pool.started_soon(self._collect)  # the results thread

    def _spawn(self) -> _Worker:
        ours, theirs = unixsock.pair()
        try:
            token = self.server.fork_worker(theirs.fileno())
        finally:
            theirs.close()
        worker = _Worker(ours, token)
        self._by_token[token] = worker
        self._live[ours.fileno()] = worker
        return worker

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        if kwargs:
            raise TypeError("ForkPool tasks take positional arguments only")
        data = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to a pool that was shut down")
            spawned = not self._idle
            worker = self._spawn() if spawned else self._idle.popleft()
            worker.future = future
            self._busy[worker.sock.fileno()] = worker
        future.set_running_or_notify_cancel()
        with contextlib.suppress(OSError):  # it died before its first task: the collector sees the end of file
            send_message(worker.sock, data)
        if spawned:  # a socket the results thread does not watch yet (no wake-up otherwise: it costs the GIL)
            os.write(self._wake_w, b"w")
        return future

    def _collect(self) -> None:
        """The results thread: hands each reply to its future, and each death its description."""
        ctl = self.server.ctl
        while True:
            with self._lock:
                if self._closed:
                    return
                socks = [w.sock for w in self._live.values() if w.dead_since is None]
            readable, _, _ = select.select([self._wake_r, ctl, *socks], [], [], 0.5 if self._awaiting() else None)
            if self._wake_r in readable:
                os.read(self._wake_r, 4096)
            if ctl in readable and not self._read_control(ctl):
                self._settle_dead(waited_enough=True)  # the zygote is gone: nobody will say how they ended
                return
            for sock in readable:
                if sock is not self._wake_r and sock is not ctl:
                    self._reply(sock)
            self._settle_dead()

    def _awaiting(self) -> bool:
        return bool(self._dead())

    def _dead(self) -> list[_Worker]:
        with self._lock:
            return [w for w in self._busy.values() if w.dead_since is not None]

    def _read_control(self, ctl: unixsock.Socket) -> bool:
        message = ctl.recv(256)
        if not message:
            return False
        kind, first, second = message.split()
        if kind == b"P":
            worker = self._by_token.get(int(first))
            if worker is not None:
                worker.pid = int(second)
        elif kind == b"X":
            self._exits[int(first)] = int(second)
        return True

    def _reply(self, sock: unixsock.Socket) -> None:
        try:
            data = recv_message(sock)
        except OSError:
            data = None
        with self._lock:
            worker = self._live.get(sock.fileno())
            if worker is None:
                return
            if data is None and worker.future is None:  # died idle (killed from outside): nothing was lost
                self._idle.remove(worker)
                del self._live[sock.fileno()]
                self._by_token.pop(worker.token, None)
                sock.close()
                return
        if data is None:
            worker.dead_since = time.monotonic()
            return
        with self._lock:
            del self._busy[sock.fileno()]
            future, worker.future = worker.future, None
            self._idle.append(worker)
        ok, value = pickle.loads(data)
        if future is not None:
            (future.set_result if ok else future.set_exception)(value)

    def _settle_dead(self, *, waited_enough: bool = False) -> None:
        """Fail the task of each dead worker once the zygote said how it ended, or after a wait
        (at once when nobody is left to say)."""
        for worker in self._dead():
            code = self._exits.pop(worker.pid, None) if worker.pid is not None else None
            if code is None and not waited_enough and time.monotonic() - (worker.dead_since or 0.0) < _STATUS_WAIT:
                continue
            self._forget(worker)
            if worker.future is not None:
                worker.future.set_exception(crashes.WorkerDied(code))

    def _forget(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.pop(worker.sock.fileno(), None)
            self._live.pop(worker.sock.fileno(), None)
            self._by_token.pop(worker.token, None)
        worker.sock.close()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False, kill_workers: bool = False) -> None:
        """End every worker: an idle one ends as its socket closes (in the `pivot` program it
        waits to end with the zygote, after pivot: `_linger`); a busy one (an interrupted or
        failed run) is killed."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            busy = list(self._busy.values())
            idle = list(self._idle)
        os.write(self._wake_w, b"x")
        self._collected.wait()
        self._learn_pids([w for w in busy if w.pid is None])
        for worker in busy:
            if worker.pid is not None:
                with contextlib.suppress(OSError):
                    os.kill(worker.pid, signal.SIGKILL)
            if worker.future is not None and not worker.future.done():
                worker.future.set_exception(crashes.WorkerDied(-signal.SIGKILL))
        if lifetime.ends_after_command and not kill_workers:
            idle = _linger(idle)
        for worker in (*busy, *idle):
            worker.sock.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _learn_pids(self, workers: list[_Worker]) -> None:
        """Read the zygote's answers until these workers' pids are known (briefly: it answers
        each request as it forks)."""
        ctl = self.server.ctl
        deadline = time.monotonic() + 1.0
        while any(w.pid is None for w in workers) and time.monotonic() < deadline:
            readable, _, _ = select.select([ctl], [], [], max(0.0, deadline - time.monotonic()))
            if not readable or not self._read_control(ctl):
                return
