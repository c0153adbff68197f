"""Packs on the way up, and their garbage: which members a push sends in packs (small files of a
directory with many missing), which sit in packs on the remote already, and, for `pivot gc -r`,
which pointers and packs no kept directory needs. A push writes packs, then the pointer, then the
manifest: a manifest on the remote still means all its members are there, under files/ or in a
pack its pointer names. (The format: `pivot.remote.packformat`; fetching: `pivot.remote.packfetch`.)
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Collection, Mapping, Sequence

from pivot.base import wording
from pivot.remote import inflight, packformat
from pivot.remote.fs import Remote
from pivot.remote.packformat import DIRS, pack_key, pointer_key
from pivot.remote.retry import parallel_map
from pivot.remote.tasks import Task, unlink_quietly
from pivot.storage import hashing
from pivot.storage.cache import Cache
from pivot.storage.hashing import FileEntry

PACK_MIN = 16  # a directory sends packs when at least this many of its small files are missing
SMALL = 1 << 20  # files below this size go into packs; larger ones gain little from it
PACK_BYTES = 64 << 20  # member bytes per pack at most: bounds the temp file and a retry's cost


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
        index = packformat.remote_index(remote, jobs=jobs)
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
        tmp = packformat.temp_path(self._cache, "pack")
        try:
            size = packformat.write_pack(self._cache, self._groups[number], tmp)
            pid = hashing.hash_file(tmp)
            self._remote.put_key(tmp, pack_key(pid))
        finally:
            unlink_quietly(tmp)
        self._pids[number] = pid
        return len(self._groups[number]), size

    def settle(self, failed: set[str]) -> None:
        """The members of packs that failed (`failed` holds their task names) failed too."""
        for (what, _), group in zip(self.tasks(), self._groups, strict=True):
            if what in failed:
                failed.update(group)

    def pointer_tasks(self, failed: Collection[str]) -> list[Task]:
        """A pointer for each directory with members in packs, all of whose members arrived."""
        found: list[Task] = []
        for d, members in sorted(self._lacking.items()):
            inside = [self._where[oid] for oid in members if oid in self._where]
            if inside and not any(oid in failed for oid in members):
                pids = sorted({where if isinstance(where, str) else self._pids[where] for where in inside})
                found.append((d, functools.partial(self._write_pointer, d, pids)))
        return found

    def _write_pointer(self, d: str, pids: list[str]) -> None:
        data = json.dumps(pids).encode("ascii")
        if d not in self._absent_dirs and self._remote.read_key(pointer_key(d)) == data:
            return None  # a verified directory whose pointer is right already
        tmp = packformat.temp_path(self._cache, "pointer")
        try:
            tmp.write_bytes(data)
            self._remote.put_key(tmp, pointer_key(d))
        finally:
            unlink_quietly(tmp)
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
    pointers = {key: key.removeprefix(DIRS) for key in times if key.startswith(DIRS)}
    packs = {key for key in times if not key.startswith(DIRS)}
    kept = sorted(key for key, d in pointers.items() if d in keep or key in recent)

    def named(key: str) -> list[str]:
        data = remote.read_key(key)
        return [] if data is None else packformat.parse_pointer(data, remote, pointers[key])

    needed = {pack_key(pid) for pids in parallel_map(named, kept, jobs) for pid in pids}
    victims = sorted(key for key, d in pointers.items() if d not in keep and key not in recent)
    dead = packs - needed - recent
    if claimed and dead:
        # A push in progress may rely on members of an old pack (held, not sent again) before it
        # writes the pointer naming it: keep every pack that holds a member a push claims.
        wanted = set(claimed)
        dead -= {pack_key(pid) for oid, pid in packformat.remote_index(remote, jobs=jobs).items() if oid in wanted}
    return Garbage(tuple(victims), tuple(sorted(dead)), len(packs) - len(dead))


def delete(remote: Remote, garbage: Garbage) -> list[tuple[str, str]]:
    """Pointers first, and packs only if every pointer went: a pointer must never name a pack
    that is gone. Returns the (key, message) of what could not be deleted."""
    failed = remote.delete_keys(garbage.pointers)
    if failed:
        reason = f"not deleted: {wording.count(len(failed), 'pack pointer')} could not be deleted first"
        return failed + [(key, reason) for key in garbage.packs]
    return remote.delete_keys(garbage.packs)
