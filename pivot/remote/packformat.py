"""The pack format, and reading it on a remote. Packs: the many small files of a directory sent as
a few large objects, so pushing or pulling 10,000 small files costs a handful of requests instead
of 10,000. On the remote, beside files/:

    packs/<pid>            b"PIVOTPK1", the header's length (8 bytes, big-endian), the header (JSON
                           {oid: [offset, size]}, offsets from the header's end), the members' bytes;
                           pid = xxh3-128 of the whole pack
    packs/dirs/<oid>.dir   a directory's pointer: JSON list of the pids holding those of its members
                           that are not under files/

A push writes packs, then the pointer, then the manifest: a manifest on the remote still means all
its members are there, under files/ or in a pack its pointer names. A member taken from a pack is
hashed before it enters the cache, like any download.

This module owns the names and bytes of packs and pointers: writing a pack, reading a header or a
pointer back (anything malformed makes it unusable, never trusted), and which pack on a remote
holds which member. Sending packs: `pivot.remote.packs`; taking members from them:
`pivot.remote.packfetch`.
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Mapping, Sequence

from pivot import errors
from pivot.remote import tasks
from pivot.remote.fs import Remote
from pivot.remote.retry import parallel_map
from pivot.storage import hashing
from pivot.storage.cache import Cache

MAGIC = b"PIVOTPK1"
_PREFIX = len(MAGIC) + 8
_FIRST_READ = 64 << 10  # a header read asks for this much first (~1,300 members); a second read gets the rest
DIRS = "packs/dirs/"
# Sanity bounds on what a pack's bytes declare: far above anything pivot writes (PACK_BYTES of
# members, a header of ~60 bytes per member), far below what would overflow a read or a seek.
_MAX_HEADER = 1 << 30
_MAX_EXTENT = 1 << 40


def pack_key(pid: str) -> str:
    return f"packs/{pid}"


def pointer_key(dir_oid: str) -> str:
    return f"{DIRS}{dir_oid}"


def write_pack(cache: Cache, oids: Sequence[str], dest: pathlib.Path) -> int:
    """Write the pack of these cache objects to `dest`; returns the member bytes."""
    header: dict[str, list[int]] = {}
    offset = 0
    for oid in oids:
        size = os.stat(cache.object_path(oid)).st_size
        header[oid] = [offset, size]
        offset += size
    head = json.dumps(header, separators=(",", ":")).encode("ascii")
    with open(dest, "xb") as out:
        out.write(MAGIC + len(head).to_bytes(8, "big") + head)
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
    pids = [key.removeprefix("packs/") for key in remote.list_keys("packs/") if not key.startswith(DIRS)]

    def header(pid: str) -> Mapping[str, tuple[int, int]]:
        try:
            return remote_header(remote, pid)[0]
        except _Unusable:
            return {}

    index: dict[str, str] = {}
    for pid, members in zip(pids, parallel_map(header, pids, jobs), strict=True):
        for oid in members:
            index.setdefault(oid, pid)
    return index


def remote_header(remote: Remote, pid: str) -> tuple[Mapping[str, tuple[int, int]], int]:
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
    if len(head) < _PREFIX or not head.startswith(MAGIC):
        raise _unusable(remote, pid, "it does not start like a pack")
    length = int.from_bytes(head[len(MAGIC) : _PREFIX], "big")
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


def parse_pointer(data: bytes, remote: Remote, dir_oid: str) -> list[str]:
    try:
        pids = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        pids = None
    if not isinstance(pids, list) or not all(isinstance(pid, str) and hashing.is_valid_oid(pid) and not pid.endswith(hashing.DIR_SUFFIX) for pid in pids):
        raise errors.TransferError(f"the pack pointer of directory {dir_oid} on remote '{remote.name}' is unusable")
    return pids


def temp_path(cache: Cache, tag: str) -> pathlib.Path:
    """Where a pack or pointer is written before it goes up, or a pack lands before it is read."""
    return tasks.temp_path(cache, tag, "pack-tmp")
