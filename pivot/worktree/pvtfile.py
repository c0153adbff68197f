"""The `.pvt` file: what `PATH.pvt` records of tracked data (its hash, size, file count and, for
imported data, where it came from), its canonical text, and reading it back from the workspace or
from a git revision. A damaged file is a `ConfigError` naming it.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from pivot import errors
from pivot.base import project, yamlio
from pivot.base.yamlio import yaml
from pivot.storage import hashing
from pivot.storage.hashing import HashInfo

PVT_SUFFIX = ".pvt"


@dataclasses.dataclass(frozen=True, slots=True)
class Source:
    """Where imported data came from, and how it was when it was fetched: a URL (`pivot
    import-url`), or a path in another project's git repository (`pivot import`)."""

    url: str
    # What `pivot update` compares: of a URL, a checksum of its listing (size, etag or mtime of
    # each file); of a repository, the commit the data was fetched at.
    checksum: str
    path: str | None = None  # in the repository at `url`: a repository import
    rev: str | None = None  # the branch, tag or commit asked for; None: the default branch

    @property
    def is_repo(self) -> bool:
        return self.path is not None


@dataclasses.dataclass(frozen=True, slots=True)
class Tracked:
    """One .pvt file and the data it names."""

    path: str  # project-relative path of the data
    pvt: str  # project-relative path of the .pvt file
    info: HashInfo
    source: Source | None = None  # imported data only


def pvt_of(path: str) -> str:
    return path + PVT_SUFFIX


def moved_source(source: Source | None, pvt: str, dest: str) -> Source | None:
    """`source` as the .pvt of `dest` records it: a local path relative to the old .pvt's
    directory (as `pivot import-url` and `pivot import` keep one) made relative to the new one."""
    url = source.url if source is not None else ""
    if source is None or "://" in url or posixpath.isabs(url) or re.match(r"[^/]*:", url):
        return source
    target = posixpath.normpath(posixpath.join(posixpath.dirname(pvt), url))
    return dataclasses.replace(source, url=posixpath.relpath(target, posixpath.dirname(dest) or "."))


def render(tracked: Tracked) -> str:
    """The canonical .pvt text: sorted keys `hash, nfiles (directories), path, size`, and
    `source: {checksum, path, rev, url}` for imported data (`path` and `rev` for a repository's)."""
    data: dict[str, Any] = {
        "hash": tracked.info.oid,
        "path": posixpath.basename(tracked.path),
        "size": tracked.info.size,
    }
    if tracked.info.nfiles is not None:
        data["nfiles"] = tracked.info.nfiles
    if tracked.source is not None:
        data["source"] = {"checksum": tracked.source.checksum, "url": tracked.source.url}
        if tracked.source.path is not None:
            data["source"]["path"] = tracked.source.path
        if tracked.source.rev is not None:
            data["source"]["rev"] = tracked.source.rev
    return yamlio.dump(data)


def read(proj: project.Project, pvt: str) -> Tracked:
    """Read a .pvt file (project-relative path); a damaged one is a `ConfigError` naming it."""
    try:
        blob = proj.abspath(pvt).read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # (a parent that is a file)
        raise errors.PathError(f"{pvt} does not exist") from None
    return parse(pvt, blob)


def parse(pvt: str, blob: bytes) -> Tracked:
    """A .pvt file's content (project-relative path `pvt`, as in the workspace or at a git
    revision); a damaged one is a `ConfigError` naming it."""
    try:
        data = yamlio.load(blob.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _damaged(pvt, f"not valid YAML ({type(exc).__name__})") from None
    if not isinstance(data, Mapping):
        raise _damaged(pvt, "expected a mapping with 'path', 'hash' and 'size'")
    name, oid, size, nfiles = data.get("path"), data.get("hash"), data.get("size"), data.get("nfiles")
    if not isinstance(name, str) or not name or not hashing.is_safe_relpath(name):
        raise _damaged(pvt, f"'path' must be a relative path next to the file, got {name!r}")
    if not isinstance(oid, str) or not hashing.is_valid_oid(oid):
        raise _damaged(pvt, f"'hash' is not a pivot object id: {oid!r}")
    if not isinstance(size, int) or not _is_count(size):
        raise _damaged(pvt, f"'size' must be a byte count, got {size!r}")
    if nfiles is not None and not _is_count(nfiles):
        raise _damaged(pvt, f"'nfiles' must be a file count, got {nfiles!r}")
    if nfiles is None and oid.endswith(hashing.DIR_SUFFIX):
        raise _damaged(pvt, "'nfiles' is missing for a directory")
    path = project.normalize(posixpath.join(posixpath.dirname(pvt), name), what=pvt)
    return Tracked(path, pvt, HashInfo(oid, size, nfiles), _source(pvt, data.get("source")))


def _source(pvt: str, data: object) -> Source | None:
    if data is None:
        return None
    fields = data if isinstance(data, Mapping) else {}
    url, checksum, path, rev = (fields.get(key) for key in ("url", "checksum", "path", "rev"))
    if not isinstance(url, str) or not url or not isinstance(checksum, str):
        raise _damaged(pvt, "'source' must be a mapping with 'url' and 'checksum' (data imported with pivot import or import-url)")
    if path is not None and (not isinstance(path, str) or not hashing.is_safe_relpath(path)):
        raise _damaged(pvt, f"'source.path' must be a path relative to the repository's root, got {path!r}")
    if rev is not None and (not isinstance(rev, str) or not rev or path is None):
        raise _damaged(pvt, f"'source.rev' must be a git revision of a repository import (with 'source.path'), got {rev!r}")
    return Source(url, checksum, path, rev)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _damaged(pvt: str, problem: str) -> errors.ConfigError:
    data = pvt[: -len(PVT_SUFFIX)] if pvt.endswith(PVT_SUFFIX) else pvt
    return errors.ConfigError(
        f"{pvt}: {problem}",
        hint=f"restore it from git (git checkout -- {pvt}), or track the data again: pivot track {data}",
    )
