"""push and fetch between a local cache and every backend: round trips, partial pushes, corrupted
objects on the remote, dead servers."""

from __future__ import annotations

import contextlib
import os
import pathlib
import resource
import shutil
import time
from collections.abc import Iterator, Mapping

import pytest
import servers
from servers import Backend

from pivot import errors
from pivot.remote import tasks, transfer
from pivot.storage import hashing
from pivot.storage.cache import Cache
from pivot.storage.state import Hasher

pytest_plugins = ("servers",)  # the server and backend fixtures
pytestmark = pytest.mark.filterwarnings("ignore:Sending a large body directly:ResourceWarning")

TREE = {
    "a/b/c.txt": b"deep\n",
    "a/d.bin": os.urandom(64 * 1024),
    "a/same.txt": b"twice\n",
    "e/same-again.txt": b"twice\n",  # one object for two files
    "e/empty": b"",
    "naïve name.txt": b"unicode\n",
}


def _write(root: pathlib.Path, files: Mapping[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _add(cache: Cache, path: pathlib.Path) -> str:
    hashed = Hasher(None).hash_path(path)
    cache.add(path, hashed)
    return hashed.info.oid


@pytest.fixture
def workspace(tmp_path: pathlib.Path) -> tuple[Cache, str, str]:
    """A cache holding a nested directory and a single file: (cache, dir oid, file oid)."""
    _write(tmp_path / "ws" / "data", TREE)
    (tmp_path / "ws" / "model.bin").write_bytes(os.urandom(10_000))
    cache = Cache(tmp_path / "cache")
    return cache, _add(cache, tmp_path / "ws" / "data"), _add(cache, tmp_path / "ws" / "model.bin")


@pytest.fixture
def local(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Backend:
    """A directory remote, for behaviour that is the same code on every backend."""
    return servers.make_backend("dir", request, tmp_path)


def _objects(cache: Cache, oids: list[str]) -> set[str]:
    found = set(oids)
    for oid in oids:
        if oid.endswith(hashing.DIR_SUFFIX):
            found |= {entry.oid for entry in cache.read_manifest(oid)}
    return found


def test_push_then_fetch_a_nested_directory_into_an_empty_cache(
    backend: Backend, workspace: tuple[Cache, str, str], tmp_path: pathlib.Path
):
    cache, dir_oid, file_oid = workspace
    objects = _objects(cache, [dir_oid, file_oid])
    total = sum(cache.object_path(oid).stat().st_size for oid in objects)
    remote = backend.remote()
    moved: list[tuple[int, int]] = []

    pushed = transfer.push(cache, remote, [dir_oid, file_oid], jobs=8, progress=lambda n, b: moved.append((n, b)))

    assert pushed.ok, pushed.failed
    assert (pushed.transferred, pushed.bytes, pushed.already) == (len(objects), total, 0)
    assert (sum(n for n, _ in moved), sum(b for _, b in moved)) == (len(objects), total)
    assert remote.list_oids() == objects
    again = transfer.push(cache, remote, [dir_oid, file_oid], jobs=8)
    assert (again.transferred, again.already, again.ok) == (0, len(objects), True)

    fresh = Cache(tmp_path / "clone-cache")
    fetched = transfer.fetch(fresh, remote, [dir_oid, file_oid], jobs=8)

    assert fetched.ok, fetched.failed
    assert (fetched.transferred, fetched.bytes, fetched.already) == (len(objects), total, 0)
    assert fresh.verify(dir_oid) and fresh.verify(file_oid)
    fresh.checkout(dir_oid, tmp_path / "restored", Hasher(None))
    for rel, data in TREE.items():
        assert (tmp_path / "restored" / rel).read_bytes() == data
    assert transfer.fetch(fresh, remote, [dir_oid, file_oid], jobs=8).transferred == 0


@contextlib.contextmanager
def _files_limited_to(nbytes: int) -> Iterator[None]:
    """While inside, the kernel refuses (EFBIG, "File too large") any write that would make a file
    of this process larger than `nbytes`: a storage with a per-file quota. (Python ignores
    SIGXFSZ, so the write fails instead of killing the process.)"""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def test_missing_after_a_partial_push(local: Backend, workspace: tuple[Cache, str, str], tmp_path: pathlib.Path):
    """The storage refuses two of a directory's files: the push reports those two and the
    directory, the manifest never goes up ahead of its files, and the next push finishes the job."""
    cache, _, file_oid = workspace
    (tmp_path / "ws" / "data" / "a" / "big.bin").write_bytes(os.urandom(48 * 1024))
    dir_oid = _add(cache, tmp_path / "ws" / "data")  # now 7 files; a/d.bin and a/big.bin are big
    limit = 32 * 1024
    failing = {entry.oid for entry in cache.read_manifest(dir_oid) if entry.size > limit}
    assert len(failing) == 2 and cache.object_path(file_oid).stat().st_size < limit
    remote = local.remote()

    with _files_limited_to(limit):
        partial = transfer.push(cache, remote, [dir_oid, file_oid], jobs=4)

    failed = dict(partial.failed)
    assert not partial.ok and set(failed) == failing | {dir_oid}
    assert "2 of its 7 files failed" in failed[dir_oid]
    for oid in failing:
        assert oid in failed[oid] and "'origin'" in failed[oid] and "File too large" in failed[oid]
    everything = _objects(cache, [dir_oid, file_oid])
    assert remote.missing(everything, jobs=4) == failing | {dir_oid}  # never the manifest first
    assert remote.missing(everything, jobs=4, listing=True) == failing | {dir_oid}
    raw, root = local.raw()
    assert [path for path in raw.find(root) if path.endswith(".tmp")] == []  # the refused temps are gone

    finished = transfer.push(cache, remote, [dir_oid, file_oid], jobs=4)

    assert finished.ok, finished.failed
    assert (finished.transferred, finished.already) == (3, len(everything) - 3)
    assert remote.missing(everything, jobs=4) == set()


def test_a_corrupted_object_on_the_remote_is_refused(
    backend: Backend, workspace: tuple[Cache, str, str], tmp_path: pathlib.Path
):
    cache, dir_oid, file_oid = workspace
    remote = backend.remote()
    assert transfer.push(cache, remote, [dir_oid, file_oid], jobs=4).ok
    entries = cache.read_manifest(dir_oid)
    bad = next(e.oid for e in entries if e.relpath == "a/d.bin")
    raw, _ = backend.raw()
    raw.pipe_file(backend.object_path(bad), b"bit rot")

    fresh = Cache(tmp_path / "clone-cache")
    fetched = transfer.fetch(fresh, remote, [dir_oid, file_oid], jobs=4)

    failed = dict(fetched.failed)
    assert set(failed) == {bad, dir_oid}
    assert bad in failed[bad] and "'origin'" in failed[bad] and "corrupted" in failed[bad]
    assert "1 of its 6 files" in failed[dir_oid]
    assert not fresh.exists(bad) and not fresh.exists(dir_oid)
    assert fresh.exists(file_oid) and all(fresh.exists(e.oid) for e in entries if e.oid != bad)
    assert list((fresh.tmp_dir).iterdir()) == []  # no temp files left behind


def test_a_corrupted_manifest_is_refused(local: Backend, workspace: tuple[Cache, str, str], tmp_path: pathlib.Path):
    cache, dir_oid, _ = workspace
    remote = local.remote()
    assert transfer.push(cache, remote, [dir_oid], jobs=4).ok
    raw, _ = local.raw()
    raw.pipe_file(local.object_path(dir_oid), b'[["../../escape","' + b"0" * 32 + b'",1]]')

    fresh = Cache(tmp_path / "clone-cache")
    fetched = transfer.fetch(fresh, remote, [dir_oid], jobs=4)

    assert [oid for oid, _ in fetched.failed] == [dir_oid]
    assert "corrupted" in fetched.failed[0][1]
    assert not fresh.exists(dir_oid) and fresh.verify(dir_oid) is False


def test_objects_missing_on_either_side_are_reported_one_by_one(
    local: Backend, workspace: tuple[Cache, str, str], tmp_path: pathlib.Path
):
    cache, dir_oid, file_oid = workspace
    remote = local.remote()
    ghost = hashing.hash_bytes(b"in no cache")

    pushed = transfer.push(cache, remote, [file_oid, ghost, "not-an-oid"], jobs=4)
    fetched = transfer.fetch(Cache(tmp_path / "empty"), remote, [file_oid, ghost, dir_oid], jobs=4)

    assert pushed.transferred == 1
    assert dict(pushed.failed).keys() == {ghost, "not-an-oid"}
    assert "not in the local cache" in dict(pushed.failed)[ghost]
    assert fetched.transferred == 1
    assert dict(fetched.failed).keys() == {ghost, dir_oid}
    assert "not on remote 'origin'" in dict(fetched.failed)[ghost]


def test_a_directory_on_the_remote_counts_as_complete_unless_verified(
    local: Backend, workspace: tuple[Cache, str, str]
):
    cache, dir_oid, _ = workspace
    remote = local.remote()
    assert transfer.push(cache, remote, [dir_oid], jobs=4).ok
    lost = cache.read_manifest(dir_oid)[0].oid
    raw, _ = local.raw()
    raw.rm_file(local.object_path(lost))  # deleted behind pivot's back

    trusted = transfer.push(cache, remote, [dir_oid], jobs=4)
    verified = transfer.push(cache, remote, [dir_oid], jobs=4, verify=True)

    assert (trusted.transferred, trusted.already) == (0, 6)  # 5 distinct files and the manifest
    assert (verified.transferred, verified.already) == (1, 5)
    assert remote.missing([lost], jobs=1) == set()


def test_delete_takes_manifests_first_and_keeps_files_if_one_stays(
    local: Backend, workspace: tuple[Cache, str, str]
):
    cache, dir_oid, file_oid = workspace
    remote = local.remote()
    assert transfer.push(cache, remote, [dir_oid, file_oid], jobs=4).ok
    members = {entry.oid for entry in cache.read_manifest(dir_oid)}
    # The storage cannot delete the manifest: a non-empty directory now stands under its name.
    manifest = pathlib.Path(local.object_path(dir_oid))
    manifest.unlink()
    manifest.mkdir()
    (manifest / "keep").write_bytes(b"x")

    failed = dict(remote.delete([*members, dir_oid, file_oid]))

    assert set(failed) == members | {dir_oid, file_oid}
    assert dir_oid in failed[dir_oid] and "Is a directory" in failed[dir_oid]
    assert all("1 directory manifest could not be deleted first" in failed[oid] for oid in members | {file_oid})
    assert remote.list_oids() == members | {file_oid}  # every file kept
    assert manifest.is_dir()

    shutil.rmtree(manifest)  # the manifest back, deletable this time
    shutil.copyfile(cache.object_path(dir_oid), manifest)
    assert remote.delete([*members, dir_oid, file_oid]) == []
    assert remote.list_oids() == set()


def _dead_endpoint_backend(tmp_path: pathlib.Path) -> Backend:
    config = servers.s3_config(f"http://127.0.0.1:{servers.free_port()}", "pivot-nowhere", connect_timeout="1")
    (tmp_path / "project").mkdir(exist_ok=True)
    return Backend("moto", config, tmp_path / "project")


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
@pytest.mark.usefixtures("client_env")
def test_an_unreachable_remote_fails_fast_and_clearly(workspace: tuple[Cache, str, str], tmp_path: pathlib.Path):
    cache, dir_oid, file_oid = workspace
    remote = _dead_endpoint_backend(tmp_path).remote()
    started = time.monotonic()

    with pytest.raises(errors.TransferError) as caught:
        transfer.push(cache, remote, [dir_oid, file_oid], jobs=4)
    many = sorted(_objects(cache, [dir_oid, file_oid]))
    many += [hashing.hash_bytes(str(i).encode()) for i in range(40)]
    fetched = transfer.fetch(Cache(tmp_path / "empty"), remote, many, jobs=4)

    assert time.monotonic() - started < 30
    message = caught.value.message
    assert "remote 'origin'" in message and "127.0.0.1" in message and servers.S3_SECRET not in message
    assert len(fetched.failed) == len(many) and fetched.transferred == 0
    assert sum("not attempted" in text for _, text in fetched.failed) >= len(many) - 2 * tasks.BREAKER
    assert all(servers.S3_SECRET not in text for _, text in fetched.failed)


@pytest.mark.slow
@pytest.mark.usefixtures("client_env")
def test_the_s3_server_stopped_in_the_middle_of_a_push(tmp_path: pathlib.Path, tmp_path_factory: pytest.TempPathFactory):
    """SeaweedFS keeps its data across a restart, so the second push has to resume, not redo."""
    server = servers.seaweedfs(tmp_path_factory.mktemp("seaweedfs-fault"))
    server.start()
    try:
        _stop_mid_push_then_resume(server, tmp_path)
    finally:
        server.stop(grace=0)


def _stop_mid_push_then_resume(server: servers.Server, tmp_path: pathlib.Path) -> None:
    _write(tmp_path / "ws" / "many", {f"part-{i:03d}/file.bin": os.urandom(8 * 1024) for i in range(300)})
    cache = Cache(tmp_path / "cache")
    dir_oid = _add(cache, tmp_path / "ws" / "many")
    # One object per file (no packs), so the server can be stopped between them.
    config = servers.s3_config(server.endpoint, "pivot-fault", connect_timeout="1", pack=False)
    backend = Backend("seaweedfs", config, tmp_path / "project")
    raw, _ = backend.raw()
    raw.mkdir("pivot-fault")
    remote = backend.remote(attempts=2)
    uploaded = 0

    def stop_after_40(files: int, size: int) -> None:
        nonlocal uploaded
        uploaded += files
        if uploaded == 40:
            server.stop()

    started = time.monotonic()
    broken = transfer.push(cache, remote, [dir_oid], jobs=8, progress=stop_after_40)
    elapsed = time.monotonic() - started

    print(f"\nstopped mid-push: {broken.transferred} uploaded, {len(broken.failed)} failed in {elapsed:.1f}s; "
          f"first: {broken.failed[0][1]}")
    assert not broken.ok and 40 <= broken.transferred < 301
    assert elapsed < 30, f"a push to a stopped server took {elapsed:.1f}s"
    messages = dict(broken.failed)
    assert "not uploaded" in messages[dir_oid]
    first = next(text for oid, text in broken.failed if oid != dir_oid)
    assert "remote 'origin'" in first and ("cannot upload" in first or "not attempted" in first)
    assert "Traceback" not in first and servers.S3_SECRET not in first

    server.start()
    resumed = transfer.push(cache, remote, [dir_oid], jobs=8)

    assert resumed.ok, resumed.failed[:3]
    assert resumed.already >= broken.transferred and resumed.transferred + resumed.already == 301
    fresh = Cache(tmp_path / "clone-cache")
    fetched = transfer.fetch(fresh, backend.remote(), [dir_oid], jobs=8)
    assert fetched.ok and fetched.transferred == 301  # each one hashed on the way in
    assert fresh.verify(dir_oid)
