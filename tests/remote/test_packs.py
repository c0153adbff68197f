"""Packs on every backend: a directory of many small files goes up as a few pack objects and comes
back byte-identical with every member hashed; a damaged member is refused by name; a push that a
dead server cut short resumes without sending the packs again."""

from __future__ import annotations

import json
import os
import pathlib
import time

import pytest
import servers
from servers import Backend

from pivot.remote import packformat, packs, transfer
from pivot.storage import hashing
from pivot.storage.cache import Cache
from pivot.storage.state import Hasher

pytest_plugins = ("servers",)  # the server and backend fixtures
pytestmark = pytest.mark.filterwarnings("ignore:Sending a large body directly:ResourceWarning")

COUNT = 200


def _small_tree(root: pathlib.Path, count: int = COUNT, size: int = 1000) -> dict[str, bytes]:
    files = {f"part-{i % 7}/file-{i:03d}.bin": os.urandom(size) for i in range(count)}
    files["same/a.txt"] = files["same/b.txt"] = b"twice\n"  # one member, two paths
    files["big.bin"] = os.urandom(packs.SMALL + 1)  # too large for a pack: goes as itself
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def _cached(tmp_path: pathlib.Path, name: str = "data", **kwargs: int) -> tuple[Cache, str, dict[str, bytes]]:
    files = _small_tree(tmp_path / "ws" / name, **kwargs)
    cache = Cache(tmp_path / "cache")
    hashed = Hasher(None).hash_path(tmp_path / "ws" / name)
    cache.add(tmp_path / "ws" / name, hashed)
    return cache, hashed.info.oid, files


def _pack_keys(remote) -> tuple[list[str], list[str]]:
    keys = remote.list_keys("packs/")
    return [k for k in keys if not k.startswith("packs/dirs/")], [k for k in keys if k.startswith("packs/dirs/")]


def test_a_directory_of_small_files_goes_up_as_a_pack_and_comes_back_verified(backend: Backend, tmp_path: pathlib.Path):
    cache, dir_oid, files = _cached(tmp_path)
    members = {e.oid for e in cache.read_manifest(dir_oid)}  # 200 + "twice" + big.bin
    big = hashing.hash_bytes(files["big.bin"])
    remote = backend.remote()
    moved: list[tuple[int, int]] = []

    pushed = transfer.push(cache, remote, [dir_oid], jobs=8, progress=lambda n, b: moved.append((n, b)))

    assert pushed.ok, pushed.failed
    assert (pushed.transferred, pushed.already) == (len(members) + 1, 0)  # files and the manifest
    assert sum(n for n, _ in moved) == len(members) + 1
    assert remote.list_oids() == {dir_oid, big}  # only the manifest and the large file under files/
    pack_keys, pointers = _pack_keys(remote)
    assert len(pack_keys) == 1 and pointers == [packs.pointer_key(dir_oid)]
    assert remote.read_key(pointers[0]) == json.dumps([pack_keys[0].removeprefix("packs/")]).encode()

    again = transfer.push(cache, remote, [dir_oid], jobs=8)
    verified = transfer.push(cache, remote, [dir_oid], jobs=8, verify=True)
    assert (again.transferred, again.already, again.ok) == (0, len(members) + 1, True)
    assert (verified.transferred, verified.already, verified.ok) == (0, len(members) + 1, True)
    assert _pack_keys(remote) == (pack_keys, pointers)  # nothing sent again, nothing rewritten
    assert transfer.plan(cache, remote, [], jobs=8) == {"push": [], "pull": [], "missing": []}
    assert transfer.pending(cache, remote, [dir_oid], jobs=8) == set()

    fresh = Cache(tmp_path / "clone-cache")
    fetched = transfer.fetch(fresh, remote, [dir_oid], jobs=8)

    assert fetched.ok, fetched.failed
    assert (fetched.transferred, fetched.already) == (len(members) + 1, 0)
    assert all(hashing.hash_file(fresh.object_path(oid)) == oid for oid in members)
    fresh.checkout(dir_oid, tmp_path / "restored", Hasher(None))
    for rel, data in files.items():
        assert (tmp_path / "restored" / rel).read_bytes() == data
    assert list(fresh.tmp_dir.iterdir()) == []


def _damage_member(backend: Backend, pack_key: str, oid: str) -> None:
    """Flip one byte of member `oid` inside the stored pack, behind pivot's back."""
    raw, root = backend.raw()
    path = f"{root.rstrip('/')}/{pack_key}"
    data = bytearray(raw.cat_file(path))
    length = int.from_bytes(data[8:16], "big")
    offset, size = json.loads(data[16 : 16 + length])[oid]
    data[16 + length + offset + size // 2] ^= 0xFF
    if backend.kind in ("dir", "file"):
        os.chmod(path.removeprefix("file://"), 0o644)
    raw.pipe_file(path, bytes(data))


def test_a_damaged_member_of_a_pack_is_refused_by_name_and_the_rest_arrive(backend: Backend, tmp_path: pathlib.Path):
    cache, dir_oid, files = _cached(tmp_path)
    remote = backend.remote()
    assert transfer.push(cache, remote, [dir_oid], jobs=8).ok
    bad = hashing.hash_bytes(files["part-3/file-010.bin"])
    (pack_key,), _ = _pack_keys(remote)
    _damage_member(backend, pack_key, bad)

    fresh = Cache(tmp_path / "clone-cache")
    fetched = transfer.fetch(fresh, remote, [dir_oid], jobs=8)

    failed = dict(fetched.failed)
    assert set(failed) == {bad, dir_oid}
    assert bad in failed[bad] and "'origin'" in failed[bad] and "corrupted" in failed[bad]
    assert pack_key.removeprefix("packs/") in failed[bad]
    assert "directory incomplete: 1 of its" in failed[dir_oid]
    entries = cache.read_manifest(dir_oid)
    assert not fresh.exists(bad) and not fresh.exists(dir_oid)
    assert all(fresh.exists(e.oid) for e in entries if e.oid != bad)
    assert all(hashing.hash_file(fresh.object_path(e.oid)) == e.oid for e in entries if e.oid != bad)
    assert fetched.transferred == len({e.oid for e in entries}) - 1
    assert list(fresh.tmp_dir.iterdir()) == []


def test_a_changed_directory_reuses_the_packs_already_on_the_remote(local: Backend, tmp_path: pathlib.Path):
    """One file of 200 edited: the new directory's push sends that file and its manifest, and its
    pointer names the old pack; a clone pulls it whole."""
    cache, first, _ = _cached(tmp_path)
    remote = local.remote()
    assert transfer.push(cache, remote, [first], jobs=4).ok
    (tmp_path / "ws" / "data" / "part-0" / "file-000.bin").write_bytes(b"edited\n")
    hashed = Hasher(None).hash_path(tmp_path / "ws" / "data")
    cache.add(tmp_path / "ws" / "data", hashed)
    second = hashed.info.oid

    pushed = transfer.push(cache, remote, [second], jobs=4)

    assert pushed.ok and pushed.transferred == 2  # the edited file and the manifest
    pack_keys, pointers = _pack_keys(remote)
    assert len(pack_keys) == 1 and len(pointers) == 2
    fresh = Cache(tmp_path / "clone-cache")
    assert transfer.fetch(fresh, remote, [second], jobs=4).ok
    assert fresh.verify(second)
    # A cache lacking a few members: those are read out of the pack by range, and verified.
    lost = [e.oid for e in fresh.read_manifest(second)[5:8]]
    for oid in lost:
        fresh.object_path(oid).unlink()
    refetched = transfer.fetch(fresh, remote, [second], jobs=4)
    assert refetched.ok and refetched.transferred == len(lost)
    assert fresh.verify(second)


@pytest.fixture
def local(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Backend:
    return servers.make_backend("dir", request, tmp_path)


def test_pack_false_sends_one_object_per_file(request: pytest.FixtureRequest, tmp_path: pathlib.Path):
    backend = servers.make_backend("dir", request, tmp_path)
    backend = Backend("dir", {**backend.config, "pack": False}, backend.project_root)
    cache, dir_oid, _ = _cached(tmp_path, count=40)
    remote = backend.remote()

    assert transfer.push(cache, remote, [dir_oid], jobs=4).ok

    assert _pack_keys(remote) == ([], [])
    assert len(remote.list_oids()) == 43  # 40 + "twice" + big.bin + the manifest
    fresh = Cache(tmp_path / "clone-cache")
    assert transfer.fetch(fresh, remote, [dir_oid], jobs=4).ok and fresh.verify(dir_oid)


@pytest.mark.slow
@pytest.mark.usefixtures("client_env")
def test_the_s3_server_stopped_after_the_pack_went_up(tmp_path: pathlib.Path, tmp_path_factory: pytest.TempPathFactory):
    """The server dies once the pack is up, before the pointer and manifest: the push fails
    clearly and fast; restarted, the next push finds the pack, sends only pointer and manifest."""
    server = servers.seaweedfs(tmp_path_factory.mktemp("seaweedfs-packs"))
    server.start()
    try:
        cache, dir_oid, _ = _cached(tmp_path, count=300, size=8 * 1024)
        members = {e.oid for e in cache.read_manifest(dir_oid)}
        backend = Backend("seaweedfs", servers.s3_config(server.endpoint, "pivot-packs", connect_timeout="1"), tmp_path / "project")
        (tmp_path / "project").mkdir()
        raw, _ = backend.raw()
        raw.mkdir("pivot-packs")
        remote = backend.remote(attempts=2)

        def stop_after_the_pack(files: int, size: int) -> None:
            if files > 1:
                server.stop()

        started = time.monotonic()
        broken = transfer.push(cache, remote, [dir_oid], jobs=8, progress=stop_after_the_pack)
        elapsed = time.monotonic() - started

        failed = dict(broken.failed)
        assert not broken.ok and elapsed < 30, (elapsed, broken.failed)
        assert dir_oid in failed  # no manifest: the directory is not on the remote
        # What failed after the stop (big.bin, or the pointer) names the remote and the request.
        assert any("remote 'origin'" in text and "cannot upload" in text for text in failed.values())
        assert not any("Traceback" in text or servers.S3_SECRET in text for text in failed.values())

        server.start()
        resumed = transfer.push(cache, remote, [dir_oid], jobs=8)

        assert resumed.ok, resumed.failed[:3]
        big = {oid for oid in members if cache.object_path(oid).stat().st_size >= packs.SMALL}
        assert resumed.already >= len(members) - len(big)  # the pack was found, not sent again
        assert resumed.transferred + resumed.already == len(members) + 1
        assert transfer.push(cache, remote, [dir_oid], jobs=8, verify=True).transferred == 0
        fresh = Cache(tmp_path / "clone-cache")
        fetched = transfer.fetch(fresh, backend.remote(), [dir_oid], jobs=8)
        assert fetched.ok and fetched.transferred == len(members) + 1
        assert fresh.verify(dir_oid)
    finally:
        server.stop(grace=0)


def test_gc_deletes_pointers_before_packs_and_keeps_packs_if_a_pointer_stays(local: Backend, tmp_path: pathlib.Path):
    cache, dir_oid, _ = _cached(tmp_path)
    remote = local.remote()
    assert transfer.push(cache, remote, [dir_oid], jobs=4).ok
    (pack_key,), (pointer,) = _pack_keys(remote)
    assert packs.garbage(remote, {dir_oid}, jobs=4) == packs.Garbage((), (), 1)
    garbage = packs.garbage(remote, set(), jobs=4)
    assert garbage == packs.Garbage((pointer,), (pack_key,), 0)
    # The storage cannot delete the pointer: a non-empty directory now stands under its name.
    _, root = local.raw()
    path = pathlib.Path(root) / pointer
    path.unlink()
    path.mkdir()
    (path / "keep").write_bytes(b"x")

    failed = dict(packs.delete(remote, garbage))

    assert set(failed) == {pointer, pack_key} and "1 pack pointer could not be deleted first" in failed[pack_key]
    assert remote.list_keys("packs/") == [pack_key]  # the pack stays while its pointer might
    path.joinpath("keep").unlink()
    path.rmdir()
    assert packs.delete(remote, packs.Garbage((), (pack_key,), 0)) == []
    assert remote.list_keys("packs/") == []



# ---------------------------------------------------------------------- sparse fetches


def _pulled(backend: Backend, tmp_path: pathlib.Path, count: int = 400, size: int = 1000) -> tuple[Cache, str, str, list[str]]:
    """A directory of `count` files of 1-4 KB (`size` to `size` + 3,000 bytes) pushed as one pack,
    then pulled whole into a second cache: that cache, the directory, the pack's key and its
    members in the pack's order."""
    root = tmp_path / "ws" / "sparse"
    root.mkdir(parents=True)
    for i in range(count):
        (root / f"f{i:04d}.bin").write_bytes(os.urandom(size + (i * 7919) % 3000))
    cache = Cache(tmp_path / "cache")
    hashed = Hasher(None).hash_path(root)
    cache.add(root, hashed)
    remote = backend.remote()
    assert transfer.push(cache, remote, [hashed.info.oid], jobs=8).ok
    (pack_key,), _ = _pack_keys(remote)
    members, _ = packformat.remote_header(remote, pack_key.removeprefix("packs/"))
    fresh = Cache(tmp_path / "clone-cache")
    assert transfer.fetch(fresh, remote, [hashed.info.oid], jobs=8).ok
    return fresh, hashed.info.oid, pack_key, sorted(members, key=lambda oid: members[oid][0])


def _lose(cache: Cache, oids: list[str]) -> dict[str, int]:
    """Delete these objects from the cache; returns the inode of every object that stays."""
    for oid in oids:
        cache.object_path(oid).unlink()
    return {p.name: p.stat().st_ino for p in cache.files_dir.rglob("*") if p.is_file()}


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_sparse_pull_from_s3_fetches_exactly_the_missing_members(request: pytest.FixtureRequest, tmp_path: pathlib.Path, client_env: None):
    backend = servers.make_backend("moto", request, tmp_path)
    fresh, dir_oid, _, order = _pulled(backend, tmp_path)
    lost = order[3::10]  # 10%, scattered over the whole pack
    kept = _lose(fresh, lost)

    fetched = transfer.fetch(fresh, backend.remote(), [dir_oid], jobs=8)

    assert fetched.ok, fetched.failed
    assert (fetched.transferred, fetched.already) == (len(lost), len(order) - len(lost) + 1)  # + the manifest
    assert all(hashing.hash_file(fresh.object_path(oid)) == oid for oid in lost)
    assert {p.name: p.stat().st_ino for p in fresh.files_dir.rglob("*") if p.is_file() and p.name in kept} == kept
    assert fresh.verify(dir_oid) and list(fresh.tmp_dir.iterdir()) == []


def _pack_gets(log: pathlib.Path, mark: int, pack_key: str) -> int:
    """GET requests for `pack_key` that the moto server logged after byte `mark` of its log."""
    with open(log, "rb") as fh:
        fh.seek(mark)
        return sum(1 for line in fh.read().decode(errors="replace").splitlines() if "GET /" in line and pack_key in line)  # a colour code may precede it


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_nearby_members_of_a_pack_come_in_fewer_requests_than_members(request: pytest.FixtureRequest, tmp_path: pathlib.Path, client_env: None):
    """Every third member of a stretch of the pack: the gaps (1-4 KB) are read rather than
    skipped, so the twenty members cost the header's read and one more, counted by the server."""
    backend = servers.make_backend("moto", request, tmp_path)
    server = request.getfixturevalue("moto_server")
    fresh, dir_oid, pack_key, order = _pulled(backend, tmp_path)
    lost = order[100:160:3]
    _lose(fresh, lost)
    mark = server.log.stat().st_size

    fetched = transfer.fetch(fresh, backend.remote(), [dir_oid], jobs=8)

    assert fetched.ok and fetched.transferred == len(lost) == 20
    gets = _pack_gets(server.log, mark, pack_key)
    for _ in range(50):  # the server writes its log line after it answers
        if gets >= 2:
            break
        time.sleep(0.1)
        gets = _pack_gets(server.log, mark, pack_key)
    assert gets == 2  # the header (one read: it is under 64 KiB) and one merged range
    assert fresh.verify(dir_oid)


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_a_corrupt_member_inside_a_merged_read_is_refused_and_its_neighbours_arrive(backend: Backend, tmp_path: pathlib.Path):
    fresh, dir_oid, pack_key, order = _pulled(backend, tmp_path)
    lost = order[100:160:3]
    bad = lost[7]
    _damage_member(backend, pack_key, bad)
    _lose(fresh, lost)

    fetched = transfer.fetch(fresh, backend.remote(), [dir_oid], jobs=8)

    failed = dict(fetched.failed)
    assert set(failed) == {bad} and "corrupted" in failed[bad] and pack_key.removeprefix("packs/") in failed[bad]
    assert fetched.transferred == len(lost) - 1
    assert not fresh.exists(bad)
    assert all(hashing.hash_file(fresh.object_path(oid)) == oid for oid in lost if oid != bad)
    assert list(fresh.tmp_dir.iterdir()) == []


def test_a_sparse_pull_across_a_large_pack_brings_every_member_whole(local: Backend, tmp_path: pathlib.Path):
    """Members spread over 40 MB of one pack, more than one batch of reads (16 MiB): every
    member arrives whole and verified, those at the batches' boundaries too."""
    fresh, dir_oid, _, order = _pulled(local, tmp_path, count=100, size=400_000)
    lost = order[::8]
    _lose(fresh, lost)

    fetched = transfer.fetch(fresh, local.remote(), [dir_oid], jobs=4)

    assert fetched.ok and fetched.transferred == len(lost) == 13
    assert all(hashing.hash_file(fresh.object_path(oid)) == oid for oid in lost)
    assert fresh.verify(dir_oid)
