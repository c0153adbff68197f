"""`pivot ls [PATH] [--repo URL] [--rev REV] [-R]`: what a commit of a project holds, as DVC's
`dvc list`: the files git keeps, and beside them the data the commit records but git does not
hold (stage outputs from the committed locks, tracked data from the committed `.pvt` files),
each marked as such, with its size. It is what `pivot get` and `pivot import` can fetch.

No data is fetched: a cached directory is opened from its manifest, read from the local cache or
else the default remote, and listed as one entry when neither has it.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import posixpath
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from pivot import errors
from pivot.base import project as project_mod
from pivot.storage.hashing import FileEntry, HashInfo

if TYPE_CHECKING:
    from pivot.api.project import Project


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a listing."""

    path: str  # relative to the directory listed
    kind: str  # "git" (a file or directory git keeps), "output" (a stage's cached output) or "tracked"
    is_dir: bool
    size: int | None = None  # bytes, of cached data only
    nfiles: int | None = None  # of a cached directory


def listing_here(proj: Project, raw: str, rev: str, *, recursive: bool, cwd: pathlib.Path) -> list[Entry]:
    """`listing` of `raw`, a path typed relative to `cwd` (the project root for "" or ".")."""
    if os.path.normpath(os.path.join(cwd, raw or ".")) == os.path.normpath(proj.root):
        return listing(proj, "", rev, recursive=recursive)
    return listing(proj, project_mod.from_user(proj.root, raw, cwd, what=f"pivot ls {raw}"), rev, recursive=recursive)


def listing(proj: Project, path: str = "", rev: str = "HEAD", *, recursive: bool = False, where: str = "") -> list[Entry]:
    """The entries of project-relative directory `path` (default: the root) at git revision `rev`;
    every file below it with `recursive`. A path that is a file lists that file. `where` names the
    revision in messages ("in the repository URL")."""
    from pivot.base import git
    from pivot.storage import lock as lock_mod
    from pivot.worktree import tracking

    repo = git.open_repo(proj.root)
    sha = git.resolve(repo, rev)
    every = git.list_files(repo, sha, ".")  # the .pvt of `path` itself lies beside it, not in it
    files = [name for name in every if _under(name, path)]
    data: dict[str, tuple[str, HashInfo]] = {}
    for lock in lock_mod.committed(repo, sha).values():
        data.update((out, ("output", info)) for out, info in lock.cached.items())
    pvts = [name for name in every if name.endswith(tracking.PVT_SUFFIX) and (_under(name, path) or _under(path, name.removesuffix(tracking.PVT_SUFFIX)))]
    for pvt, blob in git.read_files(repo, sha, pvts).items():
        if blob is not None:
            tracked = tracking.parse(pvt, blob)
            data[tracked.path] = ("tracked", tracked.info)
    owner = next((p for p in data if path and (p == path or (data[p][1].is_dir and project_mod.is_within(path, p)))), None)
    entries = _inside(proj, path, owner, data[owner], recursive) if owner else _entries(proj, path, files, data, recursive)
    if not entries and path:
        raise errors.PathError(
            f"'{path}' is not {where or f'at git revision {rev!r}'}: git has no such file and no lock or .pvt file there records it",
            hint="give a directory or file of the project, relative to its root (pivot ls lists the root)",
        )
    return entries


def _inside(proj: Project, path: str, owner: str, item: tuple[str, HashInfo], recursive: bool) -> list[Entry]:
    """`path` when it is cached data (`owner`) or lies in a cached directory (`owner`): the file
    itself, or the directory's members as its manifest lists them; the whole directory as one
    entry when no manifest can be had."""
    kind, info = item
    inner = _manifest(proj, info) if info.is_dir else None
    if inner is None:
        return [_data_entry(posixpath.basename(owner), kind, info)] if owner == path else []
    prefix = path[len(owner) + 1 :]
    found: dict[str, Entry] = {}
    for member in inner:
        if member.relpath == prefix:  # a file of the directory
            return [Entry(posixpath.basename(prefix), kind, False, member.size)]
        rel = member.relpath if not prefix else _relative(member.relpath, prefix)
        if rel is not None:
            _add(found, rel, Entry(rel, kind, False, member.size), recursive, kind)
    return sorted(found.values(), key=lambda entry: entry.path)


def _entries(proj: Project, path: str, files: Iterable[str], data: Mapping[str, tuple[str, HashInfo]], recursive: bool) -> list[Entry]:
    """Every file of git and every data path under `path`, as entries relative to it: immediate
    children only (deeper ones make their first directory an entry), or all files with `recursive`."""
    found: dict[str, Entry] = {}
    below = {p: item for p, item in data.items() if _under(p, path)}
    for name in files:
        rel = _relative(name, path)
        if rel is not None and not any(project_mod.is_within(name, p) for p in below):
            _add(found, rel, Entry(rel, "git", False), recursive)
    for full, (kind, info) in below.items():
        rel = _relative(full, path) or posixpath.basename(full)
        inner = _manifest(proj, info) if recursive and info.is_dir else None
        if inner is None:
            _add(found, rel, _data_entry(rel, kind, info), recursive)
        for entry in inner or ():
            member = posixpath.join(rel, entry.relpath)
            found[member] = Entry(member, kind, False, entry.size)
    return sorted(found.values(), key=lambda entry: entry.path)


def _add(found: dict[str, Entry], rel: str, entry: Entry, recursive: bool, kind: str = "git") -> None:
    top, _, rest = rel.partition("/")
    if rest and not recursive:  # deeper: its first directory stands for it
        found.setdefault(top, Entry(top, kind, True))
    else:
        found[rel] = entry


def _data_entry(rel: str, kind: str, info: HashInfo) -> Entry:
    return Entry(rel, kind, info.is_dir, info.size, info.nfiles)


def _under(full: str, path: str) -> bool:
    return not path or project_mod.is_within(full, path)


def _relative(full: str, path: str) -> str | None:
    if not path:
        return full
    return full[len(path) + 1 :] if full.startswith(path + "/") else None


def _manifest(proj: Project, info: HashInfo) -> tuple[FileEntry, ...] | None:
    """A cached directory's members: from the local cache's manifest, else the default remote's
    (only the manifest is read); None when neither has it."""
    from pivot.api import session

    with session.opened(proj.paths, proj.defer) as ws:
        try:
            return ws.cache.read_manifest(info.oid)
        except errors.CacheError:
            pass
        from pivot.remote import fs, transfer
        from pivot.remote import spec as remote_spec

        try:
            remote = fs.Remote(remote_spec.resolve(ws.settings, None, proj.root))
            return transfer.remote_manifest(ws.cache, remote, info.oid)
        except (errors.PivotError, OSError):  # no remote, or not there: the directory stays one entry
            return None


def listing_repo(url: str, path: str = "", rev: str | None = None, *, recursive: bool = False, cwd: pathlib.Path) -> list[Entry]:
    """`listing` of the project in the repository at `url` (a URL git takes, or a path relative to
    `cwd`), at `rev` (default: its default branch)."""
    from pivot.api import getrepo

    with getrepo.cloned(getrepo.located(url, cwd), rev) as (other, _):
        inside = project_mod.normalize(path, what=f"pivot ls {path}") if path else ""
        return listing(other, inside, "HEAD", recursive=recursive, where=f"in the repository '{url}'")
