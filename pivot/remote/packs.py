"""Packs: the many small files of a directory sent as a few large objects, so pushing or pulling
10,000 small files costs a handful of requests instead of 10,000. On the remote, beside files/:

    packs/<pid>            b"PIVOTPK1", the header's length (8 bytes, big-endian), the header (JSON
                           {oid: [offset, size]}, offsets from the header's end), the members' bytes;
                           pid = xxh3-128 of the whole pack
    packs/dirs/<oid>.dir   a directory's pointer: JSON list of the pids holding those of its members
                           that are not under files/

A push writes packs, then the pointer, then the manifest: a manifest on the remote still means all
its members are there, under files/ or in a pack its pointer names. A member taken from a pack is
hashed before it enters the cache, like any download.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import pathlib
import secrets
import threading
from collections.abc import Callable, Collection, Mapping, Sequence

from pivot import errors
from pivot.base import wording
from pivot.remote import inflight
from pivot.remote.fs import Remote, parallel_map
from pivot.storage import hashing
from pivot.storage.cache import Cache
from pivot.storage.hashing import FileEntry

PACK_MIN = 16  # a directory sends packs when at least this many of its small files are missing
SMALL = 1 << 20  # files below this size go into packs; larger ones gain little from it
PACK_BYTES = 64 << 20  # member bytes per pack at most: bounds the temp file and a retry's cost
_MAGIC = b"PIVOTPK1"
_PREFIX = len(_MAGIC) + 8
_FIRST_READ = 64 << 10  # a header read asks for this much first (~1,300 members); a second read gets the rest
# A fetch that needs less than this share of a pack's bytes reads just those members (ranges).
_SPARSE = 0.5
_DIRS = "packs/dirs/"
# Sanity bounds on what a pack's bytes declare: far above anything pivot writes (PACK_BYTES of
# members, a header of ~60 bytes per member), far below what would overflow a read or a seek.
_MAX_HEADER = 1 << 30
_MAX_EXTENT = 1 << 40

Task = tuple[str, Callable[[], "int | tuple[int, int] | None"]]  # (what, work) as transfer._run takes it


def pack_key(pid: str) -> str:
    return f"packs/{pid}"


def pointer_key(dir_oid: str) -> str:
    return f"{_DIRS}{dir_oid}"


# ---------------------------------------------------------------------- push


class PackPush:
    """Which of the members a push must send go into packs, and which sit in packs on the remote
    already (`held`: they count as there). Built before any upload; then `tasks()` send the packs,
    `settle()` marks the members of failed packs, `pointer_tasks()` write the pointers."""

    def __init__(
        self, cache: Cache, remote: Remote, absent: Collection[str], manifests: Mapping[str, Sequence[FileEntry]], *, jobs: int, verify: bool
    ) -> None:
        self._cache, self._remote = cache, remote
        self.held: set[str] = set()
        self.packed: set[str] = set()
        self._groups: list[list[str]] = []
        self._pids: dict[int, str] = {}  # group -> pid, once sent (each worker writes its own key)
        self._where: dict[str, str | int] = {}  # member -> pid of a pack on the remote, or group
        self._lacking = {d: {e.oid: e.size for e in entries if e.oid in absent} for d, entries in manifests.items()}
        self._lacking = {d: members for d, members in self._lacking.items() if members}
        self._absent_dirs = {d for d in self._lacking if d in absent}
        many = any(len(members) >= PACK_MIN for members in self._lacking.values())
        if not (many and remote.spec.pack) and not (verify and self._lacking):
            return  # today's way: one object per file, and no request spent on packs
        index = remote_index(remote, jobs=jobs)
        sizes: dict[str, int] = {}
        for members in self._lacking.values():
            for oid in members:
                if oid in index:
                    self.held.add(oid)
                    self._where[oid] = index[oid]
            small = {oid: size for oid, size in members.items() if oid not in index and size < SMALL and cache.exists(oid)}
            if remote.spec.pack and len(small) >= PACK_MIN:
                sizes.update(small)
        self._groups = _groups(sizes)
        for number, group in enumerate(self._groups):
            self._where.update(dict.fromkeys(group, number))
        self.packed = set(sizes)

    def tasks(self) -> list[Task]:
        count = len(self._groups)
        return [
            (f"pack {number + 1} of {count} ({wording.count(len(group), 'file')})", functools.partial(self._send, number))
            for number, group in enumerate(self._groups)
        ]

    def _send(self, number: int) -> tuple[int, int]:
        tmp = _temp_path(self._cache, "pack")
        try:
            size = _write_pack(self._cache, self._groups[number], tmp)
            pid = hashing.hash_file(tmp)
            self._remote.put_key(tmp, pack_key(pid))
        finally:
            _unlink_quietly(tmp)
        self._pids[number] = pid
        return len(self._groups[number]), size

    def settle(self, failed: set[str]) -> None:
        """The members of packs that failed (`failed` holds their task names) failed too."""
        for (what, _), group in zip(self.tasks(), self._groups, strict=True):
            if what in failed:
                failed.update(group)

    def pointer_tasks(self, failed: Collection[str]) -> list[Task]:
        """A pointer for each directory with members in packs, all of whose members arrived."""
        tasks: list[Task] = []
        for d, members in sorted(self._lacking.items()):
            inside = [self._where[oid] for oid in members if oid in self._where]
            if inside and not any(oid in failed for oid in members):
                pids = sorted({where if isinstance(where, str) else self._pids[where] for where in inside})
                tasks.append((d, functools.partial(self._write_pointer, d, pids)))
        return tasks

    def _write_pointer(self, d: str, pids: list[str]) -> None:
        data = json.dumps(pids).encode("ascii")
        if d not in self._absent_dirs and self._remote.read_key(pointer_key(d)) == data:
            return None  # a verified directory whose pointer is right already
        tmp = _temp_path(self._cache, "pointer")
        try:
            tmp.write_bytes(data)
            self._remote.put_key(tmp, pointer_key(d))
        finally:
            _unlink_quietly(tmp)
        return None  # not a file: not counted


def _groups(sizes: Mapping[str, int]) -> list[list[str]]:
    """Members in oid order (the same set packs the same way: a retried push re-sends the same
    pack), cut into groups of at most `PACK_BYTES`."""
    groups: list[list[str]] = []
    total = PACK_BYTES
    for oid in sorted(sizes):
        if total + sizes[oid] > PACK_BYTES and (not groups or groups[-1]):
            groups.append([])
            total = 0
        groups[-1].append(oid)
        total += sizes[oid]
    return groups


def _write_pack(cache: Cache, oids: Sequence[str], dest: pathlib.Path) -> int:
    """Write the pack of these cache objects to `dest`; returns the member bytes."""
    header: dict[str, list[int]] = {}
    offset = 0
    for oid in oids:
        size = os.stat(cache.object_path(oid)).st_size
        header[oid] = [offset, size]
        offset += size
    head = json.dumps(header, separators=(",", ":")).encode("ascii")
    with open(dest, "xb") as out:
        out.write(_MAGIC + len(head).to_bytes(8, "big") + head)
        for oid, (_, size) in header.items():
            with open(cache.object_path(oid), "rb") as member:
                data = member.read()
            if len(data) != size:
                raise errors.CacheError(f"cache object {oid} changed while it was being packed")
            out.write(data)
    return offset


def remote_index(remote: Remote, *, jobs: int) -> dict[str, str]:
    """Which pack on the remote holds each packed member: one listing and one or two small range
    reads per pack. A pack whose header is unusable is left out (its members count as absent)."""
    pids = [key.removeprefix("packs/") for key in remote.list_keys("packs/") if not key.startswith(_DIRS)]

    def header(pid: str) -> Mapping[str, tuple[int, int]]:
        try:
            return _remote_header(remote, pid)[0]
        except _Unusable:
            return {}

    index: dict[str, str] = {}
    for pid, members in zip(pids, parallel_map(header, pids, jobs), strict=True):
        for oid in members:
            index.setdefault(oid, pid)
    return index


def _remote_header(remote: Remote, pid: str) -> tuple[Mapping[str, tuple[int, int]], int]:
    """A pack's header, read with one or two range requests, and where its data starts."""
    key = pack_key(pid)
    head = remote.read_key(key, 0, _FIRST_READ)
    if head is None:
        return {}, 0  # deleted since the listing
    length = _header_length(head, remote, pid)
    if len(head) < _PREFIX + length:
        head += remote.read_key(key, len(head), _PREFIX + length) or b""
    if len(head) < _PREFIX + length:
        raise _unusable(remote, pid, f"its header declares {length} bytes but the pack ends after {max(len(head) - _PREFIX, 0)}")
    return _parse_header(head[_PREFIX : _PREFIX + length], remote, pid), _PREFIX + length


def _header_length(head: bytes, remote: Remote, pid: str) -> int:
    if len(head) < _PREFIX or not head.startswith(_MAGIC):
        raise _unusable(remote, pid, "it does not start like a pack")
    length = int.from_bytes(head[len(_MAGIC) : _PREFIX], "big")
    if length > _MAX_HEADER:
        raise _unusable(remote, pid, f"its header declares an impossible length ({length} bytes)")
    return length


def _parse_header(data: bytes, remote: Remote, pid: str) -> dict[str, tuple[int, int]]:
    """The header as {oid: (offset, size)}; anything malformed makes the pack unusable. (Offsets
    past the end need no check: the bytes read there would not hash to the oid.)"""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise _unusable(remote, pid, "its header is not valid JSON") from None
    if not isinstance(raw, dict):
        raise _unusable(remote, pid, "its header is not a mapping")
    members: dict[str, tuple[int, int]] = {}
    for oid, place in raw.items():
        match place:
            case [int() as offset, int() as size] if offset >= 0 and size >= 0 and offset + size <= _MAX_EXTENT and not oid.endswith(hashing.DIR_SUFFIX):
                pass
            case _:
                raise _unusable(remote, pid, f"bad header entry {oid!r}: {place!r}")
        if not hashing.is_valid_oid(oid):
            raise _unusable(remote, pid, f"bad header entry {oid!r}: {place!r}")
        members[oid] = (offset, size)
    return members


class _Unusable(errors.TransferError):
    """A pack that is not one (damaged, or not written by pivot)."""


def _unusable(remote: Remote, pid: str, why: str) -> _Unusable:
    # Treated as a damaged remote object: the members it would give count as not there.
    return _Unusable(f"pack {pid} on remote '{remote.name}' is damaged: {why}")


# ---------------------------------------------------------------------- fetch


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
            pids = parse_pointer(data, self._remote, d)
            with self._lock:
                self._pids.update(pids)
        return None

    def pack_tasks(self) -> list[Task]:
        return [(pack_key(pid), functools.partial(self._fetch, pid)) for pid in sorted(self._pids)]

    def _fetch(self, pid: str) -> tuple[int, int]:
        """The needed members of one pack: the header first (range reads), then the whole pack,
        or only the members' byte ranges when they are a small part of it."""
        key = pack_key(pid)
        members, start = _remote_header(self._remote, pid)
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
        tmp = _temp_path(self._cache, "pack")
        try:
            self._remote.get_key(key, tmp)
            with open(tmp, "rb") as pack:
                for (offset, count), oid in wanted:
                    pack.seek(start + offset)
                    files, size = self._accept(pid, oid, pack.read(count), files, size)
        finally:
            _unlink_quietly(tmp)
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


def parse_pointer(data: bytes, remote: Remote, dir_oid: str) -> list[str]:
    try:
        pids = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        pids = None
    if not isinstance(pids, list) or not all(isinstance(pid, str) and hashing.is_valid_oid(pid) and not pid.endswith(hashing.DIR_SUFFIX) for pid in pids):
        raise errors.TransferError(f"the pack pointer of directory {dir_oid} on remote '{remote.name}' is unusable")
    return pids


def _store(cache: Cache, oid: str, data: bytes) -> None:
    tmp = _temp_path(cache, oid)
    try:
        with open(tmp, "xb") as out:
            out.write(data)
        cache.put_object(oid, tmp)
    finally:
        _unlink_quietly(tmp)


# ---------------------------------------------------------------------- gc


@dataclasses.dataclass(frozen=True, slots=True)
class Garbage:
    """What `pivot gc -r` deletes of packs: pointers of unreferenced directories, then the packs
    no remaining pointer names."""

    pointers: tuple[str, ...]  # keys
    packs: tuple[str, ...]  # keys
    kept_packs: int


def garbage(remote: Remote, keep: Collection[str], *, jobs: int, cutoff: float | None = None, claimed: Collection[str] = ()) -> Garbage:
    """Pointers of directories not in `keep`, and packs no kept pointer names; with `cutoff`, keys
    written since then are kept too (a push from another clone writes packs before the pointer
    that names them). A kept pointer that cannot be read raises: without it, gc cannot tell which
    packs its directory needs."""
    times = remote.list_key_times("packs/")
    recent = inflight.young(times, cutoff) if cutoff is not None else set()
    pointers = {key: key.removeprefix(_DIRS) for key in times if key.startswith(_DIRS)}
    packs = {key for key in times if not key.startswith(_DIRS)}
    kept = sorted(key for key, d in pointers.items() if d in keep or key in recent)

    def named(key: str) -> list[str]:
        data = remote.read_key(key)
        return [] if data is None else parse_pointer(data, remote, pointers[key])

    needed = {pack_key(pid) for pids in parallel_map(named, kept, jobs) for pid in pids}
    victims = sorted(key for key, d in pointers.items() if d not in keep and key not in recent)
    dead = packs - needed - recent
    if claimed and dead:
        # A push in progress may rely on members of an old pack (held, not sent again) before it
        # writes the pointer naming it: keep every pack that holds a member a push claims.
        wanted = set(claimed)
        dead -= {pack_key(pid) for oid, pid in remote_index(remote, jobs=jobs).items() if oid in wanted}
    return Garbage(tuple(victims), tuple(sorted(dead)), len(packs) - len(dead))


def delete(remote: Remote, garbage: Garbage) -> list[tuple[str, str]]:
    """Pointers first, and packs only if every pointer went: a pointer must never name a pack
    that is gone. Returns the (key, message) of what could not be deleted."""
    failed = remote.delete_keys(garbage.pointers)
    if failed:
        reason = f"not deleted: {wording.count(len(failed), 'pack pointer')} could not be deleted first"
        return failed + [(key, reason) for key in garbage.packs]
    return remote.delete_keys(garbage.packs)


# ---------------------------------------------------------------------- shared


def _temp_path(cache: Cache, tag: str) -> pathlib.Path:
    cache.tmp_dir.mkdir(parents=True, exist_ok=True)
    return cache.tmp_dir / f"{tag}.{secrets.token_hex(6)}.pack-tmp"


def _unlink_quietly(path: pathlib.Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
