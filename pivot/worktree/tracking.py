"""Tracked data (`pivot track PATH`): a raw input file or directory stored in the cache and named
by `PATH.pvt`, a small YAML file the user commits (its format: pivot.worktree.pvtfile, whose names
this module hands on). Writing and finding .pvt files, the state of a tracked path, and restoring
it from the cache.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import posixpath
from collections.abc import Collection, Iterator, Mapping

from pivot import errors
from pivot.base import atomic, git, project
from pivot.declare.stage import Stage
from pivot.storage.hashing import HashInfo

# The .pvt format's names, handed on: callers reach them here, as they always have.
from pivot.worktree.pvtfile import PVT_SUFFIX as PVT_SUFFIX
from pivot.worktree.pvtfile import Source as Source
from pivot.worktree.pvtfile import Tracked as Tracked
from pivot.worktree.pvtfile import parse as parse
from pivot.worktree.pvtfile import pvt_of as pvt_of
from pivot.worktree.pvtfile import read as read
from pivot.worktree.pvtfile import render as render
from pivot.worktree.workspace import Workspace

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


# ---------------------------------------------------------------------- reading


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
