"""`pivot exp branch NAME BRANCH`: a git branch whose one new commit holds experiment NAME's
results, on the commit it ran on, as DVC's `dvc exp branch` makes one: its params written into
params.yaml, its stages' lock files, and the outputs git keeps (metrics, `cache: false` files).
The working tree, the index and HEAD are left alone; `git checkout BRANCH && pivot checkout`
brings the experiment in, its cached outputs from the cache (or, once pushed, the remote).

Everything is checked before git writes anything: the record is complete, it ran inside this
repository, every output git must hold is in the cache, the branch name is new.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from pivot import errors
from pivot.base import git, project
from pivot.experiments import apply
from pivot.experiments.record import ExpRecord
from pivot.storage import lock as lock_mod
from pivot.worktree.workspace import Workspace


@dataclasses.dataclass(frozen=True, slots=True)
class Branched:
    """The branch made, its commit, the commit it sits on, and the files that commit changed."""

    branch: str
    commit: str
    base: str
    files: tuple[str, ...]


def branch(ws: Workspace, rec: ExpRecord, params: Sequence[tuple[apply.ParamPath, Any]], name: str) -> Branched:
    """Commit `rec`'s results on the commit it ran on, as branch `name`; `params` are its
    overrides as paths into params.yaml."""
    if rec.status != "ok":
        raise errors.InputError(
            f"experiment '{rec.name}' failed, so it has no complete results to branch from",
            hint=f"see its error with 'pivot exp show --json', or remove it: 'pivot exp remove {rec.name}'",
        )
    if rec.base is None:
        raise errors.InputError(f"experiment '{rec.name}' ran outside a git repository: there is no commit to branch from")
    repo = git.open_repo(ws.project.root)
    files: dict[str, bytes] = {}
    for stage, lock in apply.locks_of(rec).items():
        files[ws.project.lock_file(stage).relative_to(ws.project.root).as_posix()] = lock_mod.render(lock).encode()
        for path, out in lock.outputs.items():
            if not out.cache:  # git holds it: its bytes go into the commit, from the cache's copy
                files[path] = _object(ws, rec.name, stage, path, out.info.oid)
    if params:
        before = git.read_files(repo, rec.base, [project.PARAMS_FILE])[project.PARAMS_FILE] or b""
        files[project.PARAMS_FILE] = apply.params_text(before.decode("utf-8"), params).encode()
    changes = ", ".join(f"{key}={value}" for key, value in rec.overrides.items()) or "no params changed"
    commit = git.commit_files(repo, rec.base, files, f"pivot exp {rec.name}: {changes}")
    git.create_branch(repo, name, commit)
    return Branched(name, commit, rec.base, tuple(files))


def _object(ws: Workspace, exp: str, stage: str, path: str, oid: str) -> bytes:
    try:
        return ws.cache.object_path(oid).read_bytes()
    except OSError:
        raise errors.CacheError(
            f"experiment '{exp}' cannot be branched: the cache lacks {path} (stage '{stage}'); nothing was written",
            hint=f"'pivot exp pull {exp}' fetches it from the remote it was pushed to",
        ) from None
