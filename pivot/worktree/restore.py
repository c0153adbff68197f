"""Restoring outputs and tracked files from the cache as the lock and .pvt files record them,
without losing an edit the cache does not hold."""

from __future__ import annotations

import dataclasses
import enum
import os
import pathlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pivot import errors
from pivot.storage.hashing import Hashed
from pivot.worktree.workspace import Workspace

if TYPE_CHECKING:
    from pivot.base import project
    from pivot.worktree import references


@dataclasses.dataclass(frozen=True, slots=True)
class CheckoutResult:
    """What `pivot checkout` restored, found already in place, or could not restore."""

    restored: int
    current: int  # already as recorded
    problems: tuple[str, ...]  # "path: what is wrong (and what to do)"

    @property
    def ok(self) -> bool:
        return not self.problems


class OutputState(enum.Enum):
    """A workspace file against the version its lock (or .pvt) records."""

    CURRENT = "current"
    MISSING = "missing"
    REPLACEABLE = "replaceable"  # differs, but the cache holds what is there: replacing it loses nothing
    EDITED = "edited"  # differs, and the cache does not hold what is there: the user's own bytes


def classify(ws: Workspace, locked_oid: str, current: Hashed | None) -> OutputState:
    """The one judgement `pivot run` (through observe) and `pivot checkout` share, so neither
    overwrites a hand edit the other would keep. A directory counts file by file: one with a
    file deleted loses nothing when restored; one with a new or changed file does."""
    if current is None:
        return OutputState.MISSING
    if current.info.oid == locked_oid:
        return OutputState.CURRENT
    entries = current.entries
    held = ws.cache.exists(current.info.oid) if entries is None else all(ws.cache.exists(e.oid) for e in entries)
    return OutputState.REPLACEABLE if held else OutputState.EDITED


def edited_note(path: str) -> str:
    """The one wording for an edited output; each command adds what it does about it."""
    return f"{path} was edited by hand (its content is not in the cache)"


def checkout(ws: Workspace, refs: Sequence[references.Reference], *, force: bool, relink: bool = False) -> CheckoutResult:
    """Restore each of `refs` that is not as recorded; `relink` places the current ones again
    too, with the cache's link types as configured now (after `cache.type` changed)."""
    restored, current, problems = 0, 0, []
    for ref in refs:
        path = ws.project.abspath(ref.path)
        state = classify(ws, ref.oid, hash_now(ws, ref.path))
        if state is OutputState.CURRENT and not relink:
            current += 1
            continue
        if not ws.cache.intact(ref.oid, ws.hasher):
            problems.append(_unavailable(ws, ref, path))
            continue
        if state is OutputState.EDITED and not force:
            problems.append(
                f"{edited_note(ref.path)}: kept; 'pivot checkout -f' overwrites it with the version the "
                "lock records (save a copy first if you need it)"
            )
            continue
        try:
            ws.cache.checkout(ref.oid, path, ws.hasher, relink=relink and state is OutputState.CURRENT)
        except errors.CacheError as exc:
            problems.append(f"{ref.path}: {exc.message}")
            continue
        restored += 1
    return CheckoutResult(restored, current, tuple(problems))


def _remake(ref: references.Reference, proj: project.Project) -> str:
    """A command that makes the object again, as the user types it (not the internal source tag)."""
    kind, _, name = ref.source.partition(":")
    if kind == "stage":
        return f"rerun its stage: 'pivot run -f {name}'"
    if _imported(proj, name):
        return f"fetch it from its source: 'pivot update {ref.path}'"
    return f"track it again: 'pivot track {ref.path}'"


def _imported(proj: project.Project, pvt: str) -> bool:
    from pivot.worktree import tracking

    try:
        return tracking.read(proj, pvt).source is not None
    except errors.InputError:
        return False


def _unavailable(ws: Workspace, ref: references.Reference, path: os.PathLike[str]) -> str:
    """Why `ref` cannot be restored; a damaged object (an edit written through a hardlink or
    symlink of the output) is removed, the edited workspace file kept as a plain file."""
    if not ws.cache.exists(ref.oid):
        return f"{ref.path}: not in the local cache (run 'pivot pull', or {_remake(ref, ws.project)})"
    _drop(ws, ref.oid, path)
    kept = " and your edited file kept" if os.path.lexists(path) else ""
    return (
        f"{ref.path}: its cached copy was modified in place through a hardlink or symlink and no "
        f"longer matches its hash; it was removed from the cache{kept} "
        f"({_remake(ref, ws.project)} to store the output anew, or run 'pivot pull')"
    )


def drop_damaged(ws: Workspace, refs: Sequence[references.Reference]) -> tuple[str, ...]:
    """Before a fetch: remove the objects of changed outputs that no longer match their hash (an
    edit written through a hardlink or symlink), keeping the edited files, so that the fetch
    downloads them again. Returns the paths whose objects were removed."""
    dropped = []
    for ref in refs:
        if not ws.cache.exists(ref.oid) or classify(ws, ref.oid, hash_now(ws, ref.path)) is OutputState.CURRENT:
            continue
        if not ws.cache.intact(ref.oid, ws.hasher):
            _drop(ws, ref.oid, ws.project.abspath(ref.path))
            dropped.append(ref.path)
    return tuple(dropped)


def _drop(ws: Workspace, oid: str, path: os.PathLike[str]) -> None:
    ws.cache.detach(pathlib.Path(path))  # a symlink into the object becomes a plain file first
    ws.cache.drop_damaged(oid, ws.hasher)


def hash_now(ws: Workspace, path: str) -> Hashed | None:
    """The workspace path hashed as it is now; None when it is absent or cannot be read."""
    target = ws.project.abspath(path)
    if not os.path.lexists(target):
        return None
    try:
        return ws.hasher.hash_path(target)
    except (OSError, errors.PivotError):
        return None
