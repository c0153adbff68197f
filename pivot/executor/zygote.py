"""The fork server as a fork of pivot itself, made before the pipeline loads.

multiprocessing starts its fork server as a fresh interpreter, which then imports loky, pivot's
worker and the project's modules: 0.1 s before the first worker can be forked, on the path of
every cold run. Forked from this process instead, as soon as a run is known to have work, it
starts with pivot's CLI already imported, imports the worker's modules on another core while
this process imports what loading needs, imports each of the project's modules as loading names
it, then serves forks exactly as multiprocessing's own server does
(`multiprocessing.forkserver.main`), so loky and the workers see no difference.

Forking is only safe in a process with no other thread and no child pool (their locks and pipes
would be copied half-held), and only on Linux; anywhere else `possible` is False and the server
is started the usual way. A zygote the run did not need is dismissed: it reads end-of-file and
exits. It never returns into this process's code and never runs its exit handlers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import importlib
import itertools
import os
import signal
import socket
import sys
import threading
from typing import Any

_SERVER_FIELDS = ("_forkserver_address", "_forkserver_alive_fd", "_forkserver_pid", "_stop")


@dataclasses.dataclass(slots=True)
class _Pending:
    pid: int
    address: str
    alive_w: int  # held by this process and every worker: the server ends when all have closed it
    names_w: int  # the root, then one module per line; closed before anything is sent, it exits
    sent: set[str] = dataclasses.field(default_factory=set)  # the root and the modules sent so far


_pending: _Pending | None = None
_tracker: int | None = None  # a resource tracker forked for the pending zygote: ended with it


def possible() -> bool:
    """Single-threaded, no multiprocessing children, Linux, and a multiprocessing whose fork
    server client has the fields this module fills in (as 3.11-3.13 have)."""
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    import multiprocessing
    from multiprocessing import forkserver

    server = forkserver._forkserver
    if multiprocessing.active_children() or any(not hasattr(server, field) for field in _SERVER_FIELDS):
        return False
    return not hasattr(server, "_forkserver_authkey")  # a newer handshake this module does not speak


def fork() -> None:
    """Fork the zygote; it waits for `hand_over`. Without a socket to serve on (a temp directory
    whose path is too long for one), there is none, and the server is started the usual way."""
    global _pending
    dismiss()
    _stop_server()  # else the zygote holds its `alive` pipe open, and it never ends
    try:
        listener, address = _listener()
    except OSError:
        return
    alive_r, alive_w = os.pipe()
    names_r, names_w = os.pipe()
    with contextlib.suppress(OSError, ValueError, AttributeError):  # else their buffers print twice
        sys.stdout.flush()
        sys.stderr.flush()
    # SIGINT stays blocked in the zygote, as in a server started under pool.sigint_held.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    pid = os.fork()
    if pid == 0:
        _zygote(listener.fileno(), alive_r, names_r, (alive_w, names_w))  # never returns
    signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    listener.close()
    os.close(alive_r)
    os.close(names_r)
    _pending = _Pending(pid, address, alive_w, names_w)


def fork_tracker() -> None:
    """Start multiprocessing's resource tracker as a fork of this process. Started the usual way
    (on the first worker's start) it is a fresh interpreter importing site and multiprocessing:
    30 ms of CPU on a core the workers' start needs. A Python whose tracker lacks the fields
    filled in here starts it the usual way."""
    global _tracker
    from multiprocessing import resource_tracker

    tracker: Any = resource_tracker._resource_tracker
    if getattr(tracker, "_fd", 0) is not None or getattr(tracker, "_pid", 0) is not None:
        return  # running already, or not a tracker this function knows
    r, w = os.pipe()
    with contextlib.suppress(OSError, ValueError, AttributeError):  # it closes stdout: nothing to print twice
        sys.stdout.flush()
        sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:  # only the pipe and the standard streams, as its usual start passes
            os.closerange(3, r)
            os.closerange(r + 1, os.sysconf("SC_OPEN_MAX"))
            resource_tracker.main(r)  # returns once every holder of `w` has closed it
        finally:
            os._exit(0)
    os.close(r)
    tracker._fd, tracker._pid = w, pid
    _tracker = pid


def _end_tracker() -> None:
    """End the tracker `fork_tracker` started for a zygote that was dismissed: no worker used it."""
    global _tracker
    from multiprocessing import resource_tracker

    pid, _tracker = _tracker, None
    tracker: Any = resource_tracker._resource_tracker
    if pid is None or tracker._pid != pid:
        return
    os.close(tracker._fd)  # it reads end-of-file and returns
    tracker._fd = tracker._pid = None
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _listener() -> tuple[socket.socket, str]:
    """A socket in multiprocessing's temp directory, only for this user, as its server's is."""
    from multiprocessing import connection, util

    listener = socket.socket(socket.AF_UNIX)
    try:
        address = connection.arbitrary_address("AF_UNIX")  # type: ignore[attr-defined]
        listener.bind(address)
        if not util.is_abstract_socket_namespace(address):
            os.chmod(address, 0o600)
        listener.listen()
    except OSError:
        listener.close()
        raise
    return listener, address


def pending() -> bool:
    return _pending is not None


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
        with contextlib.suppress(BrokenPipeError):  # it died: the first fork says so, as with any server
            _write_all(_pending.names_w, "".join(line + "\n" for line in lines).encode())


def hand_over(root: str, modules: list[str]) -> None:
    """Send the last modules and make the zygote the fork server loky forks workers from, in
    place of any earlier one: it serves once it has imported all it was sent."""
    global _pending, _tracker
    from multiprocessing import forkserver

    if modules or (_pending is not None and not _pending.sent):
        send(root, *modules)
    assert _pending is not None
    zygote, _pending = _pending, None
    _tracker = None  # the workers' starts use it from now on
    os.close(zygote.names_w)
    server: Any = forkserver._forkserver  # (its fields are not public: see `possible`)
    server._forkserver_address = zygote.address
    server._forkserver_alive_fd = zygote.alive_w
    server._forkserver_pid = zygote.pid


def _stop_server() -> None:
    """Stop the fork server multiprocessing knows of (one holding another project's or older
    code: see warm.preloading)."""
    from multiprocessing import forkserver

    server: Any = forkserver._forkserver
    if getattr(server, "_forkserver_pid", None) is not None:
        server._stop()


def dismiss() -> None:
    """End a zygote that was not handed over: it reads end-of-file and exits; reap it."""
    global _pending
    if _pending is None:
        return
    zygote, _pending = _pending, None
    os.close(zygote.names_w)
    os.close(zygote.alive_w)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(zygote.pid, 0)
    with contextlib.suppress(OSError):
        if not zygote.address.startswith("\0"):
            os.unlink(zygote.address)
    _end_tracker()


def _zygote(listener_fd: int, alive_r: int, names_r: int, parent_ends: tuple[int, ...]) -> None:
    """The child: wait for the modules, import them, serve forks until every client is gone.
    Like multiprocessing's fork start method it keeps the parent's other descriptors: at this
    point in a run there are hardly any, and closing them would let a parent's file object
    that the child drops close whatever took its number."""
    status = 1
    try:
        for fd in parent_ends:  # else `alive` and `names` never reach end-of-file here
            os.close(fd)
        # Copy-on-write: the collector never walks the parent's objects in the zygote or in a
        # worker, so their pages stay shared, and nothing of the parent's is finalized here.
        gc.freeze()
        from multiprocessing import forkserver

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
            forkserver.main(listener_fd, alive_r, [])
        status = 0
    except SystemExit:  # how forkserver.main ends once every client has closed `alive`
        status = 0
    finally:
        os._exit(status)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
