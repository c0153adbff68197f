"""Locks written before the current fingerprint scheme, compared once under their own scheme.

Upgrading pivot must not re-run a project. A lock that records an older scheme (`canonical`) is
compared with the stage's code hashed the old way; every part that matches is carried over to its
current hash, so an unchanged stage is up to date and a changed one still names exactly the parts
that changed. `pivot run` then writes the carried-over lock (`commit.record_scheme`), and from the
next run on the comparison is direct.
"""

from __future__ import annotations

import dataclasses

from pivot.base import importing
from pivot.code import canonical, fingerprint
from pivot.declare.stage import Stage
from pivot.storage.lock import StageLock


def current(stage: Stage, lock: StageLock | None, code: fingerprint.Fingerprint, root: str) -> StageLock | None:
    """`lock` with its code section in `code`'s scheme; unchanged when it already is, or when its
    scheme is unknown (then the code counts as changed, the safe side)."""
    if lock is None or lock.code_scheme == code.scheme or lock.code_scheme != canonical.LEGACY_SCHEME:
        return lock
    old = _legacy(stage, root)
    if old is None:
        return lock
    manifest = {
        name: code.manifest[name] if name in code.manifest and old.manifest.get(name) == digest else digest
        for name, digest in lock.code_manifest.items()
    }
    digest = code.digest if manifest == dict(code.manifest) else fingerprint.combine(manifest)
    return dataclasses.replace(lock, code_fingerprint=digest, code_manifest=manifest, code_scheme=code.scheme)


def carried_over(before: StageLock | None, after: StageLock | None) -> bool:
    """Whether `current` changed the lock: a run that skips the stage writes it."""
    return before is not None and after is not None and before.code_scheme != after.code_scheme


def _legacy(stage: Stage, root: str) -> fingerprint.Fingerprint | None:
    try:
        func = importing.import_object(stage.func)
    except Exception:  # it no longer imports: the stage fails when it runs, with the real error
        return None
    return fingerprint.of(func, relative_to=root, scheme=canonical.LEGACY_SCHEME)
