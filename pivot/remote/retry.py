"""How requests to a remote are made: each one retried on transient errors, and what still fails
mapped to a `RemoteUnavailable` naming the remote, with the backend's own message and never a
credential (`pivot.remote.failures`); and many at once on a few threads (`parallel_map`).
Knows nothing of fsspec: `pivot.remote.fs` hands it the filesystem's bound methods."""

from __future__ import annotations

import concurrent.futures
import random
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pivot import errors
from pivot.remote import failures
from pivot.remote.spec import RemoteSpec

T = TypeVar("T")
R = TypeVar("R")

# Per request: one retry. s3fs (botocore) and gcsfs already retry throttling, 5xx and dropped
# connections several times with backoff; this layer covers what they let through (a pooled
# connection a restarted server closed, backends without retries) without multiplying theirs.
ATTEMPTS = 2
_BACKOFF_SECONDS = 0.25  # before retry n (0-based): 0.25 * 4**n, jittered


class RemoteUnavailable(errors.TransferError):
    """The remote itself failed (network, server, credentials, bucket), not just one object:
    the next request will most likely fail the same way."""


class NotFound(Exception):
    """Internal to pivot.remote: the object (or the listed directory) does not exist."""


def call(
    spec: RemoteSpec, attempts: int, what: str, function: Callable[..., R], /, *args: Any, not_found: type[Exception] | None = None, **kwargs: Any
) -> R:
    """`function(*args)`, retried on transient errors; failures become `RemoteUnavailable`
    (or `not_found`, for a missing object, when the caller can handle that)."""
    for attempt in range(attempts):
        try:
            return function(*args, **kwargs)
        except Exception as exc:  # backends raise anything: OSError, botocore, aiohttp...
            if isinstance(exc, errors.DiskFullError):
                raise
            if not_found is not None and isinstance(exc, FileNotFoundError):
                raise not_found() from None
            if attempt + 1 == attempts or not failures.is_transient(exc):
                message = f"remote '{spec.name}': cannot {what}: {failures.describe(exc, spec.options, spec.url)}"
                raise RemoteUnavailable(message, hint=failures.hint(exc, spec.name)) from None
        time.sleep(_BACKOFF_SECONDS * 4**attempt * random.uniform(0.5, 1.0))
    raise AssertionError("unreachable")


def parallel_map(function: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R]:
    """`[function(item) ...]` on up to `jobs` threads; the first error cancels what has not started."""
    if jobs <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(jobs, len(items)), thread_name_prefix="pivot-remote")
    try:
        futures = [pool.submit(function, item) for item in items]
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
