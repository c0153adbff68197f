"""Which cache objects the workspace references (lock files' cached outputs, tracked files and
run-cache entries), and, for `pivot gc`, which objects the local cache holds beyond those.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Collection, Iterable

from pivot import errors
from pivot.base import project
from pivot.storage import hashing
from pivot.storage import lock as lock_mod
from pivot.storage.cache import Cache
from pivot.storage.runcache import RunCache, RunEntry
from pivot.worktree import tracking

STALE_TEMP_SECONDS = 24 * 3600  # a temp file this old belongs to no running pivot


@dataclasses.dataclass(frozen=True, slots=True)
class Reference:
    path: str  # project-relative output or tracked path
    oid: str  # file oid or ".dir" oid
    source: str  # "stage:<name>" or "track:<path>.pvt"


def referenced(proj: project.Project, stages: Collection[str] | None = None) -> list[Reference]:
    """The cached outputs (whatever their kind) in the lock files of `stages` (None: every lock
    in .pivot/stages/), then tracked paths: all of them when `stages` is None, else those that are
    (or contain, or lie in) deps the selected locks record.

    A stage without a lock references nothing. A lock file that exists but cannot be read, or a
    damaged .pvt, raises `InputError`: never guess, since gc deletes what is not listed here.
    """
    names = sorted(_locked_stages(proj)) if stages is None else list(dict.fromkeys(stages))
    refs: list[Reference] = []
    deps: set[str] = set()
    for name in names:
        lock = _read_lock(proj, name)
        if lock is None:
            continue
        refs.extend(Reference(path, info.oid, f"stage:{name}") for path, info in sorted(lock.cached.items()))
        deps.update(lock.deps)
    for tracked in tracking.find(proj):
        if stages is None or any(project.overlaps(dep, tracked.path) for dep in deps):
            refs.append(Reference(tracked.path, tracked.info.oid, f"track:{tracked.pvt}"))
    return refs


def _locked_stages(proj: project.Project) -> list[str]:
    try:
        with os.scandir(proj.stages_dir) as entries:
            return [e.name[: -len(".lock")] for e in entries if e.name.endswith(".lock") and e.is_file()]
    except FileNotFoundError:
        return []


def _read_lock(proj: project.Project, name: str) -> lock_mod.StageLock | None:
    path = proj.lock_file(name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        text = ""
    lock = lock_mod.parse(text)
    if lock is None:
        rel = path.relative_to(proj.root).as_posix()
        raise errors.InputError(
            f"{rel} cannot be read: it is damaged, has git merge-conflict markers, or was written "
            "by another pivot version",
            hint=f"restore it from git or fix the conflict; or delete it, and 'pivot run {name}' "
            "writes it again",
        )
    return lock


@dataclasses.dataclass(frozen=True, slots=True)
class Revisions:
    """The commits whose records `pivot gc` keeps besides the workspace's, as DVC's `gc` flags
    name them: `revs`, the tip of every branch, of every tag, or every commit."""

    revs: tuple[str, ...] = ()
    all_branches: bool = False
    all_tags: bool = False
    all_commits: bool = False

    def __bool__(self) -> bool:
        return bool(self.revs) or self.all_branches or self.all_tags or self.all_commits


def committed(proj: project.Project, revisions: Revisions) -> tuple[set[str], int]:
    """The objects the lock files and .pvt files committed at `revisions` reference, and how many
    commits those are. A record there that cannot be read is an `InputError`: gc never guesses."""
    from pivot.base import git

    repo = git.open_repo(proj.root)
    shas = git.commits(repo, revisions.revs, branches=revisions.all_branches, tags=revisions.all_tags, every=revisions.all_commits)
    stages = project.PIVOT_DIR + "/stages/"
    blobs = git.blobs_in(repo, shas, lambda path: path.endswith(tracking.PVT_SUFFIX) or (path.startswith(stages) and path.endswith(".lock")))
    oids: set[str] = set()
    for path, blob in blobs:
        if path.endswith(tracking.PVT_SUFFIX):
            oids.add(tracking.parse(path, blob).info.oid)  # a damaged one raises, naming it
            continue
        lock = lock_mod.parse(blob.decode("utf-8", "replace"))
        if lock is None:
            raise errors.InputError(
                f"{path}, as one of the commits gc keeps has it, cannot be read (damaged, or written by another pivot version)",
                hint="leave that commit out (fewer --rev, no --all-commits), or gc without the history flags",
            )
        oids.update(info.oid for info in lock.cached.values())
    return oids, len(shas)


def shareable_runs(
    cache: Cache, run_cache: RunCache, stages: Collection[str] | None = None, *, complete: Collection[str] = ()
) -> dict[str, RunEntry]:
    """What push may share of the run cache (see `RunCache.shareable`)."""
    return run_cache.shareable(cache, stages, complete=complete)


def run_cache_oids(run_cache: RunCache) -> set[str]:
    """The objects the run cache keeps alive for gc (see `RunCache.oids`)."""
    return run_cache.oids()


def expand(cache: Cache, oids: Iterable[str]) -> set[str]:
    """`oids` plus, for each directory whose manifest the cache holds (intact), its members."""
    found = set(oids)
    for oid in list(found):
        if oid.endswith(hashing.DIR_SUFFIX) and cache.exists(oid):
            try:
                found.update(entry.oid for entry in cache.read_manifest(oid))
            except errors.CacheError:
                continue  # see unreadable_manifests
    return found


def unreadable_manifests(cache: Cache, oids: Iterable[str]) -> dict[str, bool]:
    """Directory oids among `oids` whose members `expand` could not list: oid -> whether the
    manifest is present but damaged (True) or simply absent (False)."""
    problems: dict[str, bool] = {}
    for oid in oids:
        if not oid.endswith(hashing.DIR_SUFFIX):
            continue
        if not cache.exists(oid):
            problems[oid] = False
            continue
        try:
            cache.read_manifest(oid)
        except errors.CacheError:
            problems[oid] = True
    return problems


# ---------------------------------------------------------------------- garbage collection


@dataclasses.dataclass(frozen=True, slots=True)
class CachedObject:
    oid: str
    size: int


def cached_objects(cache: Cache) -> list[CachedObject]:
    """Every object file in the cache, by oid; names that are not object ids are left alone."""
    found = []
    try:
        shards = list(os.scandir(cache.files_dir))
    except FileNotFoundError:
        return []
    for shard in shards:
        if len(shard.name) != 2 or not shard.is_dir(follow_symlinks=False):
            continue
        with os.scandir(shard.path) as entries:
            for entry in entries:
                oid = shard.name + entry.name
                if hashing.is_valid_oid(oid) and entry.is_file(follow_symlinks=False):
                    found.append(CachedObject(oid, entry.stat(follow_symlinks=False).st_size))
    return sorted(found, key=_directories_first)


def _directories_first(obj: CachedObject) -> tuple[bool, str]:
    # Delete a directory's manifest before its members: a present manifest claims a whole
    # directory, and an interrupted gc must never leave that claim false.
    return (not obj.oid.endswith(hashing.DIR_SUFFIX), obj.oid)


def remove(cache: Cache, objects: Iterable[CachedObject]) -> list[tuple[str, str]]:
    """Delete objects (read-only files in a writable shard), then emptied shards; returns the
    failures as (oid, message), after trying every object."""
    failed: list[tuple[str, str]] = []
    shards: set[str] = set()
    for obj in objects:
        path = cache.object_path(obj.oid)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            failed.append((obj.oid, exc.strerror or str(exc)))
            continue
        shards.add(os.fspath(path.parent))
    for shard in shards:
        with contextlib.suppress(OSError):  # not empty, or gone: either way, fine
            os.rmdir(shard)
    return failed


@dataclasses.dataclass(frozen=True, slots=True)
class TempFile:
    name: str  # in the cache's tmp/
    size: int


def stale_temp_files(cache: Cache, older_than: float = STALE_TEMP_SECONDS) -> list[TempFile]:
    """Leftovers in the cache's tmp/ from a pivot killed mid-write; fresh ones may be in use."""
    cutoff = time.time() - older_than
    found = []
    try:
        with os.scandir(cache.tmp_dir) as entries:
            for entry in entries:
                if not entry.is_file(follow_symlinks=False):
                    continue
                st = entry.stat(follow_symlinks=False)
                if st.st_mtime < cutoff:
                    found.append(TempFile(entry.name, st.st_size))
    except FileNotFoundError:
        return []
    return sorted(found, key=lambda item: item.name)


def remove_temp_files(cache: Cache, files: Iterable[TempFile]) -> None:
    for item in files:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(cache.tmp_dir / item.name)
