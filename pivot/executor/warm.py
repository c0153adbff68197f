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

import os
import sys
from collections.abc import Iterable

from pivot.base import importing
from pivot.executor import fdcapture

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
        and not name.startswith("pivot")
        and importing.is_project_module(getattr(module, "__file__", None), root)
    ]


def preload(spec: str) -> None:
    """Import the project's modules; one that fails is left for the stage to import and report."""
    global _root
    root, *modules = spec.split("\n")
    if not root or not modules:
        return
    os.chdir(root)  # as in a worker: a module that reads a file at import finds it
    importing.put_on_path(root)
    with fdcapture.captured(os.devnull):  # what a module prints on import belongs in the stage's log, not the terminal
        for name in modules:
            try:
                importing.import_object(name)
            except BaseException:  # the user's code may raise anything, even SystemExit
                continue
    _root = root
    _stats.update(_snapshot(root))


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


_served: tuple[str, dict[str, tuple[int, int]]] | None = None  # what the running fork server holds


def start_server(base_modules: list[str]) -> None:
    """Start the fork server (now, so it imports while the pool gets ready) holding the modules
    of the project loaded last; one that holds older code or another project's is restarted."""
    global _served
    from multiprocessing import forkserver

    root = importing.current_root()
    spec = encode(root, project_modules(root)) if root else ""
    running = getattr(forkserver._forkserver, "_forkserver_pid", None) is not None
    if running and _served is not None and _served[0] == spec and _snapshot(root or "", _served[1]) == _served[1]:
        return
    if running and hasattr(forkserver._forkserver, "_stop"):
        forkserver._forkserver._stop()  # its workers would each import the project again
    forkserver.set_forkserver_preload([*base_modules, __name__])
    saved = os.environ.get(PRELOAD_ENV)
    os.environ[PRELOAD_ENV] = spec  # read by the server's own import of this module
    try:
        forkserver.ensure_running()
    finally:
        if saved is None:
            del os.environ[PRELOAD_ENV]
        else:
            os.environ[PRELOAD_ENV] = saved
    _served = (spec, _snapshot(root) if root else {})


if PRELOAD_ENV in os.environ:  # imported by the fork server at its start-up
    preload(os.environ.pop(PRELOAD_ENV))
