"""Data outside the project, read through the storage library for `pivot import-url`, `update`
and `ls-url` (`pivot.api.imports`): what is at a URL, a checksum of it, and a download.

Any URL fsspec reads: s3://, gs:// (with gcsfs), https://, a local path. Credentials and an
endpoint come from the environment (`AWS_*`, `AWS_ENDPOINT_URL`, `GOOGLE_APPLICATION_CREDENTIALS`),
as for any tool using the library. Each call gets a client of its own that never answers from an
earlier listing, and every failure of the library or the network becomes a `TransferError`.
With `pivot.remote.fs` (the cache remote), the only module importing fsspec.
"""

from __future__ import annotations

import os
import pathlib
import posixpath
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import fsspec
import fsspec.utils

from pivot import errors
from pivot.base import diskfull
from pivot.remote import failures
from pivot.remote.fs import LISTING_CACHES

R = TypeVar("R")

def checksum(url: str, options: Mapping[str, Any] | None = None) -> str:
    """What the file or directory at `url` is now, as one string: each file's name under it, its
    size and its etag (object stores, HTTP) or modification time (a filesystem). Credentials come
    from `options` (a remote's, for `remote://NAME/...`), else the environment, as for any tool
    using the storage library."""
    fs, path = _source_fs(url, options)
    entries: Mapping[str, Mapping[str, Any]] = _at_source(url, lambda: _entries(fs, path))
    if not entries:
        raise errors.PathError(f"{_shown(url)}: an empty directory", hint="import a file, or a directory that holds some")
    listing = sorted((str(name)[len(path) :], _version(info)) for name, info in entries.items())
    return str(fsspec.utils.tokenize(listing))


def listing(url: str, *, recursive: bool = False, options: Mapping[str, Any] | None = None) -> list[tuple[str, int | None, bool]]:
    """What is at `url`: (name relative to it, size, is a directory) for each entry, every file
    below it with `recursive`; a file lists itself under its own name."""
    fs, path = _source_fs(url, options)

    def listed() -> list[tuple[str, int | None, bool]]:
        if not _is_dir(fs, path):
            return [(posixpath.basename(path.rstrip("/")), fs.info(path).get("size"), False)]
        found = fs.find(path, detail=True, withdirs=False) if recursive else {i["name"]: i for i in fs.ls(path, detail=True)}
        base = path.rstrip("/") + "/"
        return sorted(
            (str(name)[len(base) :] if str(name).startswith(base) else str(name), info.get("size"), info.get("type") == "directory")
            for name, info in found.items()
            if str(name).rstrip("/") != path.rstrip("/")
        )

    return _at_source(url, listed)


def fetch(url: str, dest: pathlib.Path, options: Mapping[str, Any] | None = None) -> None:
    """Download the file or directory at `url` to `dest`, which must not exist."""
    fs, path = _source_fs(url, options)
    _at_source(url, lambda: fs.get(path, os.fspath(dest), recursive=_is_dir(fs, path)), dest)


def _entries(fs: Any, path: str) -> Mapping[str, Mapping[str, Any]]:
    if _is_dir(fs, path):
        found: Mapping[str, Mapping[str, Any]] = fs.find(path, detail=True, withdirs=False)
        return found
    return {path: fs.info(path)}


def _is_dir(fs: Any, path: str) -> bool:
    """From one metadata request: `isdir` on HTTP would download the whole file to look for links."""
    return bool(fs.info(path).get("type") == "directory")


def _at_source(url: str, call: Callable[[], R], dest: pathlib.Path | None = None) -> R:
    """`call()`, its failure told as the source's: missing, the disk full, or what the storage
    library or the network said (never its traceback)."""
    try:
        return call()
    except FileNotFoundError:
        raise errors.PathError(f"{_shown(url)}: there is nothing there", hint="check the URL (pivot import-url URL [PATH])") from None
    except OSError as exc:
        if dest is not None and diskfull.is_full(exc):
            raise diskfull.from_os_error(exc, near=dest) from None
        raise errors.TransferError(f"{_shown(url)}: {exc.strerror or exc}", hint=_SOURCE_HINT) from None
    except Exception as exc:  # the storage library's own errors (aiohttp, botocore): this is its boundary
        raise errors.TransferError(f"{_shown(url)}: {failures.describe(exc, {}, url)}", hint=_SOURCE_HINT) from None


_SOURCE_HINT = "check the URL, the network and the credentials in the environment, then run the command again"


def _source_fs(url: str, given: Mapping[str, Any] | None = None) -> tuple[Any, str]:
    # A fresh client that never answers from an earlier listing: `update` must see the source now,
    # also in a long-lived process (the library) that imported it before.
    options: dict[str, Any] = {**(given or {}), "skip_instance_cache": True}
    if url.partition("://")[0] in LISTING_CACHES:
        options["use_listings_cache"] = False
    try:
        found: tuple[Any, str] = fsspec.core.url_to_fs(url, **options)
        return found
    except ImportError as exc:
        raise errors.ConfigError(
            f"{_shown(url)} needs a package that is not installed: {exc.name or exc}", hint="pip install 'pivot[gcs]' for gs://; s3fs comes with pivot"
        ) from None
    except (ValueError, TypeError) as exc:
        raise errors.InputError(f"{_shown(url)}: not a URL pivot can read ({exc})", hint="use s3://, gs://, https:// or a local path") from None


def _version(info: Mapping[str, Any]) -> tuple[Any, str]:
    """A file's size and what changes whenever its content does, as the store reports it."""
    for key in ("ETag", "etag", "md5Hash", "crc32c", "mtime", "LastModified", "Last-Modified", "last_modified", "updated"):
        if info.get(key) is not None:
            return info.get("size"), f"{key}={info[key]}"
    return info.get("size"), ""


def _shown(url: str) -> str:
    """The URL without a password in it."""
    head, sep, rest = url.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        return f"{head}://***@{rest.split('@', 1)[1]}"
    return url
