"""What differs between a stage's lock and the facts now, path by path, param by param and
function by function: the changes `pivot.decide.status` decides on and `explain` lists."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pivot.base import plain

if TYPE_CHECKING:
    from pivot.code.fingerprint import Fingerprint
    from pivot.decide.status import Facts
    from pivot.declare.stage import Stage
    from pivot.storage.hashing import HashInfo
    from pivot.storage.lock import StageLock


class Change(enum.Enum):
    MODIFIED = "modified"
    ADDED = "added"
    REMOVED = "removed"
    MISSING = "missing"
    # Its cached copy no longer matches its hash either: written through a hardlink or symlink.
    EDITED_IN_CACHE = "modified in place through its link into the cache (the cached copy is damaged)"
    EDITED = "edited"  # an output whose content is a hand edit the cache does not hold


@dataclasses.dataclass(frozen=True, slots=True)
class ParamChange:
    """A param added, removed or changed since the lock."""

    key: str
    old: Any  # None when added
    new: Any  # None when removed
    change: Change


@dataclasses.dataclass(frozen=True, slots=True)
class PathChange:
    """A dependency or output that differs from what the lock records."""

    path: str
    change: Change


@dataclasses.dataclass(frozen=True, slots=True)
class CodeChange:
    """A function or class the stage reaches whose source changed since the lock."""

    name: str  # module.qualname
    location: str  # file.py:line, for the reader
    change: Change


def code_changes(lock: StageLock, fingerprint: Fingerprint) -> tuple[CodeChange, ...]:
    old, new = lock.code_manifest, fingerprint.manifest
    changes = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        change = Change.ADDED if name not in old else Change.REMOVED if name not in new else Change.MODIFIED
        changes.append(CodeChange(name, fingerprint.locations.get(name, ""), change))
    return tuple(changes)


def param_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[ParamChange, ...]:
    changes = []
    for key in [*new, *(k for k in old if k not in new)]:
        if key not in old:
            changes.append(ParamChange(key, None, new[key], Change.ADDED))
        elif key not in new:
            changes.append(ParamChange(key, old[key], None, Change.REMOVED))
        elif not plain.same(old[key], new[key]):  # a NaN param is unchanged, not changed on every run
            changes.append(ParamChange(key, old[key], new[key], Change.MODIFIED))
    return tuple(changes)


def dep_changes(old: Mapping[str, HashInfo], facts: Facts) -> tuple[PathChange, ...]:
    changes = []
    for path in sorted(set(old) | set(facts.deps)):
        if path in facts.unknown_deps:
            continue
        if path not in facts.deps:
            changes.append(PathChange(path, Change.REMOVED))
        elif path not in old:
            changes.append(PathChange(path, Change.ADDED))
        elif (current := facts.deps[path]) is None:
            changes.append(PathChange(path, Change.MISSING))
        elif current.oid != old[path].oid:
            changes.append(PathChange(path, Change.MODIFIED))
    return tuple(changes)


def declarations_changed(stage: Stage, lock: StageLock) -> bool:
    cached = {out.path for out in stage.outs if out.cache}
    tracked = {out.path for out in stage.outs if not out.cache and not out.temp}
    return cached != set(lock.cached) or tracked != set(lock.uncached)


def out_changes(
    stage: Stage, lock: StageLock, facts: Facts
) -> tuple[tuple[PathChange, ...], tuple[str, ...]]:
    changes, restore = [], []
    for out in stage.outs:
        locked, current = lock.output(out.path), facts.outs.get(out.path)
        if locked is not None and current is not None and current.oid == locked.oid:
            continue
        if out.temp and locked is not None and current is None:  # removed once used: as the lock says
            continue
        if out.path in facts.edited and out.path not in facts.damaged:
            changes.append(PathChange(out.path, Change.EDITED))
        elif out.path in facts.restorable:
            restore.append(out.path)
        else:
            changes.append(PathChange(out.path, changed(out.path, facts)))
    return tuple(changes), tuple(restore)


def changed(path: str, facts: Facts) -> Change:
    """How an output that is neither current, edited by hand, nor restorable has changed."""
    if facts.outs.get(path) is None:
        return Change.MISSING
    return Change.EDITED_IN_CACHE if path in facts.damaged else Change.MODIFIED
