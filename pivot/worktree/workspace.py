"""The I/O handles one command works with: the project, the stat memo, the hasher and the cache."""

from __future__ import annotations

import dataclasses

from pivot.base import project
from pivot.declare import config
from pivot.storage import cache as cache_mod
from pivot.storage import links, runcache, state
from pivot.storage import lock as lock_mod
from pivot.storage.lockmemo import LockReader
from pivot.storage.state import Hasher, StateDB


@dataclasses.dataclass(frozen=True, slots=True)
class Workspace:
    project: project.Project
    settings: config.ProjectConfig
    state: StateDB | None  # None until `.pivot/` exists: read-only commands create nothing
    hasher: Hasher
    cache: cache_mod.Cache
    run_cache: runcache.RunCache
    locks: LockReader  # lock files parsed once, and not again in the next command while unchanged

    def read_lock(self, stage: str) -> lock_mod.StageLock | None:
        return self.locks.read(self.project.lock_file(stage))

    def close(self) -> None:
        self.locks.save()
        if self.state is not None:
            self.state.close()


def open_workspace(proj: project.Project) -> Workspace:
    settings = config.load_project_config(proj)
    link_types = links.parse_cache_type(settings.cache_type)
    db = state.StateDB(proj.state_db) if proj.dot_dir.is_dir() else None
    return Workspace(
        project=proj,
        settings=settings,
        state=db,
        hasher=state.Hasher(db),
        cache=cache_mod.Cache(proj.cache_dir, link_types),
        # Inside cache/: git-ignored like the objects it points at, and gone with them.
        run_cache=runcache.RunCache(proj.cache_dir / "runs"),
        locks=LockReader(proj.tmp_dir / "locks.memo"),
    )
