"""Restoring outputs and tracked files from the cache as the lock and .pvt files record them,
without losing an edit the cache does not hold."""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Sequence

from pivot import errors, references
from pivot.workspace import Workspace


@dataclasses.dataclass(frozen=True, slots=True)
class CheckoutResult:
    restored: int
    current: int  # already as recorded
    problems: tuple[str, ...]  # "path: what is wrong (and what to do)"

    @property
    def ok(self) -> bool:
        return not self.problems


def checkout(ws: Workspace, refs: Sequence[references.Reference], *, force: bool) -> CheckoutResult:
    restored, current, problems = 0, 0, []
    for ref in refs:
        path = ws.project.abspath(ref.path)
        now = _current_oid(ws, ref.path)
        if now == ref.oid:
            current += 1
            continue
        if not ws.cache.intact(ref.oid, ws.hasher):
            problems.append(_unavailable(ws, ref, path))
            continue
        if now is not None and not force and not ws.cache.is_complete(now):
            problems.append(f"{ref.path}: differs from the lock and is not in the cache (use -f to overwrite it)")
            continue
        try:
            ws.cache.checkout(ref.oid, path, ws.hasher)
        except errors.CacheError as exc:
            problems.append(f"{ref.path}: {exc.message}")
            continue
        restored += 1
    return CheckoutResult(restored, current, tuple(problems))


def _remake(ref: references.Reference) -> str:
    """A command that makes the object again, as the user types it (not the internal source tag)."""
    kind, _, name = ref.source.partition(":")
    if kind == "stage":
        return f"rerun its stage: 'pivot run -f {name}'"
    return f"track it again: 'pivot track {ref.path}'"


def _unavailable(ws: Workspace, ref: references.Reference, path: os.PathLike[str]) -> str:
    """Why `ref` cannot be restored; a damaged object (an edit written through a hardlink or
    symlink of the output) is removed, the edited workspace file kept as a plain file."""
    if not ws.cache.exists(ref.oid):
        return f"{ref.path}: not in the local cache (run 'pivot pull', or {_remake(ref)})"
    _drop(ws, ref.oid, path)
    kept = " and your edited file kept" if os.path.lexists(path) else ""
    return (
        f"{ref.path}: its cached copy was modified in place through a hardlink or symlink and no "
        f"longer matches its hash; it was removed from the cache{kept} "
        f"({_remake(ref)} to store the output anew, or run 'pivot pull')"
    )


def drop_damaged(ws: Workspace, refs: Sequence[references.Reference]) -> tuple[str, ...]:
    """Before a fetch: remove the objects of changed outputs that no longer match their hash (an
    edit written through a hardlink or symlink), keeping the edited files, so that the fetch
    downloads them again. Returns the paths whose objects were removed."""
    dropped = []
    for ref in refs:
        if not ws.cache.exists(ref.oid) or _current_oid(ws, ref.path) == ref.oid:
            continue
        if not ws.cache.intact(ref.oid, ws.hasher):
            _drop(ws, ref.oid, ws.project.abspath(ref.path))
            dropped.append(ref.path)
    return tuple(dropped)


def _drop(ws: Workspace, oid: str, path: os.PathLike[str]) -> None:
    ws.cache.detach(pathlib.Path(path))  # a symlink into the object becomes a plain file first
    ws.cache.drop_damaged(oid, ws.hasher)


def _current_oid(ws: Workspace, path: str) -> str | None:
    target = ws.project.abspath(path)
    if not os.path.lexists(target):
        return None
    try:
        return ws.hasher.hash_path(target).info.oid
    except (OSError, errors.PivotError):
        return None
