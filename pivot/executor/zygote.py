"""The fork server as a fork of pivot itself, made before the pipeline loads, or, for a run
that surely has work, a fresh interpreter started as the pivot program starts.

multiprocessing starts its fork server as a fresh interpreter, which then imports loky, pivot's
worker and the project's modules: 0.1 s before the first worker can be forked, on the path of
every cold run. Forked from this process instead, as soon as a run is known to have work, the
zygote starts with pivot's CLI already imported, imports the worker's modules on another core
while this process imports what loading needs, imports each of the project's modules as loading
names it, then forks the workers of pivot.executor.forkpool, each on a socket this process sent
it, and says when one ends and how.

A fork costs this process too: each page the two share that loading then writes is a page fault
(some 1,900, 6 ms of a 100 ms cold run). So for a `pivot run` of a project with no no-op memo
(pivot.program), the zygote is started as the program starts, as a fresh interpreter that shares
nothing (pivot.executor.spawning), and adopted here. Elsewhere the fork stays: a fresh
interpreter started that late would keep the workers waiting.

Forking is only safe in a process with no other thread and no child pool (their locks and pipes
would be copied half-held), and only on Linux; anywhere else `possible` is False and the server
is multiprocessing's, started the usual way, with loky's workers. A zygote the run did not need
is dismissed: it reads end-of-file and exits. It never returns into this process's code and
never runs its exit handlers. The kernel ends it with this process, and its workers with it.

Control socket (one message per packet): `W <token>` with a socket to this process attached
asks for a worker, and `I` says pivot is about to end (`retire`); the zygote answers
`P <token> <pid>` once forked, and `X <pid> <code>` when a worker has ended (`code` as `waitpid`
gives it, minus the signal number for a signal).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import itertools
import os
import select
import signal
import sys
import threading

from pivot.executor import unixsock

_tokens = itertools.count(1)


class _Pending:
    """A zygote started but not yet handed over: the modules it was sent so far. (State, not a
    value: a plain class, since a non-frozen dataclass is made by dataclasses' own slower path,
    not pivot.base.fastclass, at the start of every cold run.)"""

    __slots__ = ("ctl", "names_w", "pid", "sent")

    def __init__(self, pid: int, ctl: unixsock.Socket, names_w: int) -> None:
        self.pid = pid
        self.ctl = ctl  # this process's end of the control socket
        self.names_w = names_w  # the root, then one module per line; closed before anything is sent, it exits
        self.sent: set[str] = set()  # the root and the modules sent so far


class Server:
    """A zygote that was handed over: it forks workers for pivot.executor.forkpool."""

    __slots__ = ("ctl", "pid")

    def __init__(self, pid: int, ctl: unixsock.Socket) -> None:
        self.pid = pid
        self.ctl = ctl

    def fork_worker(self, fd: int) -> int:
        """Have a worker forked on socket `fd`; the token its `P` answer will carry."""
        token = next(_tokens)
        unixsock.send_fds(self.ctl, b"W %d" % token, [fd])
        return token


_pending: _Pending | None = None
_server: Server | None = None


def possible() -> bool:
    """Single-threaded, no multiprocessing children, Linux."""
    from pivot.executor import pool

    if not sys.platform.startswith("linux") or threading.active_count() != 1 or pool.threads_started():
        return False
    multiprocessing = sys.modules.get("multiprocessing")  # never imported: no child of it either
    return multiprocessing is None or not multiprocessing.active_children()


def fork() -> None:
    """Fork the zygote; it imports the worker's modules, then waits for `hand_over`."""
    global _pending
    dismiss()
    stop()
    ours, theirs = unixsock.pair(unixsock.SEQPACKET)
    names_r, names_w = os.pipe()
    with contextlib.suppress(OSError, ValueError, AttributeError):  # else their buffers print twice
        sys.stdout.flush()
        sys.stderr.flush()
    # SIGINT stays blocked in the zygote and its workers until a task starts (pool.in_task).
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        ours.close()
        os.close(names_w)
        _zygote(theirs, names_r, parent)  # never returns
    signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    theirs.close()
    os.close(names_r)
    _pending = _Pending(pid, ours, names_w)


def adopt(pid: int, ctl: unixsock.Socket, names_w: int) -> None:
    """Take a zygote started otherwise (pivot.executor.spawning) as the pending one."""
    global _pending
    assert _pending is None and _server is None
    _pending = _Pending(pid, ctl, names_w)


def start_spawned(ctl_fd: int, names_r: int, parent: int) -> None:
    """In a zygote started as a fresh interpreter: serve on the descriptors it was given."""
    _zygote(unixsock.adopt(ctl_fd), names_r, parent)


def pending() -> bool:
    return _pending is not None


def pending_ended() -> bool:
    """Whether the pending zygote has already ended (a spawned one that could not start)."""
    return _pending is not None and _ended(_pending.pid)


def sent() -> bool:
    """Whether the pending zygote was sent anything to import."""
    return _pending is not None and bool(_pending.sent)


def send(root: str, *modules: str) -> None:
    """Have the pending zygote import `modules` of the project at `root` now, while this process
    imports them too."""
    assert _pending is not None
    lines = [item for item in ([] if _pending.sent else [root]) + list(modules) if item not in _pending.sent]
    _pending.sent.update(lines)
    if lines:
        with contextlib.suppress(BrokenPipeError):  # it died: the first fork request says so
            _write_all(_pending.names_w, "".join(line + "\n" for line in lines).encode())


def hand_over(root: str, modules: list[str]) -> Server:
    """Send the last modules and make the zygote the server workers are forked from, in place
    of any earlier one: it forks once it has imported all it was sent."""
    global _pending, _server
    if modules or (_pending is not None and not _pending.sent):
        send(root, *modules)
    assert _pending is not None
    zygote, _pending = _pending, None
    os.close(zygote.names_w)
    _server = Server(zygote.pid, zygote.ctl)
    return _server


def server() -> Server | None:
    """The zygote that serves, if it is still alive."""
    global _server
    if _server is not None and _ended(_server.pid):
        _server.ctl.close()
        _server = None
    return _server


def retire() -> None:
    """The pivot program is about to end: the serving zygote, which the kernel ends with it, is
    to end on an idle CPU, not on the one the shell or caller waiting for pivot needs (its
    lingering workers already do: forkpool._wait_for_end)."""
    if _server is not None:
        with contextlib.suppress(OSError):
            _server.ctl.send(b"I")


def stop() -> None:
    """End the serving zygote (one holding another project's or older code: see warm)."""
    global _server
    if _server is None:
        return
    zygote, _server = _server, None
    zygote.ctl.close()  # it reads end-of-file and exits
    with contextlib.suppress(ChildProcessError):
        os.waitpid(zygote.pid, 0)


def dismiss() -> None:
    """End a zygote that was not handed over: it reads end-of-file and exits; reap it. One sent
    nothing yet runs none of the user's code: it is killed, not left to finish importing pivot's."""
    global _pending
    if _pending is None:
        return
    zygote, _pending = _pending, None
    os.close(zygote.names_w)
    zygote.ctl.close()
    if not zygote.sent:
        with contextlib.suppress(OSError):
            os.kill(zygote.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(zygote.pid, 0)


def _ended(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


def _zygote(ctl: unixsock.Socket, names_r: int, parent: int) -> None:
    """The child: import the worker's modules and those it is sent, then fork workers until
    this process closes the control socket. Like multiprocessing's fork start method it keeps
    the parent's other descriptors: at this point in a run there are hardly any, and closing
    them would let a parent's file object that the child drops close whatever took its number."""
    status = 1
    try:
        from pivot.executor import pool

        if not pool.killed_with_parent(parent):
            return
        _fresh_handlers()
        from pivot.base import lifetime

        if lifetime.stage_gc_threshold is not None:  # the pivot program's own: not for stages
            gc.set_threshold(*lifetime.stage_gc_threshold)
        # Copy-on-write: the collector never walks the parent's objects in the zygote or in a
        # worker, so their pages stay shared, and nothing of the parent's is finalized here.
        gc.freeze()
        from pivot.base import importing
        from pivot.executor import warm

        for name in warm.BASE_PRELOAD:  # while the parent imports what loading needs
            importlib.import_module(name)
        with os.fdopen(names_r, "rb") as names:
            first = names.readline()  # the root (maybe empty); nothing at all: dismissed
            if first:
                root = first.decode().rstrip("\n")
                if root:  # this process's copies may be older than the files (a long-lived caller)
                    importing.forget(root, keep_on_path=True)
                rest = (line.decode().rstrip("\n") for line in names)
                warm.preload_lines(itertools.chain([root], rest))
        if first:
            gc.freeze()  # what was preloaded too: a stage's collections never walk it (nor copy its pages)
            from pivot.executor import forkpool

            forkpool.stdin_from_devnull()  # for every worker at once
            _serve(ctl)
        status = 0
    finally:
        os._exit(status)


def _fresh_handlers() -> None:
    """The signal handlers of a fresh interpreter, not those the caller of pivot installed (a
    stage gets KeyboardInterrupt on Ctrl-C, as in multiprocessing's server)."""
    for number in signal.valid_signals():
        with contextlib.suppress(OSError, ValueError):
            handler = signal.getsignal(number)
            if callable(handler) and handler is not signal.default_int_handler:
                signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _serve(ctl: unixsock.Socket) -> None:
    """Fork a worker for each request; report each worker's end. Returns when the parent closes
    the control socket (its idle workers end as their sockets close; a busy one it kills)."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that the wakeup byte is written
    while True:
        readable, _, _ = select.select([ctl.fileno(), wake_r], [], [])
        if wake_r in readable:
            os.read(wake_r, 4096)
            _report_ended(ctl)
        if ctl.fileno() in readable:
            message, fds = unixsock.recv_fds(ctl, 256, 1)
            if not message:
                return
            if message == b"I":
                from pivot.executor import forkpool

                forkpool.idle()  # `retire`
                continue
            me = os.getpid()
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                for fd in (wake_r, wake_w, ctl.fileno()):
                    os.close(fd)
                _worker(fds[0], me)  # never returns
            os.close(fds[0])
            with contextlib.suppress(OSError):
                ctl.send(b"P %s %d" % (message.split()[1], pid))


def _worker(fd: int, zygote: int) -> None:
    from pivot.executor import forkpool, pool

    if not pool.killed_with_parent(zygote):  # the zygote ends with pivot, so this one does too
        os._exit(1)
    forkpool.worker_main(fd)


def _report_ended(ctl: unixsock.Socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        with contextlib.suppress(OSError):
            ctl.send(b"X %d %d" % (pid, os.waitstatus_to_exitcode(status)))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
