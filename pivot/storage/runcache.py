"""The run cache `.pivot/cache/runs/ab/cdef…`: what each successful run made, keyed by its inputs.

A key is the xxh3-128 of a canonical JSON of the run's inputs (code, params, dep hashes, output
declarations); its entry records the hashes of every output, metrics included. An entry repeats
its inputs, and reading one recomputes the key from them: a damaged or misplaced entry is refused
(`CacheError`), and callers treat that as a miss.

This module is the run cache's one interface: `inputs_for` (what a key is the hash of), and on
`RunCache` `look_up` (hit, or why not), `record` (after a successful run), `restore` (a hit's
outputs into the workspace), `shareable` and `oids` (for push and gc). The remote side (signed
envelopes, transfers) is pivot.remote.runs and pivot.remote.trust, which read and write entries
through `dump`/`parse` and `RunCache.write`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import os
import pathlib
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from pivot import errors
from pivot.base import atomic, wording
from pivot.declare.stage import Stage
from pivot.storage import hashing
from pivot.storage.cache import Cache
from pivot.storage.hashing import HashInfo
from pivot.storage.lock import info_data
from pivot.storage.state import Hasher

SCHEMA = 1


@dataclasses.dataclass(frozen=True, slots=True)
class RunEntry:
    """One recorded run: its inputs (hashed into its key) and the outputs they produced."""

    stage: str  # the stage that recorded it: for `push STAGE` and for the reader, not the key
    inputs: Mapping[str, Any]  # what the key is the hash of
    outs: Mapping[str, HashInfo]  # cached outputs, as the lock records them
    metrics: Mapping[str, HashInfo]  # git-tracked outputs; their objects are cached too

    @property
    def key(self) -> str:
        return key_of(self.inputs)

    def oids(self) -> set[str]:
        return {info.oid for info in (*self.outs.values(), *self.metrics.values())}


class LookupState(enum.Enum):
    HIT = "hit"
    MISS = "no entry"
    DAMAGED = "damaged"  # the entry cannot be read: a miss, said so
    INCOMPLETE = "incomplete"  # the entry is fine, some of its objects are not in the cache


@dataclasses.dataclass(frozen=True, slots=True)
class Lookup:
    """What the run cache holds for a stage's current inputs (looked up only for a stale stage)."""

    key: str
    state: LookupState
    entry: RunEntry | None = None
    note: str = ""  # why an entry that exists is not used, for explain and the run output


def inputs_for(
    stage: Stage, code: str, params: Mapping[str, Any], deps: Mapping[str, HashInfo | None]
) -> dict[str, Any] | None:
    """What a run-cache key is the hash of: the code digest, params, dep hashes and output
    declarations. None when a dep is not known (missing, or about to be rewritten upstream), or
    the inputs cannot be written canonically: then the run cache is simply not used for this run."""
    if not stage.outs or any(info is None for info in deps.values()):
        return None  # a stage without outputs runs for its side effects: never skip it
    if any(out.incremental for out in stage.outs):
        return None  # each run builds on the one before: its inputs do not say what it makes
    inputs = {
        "code": code,
        "params": dict(params),
        "deps": {path: info.oid for path, info in deps.items() if info is not None},
        # Declarations, loaders included: the same value saved by another loader is other bytes.
        "outs": [[o.path, o.kind.value, o.cache, _loader_id(o.loader)] for o in sorted(stage.outs, key=lambda o: o.path)],
    }
    if stage.is_shell:  # in `code` already; said in so many words, and Python stages' keys unchanged
        inputs["cmd"] = {"commands": list(stage.cmd), "wdir": stage.wdir}
    try:
        key_of(inputs)
    except (TypeError, ValueError):  # e.g. a params mapping with keys of mixed types
        return None
    return inputs


def _loader_id(loader: Any) -> str:
    # Loaders are frozen dataclasses, whose repr names the class and every field.
    cls = type(loader)
    return f"{cls.__module__}.{loader!r}" if dataclasses.is_dataclass(loader) else f"{cls.__module__}.{cls.__qualname__}"


def key_of(inputs: Mapping[str, Any]) -> str:
    return hashing.hash_bytes(canonical(inputs))


def canonical(data: Any) -> bytes:
    # repr for what JSON cannot say (a date from YAML): deterministic, and a mismatch is a miss.
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=repr).encode("ascii")


class RunCache:
    """Entries as small canonical JSON files under `root/<key[:2]>/<key[2:]>`."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root

    def path(self, key: str) -> pathlib.Path:
        if not _is_key(key):  # keys come from remotes too: never let one name a path elsewhere
            raise errors.CacheError(f"{key!r} is not a valid run-cache key")
        return self.root / key[:2] / key[2:]

    def read(self, key: str) -> RunEntry | None:
        """The entry under `key`; None if there is none; `CacheError` if it is damaged."""
        try:
            data = self.path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return parse(data, key)

    def prepare(self, inputs: Mapping[str, Any]) -> None:
        """Make the directory the entry of `inputs` will be written into (see Cache.prepare)."""
        with contextlib.suppress(OSError, errors.CacheError):
            os.makedirs(self.path(key_of(inputs)).parent, exist_ok=True)

    def write(self, entry: RunEntry) -> str:
        key = entry.key
        # No fsync: one per stage run would cost a cold run of many small stages dearly, and an
        # entry torn by a power cut fails its key check on reading, which makes it a miss.
        atomic.write_bytes(self.path(key), dump(entry), durable=False)
        return key

    def keys(self) -> Iterator[str]:
        """Every key with an entry file; temp files and stray names are skipped."""
        try:
            shards = sorted(os.scandir(self.root), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return
        for shard in shards:
            if len(shard.name) != 2 or not shard.is_dir(follow_symlinks=False):
                continue
            with os.scandir(shard.path) as entries:
                names = sorted(e.name for e in entries if e.is_file(follow_symlinks=False))
            for name in names:
                if _is_key(shard.name + name):
                    yield shard.name + name

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path(key))

    def clear(self) -> int:
        """Delete every entry; returns how many there were."""
        keys = list(self.keys())
        for key in keys:
            self.delete(key)
        return len(keys)

    def look_up(
        self, stage: Stage, inputs: Mapping[str, Any], cache: Cache, *, damaged: Collection[str] = (), fetchable: bool = False
    ) -> Lookup:
        """The entry for `inputs`, if `stage` may use it. `damaged`: objects found modified in
        place, which an entry must not name; `fetchable` counts an entry whose objects are not
        here yet as a hit (what `pivot fetch` plans to download)."""
        key = key_of(inputs)
        try:
            entry = self.read(key)
        except errors.CacheError as exc:
            return Lookup(key, LookupState.DAMAGED, note=f"{exc.message}: ignored")
        except OSError as exc:  # unreadable (permissions...): a miss, never a failed run
            return Lookup(key, LookupState.DAMAGED, note=f"run-cache entry {key} cannot be read ({exc.strerror}): ignored")
        if entry is None:
            return Lookup(key, LookupState.MISS)
        cached = {out.path for out in stage.outs if out.cache}
        if set(entry.outs) != cached or set(entry.metrics) != set(stage.out_paths) - cached:
            return Lookup(key, LookupState.DAMAGED, note=f"run-cache entry {key} does not list this stage's outputs: ignored")
        if not entry.oids().isdisjoint(damaged):
            note = f"run-cache entry {key} names an output whose cached copy was modified in place: ignored"
            return Lookup(key, LookupState.DAMAGED, note=note)
        lacking = sum(1 for oid in entry.oids() if not cache.is_complete(oid))
        if lacking and not fetchable:
            note = f"run-cache entry {key} matches, but {lacking} of its objects {wording.be(lacking)} not in the local cache (pivot fetch brings them)"
            return Lookup(key, LookupState.INCOMPLETE, entry, note)
        return Lookup(key, LookupState.HIT, entry)

    def record(
        self, stage: Stage, inputs: Mapping[str, Any] | None, outs: Mapping[str, HashInfo], metrics: Mapping[str, HashInfo]
    ) -> None:
        """Remember what a successful run made; `inputs` None (not keyable): nothing to remember."""
        if inputs is None:
            return
        # The run itself succeeded: an unrecorded run only costs a rerun some day.
        with contextlib.suppress(OSError):
            self.write(RunEntry(stage.name, inputs, outs, metrics))

    @staticmethod
    def restore(entry: RunEntry, stage: Stage, cache: Cache, root: pathlib.Path, hasher: Hasher) -> None:
        """Every output back as the recorded run made it (verified on the way: `CacheError` if an
        object is damaged). Git-tracked outputs are copies, never links into the cache."""
        for out in stage.outs:
            info = entry.outs[out.path] if out.cache else entry.metrics[out.path]
            cache.checkout(info.oid, root / out.path, hasher, copy=not out.cache)

    def shareable(
        self, cache: Cache, stages: Collection[str] | None = None, *, complete: Collection[str] = ()
    ) -> dict[str, RunEntry]:
        """Readable entries (of `stages` only, if given) whose objects the local cache holds
        whole: what push may share, since a remote entry must never lack its objects. `complete`:
        oids the caller has just found whole (a directory's check stats every file)."""
        return {
            key: entry
            for key, entry in self.entries()
            if entry is not None
            and (stages is None or entry.stage in stages)
            and all(oid in complete or cache.is_complete(oid) for oid in entry.oids())
        }

    def oids(self) -> set[str]:
        """The objects every readable entry names (a damaged entry names none: it is a miss)."""
        return {oid for _, entry in self.entries() if entry is not None for oid in entry.oids()}

    def entries(self) -> Iterator[tuple[str, RunEntry | None]]:
        """(key, entry) for every key; the entry is None when it is damaged or unreadable."""
        for key in self.keys():
            try:
                yield key, self.read(key)
            except (errors.CacheError, OSError):
                yield key, None


def dump(entry: RunEntry) -> bytes:
    return canonical(
        {
            "schema": SCHEMA,
            "stage": entry.stage,
            "inputs": entry.inputs,
            "outs": {path: info_data(info) for path, info in entry.outs.items()},
            "metrics": {path: info_data(info) for path, info in entry.metrics.items()},
        }
    )


def parse(data: bytes, key: str) -> RunEntry:
    """An entry from its bytes, checked against the key it was stored under."""
    try:
        raw = json.loads(data)
        if raw.get("schema") != SCHEMA:
            raise ValueError(f"schema {raw.get('schema')!r} is not {SCHEMA}")
        entry = RunEntry(
            stage=str(raw["stage"]),
            inputs=dict(raw["inputs"]),
            outs=_infos(raw["outs"]),
            metrics=_infos(raw["metrics"]),
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise errors.CacheError(f"run-cache entry {key} is damaged ({exc})") from None
    if entry.key != key:
        raise errors.CacheError(f"run-cache entry {key} is damaged (its inputs hash to {entry.key})")
    return entry


def _infos(section: Mapping[str, Any]) -> dict[str, HashInfo]:
    infos = {}
    for path, item in section.items():
        oid, size, nfiles = item["hash"], item["size"], item.get("nfiles")
        if not isinstance(oid, str) or not hashing.is_valid_oid(oid):
            raise ValueError(f"{path}: {oid!r} is not an object id")
        if not isinstance(size, int) or not (nfiles is None or isinstance(nfiles, int)):
            raise ValueError(f"{path}: bad size")
        infos[str(path)] = HashInfo(oid, size, nfiles)
    return infos


def _is_key(key: str) -> bool:
    return hashing.is_valid_oid(key) and not key.endswith(hashing.DIR_SUFFIX)
