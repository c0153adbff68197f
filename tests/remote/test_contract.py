"""The `Remote` contract, run against every backend: a local directory, file://, memory://, moto
(S3 via s3fs), fake-gcs-server (GCS via gcsfs) and SeaweedFS (S3)."""

from __future__ import annotations

import os
import pathlib
import threading
import time

import pytest
from servers import Backend

from pivot import errors
from pivot.remote import fs
from pivot.storage import hashing

pytest_plugins = ("servers",)  # the server and backend fixtures
pytestmark = pytest.mark.filterwarnings(
    # aiohttp, under gcsfs, on large single-shot uploads: known and harmless (and ignored
    # outside tests, as every ResourceWarning is by default).
    "ignore:Sending a large body directly:ResourceWarning"
)


def _object(tmp_path: pathlib.Path, data: bytes) -> tuple[pathlib.Path, str]:
    src = tmp_path / f"src-{hashing.hash_bytes(data)}"
    src.write_bytes(data)
    return src, hashing.hash_bytes(data)


def test_put_then_get_round_trips_and_missing_sees_it(backend: Backend, tmp_path: pathlib.Path):
    remote = backend.remote()
    src, oid = _object(tmp_path, b"hello remote\n")
    other = hashing.hash_bytes(b"never pushed")
    assert remote.missing([oid, other], jobs=4) == {oid, other}

    remote.put(src, oid)
    remote.put(src, oid)  # again: harmless

    dest = tmp_path / "dest"
    remote.get(oid, dest)
    assert dest.read_bytes() == b"hello remote\n"
    assert remote.missing([oid, other], jobs=4) == {other}
    assert remote.missing([oid, other], jobs=4, listing=True) == {other}
    assert remote.list_oids() == {oid}


def test_an_empty_remote_lacks_everything_and_lists_nothing(backend: Backend):
    remote = backend.remote()
    oids = {hashing.hash_bytes(str(i).encode()) for i in range(3)} | {"0" * 32 + ".dir"}
    assert remote.list_oids() == set()
    assert remote.missing(oids, jobs=4, listing=False) == oids
    assert remote.missing(oids, jobs=4, listing=True) == oids
    assert remote.missing([], jobs=4) == set()


def test_get_of_an_absent_object_names_it_and_the_remote(backend: Backend, tmp_path: pathlib.Path):
    oid = hashing.hash_bytes(b"absent")
    with pytest.raises(errors.TransferError) as caught:
        backend.remote().get(oid, tmp_path / "dest")
    assert not isinstance(caught.value, fs.RemoteUnavailable)  # one object, not the remote
    assert oid in caught.value.message and "'origin'" in caught.value.message


def test_directory_manifests_are_objects_like_any_other(backend: Backend, tmp_path: pathlib.Path):
    remote = backend.remote()
    member_src, member = _object(tmp_path, b"member")
    manifest = hashing.manifest_bytes([hashing.FileEntry("a/b.txt", member, 6)])
    dir_oid = hashing.hash_bytes(manifest) + hashing.DIR_SUFFIX
    manifest_src = tmp_path / "manifest"
    manifest_src.write_bytes(manifest)

    remote.put(member_src, member)
    remote.put(manifest_src, dir_oid)

    assert remote.list_oids() == {member, dir_oid}
    assert remote.missing([dir_oid], jobs=2) == set()
    remote.get(dir_oid, tmp_path / "back")
    assert (tmp_path / "back").read_bytes() == manifest


def test_list_ignores_what_is_not_an_object(backend: Backend, tmp_path: pathlib.Path):
    remote = backend.remote()
    src, oid = _object(tmp_path, b"real")
    remote.put(src, oid)
    raw, root = backend.raw()
    # A temp file left by a crashed upload, a stray file, and a file outside files/.
    raw.pipe_file(f"{root}/files/{oid[:2]}/.{oid[2:]}.dead.tmp", b"partial")
    raw.pipe_file(f"{root}/files/zz/not-an-oid", b"x")
    raw.pipe_file(f"{root}/README", b"x")
    assert remote.list_oids() == {oid}
    assert remote.missing([oid], jobs=2, listing=True) == set()


def test_delete_removes_objects_and_ignores_absent_ones(backend: Backend, tmp_path: pathlib.Path):
    remote = backend.remote()
    oids = []
    for i in range(5):
        src, oid = _object(tmp_path, f"object {i}".encode())
        remote.put(src, oid)
        oids.append(oid)
    absent = hashing.hash_bytes(b"never there")

    assert remote.delete([*oids[:3], absent]) == []

    assert remote.list_oids() == set(oids[3:])
    assert remote.missing(oids, jobs=4) == set(oids[:3])


def test_a_5mb_object_round_trips_and_is_never_seen_partial(backend: Backend, tmp_path: pathlib.Path):
    """While a 5 MB upload runs, a reader polling the object's name sees nothing or all of it."""
    data = os.urandom(5 * 1024 * 1024)
    src, oid = _object(tmp_path, data)
    remote = backend.remote()
    raw, _ = backend.raw()
    path = backend.object_path(oid)
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                seen.append(raw.info(path)["size"])
            except FileNotFoundError:
                pass
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        remote.put(src, oid)
    finally:
        done.set()
        watcher.join()

    assert set(seen) <= {len(data)}, f"a partial object was visible: sizes {sorted(set(seen))[:5]}"
    dest = tmp_path / "dest"
    remote.get(oid, dest)
    assert hashing.hash_file(dest) == oid


def test_a_failed_upload_leaves_nothing_under_the_name(backend: Backend, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch):
    """The upload dies after writing part of the object: nothing under its name, no temp listed."""
    remote = backend.remote(attempts=1)
    src, oid = _object(tmp_path, os.urandom(256 * 1024))
    real_put = remote._fs.put_file

    def dies_halfway(lpath: str, rpath: str, **kwargs: object) -> None:
        half = tmp_path / "half"
        half.write_bytes(pathlib.Path(lpath).read_bytes()[: 128 * 1024])
        if rpath != backend.object_path(oid):  # a temp name: write half of it, as a crash would
            real_put(os.fspath(half), rpath, **kwargs)
        raise ConnectionResetError("connection reset by peer")

    monkeypatch.setattr(remote._fs, "put_file", dies_halfway)
    with pytest.raises(fs.RemoteUnavailable, match="connection reset"):
        remote.put(src, oid)

    raw, _ = backend.raw()
    assert not raw.exists(backend.object_path(oid))
    assert remote.list_oids() == set()
    assert remote.missing([oid], jobs=1) == {oid}


@pytest.mark.slow
def test_missing_among_1000_objects_by_listing_and_by_asking(backend: Backend):
    raw, root = backend.raw()
    present = [hashing.hash_bytes(f"small {i}".encode()) for i in range(1000)]
    absent = {hashing.hash_bytes(f"absent {i}".encode()) for i in range(40)}
    # Seeded behind pivot's back, in one batched call: this test is about asking, not uploading.
    raw.pipe({f"{root}/files/{oid[:2]}/{oid[2:]}": oid.encode() for oid in present})
    remote = backend.remote()
    wanted = [*present, *absent]

    started = time.perf_counter()
    assert remote.missing(wanted, jobs=16, listing=True) == absent
    listed = time.perf_counter() - started
    assert remote.missing(wanted, jobs=16, listing=False) == absent
    asked = time.perf_counter() - started - listed
    assert remote.missing(wanted, jobs=16) == absent  # the default: by count, a listing
    assert remote.list_oids() == set(present)
    print(f"\n{backend.kind}: missing() of 1,040 among 1,000: listing {listed:.2f}s, asking {asked:.2f}s")


@pytest.mark.parametrize("backend", ["dir"], indirect=True)  # the same choice on every backend
def test_few_oids_are_asked_about_and_many_are_listed(backend: Backend, monkeypatch: pytest.MonkeyPatch):
    remote = backend.remote()
    calls: list[str] = []
    monkeypatch.setattr(remote, "_list", lambda jobs: calls.append("list") or set())
    monkeypatch.setattr(remote, "_exists", lambda oid: calls.append("ask") or False)
    few = [hashing.hash_bytes(str(i).encode()) for i in range(fs.EXISTS_LIMIT)]
    many = [hashing.hash_bytes(str(i).encode()) for i in range(fs.EXISTS_LIMIT + 1)]

    assert remote.missing(few, jobs=4) == set(few)
    assert calls == ["ask"] * len(few)
    calls.clear()
    assert remote.missing(many, jobs=4) == set(many)
    assert calls == ["list"]


def test_an_oid_that_is_not_one_never_becomes_a_path(backend: Backend, tmp_path: pathlib.Path):
    remote = backend.remote()
    src, _ = _object(tmp_path, b"x")
    for bad in ("../../etc/passwd", "ab", "g" * 32, "A" * 32):
        with pytest.raises(errors.TransferError, match="not a valid object id"):
            remote.put(src, bad)
        with pytest.raises(errors.TransferError, match="not a valid object id"):
            remote.missing([bad], jobs=1)


@pytest.mark.parametrize("backend", ["moto", "gcs", pytest.param("seaweedfs", marks=pytest.mark.slow)], indirect=True)  # buckets
def test_a_bucket_that_does_not_exist_is_named_not_taken_for_empty(backend: Backend, tmp_path: pathlib.Path):
    config = dict(backend.config, url=backend.config["url"].replace("pivot-", "pivot-absent-", 1))
    remote = Backend(backend.kind, config, backend.project_root).remote()
    oid = hashing.hash_bytes(b"x")
    for attempt in (
        lambda: remote.missing([oid], jobs=1, listing=True),
        lambda: remote.missing([oid], jobs=1, listing=False),
        lambda: remote.get(oid, tmp_path / "dest"),
        lambda: remote.put(pathlib.Path(__file__), oid),
    ):
        with pytest.raises(fs.RemoteUnavailable, match="bucket 'pivot-absent-.*' does not exist"):
            attempt()
