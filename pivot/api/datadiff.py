"""`pivot diff`: which data changed between two git revisions, or between one and the workspace,
as DVC's `dvc diff` says it.

The data of a side is what git does not hold: each stage's cached outputs (from its lock) and
each `.pvt`-tracked path. At a revision they are what that commit's lock and `.pvt` files
record; in the workspace, what the files hold now (hashed through the stat memo), for the paths
the workspace's locks and `.pvt` files name, so an output edited or rebuilt and not yet committed
shows as modified. A directory that changed is listed with a trailing `/` and then each file
inside it that changed, when both sides' file lists are in the local cache; otherwise it is
listed alone and its path is named in `not_in_cache` (`pivot fetch` brings the lists).
A path deleted on one side and added with the same content on the other is a rename.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pivot import errors
from pivot.base import git
from pivot.base import project as project_mod
from pivot.storage.hashing import FileEntry, HashInfo

if TYPE_CHECKING:
    from pivot.api.project import Project
    from pivot.worktree.workspace import Workspace

WORKSPACE = "workspace"


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    """One path that differs: its content on the old side and on the new (None: not there)."""

    path: str  # project-relative; a directory's ends with "/"
    old: str | None
    new: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Renamed:
    """A path gone from the old side whose content appears under another path on the new one."""

    old_path: str
    new_path: str
    oid: str


@dataclasses.dataclass(frozen=True, slots=True)
class DataDiff:
    """What `pivot diff` reports, each group sorted by path."""

    old: str  # the revision as given
    new: str  # the other revision, or "workspace"
    added: tuple[Change, ...] = ()
    deleted: tuple[Change, ...] = ()
    modified: tuple[Change, ...] = ()
    renamed: tuple[Renamed, ...] = ()
    not_in_cache: tuple[str, ...] = ()  # directories whose file lists the local cache lacks

    @property
    def empty(self) -> bool:
        return not (self.added or self.deleted or self.modified or self.renamed)


def diff(
    proj: Project, old: str = "HEAD", new: str | None = None, targets: Sequence[str] = (), cwd: pathlib.Path | None = None
) -> DataDiff:
    """Compare the data at revision `old` with that at `new` (None: the workspace); `targets`
    (paths relative to `cwd`, default the project root) keep only the data at or inside them."""
    from pivot.api import session

    here = cwd or proj.root
    wanted = [_relative(proj, raw, here) for raw in targets]  # a path outside the project: refused first
    repo = git.open_repo(proj.root)  # so are no repository and an unknown revision
    shas = [git.resolve(repo, rev) for rev in (old, new) if rev is not None]
    with session.opened(proj.paths, proj.defer) as ws:
        before = _kept(_at_revision(repo, shas[0]), wanted)
        after = _kept(_at_revision(repo, shas[1]) if new is not None else _in_workspace(ws), wanted)
        return _narrowed(_compare(ws, old, new or WORKSPACE, before, after), wanted)


def _relative(proj: Project, raw: str, cwd: pathlib.Path) -> str:
    return project_mod.from_user(proj.root, raw, cwd, what=f"pivot diff --targets {raw}")


# One side: each data path with its content, and a directory's files when they are known.
_Side = dict[str, tuple[HashInfo, tuple[FileEntry, ...] | None]]


def _at_revision(repo: git.Repo, sha: str) -> _Side:
    from pivot.storage import lock as lock_mod
    from pivot.worktree import tracking

    side: _Side = {}
    for stage_lock in lock_mod.committed(repo, sha).values():
        side.update((path, (info, None)) for path, info in stage_lock.cached.items())
    pvts = [path for path in git.list_files(repo, sha, ".") if path.endswith(tracking.PVT_SUFFIX)]
    for pvt, blob in git.read_files(repo, sha, pvts).items():
        if blob is not None:
            tracked = tracking.parse(pvt, blob)
            side[tracked.path] = (tracked.info, None)
    return side


def _in_workspace(ws: Workspace) -> _Side:
    from pivot.worktree import tracking

    paths: set[str] = {t.path for t in tracking.find(ws.project)}
    for lock_path in sorted(ws.project.stages_dir.glob("*.lock")):
        stage_lock = ws.read_lock(lock_path.stem)
        if stage_lock is not None:
            paths.update(stage_lock.cached)
    side: _Side = {}
    for path in sorted(paths):
        try:
            hashed = ws.hasher.hash_path(ws.project.abspath(path))
        except (FileNotFoundError, NotADirectoryError):
            continue  # gone from the workspace: deleted, as the other side will say
        except errors.PathError:  # a socket or FIFO where the data was
            continue
        side[path] = (hashed.info, hashed.entries)
    return side


def _kept(side: _Side, targets: Sequence[str]) -> _Side:
    if not targets:
        return side
    return {path: item for path, item in side.items() if any(project_mod.overlaps(path, target) for target in targets)}


def _narrowed(found: DataDiff, targets: Sequence[str]) -> DataDiff:
    """Only what lies at or inside a target: a directory that merely holds one was compared to
    find the target's own changes, and is not itself listed."""
    if not targets:
        return found

    def near(path: str) -> bool:
        return any(project_mod.is_within(path.rstrip("/"), target) for target in targets)

    return dataclasses.replace(
        found,
        added=tuple(c for c in found.added if near(c.path)),
        deleted=tuple(c for c in found.deleted if near(c.path)),
        modified=tuple(c for c in found.modified if near(c.path)),
        renamed=tuple(r for r in found.renamed if near(r.old_path) or near(r.new_path)),
    )


def _compare(ws: Workspace, old: str, new: str, before: _Side, after: _Side) -> DataDiff:
    added = [Change(_shown(path, after[path][0]), None, after[path][0].oid) for path in sorted(after.keys() - before.keys())]
    deleted = [Change(_shown(path, before[path][0]), before[path][0].oid, None) for path in sorted(before.keys() - after.keys())]
    modified: list[Change] = []
    unknown: list[str] = []
    for path in sorted(before.keys() & after.keys()):
        (old_info, old_files), (new_info, new_files) = before[path], after[path]
        if old_info.oid == new_info.oid:
            continue
        if not (old_info.is_dir and new_info.is_dir):
            modified.append(Change(path, old_info.oid, new_info.oid))
            continue
        modified.append(Change(path + "/", old_info.oid, new_info.oid))
        old_list, new_list = old_files or _listed(ws, old_info), new_files or _listed(ws, new_info)
        if old_list is None or new_list is None:
            unknown.append(path + "/")
            continue
        _files_changed(path, old_list, new_list, added, deleted, modified)
    renamed, added, deleted = _renames(added, deleted)
    return DataDiff(
        old,
        new,
        tuple(sorted(added, key=_path)),
        tuple(sorted(deleted, key=_path)),
        tuple(sorted(modified, key=_path)),
        tuple(renamed),
        tuple(unknown),
    )


def _shown(path: str, info: HashInfo) -> str:
    return path + "/" if info.is_dir else path


def _listed(ws: Workspace, info: HashInfo) -> tuple[FileEntry, ...] | None:
    try:
        return ws.cache.read_manifest(info.oid)
    except errors.CacheError:  # not fetched (or damaged): the directory is listed alone
        return None


def _files_changed(
    directory: str, old: Sequence[FileEntry], new: Sequence[FileEntry], added: list[Change], deleted: list[Change], modified: list[Change]
) -> None:
    """Add the changes between two versions of a directory's files to the lists."""
    before: Mapping[str, str] = {entry.relpath: entry.oid for entry in old}
    after: Mapping[str, str] = {entry.relpath: entry.oid for entry in new}
    added += [Change(f"{directory}/{rel}", None, after[rel]) for rel in sorted(after.keys() - before.keys())]
    deleted += [Change(f"{directory}/{rel}", before[rel], None) for rel in sorted(before.keys() - after.keys())]
    modified += [Change(f"{directory}/{rel}", before[rel], after[rel]) for rel in sorted(before.keys() & after.keys()) if before[rel] != after[rel]]


def _renames(added: list[Change], deleted: list[Change]) -> tuple[list[Renamed], list[Change], list[Change]]:
    """Pair each deleted path with an added one of the same content (first by path, one to one)."""
    waiting: dict[str, list[Change]] = {}
    for change in sorted(added, key=_path):
        if change.new is not None:
            waiting.setdefault(change.new, []).append(change)
    renamed: list[Renamed] = []
    kept_deleted: list[Change] = []
    for change in sorted(deleted, key=_path):
        match = waiting.get(change.old or "")
        if match:
            renamed.append(Renamed(change.path, match.pop(0).path, change.old or ""))
        else:
            kept_deleted.append(change)
    paired = {item.new_path for item in renamed}
    return renamed, [change for change in added if change.path not in paired], kept_deleted


def _path(change: Change) -> str:
    return change.path
