"""push and fetch of objects between the local cache and a remote: compare first, move only what is
missing, a directory's manifest only after all its files, every download hashed before it enters
the cache. The tasks run on `pivot.remote.tasks`; small files travel in packs (`pivot.remote.packs`
on the way up, `pivot.remote.packfetch` on the way down); run-cache entries: `pivot.remote.runs`.
"""

from __future__ import annotations

import functools
import os
import pathlib
import time
from collections.abc import Collection, Iterable, Mapping, Sequence

from pivot import errors
from pivot.base import diskfull, wording
from pivot.remote import packfetch, packs, tasks
from pivot.remote.fs import Remote
from pivot.storage import hashing
from pivot.storage.cache import Cache
from pivot.storage.hashing import FileEntry
from pivot.worktree import references

# ---------------------------------------------------------------------- push


def push(
    cache: Cache,
    remote: Remote,
    oids: Collection[str],
    *,
    jobs: int,
    progress: tasks.Progress | None = None,
    verify: bool = False,
    on_start: tasks.Progress | None = None,
) -> tasks.TransferSummary:
    """Upload the objects of `oids` (files and `.dir` oids with their files) the remote lacks.

    A directory whose manifest is on the remote counts as complete: manifests are uploaded only
    after all their files, and `Remote.delete` removes them first, so that holds. `verify` checks
    every file anyway. Per-object failures are collected; a remote that cannot even be compared
    raises `TransferError`. `on_start(objects, bytes)` is called once, before any upload.
    """
    started = time.monotonic()
    tally = tasks.Tally()
    files, dirs = _split(oids, tally)
    absent, manifests = _compare(cache, remote, files, dirs, jobs=jobs, verify=verify, tally=tally)
    packer = packs.PackPush(cache, remote, absent, manifests, jobs=jobs, verify=verify)
    absent -= packer.held  # in packs on the remote already
    tally.already += len(packer.held)
    uploads = sorted(oid for oid in absent if not oid.endswith(hashing.DIR_SUFFIX))
    last = sorted(d for d in absent & dirs if d in manifests)
    sizes = {oid: _local_size(cache, oid) for oid in uploads + last}
    if on_start is not None:
        on_start(len(sizes), sum(size for size in sizes.values() if size is not None))

    def upload(oid: str) -> int:
        size = sizes[oid]
        if size is None:
            raise errors.TransferError(f"object {oid} is not in the local cache (run its stage, or pivot fetch it)")
        remote.put(cache.object_path(oid), oid)
        return size

    singles: list[tasks.Task] = [(oid, functools.partial(upload, oid)) for oid in uploads if oid not in packer.packed]
    tasks.run([*packer.tasks(), *singles], jobs, progress, tally)
    packer.settle(tally.failed_oids)
    tasks.run(packer.pointer_tasks(tally.failed_oids), jobs, None, tally)  # before their manifests
    ready = _complete_dirs(last, manifests, tally)
    tasks.run([(d, functools.partial(upload, d)) for d in ready], jobs, progress, tally)
    return tally.summary(started)


def _complete_dirs(dirs: Sequence[str], manifests: Mapping[str, Sequence[FileEntry]], tally: tasks.Tally) -> list[str]:
    """The directories whose manifests may go up now: all their files arrived. The others fail."""
    ready = []
    for d in dirs:
        if d in tally.failed_oids:
            continue  # its pack pointer could not be written
        bad = sum(1 for e in manifests[d] if e.oid in tally.failed_oids)
        if bad:
            tally.fail(d, f"directory manifest not uploaded: {bad} of its {wording.count(len(manifests[d]), 'file')} failed")
        else:
            ready.append(d)
    return ready


def _compare(
    cache: Cache, remote: Remote, files: set[str], dirs: set[str], *, jobs: int, verify: bool, tally: tasks.Tally
) -> tuple[set[str], dict[str, tuple[FileEntry, ...]]]:
    """What the remote lacks, and the local manifests of the directories; counts what is there.

    Trusting manifests, the files of a directory are asked about only if its manifest is absent.
    """
    manifests = {d: m for d in dirs if verify and (m := _local_manifest(cache, d, tally)) is not None}
    query = files | dirs | _members(manifests)
    absent = remote.missing(query, jobs=jobs)
    if not verify:
        for d in sorted(dirs):
            entries = _local_manifest(cache, d, tally if d in absent else None)
            if entries is not None:
                manifests[d] = entries
        extra = {e.oid for d in dirs & absent if d in manifests for e in manifests[d]} - query
        absent |= remote.missing(extra, jobs=jobs)
        vouched = _members({d: m for d, m in manifests.items() if d not in absent})
        query |= extra | vouched  # files of a directory already on the remote: there too
    tally.already = len(query - absent)
    return absent, manifests


def _local_manifest(cache: Cache, oid: str, tally: tasks.Tally | None) -> tuple[FileEntry, ...] | None:
    try:
        return cache.read_manifest(oid)
    except errors.CacheError as exc:
        if tally is not None:
            tally.fail(oid, f"{exc.message} (run its stage, or pivot fetch it)")
        return None


def _local_size(cache: Cache, oid: str) -> int | None:
    try:
        return os.stat(cache.object_path(oid)).st_size
    except FileNotFoundError:
        return None


# ---------------------------------------------------------------------- fetch


def fetch(
    cache: Cache,
    remote: Remote,
    oids: Collection[str],
    *,
    jobs: int,
    progress: tasks.Progress | None = None,
    on_start: tasks.Progress | None = None,
) -> tasks.TransferSummary:
    """Download into the cache the objects of `oids` (with a directory's files) it lacks.

    Every download is hashed before `cache.put_object`; a mismatch is refused and reported
    with the oid and the remote, while the other objects still finish. A directory's manifest
    enters the cache last, once all its files did. `on_start(objects, bytes known)` is called
    once before the file downloads (a file's size is known only if a manifest lists it).
    """
    started = time.monotonic()
    tally = tasks.Tally()
    files, dirs = _split(oids, tally)
    manifests: dict[str, tuple[FileEntry, ...]] = {}
    temps: dict[str, pathlib.Path] = {}  # manifests downloaded, entering the cache last
    try:
        # Whatever write finds no space (a pack's member, a temp name) is one of the cache's.
        with diskfull.writing(cache.tmp_dir):
            to_download = _local_dirs(cache, dirs, manifests, tally)
            tasks.run([(d, functools.partial(_fetch_manifest, cache, remote, d, manifests, temps)) for d in to_download], jobs, progress, tally)
            sizes = {e.oid: e.size for entries in manifests.values() for e in entries}
            wanted = (files | set(sizes)) - tally.failed_oids
            needed = sorted(oid for oid in wanted if not cache.exists(oid))
            tally.already += len(wanted) - len(needed)
            if on_start is not None:
                on_start(len(needed) + len(temps), sum(sizes.get(oid, 0) for oid in needed))
            packed = packfetch.PackFetch(cache, remote, manifests, needed)
            tasks.run(packed.pointer_tasks(), jobs, None, tally)
            tasks.run(packed.pack_tasks(), jobs, progress, tally)
            packed.settle(tally.fail)
            needed = [oid for oid in needed if oid not in packed.rejected and not cache.exists(oid)]
            tasks.run([(oid, functools.partial(_download, cache, remote, oid)) for oid in needed], jobs, progress, tally)
            _finish_dirs(cache, manifests, temps, tally, progress)
    finally:
        for tmp in temps.values():  # those that entered the cache are gone already
            tasks.unlink_quietly(tmp)
    return tally.summary(started)


def _local_dirs(cache: Cache, dirs: Iterable[str], manifests: dict[str, tuple[FileEntry, ...]], tally: tasks.Tally) -> list[str]:
    """Manifests already in the cache go into `manifests`; returns the dirs whose manifest must be
    downloaded. A complete directory counts as already there."""
    to_download = []
    for d in sorted(dirs):
        if not cache.exists(d):
            to_download.append(d)
            continue
        try:
            manifests[d] = cache.read_manifest(d)
        except errors.CacheError:
            # A damaged manifest in the cache: drop it so the good one can take its place.
            tasks.unlink_quietly(cache.object_path(d))
            to_download.append(d)
            continue
        tally.already += 1
    return to_download


def remote_manifest(cache: Cache, remote: Remote, oid: str) -> tuple[FileEntry, ...]:
    """A directory's members as the remote's manifest lists them, checked against `oid` and not
    kept (its members are not fetched): to list a directory without downloading it."""
    manifests: dict[str, tuple[FileEntry, ...]] = {}
    temps: dict[str, pathlib.Path] = {}
    _fetch_manifest(cache, remote, oid, manifests, temps)
    tasks.unlink_quietly(temps[oid])
    return manifests[oid]


def _fetch_manifest(
    cache: Cache, remote: Remote, oid: str, manifests: dict[str, tuple[FileEntry, ...]], temps: dict[str, pathlib.Path]
) -> None:
    tmp = tasks.temp_path(cache, oid)
    try:
        remote.get(oid, tmp)
        data = tmp.read_bytes()
        actual = hashing.hash_bytes(data) + hashing.DIR_SUFFIX
        if actual != oid:
            raise errors.TransferError(_corrupted(oid, actual, remote))
        try:
            entries = hashing.parse_manifest(data)
        except errors.CacheError as exc:
            raise errors.TransferError(f"directory manifest {oid} from remote '{remote.name}' is unusable: {exc.message}") from None
    except BaseException:
        tasks.unlink_quietly(tmp)
        raise
    manifests[oid] = entries  # dict writes are atomic; each worker writes its own key
    temps[oid] = tmp
    return None  # counted when it enters the cache, last


def _download(cache: Cache, remote: Remote, oid: str) -> int:
    tmp = tasks.temp_path(cache, oid)
    try:
        remote.get(oid, tmp)
        actual = hashing.hash_file(tmp)
        if actual != oid:
            raise errors.TransferError(_corrupted(oid, actual, remote))
        size = tmp.stat().st_size
        cache.put_object(oid, tmp)
        return size
    finally:
        tasks.unlink_quietly(tmp)


def _finish_dirs(
    cache: Cache, manifests: Mapping[str, tuple[FileEntry, ...]], temps: dict[str, pathlib.Path], tally: tasks.Tally, progress: tasks.Progress | None
) -> None:
    for d, tmp in sorted(temps.items()):
        entries = manifests[d]
        lacking = sum(1 for e in entries if not cache.exists(e.oid))
        if lacking:
            tally.fail(d, f"directory incomplete: {lacking} of its {wording.count(len(entries), 'file')} could not be fetched")
            continue
        size = tmp.stat().st_size
        cache.put_object(d, tmp)
        tally.transferred += 1
        tally.bytes += size
        if progress is not None:
            progress(1, size)


def _corrupted(oid: str, actual: str, remote: Remote) -> str:
    return (
        f"object {oid} from remote '{remote.name}' is corrupted (its content hashes to {actual}); "
        "it was not added to the cache"
    )


# ---------------------------------------------------------------------- shared


def _split(oids: Iterable[str], tally: tasks.Tally) -> tuple[set[str], set[str]]:
    files: set[str] = set()
    dirs: set[str] = set()
    for oid in oids:
        if not hashing.is_valid_oid(oid):
            tally.fail(str(oid), "not a valid object id")
        elif oid.endswith(hashing.DIR_SUFFIX):
            dirs.add(oid)
        else:
            files.add(oid)
    return files, dirs


def _members(manifests: Mapping[str, Sequence[FileEntry]]) -> set[str]:
    return {e.oid for entries in manifests.values() for e in entries}


def plan(
    cache: Cache, remote: Remote, refs: Sequence[references.Reference], *, jobs: int
) -> dict[str, list[str]]:
    """Output paths by what push and pull would do: "push" (complete here, not there), "pull"
    (there, not here) and "missing" (in neither cache). A directory is there when its manifest is,
    as for push: its files may be under files/ or in packs, and the manifest vouches for both."""
    local = {ref.oid for ref in refs if cache.is_complete(ref.oid)}
    absent = remote.missing({ref.oid for ref in refs}, jobs=jobs)
    result: dict[str, list[str]] = {"push": [], "pull": [], "missing": []}
    for ref in refs:
        if ref.oid in local:
            if ref.oid in absent:
                result["push"].append(ref.path)
        else:
            result["missing" if ref.oid in absent else "pull"].append(ref.path)
    return result


def pending(cache: Cache, remote: Remote, oids: Collection[str], *, jobs: int) -> set[str]:
    """The objects `push` would send (files and manifests), without sending anything."""
    tally = tasks.Tally()
    files, dirs = _split(oids, tally)
    absent, manifests = _compare(cache, remote, files, dirs, jobs=jobs, verify=False, tally=tally)
    return absent - packs.PackPush(cache, remote, absent, manifests, jobs=jobs, verify=False).held
