"""What `pivot track PATH...` does with its paths, in order: refuse overlapping paths and any
path a stage produces (every path is checked before any is tracked), then cache each one and
write its .pvt file under the project lock, note the paths git holds as well, and keep the
.gitignore entries. The files the user should `git add` come back with the result.

`untrack` and `move` undo and redo that for data tracked already (`dvc remove`, `dvc move`):
the data stays in the workspace as plain files, never links into the cache, and its objects stay
in the cache (for the commits that still name them) until `pivot gc`."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import posixpath
import shutil
from collections.abc import Mapping, Sequence

from pivot import errors
from pivot.base import project
from pivot.declare import loadmemo
from pivot.declare.stage import Stage
from pivot.storage import links, placing
from pivot.storage.hashing import HashInfo
from pivot.worktree import gitignore, pvtfile, session, tracking, workspace
from pivot.worktree.workspace import Workspace


@dataclasses.dataclass(frozen=True, slots=True)
class TrackedPath:
    result: tracking.TrackResult
    in_git: bool  # git tracks the path as well: it should be `git rm -r --cached`


@dataclasses.dataclass(frozen=True, slots=True)
class TrackReport:
    paths: tuple[TrackedPath, ...]
    to_add: tuple[str, ...]  # project-relative .pvt and .gitignore files to commit
    memo_error: errors.PivotError | None = None  # done, but the stat memo could not be kept


def track(
    proj: project.Project,
    paths: Sequence[str],
    stages: Mapping[str, Stage] | None = None,
    sources: Mapping[str, tracking.Source] | None = None,
) -> TrackReport:
    """Track project-relative `paths` (files or directories); `stages` are the pipeline's, when the
    caller knows them already (`pivot import-dvc`, whose pipeline need not load yet); `sources`,
    where imported paths came from (`pivot import-url`)."""
    relpaths = list(dict.fromkeys(paths))
    _check_disjoint(relpaths)
    # Outputs are declared in the stage functions, so the pipeline is loaded (not its graph:
    # an unrelated missing dep must not stop tracking the data it needs).
    if stages is None:
        stages = loadmemo.load(proj).stages if proj.has_pipeline() else {}
    for path in relpaths:
        tracking.check_trackable(proj, path, stages)
    project.ensure_dot_dir(proj)
    done: list[TrackedPath] = []
    to_add: list[str] = []
    with session.project_lock(proj):  # gc must not run meanwhile
        ws = workspace.open_workspace(proj)
        try:
            for path in relpaths:
                result = tracking.track(ws, path, (sources or {}).get(path))
                done.append(TrackedPath(result, tracking.committed_to_git(proj, path)))
                if result.written:
                    to_add.append(result.tracked.pvt)
            to_add.extend(gitignore.keep(proj, relpaths).written)  # one write per .gitignore
        finally:
            ws.close()
    full = ws.state.full if ws.state is not None else None
    return TrackReport(tuple(done), tuple(dict.fromkeys(to_add)), full)


def _check_disjoint(paths: list[str]) -> None:
    for a, b in itertools.permutations(paths, 2):
        if project.is_within(a, b):
            raise errors.PathError(
                f"cannot track both '{b}' and '{a}', which lies inside it",
                hint=f"track the directory only: pivot track {b}",
            )


# ---------------------------------------------------------------------- untrack and move


@dataclasses.dataclass(frozen=True, slots=True)
class Changed:
    """What `untrack` or `move` did: the tracked paths before and after (None: untracked)."""

    paths: tuple[tuple[str, str | None], ...]
    to_add: tuple[str, ...]  # the .pvt (written or deleted) and .gitignore files to `git add`


def tracked_path(proj: project.Project, raw: str, cwd: str | None = None) -> tracking.Tracked:
    """The tracked data a typed path names (the data's path, or its .pvt file's)."""
    path = project.from_user(proj.root, raw, cwd, what=raw)
    path = path.removesuffix(tracking.PVT_SUFFIX)
    try:
        return tracking.read(proj, tracking.pvt_of(path))
    except errors.PathError:
        raise errors.PathError(
            f"{path} is not tracked data: there is no {tracking.pvt_of(path)}",
            hint="name a path that pivot track (or import) wrote a .pvt file for; pivot status lists them",
        ) from None


def untrack(proj: project.Project, tracked: Sequence[tracking.Tracked]) -> Changed:
    """Stop tracking each of `tracked`: its .pvt file and pivot's .gitignore line go, its data stays."""
    with session.project_lock(proj):
        ws = workspace.open_workspace(proj)
        try:
            for item in tracked:
                plain_files(ws, item.path, item.info)
                with contextlib.suppress(FileNotFoundError):
                    proj.abspath(item.pvt).unlink()
            update = gitignore.keep(proj, [], show=[item.path for item in tracked])
        finally:
            ws.close()
    return Changed(tuple((item.path, None) for item in tracked), tuple(dict.fromkeys([*(item.pvt for item in tracked), *update.written])))


def move(proj: project.Project, tracked: tracking.Tracked, dest: str, *, into: bool = False) -> Changed:
    """Move tracked data and its .pvt to `dest` (into it, when it is a directory or `into`: typed
    with a trailing slash), as `mv` would."""
    if into or os.path.isdir(proj.abspath(dest)):
        dest = posixpath.join(dest, posixpath.basename(tracked.path))
    if os.path.lexists(proj.abspath(dest)) or os.path.lexists(proj.abspath(tracking.pvt_of(dest))):
        raise errors.PathError(f"cannot move {tracked.path} to {dest}: {dest} exists", hint="choose a new name, or remove it first")
    stages = loadmemo.load(proj).stages if proj.has_pipeline() else {}
    tracking.check_trackable(proj, dest, stages, must_exist=False)
    moved = tracking.Tracked(dest, tracking.pvt_of(dest), tracked.info, pvtfile.moved_source(tracked.source, tracked.pvt, dest))
    with session.project_lock(proj):
        target = proj.abspath(dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(proj.abspath(tracked.path)):  # missing data moves on paper: checkout restores it
            shutil.move(proj.abspath(tracked.path), target)  # a rename, unless another file system
        from pivot.base import atomic

        atomic.write_text(proj.abspath(moved.pvt), tracking.render(moved))  # the new .pvt before the old one goes
        proj.abspath(tracked.pvt).unlink()
        update = gitignore.keep(proj, [dest], show=[tracked.path])
    return Changed(((tracked.path, dest),), tuple(dict.fromkeys([tracked.pvt, moved.pvt, *update.written])))


def plain_files(ws: Workspace, path: str, info: HashInfo) -> None:
    """Replace each file at `path` (recorded as `info`) that is a link into the cache (a symlink,
    or a hard link of its object) with a copy, so that an edit once pivot no longer keeps it
    (untracked data, a removed stage's output) never reaches a cached object."""
    root = ws.project.abspath(path)
    if not os.path.lexists(root):
        return
    ws.cache.detach(root)  # symlinks
    if info.is_dir:
        try:
            files = [(root / entry.relpath, entry.oid) for entry in ws.cache.read_manifest(info.oid)]
        except errors.CacheError:  # no manifest here: the data was never checked out from this cache
            return
    else:
        files = [(root, info.oid)]
    for file, oid in files:
        with contextlib.suppress(FileNotFoundError):
            if not file.is_symlink() and os.path.samefile(file, ws.cache.object_path(oid)):
                tmp = placing.sibling(str(file), "copy")
                try:
                    links.copy(str(file), tmp)
                    os.replace(tmp, file)
                except BaseException:
                    placing.unlink_quietly(tmp)
                    raise
