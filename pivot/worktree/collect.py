"""What `pivot gc` keeps and deletes in the local cache, and the objects a remote gc must keep:
everything a lock file, a tracked file or a kept run-cache entry references, directories with
their files. gc refuses to plan when a referenced directory's manifest is unreadable, since it
could not tell which objects are that directory's files."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence

from pivot import errors
from pivot.base import wording
from pivot.storage.cache import Cache
from pivot.storage.hashing import FileEntry
from pivot.storage.runcache import RunEntry
from pivot.worktree import references


@dataclasses.dataclass(frozen=True, slots=True)
class LocalPlan:
    victims: tuple[references.CachedObject, ...]  # directory manifests first
    temps: tuple[references.TempFile, ...]  # stale temp files of crashed writers
    kept: int  # objects kept

    @property
    def size(self) -> int:
        return sum(obj.size for obj in self.victims) + sum(item.size for item in self.temps)


def plan_local(cache: Cache, oids: Collection[str], run_oids: Collection[str]) -> LocalPlan:
    """What a local gc deletes, keeping `oids` (locks and .pvt files) and `run_oids` (run cache)."""
    # Refused whether the manifest is damaged (read_manifest then removes it) or absent (locks
    # pulled from git before a fetch).
    unlisted = references.unreadable_manifests(cache, oids)
    if unlisted:
        first = sorted(unlisted)[0]
        state = "is damaged (and was removed)" if unlisted[first] else "is not in the cache"
        raise errors.CacheError(
            f"the manifest of referenced directory {first} {state}, so gc cannot tell which objects "
            "that directory needs; nothing was deleted",
            hint="restore it first (pivot fetch, or pivot run -f the stage that made it), then run gc again",
        )
    # A run-cache entry's directory without its manifest here is no reason to refuse: that entry
    # is a miss until a fetch brings it back, members included.
    keep = references.expand(cache, {*oids, *run_oids})
    everything = references.cached_objects(cache)
    victims = tuple(obj for obj in everything if obj.oid not in keep)
    return LocalPlan(victims, tuple(references.stale_temp_files(cache)), len(everything) - len(victims))


def remove_local(cache: Cache, plan: LocalPlan) -> list[tuple[str, str]]:
    """Delete what `plan` names; the (oid, message) of objects that could not be deleted."""
    failed = references.remove(cache, plan.victims)
    references.remove_temp_files(cache, plan.temps)
    return failed


def remote_keep(
    cache: Cache, oids: Collection[str], runs: Mapping[str, RunEntry], remote: str, read_there: Mapping[str, Sequence[FileEntry]] | None = None
) -> set[str]:
    """Every object a gc on `remote` keeps: `oids` and the objects of the kept `runs`, expanded
    through the local manifests (which must all be readable here) and `read_there`, the
    manifests the local cache lacks as the remote has them."""
    there = dict(read_there or {})
    runs_oids = {oid for entry in runs.values() for oid in entry.oids()}
    unlisted = {oid: damaged for oid, damaged in references.unreadable_manifests(cache, {*oids, *runs_oids}).items() if damaged or oid not in there}
    if unlisted:
        first = sorted(unlisted)[0]
        directories = wording.count(len(unlisted), "referenced directory", "referenced directories")
        raise errors.CacheError(
            f"{directories} {'has' if len(unlisted) == 1 else 'have'} no intact manifest in the local cache "
            f"(e.g. {first}), so gc cannot tell which objects on '{remote}' they need; nothing was deleted",
            hint=f"pivot fetch -r {remote} first (it brings the manifests), then pivot gc -r {remote}",
        )
    members = (entry.oid for entries in there.values() for entry in entries)
    return references.expand(cache, {*oids, *members, *(oid for entry in runs.values() for oid in entry.oids())})
