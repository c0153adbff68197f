"""Run-cache entries between the local run cache and a remote: each entry is uploaded only after
its objects, signed as `trust` says, and a downloaded entry is stored only if `trust` accepts it
(signed with this project's key, or unsigned by opt-in) and its inputs hash to its key."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection, Mapping

from pivot import errors
from pivot.remote import tasks
from pivot.remote import trust as trust_mod
from pivot.remote.fs import Remote
from pivot.storage.cache import Cache
from pivot.storage.runcache import RunCache, RunEntry


@dataclasses.dataclass(frozen=True, slots=True)
class RunsSummary:
    """What moving run-cache entries did (entries are tiny: counted, not sized)."""

    transferred: int
    already: int
    skipped: tuple[tuple[str, str], ...]  # (key, why): not moved, and not a failure of the command
    withheld: int = 0  # entries not moved because this project has no run-cache key


def push_runs(
    cache: Cache, remote: Remote, entries: Mapping[str, RunEntry], failed_oids: Collection[str], trust: trust_mod.Trust, *, jobs: int
) -> RunsSummary:
    """Upload the entries the remote lacks, each only if none of its objects failed to upload
    (call this after pushing their objects): an entry must never be visible before its objects.
    Without a key (and no opt-in) nothing is uploaded: no clone could trust it."""
    if trust.mode is trust_mod.Mode.OFF:
        return RunsSummary(0, 0, (), withheld=len(entries))
    there = remote.list_runs()
    failed = set(failed_oids)
    skipped = [
        (key, "not uploaded: some of its objects failed to upload") for key, entry in entries.items() if entry.oids() & failed
    ]
    todo = sorted(key for key, entry in entries.items() if key not in there and not entry.oids() & failed)
    tally = tasks.Tally()
    tasks.run([(key, functools.partial(_put_run, cache, remote, entries[key], trust)) for key in todo], jobs, None, tally)
    skipped += tally.failed
    return RunsSummary(tally.transferred, len(set(entries) & there), tuple(skipped))


def _put_run(cache: Cache, remote: Remote, entry: RunEntry, trust: trust_mod.Trust) -> int:
    tmp = tasks.temp_path(cache, entry.key)
    try:
        tmp.write_bytes(trust_mod.seal(entry, trust))
        remote.put_run(tmp, entry.key)
        return 0
    finally:
        tasks.unlink_quietly(tmp)


def fetch_runs(cache: Cache, run_cache: RunCache, remote: Remote, trust: trust_mod.Trust, *, jobs: int) -> RunsSummary:
    """Download every entry on the remote that the local run cache lacks and `trust` accepts. An
    entry it refuses (unsigned, another key, altered), that does not parse, or whose inputs do not
    hash to its key, is skipped and reported, never stored. Without a key (and no opt-in) none is
    downloaded: they are counted as withheld."""
    there = remote.list_runs()
    local = set(run_cache.keys())
    todo = sorted(there - local)
    if trust.mode is trust_mod.Mode.OFF:
        return RunsSummary(0, len(there & local), (), withheld=len(todo))
    tally = tasks.Tally()
    tasks.run([(key, functools.partial(_fetch_run, cache, run_cache, remote, key, trust)) for key in todo], jobs, None, tally)
    return RunsSummary(tally.transferred, len(there & local), tuple(tally.failed))


def _fetch_run(cache: Cache, run_cache: RunCache, remote: Remote, key: str, trust: trust_mod.Trust) -> int:
    tmp = tasks.temp_path(cache, key)
    try:
        remote.get_run(key, tmp)
        try:
            entry = trust_mod.open_remote(tmp.read_bytes(), key, trust)
        except errors.CacheError as exc:
            raise errors.TransferError(exc.message) from None
        run_cache.write(entry)
        return 0
    finally:
        tasks.unlink_quietly(tmp)
