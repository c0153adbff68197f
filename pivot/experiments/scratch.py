"""Scratch trees `.pivot/tmp/exps/<name>/`: a copy of the workspace an experiment runs in.

The copy holds the project's files as they are now (committed or not) and its lock files, so
up-to-date stages are restored, not run; its `.pivot/cache` links to the project's cache, so
what any experiment makes (and the run cache that shares stages between them) lands there.

Each file is a reflink where the filesystem has them (btrfs, XFS: no bytes copied, no space
used until one side changes), else a copy in the kernel, with its modification time kept; and
the hashes the project's stat memo holds for the originals are written into the copy's memo, so
an experiment does not read its data again to find it unchanged. Never a hard link: a stage that
wrote into a file in place would change the workspace's.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
from collections.abc import Iterator

from pivot.base import project as project_mod
from pivot.declare import config_edit
from pivot.storage import links, state
from pivot.worktree import workspace

# Never copied: version control, environments, and the project's own cache and scratch space
# (the copy lives inside .pivot/tmp; the cache is linked, not copied).
_SKIP_DIRS = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache"}
_SKIP_DOT = {"cache", "tmp", "logs", "exps", "state.db", "state.db-wal", "state.db-shm", "run.lock"}


def root_of(proj: project_mod.Project) -> pathlib.Path:
    return proj.tmp_dir / "exps"


def create(proj: project_mod.Project, name: str) -> pathlib.Path:
    """A fresh scratch tree for experiment `name` (an old one left by a killed run is replaced)."""
    dest = root_of(proj) / name
    remove(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    copied: list[tuple[str, str]] = []
    reflinks = [True]  # until the filesystem refuses one: the whole tree is on the same one

    def clone(src: str, dst: str) -> str:
        try:
            if not reflinks[0]:
                raise OSError("no reflinks here")
            links.reflink(src, dst)
            shutil.copystat(src, dst)
        except OSError:
            reflinks[0] = False
            shutil.copy2(src, dst)
        copied.append((src, dst))
        return dst

    shutil.copytree(proj.root, dest, symlinks=True, ignore=_ignore(proj.root), copy_function=clone)
    (dest / project_mod.PIVOT_DIR).mkdir(exist_ok=True)
    _seed_memo(proj, project_mod.Project(dest), copied)
    cache = workspace.cache_root(proj)
    cache.mkdir(parents=True, exist_ok=True)  # a project that never ran has none yet
    os.symlink(cache.resolve(), dest / project_mod.PIVOT_DIR / "cache", target_is_directory=True)
    _unset_cache_dir(project_mod.Project(dest))
    return dest


def _seed_memo(proj: project_mod.Project, copy: project_mod.Project, copied: list[tuple[str, str]]) -> None:
    """Give each copy the hash the project's memo holds for its original, where that hash is
    still the original's (same inode, mtime and size now) and the copy kept its mtime and size."""
    if not copied or not proj.state_db.is_file():
        return
    pairs = []
    for src, dst in copied:
        with contextlib.suppress(OSError):  # gone since: it is hashed if a stage needs it
            pairs.append((src, os.stat(src), dst, os.stat(dst)))
    with state.StateDB(proj.state_db) as memo:
        oids = memo.get_many([(src, st) for src, st, _, _ in pairs])
    rows = [
        (dst, dst_st, oid)
        for (_, st, dst, dst_st), oid in zip(pairs, oids, strict=True)
        if oid is not None and (dst_st.st_mtime_ns, dst_st.st_size) == (st.st_mtime_ns, st.st_size)
    ]
    with state.StateDB(copy.state_db) as memo:
        memo.put_many(rows)


def _unset_cache_dir(copy: project_mod.Project) -> None:
    """A relative `cache.dir` would name another place from inside the copy: the copy's
    `.pivot/cache` link is the project's cache wherever that is."""
    for path in (copy.config_file, copy.local_config_file):
        if path.is_file() and "dir" in path.read_text(encoding="utf-8"):
            config_edit.update(path, lambda data: config_edit.drop(data, ("cache", "dir")))


def remove(path: pathlib.Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def cleaned(proj: project_mod.Project) -> Iterator[None]:
    """Remove every scratch tree when the block ends, however it ends (a failure, Ctrl-C)."""
    try:
        yield
    finally:
        remove(root_of(proj))
        with contextlib.suppress(OSError):
            root_of(proj).parent.rmdir()  # .pivot/tmp itself, when nothing else uses it


def _ignore(root: pathlib.Path):  # type: ignore[no-untyped-def]
    dot = root / project_mod.PIVOT_DIR

    def ignore(directory: str, names: list[str]) -> set[str]:
        if pathlib.Path(directory) == dot:
            return {name for name in names if name in _SKIP_DOT}
        return {name for name in names if name in _SKIP_DIRS}

    return ignore
