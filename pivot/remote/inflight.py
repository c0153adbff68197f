"""What `pivot gc -r` must not delete although this workspace does not reference it: objects a
push from another clone is relying on right now, and anything written in the last grace period.

A push writes a marker, `pushes/<random id>.json` on the remote, naming every object and run-cache
entry it relies on, BEFORE it compares anything with the remote, and removes it when it is done.
gc keeps whatever a live marker names, so an object a push found "already there" and skipped is
still there when the push reports success. gc holds `gc/<id>.json` from just before its last
read of the push markers until it has deleted; a push whose marker went up after that read waits
for it to go before comparing, so it sees the deletions. Either gc saw the push, or the push sees
what gc deleted. A marker older than `MARKER_TTL` belongs to a push that
died: it is ignored and removed. The grace period (as restic and borg keep recent packs) covers
what a marker cannot: an upload gc listed before the push's marker, packs written before their
pointer, a marker that cannot be read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import re
import secrets
import time
from collections.abc import Callable, Collection, Iterator, Mapping

from pivot import errors
from pivot.remote.fs import Remote

PREFIX = "pushes/"
DEFAULT_GRACE = 3600.0  # seconds: gc keeps what was written in the last hour
# A push that has not finished in a day has died (it would have removed its marker).
MARKER_TTL = 24 * 3600.0
GC_PREFIX = "gc/"
# A gc's deleting phase takes minutes at most; a gc marker older than this is from a gc killed
# with -9 (any other end removes it), and pushes stop waiting for it.
GC_TTL = 3600.0
_GC_POLL_SECONDS = 1.0
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)")


@dataclasses.dataclass(frozen=True, slots=True)
class Claims:
    """What the live push markers on a remote name."""

    oids: frozenset[str] = frozenset()
    runs: frozenset[str] = frozenset()
    live: int = 0  # markers of pushes in progress
    stale: tuple[str, ...] = ()  # keys of markers of pushes that died: to remove
    unreadable: int = 0  # live markers that could not be read (the grace period covers them)


@contextlib.contextmanager
def announced(
    remote: Remote, tmp_dir: pathlib.Path, oids: Collection[str], runs: Collection[str], *, on_wait: Callable[[float], None] | None = None
) -> Iterator[str]:
    """Hold a marker naming `oids` and `runs` on the remote while the block runs (a push). Before
    the block, wait for any gc -r that was already deleting when the marker went up: it could not
    see the marker, and what the push is about to find "already there" may be on its list."""
    body = {"started": time.time(), "oids": sorted(oids), "runs": sorted(runs)}
    with _marker(remote, tmp_dir, PREFIX, body) as key:
        _wait_for_collections(remote, on_wait)
        yield key


@contextlib.contextmanager
def collecting(remote: Remote, tmp_dir: pathlib.Path) -> Iterator[str]:
    """Hold a gc marker while gc -r makes its last check and deletes (see `announced`)."""
    with _marker(remote, tmp_dir, GC_PREFIX, {"started": time.time()}) as key:
        yield key


def _wait_for_collections(remote: Remote, on_wait: Callable[[float], None] | None) -> None:
    """Return once no live gc marker is on the remote (one that died counts for `GC_TTL`)."""
    while True:
        now = time.time()
        ages = [now - written if written is not None else 0.0 for written in remote.list_key_times(GC_PREFIX).values()]
        live = [age for age in ages if age <= GC_TTL]
        if not live:
            return
        if on_wait is not None:
            on_wait(max(live))
        time.sleep(_GC_POLL_SECONDS)


@contextlib.contextmanager
def _marker(remote: Remote, tmp_dir: pathlib.Path, prefix: str, body: Mapping[str, object]) -> Iterator[str]:
    key = f"{prefix}{secrets.token_hex(16)}.json"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / f"marker.{secrets.token_hex(6)}.tmp"
    try:
        tmp.write_text(json.dumps(body, separators=(",", ":")))
        remote.put_key(tmp, key)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    try:
        yield key
    finally:
        # A marker left behind only counts until it expires: never fail the command over it.
        with contextlib.suppress(errors.PivotError):
            remote.delete_keys([key])


def claims(remote: Remote, now: float) -> Claims:
    """The objects and run-cache entries the remote's live push markers name."""
    oids: set[str] = set()
    runs: set[str] = set()
    stale, live, unreadable = [], 0, 0
    for key, written in sorted(remote.list_key_times(PREFIX).items()):
        if written is not None and now - written > MARKER_TTL:
            stale.append(key)
            continue
        data = remote.read_key(key)
        if data is None:
            continue  # that push finished since the listing
        live += 1
        try:
            body = json.loads(data)
            oids.update(str(oid) for oid in body["oids"])
            runs.update(str(run) for run in body["runs"])
        except (ValueError, TypeError, KeyError):
            unreadable += 1
    return Claims(frozenset(oids), frozenset(runs), live, tuple(stale), unreadable)


def young(times: Mapping[str, float | None], cutoff: float) -> set[str]:
    """The names written at or after `cutoff`; a name whose time the storage does not give counts
    as young (kept): gc never guesses in favour of deleting."""
    return {name for name, written in times.items() if written is None or written >= cutoff}


def parse_duration(text: str | float) -> float:
    """"1h", "30m", "90s", "2d", "1w", "0", or a number of seconds -> seconds; ValueError otherwise."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"{text} is negative")
        return float(text)
    match = _DURATION.fullmatch(str(text).strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a duration like 1h, 30m, 90s or 2d")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def duration_text(seconds: float) -> str:
    """3600 -> "hour", 1800 -> "30 minutes", 7200 -> "2 hours" (read after "in the last")."""
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return unit if count == 1 else f"{count} {unit}s"
    count = int(seconds)
    return "second" if count == 1 else f"{count} seconds"
