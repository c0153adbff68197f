"""S3 transfers shaped for large objects: downloads in a few long byte ranges, streamed straight
into the file, and multipart uploads that declare their checksum.

Downloads. s3fs's own `get_file` first opens the whole object, then fetches 50 MiB ranges ten
at a time, holding each batch in memory (500 MiB per file) and writing it only when the whole
batch has arrived: a 1 GiB object costs 22 requests and each batch waits for its slowest range.
Here the first request asks for the first `FIRST_BYTES` (a small object needs nothing more), and
the rest of a large one is split into at most `max_parts - 1` ranges of at least
`MIN_PART_BYTES`, all streamed at once, `CHUNK_BYTES` at a time, to their offsets in the file:
memory stays at a few MiB whatever the size, and a 1 GiB object costs 8 requests. Fewer, longer
ranges keep the parallel streams that make large downloads fast on S3 and spare servers that
read the whole object for every range (as some emulators and gateways do): on moto a 1 GiB pull
took 8 s instead of 19-24 s. `max_parts` is s3fs's own `max_concurrency` option (default 10), so
`pivot remote modify NAME max_concurrency N` tunes it. A short or failed range raises `OSError`;
the caller retries the whole object and hashes the file before it enters the cache.

Uploads. s3fs's own `put_file` reads ten 50 MiB parts into memory, sends them and waits for
all ten before reading more. Here a large file goes up in `UPLOAD_PART_BYTES` parts, `max_parts`
in flight, each read when its turn comes. The upload declares CRC32 (botocore sends one with
every part anyway) and names each part's CRC32 when it completes, as the AWS SDKs' transfer
managers do: the server checks every part and keeps a checksum of the object built from the
parts' (COMPOSITE), instead of computing one over the assembled object itself (moto spent a
third less CPU on a 1 GiB push). A client configured to send checksums only when required
(`request_checksum_calculation: when_required`, for servers that refuse them) declares none.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import os
from typing import Any

FIRST_BYTES = 16 * 2**20
MIN_PART_BYTES = 128 * 2**20
MAX_PARTS = 10  # s3fs's default max_concurrency
CHUNK_BYTES = 2**20
UPLOAD_PART_BYTES = 16 * 2**20
MAX_UPLOAD_PARTS = 10_000  # S3's limit: larger objects get larger parts


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    first: int = FIRST_BYTES  # the first request's range: all of a small object
    min_part: int = MIN_PART_BYTES
    max_parts: int = MAX_PARTS  # requests per object at once (downloads: the first included)
    upload_part: int = UPLOAD_PART_BYTES


def download(fs: Any, path: str, dest: str, plan: Plan | None = None) -> None:
    """Write the object at `path` on the s3fs filesystem `fs` to the local file `dest`."""
    plan = plan or Plan(max_parts=getattr(fs, "max_concurrency", None) or MAX_PARTS)
    future = asyncio.run_coroutine_threadsafe(_download(fs, path, dest, plan), fs.loop)
    future.result()


async def _download(fs: Any, path: str, dest: str, plan: Plan) -> None:
    bucket, key, version = fs.split_path(path)
    request = {"Bucket": bucket, "Key": key, **({"VersionId": version} if version else {})}

    async def get(start: int | None, end: int | None) -> dict[str, Any]:
        ranged = {"Range": f"bytes={start}-{end}"} if start is not None else {}
        response: dict[str, Any] = await fs._call_s3("get_object", **request, **ranged)
        return response

    try:
        first = await get(0, plan.first - 1)
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
        first = await get(None, None)  # an empty object has no byte 0 to ask for (416)
    total, got = _sizes(first)
    try:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except BaseException:
        first["Body"].close()
        raise
    try:
        os.ftruncate(fd, total)
        rest = [_fetch(get(start, end), fd, start, end - start + 1) for start, end in _ranges(got, total, plan)]
        await _all_or_none(_stream(first, fd, 0, got), *rest)
    finally:
        os.close(fd)


def _sizes(response: dict[str, Any]) -> tuple[int, int]:
    """(object size, bytes in this response). A server that ignores Range sends it all (200)."""
    length = int(response.get("ContentLength") or 0)
    content_range = response.get("ContentRange")
    if not content_range:
        return length, length
    return int(content_range.rsplit("/", 1)[1]), length


def _ranges(start: int, total: int, plan: Plan) -> list[tuple[int, int]]:
    """Inclusive (first, last) byte ranges covering [start, total) in equal parts."""
    rest = total - start
    if rest <= 0:
        return []
    parts = max(1, min(plan.max_parts - 1, rest // plan.min_part))
    size = -(-rest // parts)
    return [(offset, min(offset + size, total) - 1) for offset in range(start, total, size)]


async def _fetch(request: Any, fd: int, offset: int, expected: int) -> None:
    await _stream(await request, fd, offset, expected)


async def _stream(response: dict[str, Any], fd: int, offset: int, expected: int) -> None:
    body = response["Body"]
    written = 0
    try:
        while written < expected:
            chunk = await body.read(min(CHUNK_BYTES, expected - written))
            if not chunk:
                break
            os.pwrite(fd, chunk, offset + written)
            written += len(chunk)
    finally:
        body.close()
    if written != expected:
        raise OSError(errno.EIO, f"the server sent {written} of {expected} bytes at offset {offset}")


def upload(fs: Any, src: str, path: str, plan: Plan | None = None) -> None:
    """Write the local file `src` as the object at `path` on the s3fs filesystem `fs`: a small
    file in one request, a large one in parts (see the module docstring)."""
    plan = plan or Plan(max_parts=getattr(fs, "max_concurrency", None) or MAX_PARTS)
    size = os.path.getsize(src)
    if size < 2 * plan.upload_part:
        fs.put_file(src, path)
        return
    fs.connect()  # creates the client (no request), which resolves the checksum setting
    config = getattr(getattr(fs.s3, "meta", None), "config", None)
    checked = getattr(config, "request_checksum_calculation", "when_supported") != "when_required"
    future = asyncio.run_coroutine_threadsafe(_upload(fs, src, path, size, plan, checked), fs.loop)
    future.result()


async def _upload(fs: Any, src: str, path: str, size: int, plan: Plan, checked: bool) -> None:
    bucket, key, _ = fs.split_path(path)
    crc = {"ChecksumAlgorithm": "CRC32"} if checked else {}
    started = await fs._call_s3("create_multipart_upload", Bucket=bucket, Key=key, **crc)
    upload_id = started["UploadId"]
    part_size = max(plan.upload_part, -(-size // MAX_UPLOAD_PARTS))
    slots = asyncio.Semaphore(plan.max_parts)  # parts in flight, so memory is max_parts * part_size

    async def send(number: int, fd: int) -> dict[str, Any]:
        async with slots:
            offset = (number - 1) * part_size
            body = os.pread(fd, min(part_size, size - offset), offset)
            sent = await fs._call_s3(
                "upload_part", Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body, **crc
            )
        part = {"PartNumber": number, "ETag": sent["ETag"]}
        if checked:
            part["ChecksumCRC32"] = sent["ChecksumCRC32"]  # the server compares the parts' with these
        return part

    fd = os.open(src, os.O_RDONLY)
    try:
        parts = await _all_or_none(*(send(n, fd) for n in range(1, -(-size // part_size) + 1)))
        await fs._call_s3(
            "complete_multipart_upload", Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except BaseException:
        # Parts of an unfinished upload are invisible but billed: drop them; the caller retries.
        with contextlib.suppress(Exception):
            await fs._call_s3("abort_multipart_upload", Bucket=bucket, Key=key, UploadId=upload_id)
        raise
    finally:
        os.close(fd)


async def _all_or_none(*coroutines: Any) -> list[Any]:
    """The results of all `coroutines`, run at once; on the first failure the others are
    cancelled and awaited before it is raised, so none still uses the file when it is closed."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
