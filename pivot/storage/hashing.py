"""Content hashes (xxh3-128) of bytes, files and directory manifests, and the directory walk.

A directory's id is the hash of its canonical manifest (sorted `[relpath, oid, size]` triples)
plus ".dir"; the manifest itself is stored in the cache as an object under that id.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import pathlib
import re
import stat
from collections.abc import Iterable, Sequence

import xxhash

from pivot import errors

DIR_SUFFIX = ".dir"
# Large enough that xxh3 (~10 GB/s) is never waiting on Python; small enough to stay in L2/L3.
CHUNK_SIZE = 1 << 20

_FILE_OID = re.compile(r"[0-9a-f]{32}")


@dataclasses.dataclass(frozen=True, slots=True)
class FileEntry:
    """One member of a directory."""

    relpath: str  # POSIX path relative to the directory
    oid: str
    size: int


@dataclasses.dataclass(frozen=True, slots=True)
class HashInfo:
    """What a lock file records for a path."""

    oid: str  # xxh3-128 hexdigest; directories: "<hex>.dir"
    size: int  # bytes; directories: the sum of their members
    nfiles: int | None = None  # None for a file, the member count for a directory

    @property
    def is_dir(self) -> bool:
        return self.oid.endswith(DIR_SUFFIX)


@dataclasses.dataclass(frozen=True, slots=True)
class Hashed:
    """A hashed path: its `HashInfo`, plus the members (sorted by relpath) if it is a directory."""

    info: HashInfo
    entries: tuple[FileEntry, ...] | None


def is_valid_oid(oid: str) -> bool:
    """True for the ids pivot produces; anything else must never become a path in the cache."""
    if oid.endswith(DIR_SUFFIX):
        oid = oid[: -len(DIR_SUFFIX)]
    return _FILE_OID.fullmatch(oid) is not None


def hash_bytes(data: bytes) -> str:
    return xxhash.xxh3_128_hexdigest(data)


def hash_file(path: pathlib.Path | str) -> str:
    """Hash a file's content, streamed so memory stays flat for any size."""
    with open(path, "rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size <= CHUNK_SIZE:
            # Most files are small: one read, no chunk buffer to allocate.
            return xxhash.xxh3_128_hexdigest(handle.read())
        hasher = xxhash.xxh3_128()
        buffer = bytearray(CHUNK_SIZE)
        view = memoryview(buffer)
        while count := handle.readinto(buffer):
            hasher.update(view[:count])
        return hasher.hexdigest()


def manifest_bytes(entries: Iterable[FileEntry]) -> bytes:
    """The canonical manifest: compact JSON `[[relpath, oid, size], ...]` sorted by relpath.

    ASCII-only output keeps it byte-identical on every platform, whatever the file names.
    """
    rows = sorted((e.relpath, e.oid, e.size) for e in entries)
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def parse_manifest(data: bytes) -> tuple[FileEntry, ...]:
    """Read a manifest back; anything malformed or unsafe to check out raises `CacheError`."""
    try:
        rows = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise errors.CacheError(f"directory manifest is not valid JSON: {exc}") from None
    if not isinstance(rows, list):
        raise errors.CacheError("directory manifest is not a list of [path, oid, size]")
    entries = tuple(sorted((_parse_row(row) for row in rows), key=_by_relpath))
    for before, after in itertools.pairwise(entries):
        if before.relpath == after.relpath:
            raise errors.CacheError(f"directory manifest lists {before.relpath!r} twice")
    return entries


def _by_relpath(entry: FileEntry) -> str:
    return entry.relpath


def _parse_row(row: object) -> FileEntry:
    match row:
        case [str() as relpath, str() as oid, int() as size] if not isinstance(size, bool):
            pass
        case _:
            raise errors.CacheError(f"directory manifest row is not [path, oid, size]: {row!r}")
    if not _FILE_OID.fullmatch(oid) or size < 0:
        raise errors.CacheError(f"directory manifest row has a bad oid or size: {row!r}")
    if not is_safe_relpath(relpath):
        # A manifest may come from a remote: never let it write outside the directory.
        raise errors.CacheError(f"directory manifest has an unsafe path: {relpath!r}")
    return FileEntry(relpath, oid, size)


def is_safe_relpath(relpath: str) -> bool:
    parts = relpath.split("/")
    return "\0" not in relpath and all(part not in ("", ".", "..") for part in parts)


def dir_info(entries: Sequence[FileEntry]) -> HashInfo:
    oid = hash_bytes(manifest_bytes(entries)) + DIR_SUFFIX
    return HashInfo(oid=oid, size=sum(e.size for e in entries), nfiles=len(entries))


def walk_files(root: pathlib.Path | str) -> list[tuple[str, os.stat_result]]:
    """Every regular file under `root` as `(relpath, stat)`, recursively, in no set order.

    Symlinks to files count as the file they point to (stat follows them). Symlinked
    directories are not followed (cycles, and trees outside the project), dangling symlinks
    have no content to hash, and sockets/FIFOs are not data: all three are left out.
    """
    found: list[tuple[str, os.stat_result]] = []
    pending: list[tuple[str, str]] = [(os.fspath(root), "")]
    while pending:
        directory, prefix = pending.pop()
        with os.scandir(directory) as it:
            for entry in it:
                relpath = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, relpath + "/"))
                    continue
                try:
                    st = entry.stat()
                except FileNotFoundError:  # dangling symlink, or deleted while we walk
                    continue
                if stat.S_ISREG(st.st_mode):
                    found.append((relpath, st))
    return found
