"""Reading a pipeline's data from Python, like `dvc.api.read/open`: an output loaded through its
declared loader, or a file's bytes, from the workspace, else the cache, else the default remote;
at a git revision through the lock files committed there."""

from __future__ import annotations

import io
import os
import pathlib
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

from pivot import errors
from pivot.api import session
from pivot.base import project as project_mod
from pivot.base import yamldoc
from pivot.declare.stage import OutSpec, Stage
from pivot.storage import lock as lock_mod
from pivot.storage.cache import Cache
from pivot.storage.hashing import HashInfo
from pivot.worktree import workspace
from pivot.worktree.workspace import Workspace

if TYPE_CHECKING:
    from pivot.api.project import Project


def load(proj: Project, stage_or_path: str, output: str | None, rev: str | None) -> Any:
    """The value of one output: `stage_or_path` names a stage (with `output` its field name or
    path when it has several) or an output's path. The loader is the one declared now."""
    stages = proj.load_pipeline(check_sources=False).pipeline.stages
    stage, out = _find_output(stages, stage_or_path, output)
    if rev is None and os.path.lexists(proj.paths.abspath(out.path)):
        return out.loader.load(proj.paths.abspath(out.path))
    lock = locks_at(proj, rev).get(stage.name) if rev is not None else lock_mod.read(proj.paths.lock_file(stage.name))
    info = lock.output(out.path) if lock is not None else None
    if info is None:
        raise _never_made(stage, out.path, rev)
    return out.loader.load(_materialized(proj, out.path, info, rev))


def open_file(proj: Project, path: str, rev: str | None) -> IO[bytes]:
    """A binary file object for project-relative `path`: a file in the workspace (rev None), an
    output recorded by a lock (from the cache or the remote), or any file git has at `rev`."""
    rel = project_mod.normalize(path, what=f"pivot.api.open('{path}')")
    if rev is None and proj.paths.abspath(rel).is_file():
        return open(proj.paths.abspath(rel), "rb")
    locks = locks_at(proj, rev) if rev is not None else _workspace_locks(proj)
    info = _recorded(proj, locks, rel)
    if info is not None:
        if info.is_dir:
            raise errors.PathError(f"'{rel}' is a directory", hint="open one of its files, or pivot.api.load it")
        return open(_object(proj, rel, info, rev), "rb")
    if rev is not None:
        blob = git_blob(proj, rel, rev)
        if blob is not None:
            return io.BytesIO(blob)
    where = f"at git revision '{rev}'" if rev else "in the workspace"
    raise errors.PathError(
        f"'{rel}' does not exist {where}, and no stage's lock records it",
        hint="give a path relative to the project root, of a file or of a stage's output",
    )


def _recorded(proj: Project, locks: Mapping[str, lock_mod.StageLock], rel: str) -> HashInfo | None:
    """What the locks record for `rel`: an output itself, or a file inside a directory output
    (found in that directory's manifest, fetched from the remote when the cache lacks it)."""
    exact = next((lock.output(rel) for lock in locks.values() if lock.output(rel) is not None), None)
    if exact is not None:
        return exact
    for lock in locks.values():
        for out_path, info in lock.cached.items():  # a directory is always a cached output
            if info.is_dir and project_mod.is_within(rel, out_path):
                with session.opened(proj.paths, proj.defer) as ws:
                    fetch_if_missing(proj, ws, out_path, info)
                    inner = rel[len(out_path) :].lstrip("/")
                    entry = next((e for e in ws.cache.read_manifest(info.oid) if e.relpath == inner), None)
                return HashInfo(entry.oid, entry.size) if entry is not None else None
    return None


def locks_at(proj: Project, rev: str) -> dict[str, lock_mod.StageLock]:
    """Every stage's lock as committed at git revision `rev`, by stage name."""
    from pivot.base import git

    repo = git.open_repo(proj.root)
    return lock_mod.committed(repo, git.resolve(repo, rev))


def _workspace_locks(proj: Project) -> dict[str, lock_mod.StageLock]:
    found = {}
    for path in sorted(proj.paths.stages_dir.glob("*.lock")):
        lock = lock_mod.read(path)
        if lock is not None:
            found[path.stem] = lock
    return found


def _find_output(stages: Mapping[str, Stage], stage_or_path: str, output: str | None) -> tuple[Stage, OutSpec]:
    stage = stages.get(stage_or_path)
    if stage is not None:
        if output is None and len(stage.outs) == 1:
            return stage, stage.outs[0]
        names = [out.name for out in stage.outs]
        for out in stage.outs:
            if output in (out.name, out.path):
                return stage, out
        if output is None:
            raise errors.InputError(
                f"stage '{stage.name}' has {len(names)} outputs ({', '.join(names) or 'none'})",
                hint="name one: pivot.api.load(stage, output=NAME)",
            )
        raise errors.InputError(f"stage '{stage.name}' has no output '{output}'", hint=yamldoc.did_you_mean(output, names))
    path = project_mod.normalize(stage_or_path, what=f"pivot.api.load('{stage_or_path}')")
    for stage in stages.values():
        for out in stage.outs:
            if out.path == path:
                return stage, out
    raise errors.InputError(
        f"'{stage_or_path}' is neither a stage nor the output of one",
        hint=yamldoc.did_you_mean(stage_or_path, [*stages, *(o.path for s in stages.values() for o in s.outs)]),
    )


def _never_made(stage: Stage, path: str, rev: str | None) -> errors.PivotError:
    if rev is not None:
        return errors.InputError(
            f"'{path}' (stage '{stage.name}') has no record at git revision '{rev}': the stage's lock there does not list it",
            hint="pick a revision where the stage had run and its lock was committed",
        )
    return errors.InputError(
        f"'{path}' (stage '{stage.name}') is not in the workspace, and the stage has never run here",
        hint=f"run it first: pivot run {stage.name} (or pivot pull, if it ran elsewhere)",
    )


def _materialized(proj: Project, path: str, info: HashInfo, rev: str | None) -> pathlib.Path:
    """The recorded content of `path` as a file (or directory) of its own name, for its loader.
    Kept under .pivot/tmp/load/<oid>/ (content-addressed, so reused; `pivot gc` clears it)."""
    dest = _tmp_path(proj, path, info)
    blob = _from_git(proj, path, info, rev)
    if blob is not None:
        dest.write_bytes(blob)
        return dest
    with session.opened(proj.paths, proj.defer) as ws:
        fetch_if_missing(proj, ws, path, info)
        ws.cache.checkout(info.oid, dest, ws.hasher)
    return dest


def _object(proj: Project, path: str, info: HashInfo, rev: str | None) -> pathlib.Path:
    """A file's content by its recorded hash: the cache object (fetched first when absent)."""
    blob = _from_git(proj, path, info, rev)
    if blob is not None:
        dest = _tmp_path(proj, path, info)
        dest.write_bytes(blob)
        return dest
    with session.opened(proj.paths, proj.defer) as ws:
        fetch_if_missing(proj, ws, path, info)
        return ws.cache.object_path(info.oid)


def _tmp_path(proj: Project, path: str, info: HashInfo) -> pathlib.Path:
    dest = proj.paths.tmp_dir / "load" / info.oid / pathlib.PurePosixPath(path).name
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest


def _from_git(proj: Project, path: str, info: HashInfo, rev: str | None) -> bytes | None:
    """A git-tracked output (a Metric, a `cache=False` Out) at `rev` lives in git, not the cache."""
    if rev is None or info.is_dir or Cache(workspace.cache_root(proj.paths)).exists(info.oid):
        return None
    return git_blob(proj, path, rev)


def fetch_if_missing(proj: Project, ws: Workspace, path: str, info: HashInfo) -> None:
    """Bring the object from the default remote when the cache lacks it."""
    if ws.cache.is_complete(info.oid):
        return
    from pivot.remote import fs, transfer
    from pivot.remote import spec as remote_spec

    try:
        remote = fs.Remote(remote_spec.resolve(ws.settings, None, proj.root))
    except errors.ConfigError as exc:
        raise errors.InputError(
            f"'{path}' is neither in the workspace nor in the cache, and no remote can supply it ({exc.message})",
            hint="run its stage (pivot run), or configure the remote it was pushed to",
        ) from None
    summary = transfer.fetch(ws.cache, remote, [info.oid], jobs=8)
    if not ws.cache.is_complete(info.oid):
        why = "; ".join(f"{oid}: {reason}" for oid, reason in summary.failed[:1]) or "it is not there"
        raise errors.TransferError(
            f"'{path}' is not in the cache, and remote '{remote.name}' could not supply it: {why}",
            hint="push it from where it was made (pivot push), or run its stage here",
        )


def git_blob(proj: Project, path: str, rev: str) -> bytes | None:
    from pivot.base import git

    repo = git.open_repo(proj.root)
    return git.read_files(repo, git.resolve(repo, rev), [path])[path]
