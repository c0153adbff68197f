"""A remote cache over any fsspec filesystem (with `pivot.remote.sources`, for data imported from
a URL, the only modules importing fsspec/s3fs/gcsfs):
objects live at `<url>/files/<oid[:2]>/<oid[2:]>`, as in the local cache; run-cache entries at
`<url>/runs/<key[:2]>/<key[2:]>`; packs of small files and their per-directory pointers at
`<url>/packs/...` (their format: `pivot.remote.packs`); markers of pushes and gc runs in
progress at `<url>/pushes/<id>.json` and `<url>/gc/<id>.json` (`pivot.remote.inflight`).
Listings carry each object's write time, which `pivot gc -r` needs for its grace period.

This module builds the fsspec filesystem from a remote's spec and holds the `Remote` class: what
pivot asks of a remote, as fsspec calls. Where each name lives: `pivot.remote.layout`; how each
request is retried and its failure reported: `pivot.remote.retry`.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import functools
import os
import pathlib
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import fsspec
import fsspec.utils

from pivot import errors
from pivot.base import diskfull, wording
from pivot.remote import failures, layout, retry, s3io
from pivot.remote import spec as spec_mod
from pivot.remote.retry import NotFound, RemoteUnavailable
from pivot.remote.spec import RemoteSpec
from pivot.storage import hashing

R = TypeVar("R")

# Up to this many oids, `missing` asks about each one (HEAD requests, `jobs` at a time); above,
# it lists the remote. A HEAD costs one request (two for an absent key on s3fs); a listing costs
# 16 requests plus one per 1,000 objects on the remote, 16 at a time. At 32 oids asking is at
# most ~64 small requests and is never much slower than a listing, whatever the remote holds;
# past that, the listing's cost stays flat while asking grows with every oid.
EXISTS_LIMIT = 32
_LIST_JOBS = 16

# Object stores write an object whole or not at all, so an upload goes straight to its name.
# Anything else (a directory, sftp, memory...) is written to a temp name and renamed.
_OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "oss"})
# These list a key range server-side (`find(prefix=...)`), so a listing can run as 16 shards.
_SHARDED_LISTING = frozenset({"s3", "s3a", "gs", "gcs"})
_S3 = frozenset({"s3", "s3a"})  # large objects travel as `pivot.remote.s3io` shapes them
_SHARDS = "0123456789abcdef"
LISTING_CACHES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"})


class Remote:
    """One remote's objects, through the fsspec filesystem its URL names."""

    def __init__(self, spec: RemoteSpec, *, attempts: int = retry.ATTEMPTS) -> None:
        self.spec = spec
        self.name = spec.name
        self._attempts = max(1, attempts)
        self._protocol = spec.protocol
        self._fs, root = _filesystem(spec)
        self._root = root.rstrip("/") if root.strip("/") else ""
        self._files = f"{self._root}/files"
        self._runs = f"{self._root}/runs"
        self._atomic_put = self._protocol in _OBJECT_STORES
        self._made_dirs: set[str] = set()
        self._bucket_seen = False

    def __repr__(self) -> str:
        return f"Remote({self.name!r}, {self.spec.shown_url!r})"

    # ------------------------------------------------------------------ queries

    def missing(self, oids: Collection[str], *, jobs: int, listing: bool | None = None) -> set[str]:
        """The oids the remote lacks. `listing` None picks by count (see `EXISTS_LIMIT`); True
        lists the remote, False asks about each oid."""
        wanted = {layout.checked(oid) for oid in oids}
        if not wanted:
            return set()
        if listing is None:
            listing = len(wanted) > EXISTS_LIMIT
        if listing:
            return wanted - self._list(self._files, jobs).keys()
        order = sorted(wanted)
        present = retry.parallel_map(self._exists, order, jobs)
        if not any(present):
            self._require_bucket()
        return {oid for oid, there in zip(order, present, strict=True) if not there}

    def list_oids(self) -> set[str]:
        """Every object on the remote (temp files and anything that is not an object are ignored)."""
        return set(self.list_oid_times())

    def list_oid_times(self) -> dict[str, float | None]:
        """Every object on the remote, with when it was last written (seconds since the epoch, as
        the storage reports it; None if it does not)."""
        return self._list(self._files, _LIST_JOBS)

    def list_runs(self) -> set[str]:
        """The key of every run-cache entry on the remote."""
        return set(self.list_run_times())

    def list_run_times(self) -> dict[str, float | None]:
        """Every run-cache entry on the remote, with when it was written (as `list_oid_times`)."""
        # One listing: entries are few (one per distinct run), and sixteen shard listings would
        # turn a nothing-to-do push from one request into seventeen.
        found = self._list(self._runs, _LIST_JOBS, sharded=False)
        return {key: when for key, when in found.items() if not key.endswith(hashing.DIR_SUFFIX)}

    def _exists(self, oid: str) -> bool:
        # info(), not exists(): fsspec's exists() turns every error, a dead server included,
        # into "absent", and a push would then report success it never checked.
        path = self._path(oid)
        try:
            info = self._call(f"check {oid}", self._fs.info, path, not_found=NotFound)
        except NotFound:
            return False
        # Only a file is an object: a directory squatting on the name (a local remote) is not.
        return bool(info.get("type", "file") == "file")

    def _list(self, base: str, jobs: int, *, sharded: bool = True) -> dict[str, float | None]:
        if sharded and self._protocol in _SHARDED_LISTING:
            # Sixteen listings of key ranges at once: a 100,000-object remote is 100 pages, and
            # one listing would fetch them one after another.
            shards = retry.parallel_map(lambda prefix: self._list_shard(base, prefix), list(_SHARDS), min(jobs, len(_SHARDS)))
            paths: Iterable[tuple[str, Mapping[str, Any]]] = (item for shard in shards for item in shard.items())
        else:
            paths = self._list_shard(base, "").items()
        found = {oid: layout.modified_time(info) for path, info in paths if (oid := layout.oid_of(path)) is not None}
        if not found:
            self._require_bucket()  # an empty listing of a bucket that does not exist is a lie
        return found

    def _list_shard(self, base: str, prefix: str) -> dict[str, Mapping[str, Any]]:
        """{path: info} under `base` (with the details a listing gives for free: its time)."""
        kwargs = {"prefix": prefix} if prefix else {}
        try:
            found = self._call(f"list {base.rsplit('/', 1)[-1]}/", self._fs.find, base, not_found=NotFound, detail=True, **kwargs)
        except NotFound:
            return {}  # nothing pushed yet: a directory remote does not exist before the first push
        return dict(found) if isinstance(found, Mapping) else {path: {} for path in found}

    # ------------------------------------------------------------------ objects

    def put(self, src: pathlib.Path, oid: str) -> None:
        """Upload `src` as object `oid`; nothing partial is ever visible under the object's name."""
        self._upload(f"upload {oid}", src, self._path(oid))

    def put_run(self, src: pathlib.Path, key: str) -> None:
        """Upload `src` as the run-cache entry `key` (after its objects: the caller's duty)."""
        self._upload(f"upload run-cache entry {key}", src, self._path(key, self._runs))

    def _upload(self, what: str, src: pathlib.Path, path: str) -> None:
        if not self._atomic_put:
            self._call(what, self._put_renamed, os.fspath(src), path)
            return
        put = functools.partial(s3io.upload, self._fs) if self._protocol in _S3 else self._fs.put_file
        try:
            self._call(what, put, os.fspath(src), path)
        except RemoteUnavailable:
            self._require_bucket()  # a clearer message, if that is the reason
            raise

    def _put_renamed(self, src: str, path: str) -> None:
        parent, name = path.rsplit("/", 1)
        if parent not in self._made_dirs:
            self._fs.makedirs(parent, exist_ok=True)
            self._made_dirs.add(parent)
        # A dot name that is not an oid: listings skip it, even if a crash leaves it behind.
        tmp = f"{parent}/.{name}.{secrets.token_hex(4)}.tmp"
        if self._fs.isdir(path):
            # A move onto a directory would land *inside* it and report success.
            raise IsADirectoryError(errno.EISDIR, f"a directory is in the way of object {name}", path)
        try:
            self._fs.put_file(src, tmp)
            self._fs.mv(tmp, path)
        except BaseException:
            with contextlib.suppress(Exception):
                self._fs.rm_file(tmp)
            raise

    def get(self, oid: str, dest: pathlib.Path) -> None:
        """Download object `oid` to `dest` (a temp path the caller chose; it checks the hash)."""
        self._download(oid, f"object {oid}", self._path(oid), dest)

    def get_run(self, key: str, dest: pathlib.Path) -> None:
        """Download the run-cache entry `key` to `dest` (the caller parses and checks it)."""
        self._download(key, f"run-cache entry {key}", self._path(key, self._runs), dest)

    def _download(self, name: str, shown: str, path: str, dest: pathlib.Path) -> None:
        fetch = functools.partial(s3io.download, self._fs) if self._protocol in _S3 else self._fs.get_file

        def get(source: str, target: str) -> None:
            # A download writes only here: no space is ours to report, not the remote's to retry.
            with diskfull.writing(dest.parent):
                fetch(source, target)

        try:
            self._call(f"download {name}", get, path, os.fspath(dest), not_found=NotFound)
        except NotFound:
            self._require_bucket()
            raise errors.TransferError(f"{shown} is not on remote '{self.name}' ({self.spec.shown_url})") from None

    def delete_runs(self, keys: Collection[str]) -> list[tuple[str, str]]:
        """Delete run-cache entries; returns the (key, message) of those that could not be."""
        return self._delete_batch(sorted(keys), self._runs)

    def delete(self, oids: Collection[str]) -> list[tuple[str, str]]:
        """Delete objects; returns the (oid, message) of those that could not be deleted.

        Directory manifests go first, and files only if every manifest went: a manifest on the
        remote must always mean its files are there too (push trusts that).
        """
        wanted = sorted({layout.checked(oid) for oid in oids})
        manifests = [oid for oid in wanted if oid.endswith(hashing.DIR_SUFFIX)]
        files = [oid for oid in wanted if not oid.endswith(hashing.DIR_SUFFIX)]
        failed = self._delete_batch(manifests, self._files)
        if failed:
            reason = f"not deleted: {wording.count(len(failed), 'directory manifest')} could not be deleted first"
            return failed + [(oid, reason) for oid in files]
        return self._delete_batch(files, self._files)

    def _delete_batch(self, oids: Sequence[str], base: str) -> list[tuple[str, str]]:
        return self._delete_paths({oid: self._path(oid, base) for oid in oids})

    def _delete_paths(self, paths: Mapping[str, str]) -> list[tuple[str, str]]:
        """Delete `{name: path}`; returns the (name, message) of those that could not be deleted."""
        if not paths:
            return []
        try:
            # One call: object stores delete up to 1,000 keys a request.
            self._call("delete", self._fs.rm, list(paths.values()), not_found=NotFound)
            return []
        except (NotFound, errors.TransferError):
            pass  # some were absent already, or the batch failed: settle it one object at a time
        failed = []
        for name, path in paths.items():
            try:
                self._call(f"delete {name}", self._fs.rm_file, path, not_found=NotFound)
            except NotFound:
                continue
            except errors.TransferError as exc:
                failed.append((name, exc.message))
        return failed

    # ------------------------------------------------------------------ other keys (packs)

    def put_key(self, src: pathlib.Path, key: str) -> None:
        """Upload `src` under `key` (a pack or pointer name), as atomically as `put`."""
        self._upload(f"upload {key}", src, self._key_path(key))

    def read_key(self, key: str, start: int | None = None, end: int | None = None) -> bytes | None:
        """The bytes of `key` (from `start` to `end`, if given), or None if it does not exist."""
        try:
            data: bytes = self._call(f"read {key}", self._fs.cat_file, self._key_path(key), start=start, end=end, not_found=NotFound)
            return data
        except NotFound:
            self._require_bucket()
            return None

    def read_ranges(self, key: str, ranges: Sequence[tuple[int, int]], *, max_gap: int, max_block: int) -> list[bytes] | None:
        """The bytes of each (start, end) range of `key`, or None if it does not exist. Ranges at
        most `max_gap` bytes apart are read as one block of up to `max_block` bytes (fsspec's
        `merge_offset_ranges`), and all blocks are asked for at once (`cat_ranges`: concurrent
        requests on s3fs and gcsfs, one read after another on local files). A range past the end
        of `key` comes back short; a block that fails is asked for again as any request is."""
        path = self._key_path(key)
        _, starts, ends = fsspec.utils.merge_offset_ranges(
            [path] * len(ranges), [start for start, _ in ranges], [end for _, end in ranges], max_gap=max_gap, max_block=max_block
        )
        blocks: dict[int, bytes] = {}

        def read_missing() -> None:
            # A retry asks only for the blocks that have not arrived yet.
            pending = [i for i in range(len(starts)) if i not in blocks]
            found = self._fs.cat_ranges([path] * len(pending), [starts[i] for i in pending], [ends[i] for i in pending], on_error="return")
            failures = [data for data in found if isinstance(data, BaseException)]
            blocks.update((i, data) for i, data in zip(pending, found, strict=True) if not isinstance(data, BaseException))
            if failures:
                raise failures[0]

        try:
            self._call(f"read {key}", read_missing, not_found=NotFound)
        except NotFound:
            self._require_bucket()
            return None
        return [_cut(starts, ends, blocks, start, end) for start, end in ranges]

    def get_key(self, key: str, dest: pathlib.Path) -> None:
        """Download `key` to `dest`; raises `TransferError` if it does not exist."""
        self._download(key, key, self._key_path(key), dest)

    def list_keys(self, prefix: str) -> list[str]:
        """The keys under `prefix` (e.g. "packs/"); anything else there (temp files) is ignored."""
        return sorted(self.list_key_times(prefix))

    def list_key_times(self, prefix: str) -> dict[str, float | None]:
        """The keys under `prefix`, with when each was written (as `list_oid_times`)."""
        base = f"{self._root}/"
        try:
            found = self._call(f"list {prefix}", self._fs.find, base + prefix.rstrip("/"), not_found=NotFound, detail=True)
        except NotFound:
            return {}  # nothing packed yet
        found = found if isinstance(found, Mapping) else {path: {} for path in found}
        # Backends differ on a leading "/" in what they list: compare without it.
        start = base.lstrip("/")
        keys = ((path.lstrip("/")[len(start):], info) for path, info in found.items() if path.lstrip("/").startswith(start))
        return {key: layout.modified_time(info) for key, info in keys if layout.KEY.fullmatch(key)}

    def delete_keys(self, keys: Collection[str]) -> list[tuple[str, str]]:
        """Delete keys, in one batch; returns the (key, message) of those that could not be deleted."""
        return self._delete_paths({key: self._key_path(key) for key in sorted(keys)})

    def _require_bucket(self) -> None:
        """Raise if the bucket of an object store does not exist: objects "missing" from a bucket
        that is not there mean a wrong URL, and should not read as an empty remote."""
        if self._bucket_seen or self._protocol not in _OBJECT_STORES:
            return
        bucket = self._files.strip("/").split("/", 1)[0]
        try:
            self._fs.info(bucket)
        except FileNotFoundError:
            raise RemoteUnavailable(
                f"remote '{self.name}': bucket '{bucket}' does not exist ({self.spec.shown_url})",
                hint=f"create it, or fix the url: pivot remote modify {self.name} url ...",
            ) from None
        except Exception:
            return
        self._bucket_seen = True

    # ------------------------------------------------------------------ plumbing

    def _path(self, oid: str, base: str | None = None) -> str:
        return layout.object_path(base or self._files, oid)

    def _key_path(self, key: str) -> str:
        return layout.key_path(self._root, key)

    def _call(self, what: str, function: Callable[..., R], *args: Any, not_found: type[Exception] | None = None, **kwargs: Any) -> R:
        """`function(*args)` as `pivot.remote.retry.call` makes a request: retried, its failure named."""
        return retry.call(self.spec, self._attempts, what, function, *args, not_found=not_found, **kwargs)


def _cut(starts: Sequence[int], ends: Sequence[int | None], blocks: Mapping[int, bytes], start: int, end: int) -> bytes:
    """The bytes of [start, end) out of the merged block that covers it (blocks are sorted by
    start; a block may overlap the one before it, so the covering one is searched backwards)."""
    i = bisect.bisect_right(starts, start) - 1
    while i >= 0 and (block_end := ends[i]) is not None and block_end < end:
        i -= 1
    if i < 0:
        raise AssertionError(f"no merged block covers bytes {start}-{end}")  # merge_offset_ranges covers every input
    return blocks[i][start - starts[i] : end - starts[i]]


def _filesystem(spec: RemoteSpec) -> tuple[Any, str]:
    options = dict(spec.options)
    if spec.protocol in ("gs", "gcs"):
        # gcsfs's experimental zonal/HNS support probes each bucket's layout first (40-60 s of
        # stalls against an emulator); pivot's flat objects need none of it. Must precede import.
        os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
    if spec.protocol in LISTING_CACHES:
        # A cached listing answers "what is missing" from the past: a push could then skip
        # objects deleted since. Every listing here must ask the remote.
        options.setdefault("use_listings_cache", False)
    # Each Remote gets its own instance: fsspec would otherwise share one across remotes and
    # server restarts, with its dead connections and caches.
    options.setdefault("skip_instance_cache", True)
    try:
        found: tuple[Any, str] = fsspec.core.url_to_fs(spec.url, **options)
        return found
    except ImportError as exc:
        raise errors.ConfigError(
            f"remote '{spec.name}' ({spec.shown_url}) needs a package that is not installed: {exc.name or exc}",
            hint="pip install 'pivot[gcs]' for gs://; s3fs comes with pivot",
        ) from None
    except (ValueError, TypeError) as exc:
        raise errors.ConfigError(
            f"remote '{spec.name}' ({spec.shown_url}): {failures.describe(exc, spec.options, spec.url)}",
            hint=f"check its options: pivot remote list; options given: {spec_mod.redact(spec.options)}",
        ) from None
