"""Restoring outputs and tracked files from the cache as the lock and .pvt files record them,
without losing an edit the cache does not hold."""

from __future__ import annotations

import dataclasses
import enum
import os
from collections.abc import Sequence

from pivot import errors, references
from pivot.storage.hashing import Hashed
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


def classify(ws: Workspace, locked_oid: str, current: Hashed | None) -> OutputState:
    """The one judgement `pivot run` (through observe) and `pivot checkout` share, so neither
    overwrites a hand edit the other would keep. A directory counts file by file: one with a
    file deleted loses nothing when restored; one with a new or changed file does."""
    if current is None:
        return OutputState.MISSING
    if current.info.oid == locked_oid:
        return OutputState.CURRENT
    if current.entries is None:
        held = ws.cache.exists(current.info.oid)
    else:
        held = all(ws.cache.exists(entry.oid) for entry in current.entries)
    return OutputState.REPLACEABLE if held else OutputState.EDITED


def edited_note(path: str) -> str:
    """The one wording for an edited output; each command adds what it does about it."""
    return f"{path} was edited by hand (its content is not in the cache)"


def checkout(ws: Workspace, refs: Sequence[references.Reference], *, force: bool) -> CheckoutResult:
    restored, current, problems = 0, 0, []
    for ref in refs:
        path = ws.project.abspath(ref.path)
        state = classify(ws, ref.oid, _current(ws, ref.path))
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


def _current(ws: Workspace, path: str) -> Hashed | None:
    target = ws.project.abspath(path)
    if not os.path.lexists(target):
        return None
    try:
        return ws.hasher.hash_path(target)
    except (OSError, errors.PivotError):
        return None
