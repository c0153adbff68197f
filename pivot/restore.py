"""Restoring outputs and tracked files from the cache as the lock and .pvt files record them,
without losing an edit the cache does not hold."""

from __future__ import annotations

import dataclasses
import enum
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


class OutputState(enum.Enum):
    """A workspace file against the version its lock (or .pvt) records."""

    CURRENT = "current"
    MISSING = "missing"
    REPLACEABLE = "replaceable"  # differs, but the cache holds what is there: replacing it loses nothing
    EDITED = "edited"  # differs, and the cache does not hold what is there: the user's own bytes


def classify(ws: Workspace, locked_oid: str, current_oid: str | None) -> OutputState:
    """The one judgement `pivot run` (through observe) and `pivot checkout` share, so neither
    overwrites a hand edit the other would keep."""
    if current_oid is None:
        return OutputState.MISSING
    if current_oid == locked_oid:
        return OutputState.CURRENT
    return OutputState.REPLACEABLE if ws.cache.is_complete(current_oid) else OutputState.EDITED


def edited_note(path: str) -> str:
    """The one wording for an edited output; each command adds what it does about it."""
    return f"{path} was edited by hand (its content is not in the cache)"


def checkout(ws: Workspace, refs: Sequence[references.Reference], *, force: bool) -> CheckoutResult:
    restored, current, problems = 0, 0, []
    for ref in refs:
        path = ws.project.abspath(ref.path)
        state = classify(ws, ref.oid, _current_oid(ws, ref.path))
        if state is OutputState.CURRENT:
            current += 1
            continue
        if not ws.cache.is_complete(ref.oid):
            problems.append(f"{ref.path}: not in the local cache (pivot fetch, or run {ref.source})")
            continue
        if state is OutputState.EDITED and not force:
            problems.append(
                f"{edited_note(ref.path)}: kept; 'pivot checkout -f' overwrites it with the version the "
                "lock records (save a copy first if you need it)"
            )
            continue
        try:
            ws.cache.checkout(ref.oid, path, ws.hasher)
        except errors.CacheError as exc:
            problems.append(f"{ref.path}: {exc.message}")
            continue
        restored += 1
    return CheckoutResult(restored, current, tuple(problems))


def _current_oid(ws: Workspace, path: str) -> str | None:
    target = ws.project.abspath(path)
    if not os.path.lexists(target):
        return None
    try:
        return ws.hasher.hash_path(target).info.oid
    except (OSError, errors.PivotError):
        return None
