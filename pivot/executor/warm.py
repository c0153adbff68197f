"""The project's modules imported once, in the fork server every local worker is forked from, so
a stage module that is slow to import (scikit-learn, pandas) is paid for once per run instead of
once per worker; and the check, before each stage, that what a worker has imported is still what
is on disk.

The parent names the project and its modules in the fork server's environment (`PRELOAD_ENV`);
the server imports this module at start-up, which imports them. A fork server outlives a run in a
long-lived process (the Python API), so every task compares the files' stats with those taken at
import and forgets the project's modules when one changed or the task is another project's.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pivot.base import importing
from pivot.executor import fdcapture

if TYPE_CHECKING:
    from pivot.executor import zygote

PRELOAD_ENV = "PIVOT_WORKER_PRELOAD"

_root: str | None = None  # the project whose modules this process holds from the preload
_stats: dict[str, tuple[int, int]] = {}  # module file -> (mtime_ns, size) when it was imported


def encode(root: str, modules: Iterable[str]) -> str:
    return "\n".join([root, *sorted(modules)])


def project_modules(root: str) -> list[str]:
    """The modules of the project at `root` this process has imported (what loading needed)."""
    return [
        name
        for name, module in list(sys.modules.items())
        if name not in ("__main__", "__mp_main__")
        and name != "pivot" and not name.startswith("pivot.")
        and importing.is_project_module(getattr(module, "__file__", None), root)
    ]


def preload(spec: str) -> None:
    """Import the project's modules; one that fails is left for the stage to import and report."""
    preload_lines(iter(spec.split("\n")))


def preload_lines(lines: Iterator[str]) -> None:
    """`preload` from the project root and then one module per item, imported as each arrives
    (a zygote reads them from a pipe while this process's loading names them)."""
    global _root
    root = next(lines, "")
    if not root:
        return
    os.chdir(root)  # as in a worker: a module that reads a file at import finds it
    importing.put_on_path(root)
    imported = False
    with fdcapture.captured(os.devnull):  # what a module prints on import belongs in the stage's log, not the terminal
        for name in lines:
            imported = True
            try:
                importing.import_object(name)
            except BaseException:  # the user's code may raise anything, even SystemExit
                continue
    if imported:
        _root = root
        _stats.update(_snapshot(root))
        importing.seal_bytecode(root)


def ensure_fresh(root: str) -> None:
    """Before a stage: drop the preloaded modules if the task is another project's or a file
    changed since it was imported, so the stage imports its code as it is now."""
    global _root
    if _root is None:
        return
    if _root != root or _snapshot(_root, _stats) != _stats:
        importing.forget(_root, keep_on_path=_root == root)
        _root = None
        _stats.clear()


def _snapshot(root: str, files: Iterable[str] | None = None) -> dict[str, tuple[int, int]]:
    if files is None:
        files = {
            os.path.abspath(module.__file__)
            for name in project_modules(root)
            if (module := sys.modules.get(name)) is not None and module.__file__
        }
    stats: dict[str, tuple[int, int]] = {}
    for path in files:
        try:
            st = os.stat(path)
        except OSError:
            stats[path] = (-1, -1)  # deleted since: differs from any recorded stat
            continue
        stats[path] = (st.st_mtime_ns, st.st_size)
    return stats


# What every worker needs: its task code, the pool's task wrapper and, forked by a zygote, its
# loop (pivot.executor.forkpool); or, forked by multiprocessing's server, loky's loop and the
# server's client.
BASE_PRELOAD = ("pivot.executor.worker", "pivot.executor.pool", "pivot.executor.forkpool")
MP_PRELOAD = ("pivot.executor.worker", "pivot.executor.pool", "loky.process_executor", "multiprocessing.popen_forkserver")

_served: tuple[str, dict[str, tuple[int, int]]] | None = None  # the running server's project, files


_expected: tuple[str, tuple[str, ...]] = ("", ())  # the next run's project and its stages' modules


def expect(root: str, modules: Iterable[str]) -> None:
    """Name the modules the next run's stages live in: loading may not have imported them (it
    skips unchanged code), yet the fork server should hold them."""
    global _expected
    _expected = (root, tuple(sorted(set(modules))))


def start_server() -> zygote.Server | None:
    """Make sure a fork server runs and holds the project about to run: one started while that
    project loaded is kept (its workers check their files before each stage), one holding older
    code or another project's is restarted with every module the loading imported or expects.
    The zygote that serves, if the server is one (else it is multiprocessing's, for loky)."""
    from pivot.executor import zygote

    root = importing.current_root() or _expected[0]
    if not (root and _serving(root)):
        modules = set(project_modules(root)) if root else set()
        _restart(root, sorted(modules | set(_expected[1] if _expected[0] == root else ())))
    return zygote.server()


def _serving(root: str) -> bool:
    from pivot.executor import zygote

    up = zygote.server() is not None or _mp_server() is not None
    if not up or _served is None:
        return False
    return _served[0] == root and _snapshot(root, _served[1]) == _served[1]


def _restart(root: str, modules: list[str]) -> None:
    """A server holding `root`'s `modules`: the pending zygote; else a new one when this process
    may fork; else multiprocessing's."""
    global _served
    from pivot.executor import pool, zygote

    if zygote.pending_ended():  # one that could not start: a forked one takes its place
        modules = sorted(set(modules) | set(project_modules(root) if root else ()))
        zygote.dismiss()
    if not zygote.pending():
        zygote.stop()  # its workers would each import the project again
        server = _mp_server()
        if server is not None and hasattr(server, "_stop"):
            server._stop()
        if zygote.possible():
            zygote.fork()
    if zygote.pending():
        zygote.hand_over(root, modules)
        _served = (root, _snapshot(root) if root else {})
        return
    from multiprocessing import forkserver

    forkserver.set_forkserver_preload([*MP_PRELOAD, __name__])
    saved = os.environ.get(PRELOAD_ENV)
    os.environ[PRELOAD_ENV] = encode(root, modules)  # read by the server's own import of this module
    try:
        with pool.sigint_held():  # the server, like the workers it forks, must outlive a Ctrl-C
            forkserver.ensure_running()
    finally:
        if saved is None:
            del os.environ[PRELOAD_ENV]
        else:
            os.environ[PRELOAD_ENV] = saved
    _served = (root, _snapshot(root) if root else {})


def _mp_server() -> Any:
    """multiprocessing's fork server client, if its server runs (not imported: it does not)."""
    forkserver = sys.modules.get("multiprocessing.forkserver")
    server = getattr(forkserver, "_forkserver", None)
    return server if getattr(server, "_forkserver_pid", None) is not None else None


class _Announcer:  # a sys.meta_path finder (importlib.abc would import tempfile, shutil, random: 7 ms)
    """Has the fork server import each top-level project module as loading imports it here, so
    both import the user's code (seconds, for scikit-learn) at the same time: a zygote is sent
    every one; without one, a server is started on the first."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.done = False

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        from pivot.executor import zygote

        if self.done or path is not None or name == "pivot" or name.startswith("pivot."):
            return None  # only top-level modules: a package's submodules come with it
        if self._in_project(name):
            if zygote.pending():
                zygote.send(self.root, name)
            else:
                self.done = True
                with contextlib.suppress(OSError):  # never the user's import's failure: the pool says
                    _restart(self.root, [name])
        return None  # the import itself goes on as usual

    def _in_project(self, name: str) -> bool:
        """A few stats, not a search of sys.path: loading imports many third-party modules."""
        for base in (self.root, os.path.join(self.root, "src")):
            if os.path.isfile(os.path.join(base, name + ".py")) or os.path.isdir(os.path.join(base, name)):
                spec = importlib.machinery.PathFinder.find_spec(name)
                return spec is not None and importing.is_project_module(spec.origin, self.root)
        return False


@contextlib.contextmanager
def preloading(root: str) -> Iterator[None]:
    """While the block loads the project at `root`, have a fork server import its modules as
    this process does: a zygote forked now when this process may fork (pivot.executor.zygote),
    else a server started on the first project module imported."""
    from pivot.executor import zygote

    if not zygote.pending():
        prefork(root)
    finder = _Announcer(root)
    sys.meta_path.insert(0, finder)
    try:
        yield
    except BaseException:
        zygote.dismiss()  # the run ends here
        raise
    finally:
        sys.meta_path.remove(finder)
    if zygote.sent():  # loading imported the user's code: the server can serve now
        _restart(root, [])


def prefork(root: str) -> None:
    """Fork the zygote as soon as a run is known to have work: it imports pivot's worker
    modules on another core while this process imports what loading needs, and loads."""
    from pivot.executor import pool, zygote

    if zygote.pending() and not zygote.pending_ended():
        return  # started ahead, as the program started (pivot.executor.spawning): it waits for the modules
    pool.finish_ending()  # a thread left by the last run's pool would forbid the fork
    if not _serving(root) and zygote.possible():
        zygote.fork()


_prespawned: Any = None  # a ForkPool started before the run's first decision (see `prespawn`)


def prespawn(workers: int) -> None:
    """Have the zygote fork a run's workers now, while this process makes its first decisions;
    `pool.create` hands them out."""
    global _prespawned
    from pivot.executor import forkpool, zygote

    server = zygote.server()
    if server is not None and _prespawned is None:
        _prespawned = forkpool.ForkPool(server, workers)


def has_prespawned() -> bool:
    """Whether `prespawn` started workers that `pool.create` will hand out at once."""
    return _prespawned is not None


def prespawned(server: zygote.Server, workers: int) -> Any:
    """The pool `prespawn` started, if it is of `workers` workers of `server`; None otherwise."""
    global _prespawned
    ready, _prespawned = _prespawned, None
    if ready is not None and (ready.server is not server or ready.workers != workers):
        ready.shutdown()
        ready = None
    return ready


def release() -> None:
    """After a run: end the zygote if no worker was needed (see pivot.executor.zygote), and the
    workers `prespawn` started if no stage took them."""
    global _prespawned
    from pivot.executor import zygote

    zygote.dismiss()
    if _prespawned is not None:
        _prespawned.shutdown()
        _prespawned = None


if PRELOAD_ENV in os.environ:  # imported by the fork server at its start-up
    preload(os.environ.pop(PRELOAD_ENV))
