"""The zygote (pivot.executor.zygote) started as a fresh interpreter, as the pivot program starts
a `pivot run` of a project with no no-op memo (pivot.program), rather than forked from pivot once
the no-op check has found work: a fork shares every page with pivot copy-on-write, and each page
loading then writes is a page fault in pivot (some 1,900, 6 ms of a 100 ms cold run), while
posix_spawn shares nothing and costs pivot 0.15 ms. Started 25 ms into the run, on a core that
is idle until then, it has imported the worker's modules well before loading names the
project's. It is handed over as a forked one is; one that cannot start ends silently, and a
forked one takes its place.

Only what the start needs is imported before it (`_socket`, `_signal`: not `socket` or the
zygote's module, whose imports come after, while the new interpreter starts).
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # (no stubs; `signal` makes enums first)
import _socket
import os
import sys

_SPAWN_ENV = "PIVOT_ZYGOTE"  # its control socket, its names pipe, this process's pid
_PATH_ENV = "PIVOT_ZYGOTE_PATH"
# Nothing a spawned zygote fails at prints: pivot forks one instead (zygote.pending_ended).
_SPAWNED = f"""import os, sys
sys.path[:] = os.environ.pop("{_PATH_ENV}").split(os.pathsep)
try:
    from pivot.executor import spawning
except BaseException:
    os._exit(1)
spawning.spawned()
"""


def spawn() -> None:
    """Start the zygote now as a fresh interpreter, to be handed over as a forked one would be;
    nothing when this interpreter runs with options a fresh one would not have (it is forked
    later then: zygote.fork)."""
    # Unlike a fork, safe beside threads: only the platform (PR_SET_PDEATHSIG) and the options matter.
    if _has_zygote() or not sys.platform.startswith("linux") or not _plain_interpreter():
        return
    ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
    names_r, names_w = os.pipe()
    # Its sys.path is this one's (`python -m pivot` in a checkout finds pivot in the cwd).
    env = {**os.environ, _SPAWN_ENV: f"{theirs.fileno()} {names_r} {os.getpid()}", _PATH_ENV: os.pathsep.join(sys.path)}
    try:
        os.set_inheritable(theirs.fileno(), True)
        os.set_inheritable(names_r, True)
        # SIGINT blocked, as in a forked zygote: until a task starts (pool.in_task).
        pid = os.posix_spawn(sys.executable, [sys.executable, "-P", *_flags(), "-c", _SPAWNED], env, setsigmask={_signal.SIGINT})
    except OSError:
        ours.close()
        os.close(names_w)
        return
    finally:
        theirs.close()
        os.close(names_r)
    from pivot.executor import zygote

    zygote.adopt(pid, ours, names_w)


def spawned() -> None:
    """The fresh interpreter `spawn` started: the zygote, on the descriptors it was given."""
    from pivot.executor import zygote

    ctl, names_r, parent = (int(part) for part in os.environ.pop(_SPAWN_ENV).split())
    zygote.start_spawned(ctl, names_r, parent)


def _has_zygote() -> bool:
    zygote = sys.modules.get("pivot.executor.zygote")  # not imported: none was started
    return zygote is not None and (zygote.pending() or zygote.server() is not None)


def _plain_interpreter() -> bool:
    """No option a fresh `python -c` would lack (the environment it shares; -B is passed on),
    and an interpreter to run it (not a frozen application's executable)."""
    flags = sys.flags
    return bool(sys.executable) and not getattr(sys, "frozen", False) and not (
        sys._xoptions or sys.warnoptions or flags.optimize or flags.isolated or flags.ignore_environment
        or flags.no_user_site or flags.no_site or flags.dev_mode or flags.bytes_warning or flags.verbose
    )


def _flags() -> list[str]:
    return ["-B"] if sys.flags.dont_write_bytecode else []
