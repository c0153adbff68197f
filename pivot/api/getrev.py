"""`pivot get --rev REV PATH...`: files and directories as they were at a git revision, written
where the user asks, as DVC's `dvc get . PATH --rev REV`.

What a path was at REV comes from what REV committed: a stage's lock (its output, or a file in a
directory output), a `.pvt` file (tracked data, or a file in a tracked directory), or, for
anything else, git's own copy. Cached content comes from the local cache, else the default
remote (into the cache, as `pivot fetch` would). Every path is found before anything is written;
nothing in the workspace is touched but the destinations, and no lock is read from or written to
the workspace. A destination holding other content is replaced only with `force`.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import posixpath
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pivot import errors
from pivot.api import data, session
from pivot.base import atomic
from pivot.base import project as project_mod
from pivot.storage import lock as lock_mod
from pivot.storage import placing
from pivot.storage.hashing import HashInfo
from pivot.worktree import tracking

if TYPE_CHECKING:
    from pivot.api.project import Project
    from pivot.worktree.workspace import Workspace


@dataclasses.dataclass(frozen=True, slots=True)
class Got:
    """One path written (or found already there)."""

    path: str  # project-relative, as REV records it
    dest: pathlib.Path
    source: str  # "cache", "remote" (fetched into the cache first) or "git"
    unchanged: bool  # the destination already held that content


@dataclasses.dataclass(frozen=True, slots=True)
class _Found:
    path: str
    info: HashInfo | None  # a cached object (file or directory)
    blob: bytes | None  # or the bytes git holds


def get(
    proj: Project,
    paths: Sequence[str],
    rev: str,
    *,
    out: pathlib.Path | None = None,
    force: bool = False,
    cwd: pathlib.Path | None = None,
    dest_cwd: pathlib.Path | None = None,
    repo: str | None = None,
) -> list[Got]:
    """Write each of `paths` (relative to `cwd`, default the project root) as it was at `rev`
    to `out` (relative to `dest_cwd`, default `cwd`; default: each path's name there; with
    several paths, `out` is a directory). `repo` names another project's repository in messages
    (pivot.api.getrepo), whose root `paths` are relative to."""
    here = cwd or proj.root
    if not paths:
        raise errors.InputError("name at least one path", hint="pivot get --rev REV PATH [-o OUT]")
    locks = data.locks_at(proj, rev)  # an unknown revision is refused here, before anything
    found = [_find(proj, locks, _relative(proj, raw, here), rev, repo) for raw in paths]
    dests = _destinations(found, out, dest_cwd or here)
    with session.opened(proj.paths, proj.defer) as ws:
        states = [_state(ws, item, dest) for item, dest in zip(found, dests, strict=True)]
        clashes = [str(dest) for dest, state in zip(dests, states, strict=True) if state == "different"]
        if clashes and not force:
            raise errors.PathError(
                f"{', '.join(clashes)} already exist{'s' if len(clashes) == 1 else ''} with other content",
                hint="pass -f to replace it, or -o to write elsewhere",
            )
        return [_write(proj, ws, item, dest, state == "same") for item, dest, state in zip(found, dests, states, strict=True)]


def _relative(proj: Project, raw: str, cwd: pathlib.Path) -> str:
    return project_mod.from_user(proj.root, raw, cwd, what=f"pivot get {raw}")


def _find(proj: Project, locks: Mapping[str, lock_mod.StageLock], rel: str, rev: str, repo: str | None = None) -> _Found:
    """What `rev` records for `rel`: a lock's output, tracked data, a file inside either, or git's file."""
    for lock in locks.values():
        info = lock.output(rel)
        if info is not None:  # an output git holds (a metric, cache=False) has its bytes in git
            return _Found(rel, info, None) if rel in lock.cached else _Found(rel, None, _git(proj, rel, rev))
    tracked = _tracked_at(proj, rel, rev)
    if tracked is not None:
        return _Found(rel, tracked.info, None) if tracked.path == rel else _inner(proj, rel, tracked.path, tracked.info)
    for lock in locks.values():
        for out_path, info in lock.cached.items():
            if info.is_dir and project_mod.is_within(rel, out_path):
                return _inner(proj, rel, out_path, info)
    blob = data.git_blob(proj, rel, rev)
    if blob is None:
        where, base = (f"at git revision '{rev}'", "the current directory") if repo is None else (f"in the repository '{repo}'", "its root")
        raise errors.PathError(
            f"'{rel}' is not {where}: no lock or .pvt file there records it, and git has no such file",
            hint=f"give a path relative to {base}, of an output, tracked data or a committed file "
            f"(git ls-tree -r --name-only {rev} lists the committed ones{'' if repo is None else ', in a clone of it'})",
        )
    return _Found(rel, None, blob)


def _tracked_at(proj: Project, rel: str, rev: str) -> tracking.Tracked | None:
    """The tracked data at `rev` that is `rel` or holds it: the .pvt beside it or a parent."""
    from pivot.base import git

    parts = rel.split("/")
    candidates = [tracking.pvt_of("/".join(parts[:end])) for end in range(len(parts), 0, -1)]
    repo = git.open_repo(proj.root)
    blobs = git.read_files(repo, git.resolve(repo, rev), candidates)
    for pvt in candidates:
        blob = blobs[pvt]
        if blob is not None:
            tracked = tracking.parse(pvt, blob)
            if project_mod.is_within(rel, tracked.path):
                return tracked
    return None


def _inner(proj: Project, rel: str, directory: str, info: HashInfo) -> _Found:
    """A file inside a cached directory, by the directory's manifest (fetched when missing)."""
    with session.opened(proj.paths, proj.defer) as ws:
        data.fetch_if_missing(proj, ws, directory, info)
        inner = rel[len(directory) :].lstrip("/")
        entry = next((e for e in ws.cache.read_manifest(info.oid) if e.relpath == inner), None)
    if entry is None:
        raise errors.PathError(
            f"'{rel}' is not a file of '{directory}' as recorded then",
            hint=f"name a file inside it, or the whole directory: pivot get {directory}",
        )
    return _Found(rel, HashInfo(entry.oid, entry.size), None)


def _git(proj: Project, rel: str, rev: str) -> bytes:
    blob = data.git_blob(proj, rel, rev)
    if blob is None:
        raise errors.PathError(
            f"'{rel}' is kept by git, not the cache, but git has no such file at '{rev}'",
            hint="the lock names it but it was not committed with it; pick another revision",
        )
    return blob


def _destinations(found: Sequence[_Found], out: pathlib.Path | None, cwd: pathlib.Path) -> list[pathlib.Path]:
    names = [posixpath.basename(item.path) for item in found]
    if out is None:
        return [cwd / name for name in names]
    out = cwd / out
    if len(found) > 1 or out.is_dir():  # as cp: into a directory, under each one's own name
        return [out / name for name in names]
    return [out]


def _state(ws: Workspace, item: _Found, dest: pathlib.Path) -> str:
    """"absent", "same" (it already holds that content) or "different"."""
    if not os.path.lexists(dest):
        return "absent"
    if item.info is not None:
        return "same" if placing.already_there(dest, item.info.oid, ws.hasher) else "different"
    return "same" if dest.is_file() and not dest.is_symlink() and dest.read_bytes() == item.blob else "different"


def _write(proj: Project, ws: Workspace, item: _Found, dest: pathlib.Path, same: bool) -> Got:
    if item.info is None:
        if not same:
            if dest.is_dir() and not dest.is_symlink():
                placing.remove(dest)
            dest.parent.mkdir(parents=True, exist_ok=True)
            atomic.write_bytes(dest, item.blob or b"")
        return Got(item.path, dest, "git", same)
    fetched = not ws.cache.is_complete(item.info.oid)
    data.fetch_if_missing(proj, ws, item.path, item.info)
    # A copy, whatever cache.type says: the user may edit what they got, and an edit through a
    # link would change the cache object itself.
    ws.cache.checkout(item.info.oid, dest, ws.hasher, copy=True)
    return Got(item.path, dest, "remote" if fetched else "cache", same)
