"""What `pivot gc -r` deletes on a remote, and what it keeps and why: unreferenced objects,
run-cache entries and packs go, unless a push in progress names them or they were written within
the grace period (`pivot.remote.inflight`), or an experiment record on the remote names them."""

from __future__ import annotations

import dataclasses
import pathlib
import time
from collections.abc import Collection

from pivot import errors
from pivot.remote import exps, inflight, packs
from pivot.remote.fs import Remote
from pivot.storage import hashing


@dataclasses.dataclass(frozen=True, slots=True)
class RemotePlan:
    victims: tuple[str, ...]  # objects to delete, directory manifests first
    stray_runs: tuple[str, ...]  # run-cache entries to delete (before any object)
    garbage: packs.Garbage
    referenced: int  # objects kept: this workspace or an experiment record on the remote references them
    claimed: int  # objects kept: a push in progress names them
    recent: int  # objects kept: written within the grace period
    markers: inflight.Claims

    @property
    def kept(self) -> int:
        return self.referenced + self.claimed + self.recent

    @property
    def empty(self) -> bool:
        return not (self.victims or self.stray_runs or self.garbage.pointers or self.garbage.packs)

    def narrowed(self, later: RemotePlan) -> RemotePlan:
        """Only what both plans delete: a plan made again just before deleting may have seen a
        push start since, and what was confirmed must never grow."""
        garbage = packs.Garbage(
            tuple(k for k in self.garbage.pointers if k in set(later.garbage.pointers)),
            tuple(k for k in self.garbage.packs if k in set(later.garbage.packs)),
            later.garbage.kept_packs,
        )
        victims = tuple(oid for oid in self.victims if oid in set(later.victims))
        runs = tuple(key for key in self.stray_runs if key in set(later.stray_runs))
        # What only the later plan would delete changed since the confirmation: kept, as recent.
        recent = later.recent + len(set(later.victims) - set(victims))
        return dataclasses.replace(later, victims=victims, stray_runs=runs, garbage=garbage, recent=recent)


def plan(
    remote: Remote, keep: Collection[str], runs: Collection[str], *, grace: float, now: float, tmp_dir: pathlib.Path, jobs: int = 16
) -> RemotePlan:
    """`keep`: every object this workspace references (directories expanded); `runs`: the
    run-cache entries it keeps. The objects of the experiment records on the remote are kept too.
    Markers are read after the listings, so a push that started before them is seen; records
    after the markers, so an experiment push that ended since (record up, marker gone) is too."""
    times = remote.list_oid_times()
    run_times = remote.list_run_times()
    markers = inflight.claims(remote, now)
    keep = set(keep) | exps.referenced(remote, tmp_dir)
    cutoff = now - grace
    unreferenced = set(times) - keep
    claimed = unreferenced & markers.oids
    recent = (unreferenced - claimed) & inflight.young(times, cutoff)
    victims = sorted(unreferenced - claimed - recent, key=lambda oid: (not oid.endswith(hashing.DIR_SUFFIX), oid))
    stray = set(run_times) - set(runs) - markers.runs - inflight.young(run_times, cutoff)
    garbage = packs.garbage(remote, keep | markers.oids, jobs=jobs, cutoff=cutoff, claimed=markers.oids)
    return RemotePlan(
        tuple(victims), tuple(sorted(stray)), garbage, len(set(times) & keep), len(claimed), len(recent), markers
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Collected:
    """What a remote gc deleted (`plan`, narrowed to what was confirmed and is still garbage),
    and what failed. When a run-cache entry fails, no object is deleted at all."""

    plan: RemotePlan
    failed_runs: tuple[tuple[str, str], ...] = ()
    failed: tuple[tuple[str, str], ...] = ()


def collect(
    remote: Remote, tmp_dir: pathlib.Path, confirmed: RemotePlan, keep: Collection[str], runs: Collection[str], *, grace: float
) -> Collected:
    """Delete what `confirmed` names and a plan made again now still deletes, in the one safe
    order: stale push markers, run-cache entries, objects (manifests first), then pack pointers and
    packs (a manifest vouches for its packs)."""
    with inflight.collecting(remote, tmp_dir):  # pushes starting from now wait for us
        # Again, just before deleting: a push that started since the listing must be seen.
        todo = confirmed.narrowed(plan(remote, keep, runs, grace=grace, now=time.time(), tmp_dir=tmp_dir))
        remote.delete_keys(todo.markers.stale)  # markers of pushes that died long ago
        # Entries first: one left behind must never name objects that are gone.
        failed_runs = remote.delete_runs(todo.stray_runs)
        if failed_runs:
            return Collected(todo, failed_runs=tuple(failed_runs))
        failed = list(remote.delete(todo.victims) or [])
        garbage = todo.garbage
        if failed:
            failed += [(key, "not deleted: objects failed first") for key in (*garbage.pointers, *garbage.packs)]
        else:
            failed += packs.delete(remote, garbage)
    return Collected(todo, failed=tuple(failed))


def grace_period(option: str | None, configured: str | float | None) -> float:
    """Seconds of grace: --grace, else gc.grace_period in the config, else `DEFAULT_GRACE`."""
    given, where = (option, "--grace") if option is not None else (configured, ".pivot/config.yaml: gc.grace_period")
    if given is None:
        return inflight.DEFAULT_GRACE
    try:
        return inflight.parse_duration(given)
    except ValueError as exc:
        raise errors.ConfigError(f"{where}: {exc}", hint="write a duration such as 1h, 30m, 90s, 2d, or 0 for none") from None
