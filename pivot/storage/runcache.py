"""The run cache `.pivot/cache/runs/ab/cdef…`: what each successful run made, keyed by its inputs.

A key is the xxh3-128 of a canonical JSON of the run's inputs (code, params, dep hashes, output
declarations); its entry records the hashes of every output, metrics included. An entry repeats
its inputs, and reading one recomputes the key from them: a damaged or misplaced entry is refused
(`CacheError`), and callers treat that as a miss.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
from collections.abc import Iterator, Mapping
from typing import Any

from pivot import errors
from pivot.base import atomic
from pivot.storage import hashing
from pivot.storage.hashing import HashInfo
from pivot.storage.lock import info_data

SCHEMA = 1


@dataclasses.dataclass(frozen=True, slots=True)
class RunEntry:
    stage: str  # the stage that recorded it: for `push STAGE` and for the reader, not the key
    inputs: Mapping[str, Any]  # what the key is the hash of
    outs: Mapping[str, HashInfo]  # cached outputs, as the lock records them
    metrics: Mapping[str, HashInfo]  # git-tracked outputs; their objects are cached too

    @property
    def key(self) -> str:
        return key_of(self.inputs)

    def oids(self) -> set[str]:
        return {info.oid for info in (*self.outs.values(), *self.metrics.values())}


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
