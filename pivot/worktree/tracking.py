"""Tracked data (`pivot track PATH`): a raw input file or directory stored in the cache and named
by `PATH.pvt`, a small YAML file the user commits. Writing, finding and reading .pvt files, the
state of a tracked path, and restoring it from the cache.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import posixpath
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

import yaml

from pivot import errors
from pivot.base import atomic, git, project, yamlio
from pivot.declare.stage import Stage
from pivot.storage import hashing
from pivot.storage.hashing import HashInfo
from pivot.worktree.workspace import Workspace

PVT_SUFFIX = ".pvt"
# Never searched for .pvt files: pivot's and git's own state, virtualenvs, installed packages, caches.
_SKIP_DIRS = frozenset(
    {
        project.PIVOT_DIR,
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "site-packages",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)
# Paths that must never be git-ignored or replaced from the cache.
_RESERVED = (project.PIVOT_DIR, ".git", project.PIPELINE_FILE)


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


class State(enum.Enum):
    UNCHANGED = "unchanged"
    MODIFIED = "modified"
    MISSING = "missing"


class Restored(enum.Enum):
    """What `restore` did."""

    RESTORED = "restored"
    UNCHANGED = "unchanged"  # already as tracked
    KEPT = "kept"  # modified, not in the cache, and not forced: left alone


@dataclasses.dataclass(frozen=True, slots=True)
class TrackResult:
    """What `pivot track` did with one path."""

    tracked: Tracked
    previous: HashInfo | None  # what the .pvt recorded before; None when new (or unreadable)
    written: bool  # the .pvt was (re)written: the data changed, or the file was not canonical


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


# ---------------------------------------------------------------------- choosing what to track


def from_user(proj: project.Project, raw: str, cwd: str | None = None) -> str:
    """A path typed on the command line (relative to `cwd`) as a project-relative path."""
    hint = "move or copy the data into the project directory, then track it there"
    return project.from_user(proj.root, raw, cwd, what=f"pivot track {raw}", hint=hint)


def check_trackable(proj: project.Project, path: str, stages: Mapping[str, Stage], *, must_exist: bool = True) -> None:
    """Raise an `InputError` unless `path` may be tracked: it exists (unless not `must_exist`:
    data about to be imported there), belongs to no stage, pivot or git, and overlaps no other
    tracked path."""
    if any(project.is_within(path, reserved) for reserved in _RESERVED) or path.endswith(PVT_SUFFIX):
        raise errors.PathError(
            f"cannot track '{path}': it belongs to pivot or git", hint="track your data files and directories"
        )
    for name, stage in stages.items():
        for out in stage.out_paths:
            if project.overlaps(path, out):
                inside = "is" if path == out else "overlaps"
                raise errors.GraphError(
                    f"cannot track '{path}': it {inside} the output '{out}' of stage '{name}'"
                    + (f" ({stage.source})" if stage.source else ""),
                    hint=f"stage outputs are cached by 'pivot run' already; track only raw inputs "
                    f"(to share '{out}', use pivot push/pull)",
                )
    if must_exist and not os.path.exists(proj.abspath(path)):  # a dangling symlink has no data either
        raise errors.PathError(f"cannot track '{path}': no such file or directory", hint="check the path")
    parent = posixpath.dirname(path)
    owner = tracked_by(proj, parent) if parent else None  # its own .pvt may be damaged: not read
    if owner is not None:
        raise errors.PathError(
            f"cannot track '{path}': it lies inside '{owner.path}', tracked by {owner.pvt}",
            hint=f"track the whole directory again instead: pivot track {owner.path}",
        )
    if os.path.isdir(proj.abspath(path)):
        inner = next(_walk_pvt(proj, path), None)
        if inner is not None:
            raise errors.PathError(
                f"cannot track '{path}': it contains {inner}, which tracks part of it",
                hint=f"delete {inner} first (the data stays), then track '{path}'",
            )


def track(ws: Workspace, path: str, source: Source | None = None) -> TrackResult:
    """Hash `path`, add it to the cache and write its .pvt (only when the content changed);
    `source`: where it was imported from (data tracked again by hand has none).

    Call `check_trackable` first. Objects go in before the .pvt names them, so a crash leaves at
    worst an unreferenced object, never a .pvt naming something the cache lacks.
    """
    proj = ws.project
    pvt = pvt_of(path)
    previous = _read_quietly(proj, pvt)
    hashed = ws.hasher.hash_path(proj.abspath(path))
    ws.cache.add(proj.abspath(path), hashed)
    tracked = Tracked(path, pvt, hashed.info, source)
    text = render(tracked)
    target = proj.abspath(pvt)
    try:
        current = target.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        current = None
    if current != text:
        atomic.write_text(target, text)
    return TrackResult(tracked, previous.info if previous else None, written=current != text)


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


# ---------------------------------------------------------------------- reading


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


def _read_quietly(proj: project.Project, pvt: str) -> Tracked | None:
    """The .pvt's record, or None if it is absent or damaged (it is about to be rewritten)."""
    try:
        return read(proj, pvt)
    except errors.InputError:
        return None


def find(proj: project.Project, *, skip: Collection[str] = ()) -> list[Tracked]:
    """Every tracked path of the project, by path; `skip`: project-relative dirs not to search."""
    return sorted((read(proj, pvt) for pvt in _walk_pvt(proj, "", skip)), key=_by_path)


def _by_path(tracked: Tracked) -> str:
    return tracked.path


def _walk_pvt(proj: project.Project, start: str, skip: Collection[str] = ()) -> Iterator[str]:
    """Project-relative .pvt files under `start` ("" for the root), not entering tracked dirs."""
    root = os.fspath(proj.root)
    skipped = set(skip)
    for directory, dirnames, filenames in os.walk(os.path.join(root, start) if start else root):
        rel = os.path.relpath(directory, root).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        found = sorted(name for name in filenames if name.endswith(PVT_SUFFIX))
        # Tracked directories hold data, not .pvt files: not entering them keeps the walk short.
        tracked_dirs = {name[: -len(PVT_SUFFIX)] for name in found}
        dirnames[:] = [
            name
            for name in dirnames
            if name not in _SKIP_DIRS
            and name not in tracked_dirs
            and prefix + name not in skipped
            and not os.path.isfile(os.path.join(directory, name, "pyvenv.cfg"))
        ]
        yield from (prefix + name for name in found)


def tracked_by(proj: project.Project, path: str) -> Tracked | None:
    """The tracked path that is `path` or contains it, found by looking for .pvt files beside
    `path` and its parents: a few stat calls, no walk."""
    parts = path.split("/")
    for end in range(len(parts), 0, -1):
        candidate = "/".join(parts[:end])
        pvt = pvt_of(candidate)
        if os.path.isfile(proj.abspath(pvt)):
            tracked = read(proj, pvt)
            if project.is_within(path, tracked.path):
                return tracked
    return None


def check_outputs(proj: project.Project, stages: Mapping[str, Stage]) -> None:
    """A stage output must not be tracked data: `pivot run` would overwrite it."""
    for name, stage in stages.items():
        for out in stage.out_paths:
            tracked = tracked_by(proj, out)
            if tracked is not None:
                where = f"{stage.source}: " if stage.source else ""
                raise errors.GraphError(
                    f"{where}output '{out}' of stage '{name}' is tracked data ({tracked.pvt})",
                    hint=f"a path is either tracked or produced by a stage: delete {tracked.pvt} "
                    "(the data stays) or write the output elsewhere",
                )


def is_source(proj: project.Project, path: str) -> bool:
    """Whether a dep no stage produces is declared data even when absent: it, or a directory
    holding it, is tracked. `pivot checkout` (from the cache) or `pivot pull` brings it back."""
    return tracked_by(proj, path) is not None


# ---------------------------------------------------------------------- state and restore


def states(
    ws: Workspace, *, deps: Collection[str] | None = None, skip: Collection[str] = ()
) -> list[tuple[Tracked, State]]:
    """Every tracked path with its state; with `deps`, only those overlapping one of them."""
    found = find(ws.project, skip=skip)
    if deps is not None:
        found = [t for t in found if any(project.overlaps(dep, t.path) for dep in deps)]
    return [(tracked, state(ws, tracked)) for tracked in found]


def state(ws: Workspace, tracked: Tracked) -> State:
    current = _current(ws, tracked.path)
    if current is None:
        return State.MISSING
    return State.UNCHANGED if current.oid == tracked.info.oid else State.MODIFIED


def _current(ws: Workspace, path: str) -> HashInfo | None:
    try:
        info: HashInfo = ws.hasher.hash_path(ws.project.abspath(path)).info
        return info
    except (FileNotFoundError, NotADirectoryError):
        return None
    except errors.PathError:  # a socket or FIFO where the data was: something else is there
        return HashInfo("", 0)


def restore(ws: Workspace, tracked: Tracked, force: bool) -> Restored:
    """Bring a tracked path back to its recorded content from the cache.

    Modified data is replaced only when `force` is set or its current content is in the cache
    (so nothing is lost); otherwise it is kept. A missing object raises `CacheError`.
    """
    current = _current(ws, tracked.path)
    if current is not None and current.oid == tracked.info.oid:
        return Restored.UNCHANGED
    if current is not None and not force and not (current.oid and ws.cache.is_complete(current.oid)):
        return Restored.KEPT
    ws.cache.checkout(tracked.info.oid, ws.project.abspath(tracked.path), ws.hasher)
    return Restored.RESTORED


# ---------------------------------------------------------------------- git


def committed_to_git(proj: project.Project, path: str) -> bool:
    """Whether git already tracks `path` (or files in it): then git and pivot would both hold it."""
    return git.tracks(proj.root, path)
