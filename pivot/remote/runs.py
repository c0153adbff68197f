"""Run-cache entries between the local run cache and a remote: each entry is uploaded only after
its objects, and a downloaded entry is stored only if its inputs hash to its key."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping

from pivot import errors
from pivot.remote.fs import Remote
from pivot.remote.transfer import _run, _Tally, _temp_path, _unlink_quietly
from pivot.storage import runcache
from pivot.storage.cache import Cache
from pivot.storage.runcache import RunCache, RunEntry


@dataclasses.dataclass(frozen=True, slots=True)
class RunsSummary:
    """What moving run-cache entries did (entries are tiny: counted, not sized)."""

    transferred: int
    already: int
    skipped: tuple[tuple[str, str], ...]  # (key, why): not moved, and not a failure of the command


def push_runs(
    run_cache: RunCache, remote: Remote, entries: Mapping[str, RunEntry], failed_oids: Collection[str], *, jobs: int
) -> RunsSummary:
    """Upload the entries the remote lacks, each only if none of its objects failed to upload
    (call this after pushing their objects): an entry must never be visible before its objects."""
    there = remote.list_runs()
    failed = set(failed_oids)
    skipped = [
        (key, "not uploaded: some of its objects failed to upload") for key, entry in entries.items() if entry.oids() & failed
    ]
    todo = sorted(key for key, entry in entries.items() if key not in there and not entry.oids() & failed)
    tally = _Tally()
    _run([(key, lambda key=key: _put_run(run_cache, remote, key)) for key in todo], jobs, None, tally)
    skipped += tally.failed
    return RunsSummary(tally.transferred, len(set(entries) & there), tuple(skipped))


def _put_run(run_cache: RunCache, remote: Remote, key: str) -> int:
    remote.put_run(run_cache.path(key), key)
    return 0


def fetch_runs(cache: Cache, run_cache: RunCache, remote: Remote, *, jobs: int) -> RunsSummary:
    """Download every entry on the remote that the local run cache lacks. An entry that does not
    parse, or whose inputs do not hash to its key, is skipped and reported, never stored."""
    there = remote.list_runs()
    local = set(run_cache.keys())
    todo = sorted(there - local)
    tally = _Tally()
    _run([(key, lambda key=key: _fetch_run(cache, run_cache, remote, key)) for key in todo], jobs, None, tally)
    return RunsSummary(tally.transferred, len(there & local), tuple(tally.failed))


def _fetch_run(cache: Cache, run_cache: RunCache, remote: Remote, key: str) -> int:
    tmp = _temp_path(cache, key)
    try:
        remote.get_run(key, tmp)
        try:
            entry = runcache.parse(tmp.read_bytes(), key)
        except errors.CacheError as exc:
            raise errors.TransferError(f"{exc.message} on remote '{remote.name}': ignored") from None
        run_cache.write(entry)
        return 0
    finally:
        _unlink_quietly(tmp)
