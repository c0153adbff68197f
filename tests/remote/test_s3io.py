"""Ranged downloads from S3 (`pivot.remote.s3io`) against real servers: every byte lands where
it belongs whatever the object's size relative to the ranges, and what fails says so."""

from __future__ import annotations

import os
import pathlib
import threading
import time

import pytest
import servers
from servers import Backend, make_backend

from pivot.remote import s3io, transfer
from pivot.storage import hashing
from pivot.storage.cache import Cache
from pivot.storage.state import Hasher

pytest_plugins = ("servers",)

# Tiny ranges, so a few KiB exercise what a few GiB would: first request, equal parts, remainder.
PLAN = s3io.Plan(first=1000, min_part=3000, max_parts=4)


@pytest.fixture(params=["moto", pytest.param("seaweedfs", marks=pytest.mark.slow)])
def s3(request: pytest.FixtureRequest, tmp_path: pathlib.Path, client_env: None) -> Backend:
    return make_backend(request.param, request, tmp_path)


SIZES = [
    0,  # no byte 0 to ask for: the server answers 416, and a plain GET follows
    1,
    PLAN.first - 1,
    PLAN.first,  # exactly the first request
    PLAN.first + 1,  # one more byte: a second range of one byte
    PLAN.first + PLAN.min_part * 2 + 7,  # two parts, the last one short
    PLAN.first + PLAN.min_part * 40 + 11,  # capped at max_parts: three long parts
]


def test_every_size_arrives_byte_for_byte(s3: Backend, tmp_path: pathlib.Path):
    raw, root = s3.raw()
    for size in SIZES:
        data = os.urandom(size)
        path = f"{root}/obj-{size}"
        raw.pipe_file(path, data)
        dest = tmp_path / f"dest-{size}"
        s3io.download(raw, path, str(dest), PLAN)
        assert dest.read_bytes() == data, f"{size} bytes"


def test_the_ranges_cover_the_object_once_in_at_most_max_parts_requests():
    total = PLAN.first + PLAN.min_part * 40 + 11
    ranges = [(0, PLAN.first - 1), *s3io._ranges(PLAN.first, total, PLAN)]
    assert len(ranges) == PLAN.max_parts
    assert [start for start, _ in ranges[1:]] == [end + 1 for _, end in ranges[:-1]]
    assert ranges[-1][1] == total - 1


def test_an_absent_object_is_not_found_and_leaves_no_file(s3: Backend, tmp_path: pathlib.Path):
    raw, root = s3.raw()
    dest = tmp_path / "dest"
    with pytest.raises(FileNotFoundError):
        s3io.download(raw, f"{root}/never-written", str(dest), PLAN)
    assert not dest.exists()


@pytest.mark.slow  # 32 MiB up and down, twice per server
@pytest.mark.parametrize("checksums", ["when_supported", "when_required"])
def test_a_multipart_push_declares_its_crc32_unless_checksums_are_sent_only_when_required(
    s3: Backend, tmp_path: pathlib.Path, checksums: str
):
    """From 32 MiB a file goes up in 16 MiB parts (here two and a last one of one byte): the
    server checks each part's CRC32 and keeps a checksum built from them. A client told to send checksums only when required (for servers
    that refuse them) sends none, and the object still arrives whole."""
    config_kwargs = {**s3.config["config_kwargs"], "request_checksum_calculation": checksums}
    backend = Backend(s3.kind, {**s3.config, "config_kwargs": config_kwargs}, s3.project_root)
    data = os.urandom(2 * s3io.UPLOAD_PART_BYTES + 1)
    src = tmp_path / "big"
    src.write_bytes(data)
    oid = hashing.hash_file(src)
    backend.remote().put(src, oid)

    raw, _ = backend.raw()
    bucket, key, _ = raw.split_path(backend.object_path(oid))
    head = raw.call_s3("head_object", Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    if s3.kind == "moto":  # SeaweedFS accepts the declaration but keeps no checksum to show
        assert ("ChecksumCRC32" in head) == (checksums == "when_supported"), head  # built from the parts'

    dest = tmp_path / "dest"
    backend.remote().get(oid, dest)
    assert hashing.hash_file(dest) == oid


@pytest.mark.slow
@pytest.mark.usefixtures("client_env")
def test_the_server_stopped_while_the_parts_go_up(tmp_path: pathlib.Path, tmp_path_factory: pytest.TempPathFactory):
    """The push fails and names the remote; nothing shows under the object's name; once the
    server is back the next push sends the object whole and it verifies (SeaweedFS keeps its
    data across a restart)."""
    server = servers.seaweedfs(tmp_path_factory.mktemp("seaweedfs-parts"))
    server.start()
    try:
        big = tmp_path / "ws" / "big.bin"
        big.parent.mkdir()
        big.write_bytes(os.urandom(96 * 2**20))
        cache = Cache(tmp_path / "cache")
        hashed = Hasher(None).hash_path(big)
        cache.add(big, hashed)
        oid = hashed.info.oid
        backend = Backend("seaweedfs", servers.s3_config(server.endpoint, "pivot-parts", connect_timeout="1"), tmp_path / "project")
        raw, _ = backend.raw()
        raw.mkdir("pivot-parts")
        bucket, _, _ = raw.split_path(backend.object_path(oid))
        stopper = threading.Thread(target=_stop_once_parts_go_up, args=(server, raw, bucket))
        stopper.start()
        try:
            broken = transfer.push(cache, backend.remote(attempts=1), [oid], jobs=4)
        finally:
            stopper.join()

        assert not broken.ok and broken.transferred == 0
        message = dict(broken.failed)[oid]
        assert "remote 'origin'" in message and "cannot upload" in message and servers.S3_SECRET not in message

        server.start()
        assert not raw.exists(backend.object_path(oid))
        assert transfer.push(cache, backend.remote(), [oid], jobs=4).transferred == 1
        fresh = Cache(tmp_path / "clone-cache")
        assert transfer.fetch(fresh, backend.remote(), [oid], jobs=4).ok
        assert fresh.verify(oid)
    finally:
        server.stop(grace=0)


def _stop_once_parts_go_up(server: servers.Server, raw: object, bucket: str) -> None:
    """Stop `server` as soon as a multipart upload is open in `bucket` (or after 30 s)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if raw.call_s3("list_multipart_uploads", Bucket=bucket).get("Uploads"):  # type: ignore[attr-defined]
            break
        time.sleep(0.01)
    server.stop(grace=0)
