"""Taking the members a fetch needs out of the packs on a remote: read the pointers of their
directories, then from each pack named the header and either the whole pack or just the members'
byte ranges (nearby ones merged into one read, the reads made at once); every member is hashed
before it enters the cache, like any download. (The format: `pivot.remote.packformat`.)"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Collection, Mapping, Sequence

from pivot.remote import packformat
from pivot.remote.fs import Remote
from pivot.remote.packformat import pack_key, pointer_key
from pivot.remote.tasks import Task, unlink_quietly
from pivot.storage import hashing
from pivot.storage.cache import Cache
from pivot.storage.hashing import FileEntry

# A fetch that needs less than this share of a pack's bytes reads just those members (ranges).
_SPARSE = 0.5
# Wanted members at most this many bytes apart are read as one range, gap included. A request's
# round trip to an object store (10-50 ms to the first byte, plus a fee per request) costs as
# much as streaming 0.5-2 MB at 50 MB/s, while 64 KiB of gap takes about a millisecond. It stays
# small next to a pack (64 MiB), so a fetch of a few members does not turn into one of the whole
# pack. (fsspec's parquet reader merges at the same gap.)
_MAX_GAP = 64 << 10
# A merged range is at most this long, so the wanted part of a pack still goes as several
# requests at once instead of one long stream.
_MAX_BLOCK = 4 << 20
# The reads of one pack are asked for this many bytes of it at a time (from the first wanted
# byte to the last): what a sparse fetch of one pack holds in memory at once.
_BATCH = 16 << 20


class PackFetch:
    """Members a fetch needs, taken from the packs their directories' pointers name: run
    `pointer_tasks()`, then `pack_tasks()`, then `settle()`; what is still missing after that is
    fetched one object at a time. `rejected`: members whose bytes in a pack did not hash right."""

    def __init__(self, cache: Cache, remote: Remote, manifests: Mapping[str, Sequence[FileEntry]], needed: Collection[str]) -> None:
        self._cache, self._remote = cache, remote
        self._needed = set(needed)
        self._dirs = sorted(d for d, entries in manifests.items() if any(e.oid in self._needed for e in entries))
        self._pids: set[str] = set()
        self._lock = threading.Lock()
        self.rejected: dict[str, str] = {}

    def pointer_tasks(self) -> list[Task]:
        return [(pointer_key(d), functools.partial(self._read_pointer, d)) for d in self._dirs]

    def _read_pointer(self, d: str) -> None:
        data = self._remote.read_key(pointer_key(d))
        if data is not None:  # None: not packed; its files are under files/
            pids = packformat.parse_pointer(data, self._remote, d)
            with self._lock:
                self._pids.update(pids)
        return None

    def pack_tasks(self) -> list[Task]:
        return [(pack_key(pid), functools.partial(self._fetch, pid)) for pid in sorted(self._pids)]

    def _fetch(self, pid: str) -> tuple[int, int]:
        """The needed members of one pack: the header first (range reads), then the whole pack,
        or only the members' byte ranges when they are a small part of it."""
        members, start = packformat.remote_header(self._remote, pid)
        wanted = sorted((place, oid) for oid, place in members.items() if oid in self._needed and not self._cache.exists(oid))
        if not wanted:
            return 0, 0  # the pointer names it for members this cache holds already
        if sum(count for (_, count), _ in wanted) < _SPARSE * sum(count for _, count in members.values()):
            return self._fetch_ranges(pid, start, wanted)
        return self._fetch_whole(pid, start, wanted)

    def _fetch_ranges(self, pid: str, start: int, wanted: Sequence[tuple[tuple[int, int], str]]) -> tuple[int, int]:
        """The members' byte ranges, nearby ones merged into one read and the reads made at once,
        a batch at a time; each member is hashed and stored as its batch arrives."""
        files = size = 0
        for batch in _batches(wanted):
            ranges = [(start + offset, start + offset + count) for (offset, count), _ in batch]
            found = self._remote.read_ranges(pack_key(pid), ranges, max_gap=_MAX_GAP, max_block=_MAX_BLOCK)
            for (_, oid), data in zip(batch, found or [b""] * len(batch), strict=True):  # None: deleted since
                files, size = self._accept(pid, oid, data, files, size)
        return files, size

    def _fetch_whole(self, pid: str, start: int, wanted: Sequence[tuple[tuple[int, int], str]]) -> tuple[int, int]:
        files = size = 0
        tmp = packformat.temp_path(self._cache, "pack")
        try:
            self._remote.get_key(pack_key(pid), tmp)
            with open(tmp, "rb") as pack:
                for (offset, count), oid in wanted:
                    pack.seek(start + offset)
                    files, size = self._accept(pid, oid, pack.read(count), files, size)
        finally:
            unlink_quietly(tmp)
        return files, size

    def _accept(self, pid: str, oid: str, data: bytes, files: int, size: int) -> tuple[int, int]:
        """Store `data` as `oid` if it hashes to it; returns the new (files, bytes) totals."""
        actual = hashing.hash_bytes(data)
        if actual != oid:
            with self._lock:
                self.rejected[oid] = (
                    f"object {oid} in pack {pid} from remote '{self._remote.name}' is corrupted "
                    f"(its content hashes to {actual}); it was not added to the cache"
                )
            return files, size
        _store(self._cache, oid, data)
        return files + 1, size + len(data)

    def settle(self, fail: Callable[[str, str], None]) -> None:
        for oid, message in sorted(self.rejected.items()):
            if not self._cache.exists(oid):  # another pack may have held a good copy
                fail(oid, message)


def _batches(wanted: Sequence[tuple[tuple[int, int], str]]) -> list[list[tuple[tuple[int, int], str]]]:
    """Members sorted by offset, cut where a batch would span more than `_BATCH` bytes (a member
    larger than that is a batch of its own)."""
    batches: list[list[tuple[tuple[int, int], str]]] = []
    first = 0
    for member in wanted:
        (offset, count), _ = member
        if not batches or offset + count - first > _BATCH:
            batches.append([])
            first = offset
        batches[-1].append(member)
    return batches


def _store(cache: Cache, oid: str, data: bytes) -> None:
    tmp = packformat.temp_path(cache, oid)
    try:
        with open(tmp, "xb") as out:
            out.write(data)
        cache.put_object(oid, tmp)
    finally:
        unlink_quietly(tmp)
