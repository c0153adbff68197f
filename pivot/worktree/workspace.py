"""The I/O handles one command works with: the project, the stat memo, the hasher and the cache."""

from __future__ import annotations

import dataclasses
import os
import pathlib

from pivot import errors
from pivot.base import project
from pivot.declare import config
from pivot.storage import cache as cache_mod
from pivot.storage import links, runcache, state
from pivot.storage import lock as lock_mod
from pivot.storage.lockmemo import LockReader
from pivot.storage.state import Hasher, StateDB


@dataclasses.dataclass(frozen=True, slots=True)
class Workspace:
    """One project opened for a command: its settings, state database, cache, run cache and locks."""

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
        cache=cache_mod.Cache(cache_root(proj, settings), link_types),
        # Inside the cache: git-ignored like the objects it points at, gone with them, and shared
        # with them by the clones that share a cache.dir.
        run_cache=runcache.RunCache(cache_root(proj, settings) / "runs"),
        locks=LockReader(proj.tmp_dir / "locks.memo"),
    )


CACHE_DIR_ENV = "PIVOT_CACHE_DIR"


def cache_root(proj: project.Project, settings: config.ProjectConfig | None = None) -> pathlib.Path:
    """Where the cache is: `PIVOT_CACHE_DIR`, else `cache.dir` (relative to the project root),
    else `.pivot/cache`. Several clones may share one: every object and run-cache entry is
    written to a temp name in the cache and renamed into place, so concurrent writers of one
    object each leave it whole."""
    from_env = os.environ.get(CACHE_DIR_ENV)
    if from_env:
        # Relative to what? The caller's directory and the project root differ (and an experiment
        # runs in a copy of the project): only an absolute path means one place for every command.
        if not os.path.isabs(from_env):
            raise errors.ConfigError(
                f"{CACHE_DIR_ENV}={from_env!r} is not an absolute path",
                hint=f"export {CACHE_DIR_ENV}=\"$PWD/{from_env}\", or set cache.dir (relative to the project root): "
                f"pivot config set cache.dir {from_env}",
            )
        return pathlib.Path(from_env)
    settings = settings or config.load_project_config(proj)
    if settings.cache_dir:
        return proj.root / os.path.expanduser(settings.cache_dir)
    return proj.cache_dir
