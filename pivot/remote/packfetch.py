"""Taking the members a fetch needs out of the packs on a remote: read the pointers of their
directories, then from each pack named the header and either the whole pack or just the members'
byte ranges; every member is hashed before it enters the cache, like any download. (The format:
`pivot.remote.packformat`.)"""

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
        key = pack_key(pid)
        members, start = packformat.remote_header(self._remote, pid)
        wanted = sorted((place, oid) for oid, place in members.items() if oid in self._needed and not self._cache.exists(oid))
        if not wanted:
            return 0, 0  # the pointer names it for members this cache holds already
        files = size = 0
        if sum(count for (_, count), _ in wanted) < _SPARSE * sum(count for _, count in members.values()):
            for first, end, run in _runs(wanted):
                data = self._remote.read_key(key, start + first, start + end) or b""
                for offset, count, oid in run:
                    files, size = self._accept(pid, oid, data[offset - first : offset - first + count], files, size)
            return files, size
        tmp = packformat.temp_path(self._cache, "pack")
        try:
            self._remote.get_key(key, tmp)
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


def _runs(wanted: Sequence[tuple[tuple[int, int], str]]) -> list[tuple[int, int, list[tuple[int, int, str]]]]:
    """Members sorted by offset as runs of adjacent ones: (first byte, end, [(offset, size, oid)])."""
    runs: list[tuple[int, int, list[tuple[int, int, str]]]] = []
    for (offset, count), oid in wanted:
        if runs and runs[-1][1] == offset:
            first, _, run = runs.pop()
            runs.append((first, offset + count, [*run, (offset, count, oid)]))
        else:
            runs.append((offset, offset + count, [(offset, count, oid)]))
    return runs


def _store(cache: Cache, oid: str, data: bytes) -> None:
    tmp = packformat.temp_path(cache, oid)
    try:
        with open(tmp, "xb") as out:
            out.write(data)
        cache.put_object(oid, tmp)
    finally:
        unlink_quietly(tmp)
