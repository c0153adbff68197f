"""What `pivot push` sends, decided before anything moves: the referenced objects the local
cache holds whole (the others are skipped and counted), and the run-cache entries whose objects
are all here, with those objects. Entries travel only when the project can sign them, or has opted
in to unsigned ones; otherwise only lock files and tracked files name what is pushed."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from pivot.remote import trust as trust_mod
from pivot.storage.runcache import RunEntry
from pivot.worktree import references
from pivot.worktree.workspace import Workspace


@dataclasses.dataclass(frozen=True, slots=True)
class PushPlan:
    objects: tuple[str, ...]  # sorted: referenced objects here whole, and the entries' objects
    absent: tuple[str, ...]  # referenced objects not (whole) in the local cache: skipped
    runs: Mapping[str, RunEntry]  # run-cache entries to upload after their objects
    withheld_runs: int  # entries not pushed: no run-cache key
    trust: trust_mod.Trust


def plan(ws: Workspace, refs: Sequence[references.Reference], stages: Sequence[str], *, run_cache: bool) -> PushPlan:
    """`stages`: the STAGE arguments as given (none: every stage's entries)."""
    oids = sorted({ref.oid for ref in refs})
    absent = tuple(oid for oid in oids if not ws.cache.is_complete(oid))
    whole = set(oids).difference(absent)
    trust = trust_mod.resolve(ws.settings)
    runs = references.shareable_runs(ws.cache, ws.run_cache, list(stages) or None, complete=whole) if run_cache else {}
    withheld = 0
    if trust.mode is trust_mod.Mode.OFF and runs:
        withheld, runs = len(runs), {}  # their outputs neither
    objects = tuple(sorted(whole.union(*(entry.oids() for entry in runs.values()))))
    return PushPlan(objects, absent, runs, withheld, trust)
