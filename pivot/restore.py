"""Restoring outputs and tracked files from the cache as the lock and .pvt files record them,
without losing an edit the cache does not hold."""

from __future__ import annotations

import dataclasses
import os
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
        if not ws.cache.is_complete(ref.oid):
            problems.append(f"{ref.path}: not in the local cache (run 'pivot pull', or {_remake(ref)})")
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


def _current_oid(ws: Workspace, path: str) -> str | None:
    target = ws.project.abspath(path)
    if not os.path.lexists(target):
        return None
    try:
        return ws.hasher.hash_path(target).info.oid
    except (OSError, errors.PivotError):
        return None
