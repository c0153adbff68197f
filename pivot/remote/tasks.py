"""The shared machinery of every transfer (objects, packs, run-cache entries): a list of named
tasks run on a few threads with their results tallied in the calling thread, a breaker that stops
the rest once the remote itself keeps failing, the summary a transfer returns, and the temp files
downloads and packs pass through in the cache's tmp dir."""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import os
import pathlib
import secrets
import time
from collections.abc import Callable, Sequence

from pivot import errors
from pivot.base import diskfull
from pivot.remote.retry import RemoteUnavailable
from pivot.storage.cache import Cache

Progress = Callable[[int, int], None]  # (files done, bytes done) since the last call
# (what, work): work returns the bytes it moved, (files, bytes) for a pack, or None when what it
# did is counted later.
Task = tuple[str, Callable[[], "int | tuple[int, int] | None"]]
# After this many objects in a row fail because the remote itself failed (each after its
# retries), the rest are not attempted: a dead server must not cost minutes of timeouts.
BREAKER = 8


@dataclasses.dataclass(frozen=True, slots=True)
class TransferSummary:
    """What a push or fetch did. Counts are objects: files, and directory manifests."""

    transferred: int
    bytes: int
    already: int  # needed, and already at the destination
    failed: tuple[tuple[str, str], ...]  # (oid, message)
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclasses.dataclass(slots=True)
class Tally:
    """Mutable totals while a transfer runs (main thread only)."""

    transferred: int = 0
    bytes: int = 0
    already: int = 0
    failed: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    failed_oids: set[str] = dataclasses.field(default_factory=set)
    broken: str | None = None  # set once the breaker trips: why the rest are not attempted
    in_a_row: int = 0  # objects failed in a row because the remote failed

    def fail(self, oid: str, message: str) -> None:
        self.failed.append((oid, message))
        self.failed_oids.add(oid)

    def summary(self, started: float) -> TransferSummary:
        return TransferSummary(self.transferred, self.bytes, self.already, tuple(self.failed), time.monotonic() - started)


def run(tasks: Sequence[Task], jobs: int, progress: Progress | None, tally: Tally) -> None:
    """Run each `(oid, task)` on up to `jobs` threads; a task returns the bytes it moved (or, for
    a pack, `(files, bytes)`), or None when what it did is counted later.

    Results are handled here, in the calling thread, so `progress` and `tally` need no locks.
    Only a bounded number of tasks is queued at a time, so the breaker can stop the rest.
    """
    if not tasks:
        return
    jobs = max(1, jobs)
    queue = iter(tasks)
    running: dict[concurrent.futures.Future[int | tuple[int, int] | None], str] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(jobs, len(tasks)), thread_name_prefix="pivot-transfer") as pool:
        try:
            while True:
                while tally.broken is None and len(running) < 2 * jobs and (task := next(queue, None)):
                    running[pool.submit(task[1])] = task[0]
                if not running:
                    break
                done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    _settle(running.pop(future), future, progress, tally)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    for oid, _ in queue:  # left over when the breaker tripped
        tally.fail(oid, f"not attempted: {tally.broken}")


def _settle(oid: str, future: concurrent.futures.Future[int | tuple[int, int] | None], progress: Progress | None, tally: Tally) -> None:
    try:
        result = future.result()
    except RemoteUnavailable as exc:
        tally.fail(oid, exc.message)
        tally.in_a_row += 1
        if tally.in_a_row >= BREAKER and tally.broken is None:
            tally.broken = f"{BREAKER} objects in a row failed, the last with: {exc.message}"
        return
    except errors.DiskFullError:
        raise  # the objects after this one would find no space either: stop, and say where
    except errors.PivotError as exc:
        tally.fail(oid, exc.message)
        return
    except OSError as exc:  # the local side: permissions in the cache, a full disk
        if diskfull.is_full(exc):
            raise
        tally.fail(oid, f"{type(exc).__name__}: {exc}")
        return
    tally.in_a_row = 0
    if result is None:
        return
    files, size = result if isinstance(result, tuple) else (1, result)
    tally.transferred += files
    tally.bytes += size
    if progress is not None:
        progress(files, size)


def temp_path(cache: Cache, tag: str, kind: str = "fetch") -> pathlib.Path:
    """A fresh name in the cache's tmp dir: what a download or a pack is written to first."""
    cache.tmp_dir.mkdir(parents=True, exist_ok=True)
    return cache.tmp_dir / f"{tag}.{secrets.token_hex(6)}.{kind}"


def unlink_quietly(path: pathlib.Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
