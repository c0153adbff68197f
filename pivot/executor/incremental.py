"""Before an `IncrementalOut` stage runs: its previous output, as an independent copy.

The stage may append to the file in place, so it must never be a link into the cache (hardlink
or symlink cache types make it one after each commit): writing through it would damage the
cached object. A workspace copy is kept as it is (a hand edit included, as DVC's `persist`
does); a missing one comes back from the cache by copy; without either the stage starts empty.
"""

from __future__ import annotations

import os
import pathlib

from pivot import errors
from pivot.declare.stage import Stage
from pivot.executor import outshapes
from pivot.storage import links, placing
from pivot.storage.lock import StageLock
from pivot.worktree.workspace import Workspace


def prepare(ws: Workspace, stage: Stage, lock: StageLock | None) -> None:
    for out in outshapes.incremental(stage):
        target = ws.project.abspath(out.path)
        if os.path.lexists(target):
            _own_copy(os.fspath(target))
            continue
        locked = lock.outputs.get(out.path) if lock is not None else None
        if locked is None:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            ws.cache.checkout(locked.info.oid, target, ws.hasher, copy=True)
        except errors.CacheError:
            # Not in the cache (a clone that has not pulled): the stage starts from nothing,
            # as on its first run, rather than failing.
            placing.remove(target)


def _own_copy(path: str) -> None:
    """Replace `path` (a file or directory) by a private copy of itself when it is a link."""
    if os.path.isdir(path) and not os.path.islink(path):
        for base, _, names in os.walk(path):
            for name in names:
                _own_copy(os.path.join(base, name))
        return
    if not os.path.islink(path) and os.stat(path).st_nlink == 1:
        return  # a plain file: already the stage's own
    tmp = placing.sibling(path, "own")
    try:
        if os.path.isdir(path):  # a symlink to a directory
            import shutil  # on first use: shutil imports bz2 and lzma (2 ms of every run's start)

            shutil.copytree(path, tmp, symlinks=False)
        else:
            links.copy(path, tmp)
        placing.remove(pathlib.Path(path))
        os.replace(tmp, path)
    except BaseException:
        placing.remove(pathlib.Path(tmp))
        raise
