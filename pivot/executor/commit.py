"""The only writer of lock files: hash a finished stage's outputs, cache them, then write the lock.

The order is fixed (outputs written -> hashed -> cached -> run-cache entry -> lock written last,
atomically), so a crash at any point leaves the previous lock and the stage simply runs again.
It is handed what the decision was based on (`Basis`) and never looks at the facts itself.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Iterable, Mapping
from typing import Any

from pivot import errors
from pivot.code import canonical
from pivot.declare.stage import Stage
from pivot.executor import incremental, outshapes
from pivot.executor.task import Produced
from pivot.storage import lock as lock_mod
from pivot.storage.hashing import HashInfo
from pivot.storage.lock import LockedOutput, StageLock
from pivot.storage.runcache import RunEntry
from pivot.worktree.workspace import Workspace


@dataclasses.dataclass(frozen=True, slots=True)
class Basis:
    """What a stage's run was decided on: the lock records it beside the outputs, and the run
    cache keys the outputs by `run_inputs` (None: not keyable, nothing is recorded)."""

    code_fingerprint: str
    code_manifest: Mapping[str, str]
    params: Mapping[str, Any]
    deps: Mapping[str, HashInfo]  # present deps only
    run_inputs: Mapping[str, Any] | None
    code_scheme: int = canonical.SCHEME


def clear_outputs(ws: Workspace, stage: Stage, damaged: Iterable[str], lock: StageLock | None = None) -> None:
    """Remove old outputs before a run, so nothing stale survives in an output directory and a
    link into the cache is never written through; and the cache objects an edit through such a
    link damaged (`damaged`), so the run stores them anew rather than linking outputs to them.
    Incremental outputs stay, as private copies: the stage builds on them."""
    for oid in damaged:
        ws.cache.drop_damaged(oid, ws.hasher)
    clear_paths(ws.project.root, outshapes.cleared_before_run(stage))
    if any(out.incremental for out in stage.outs):
        incremental.prepare(ws, stage, lock)


def clear_paths(root: pathlib.Path, paths: Iterable[str]) -> None:
    for path in paths:
        target = root / path
        if target.is_dir() and not target.is_symlink():
            import shutil  # on first use: shutil imports bz2 and lzma (2 ms of every run's start)

            shutil.rmtree(target)
        elif os.path.lexists(target):
            target.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)


def prepare(ws: Workspace, run_inputs: Iterable[Mapping[str, Any] | None]) -> None:
    """While stages run: the directories their commits will write into (the cache's, and the
    run-cache entry's of each of `run_inputs`, as `Basis.run_inputs`), made now rather than on
    the path of the run's end."""
    ws.cache.prepare()
    for inputs in run_inputs:
        if inputs is not None:
            ws.run_cache.prepare(inputs)


def commit(ws: Workspace, stage: Stage, basis: Basis) -> StageLock:
    outs: dict[str, HashInfo] = {}
    metrics: dict[str, HashInfo] = {}
    for out in stage.outs:
        path = ws.project.abspath(out.path)
        try:
            hashed = ws.hasher.hash_path(path)
        except FileNotFoundError:
            raise errors.StageFailedError(
                f"stage '{stage.name}' finished without creating its output '{out.path}'"
            ) from None
        # Metrics too, as copies (git tracks the workspace file): the run cache restores them.
        if not out.temp:  # never cached: an intermediate file the stages after it read, then gone
            ws.cache.add(path, hashed, copy=not out.cache)
        (outs if out.cache else metrics)[out.path] = hashed.info
    for out in stage.outs:
        if not out.cache and not out.temp:  # a metric inside a directory output became a link with it: git needs a file
            ws.cache.detach(ws.project.abspath(out.path))
    ws.run_cache.record(stage, basis.run_inputs, outs, metrics)
    return _write_lock(ws, stage, basis, {**outs, **metrics})


def restore_run(ws: Workspace, stage: Stage, entry: RunEntry, basis: Basis) -> StageLock:
    """Bring every output back as the matching recorded run made it, then write the lock that
    run would have written."""
    ws.run_cache.restore(entry, stage, ws.cache, ws.project.root, ws.hasher)
    return _write_lock(ws, stage, basis, {**entry.outs, **entry.metrics})


def commit_produced(ws: Workspace, stage: Stage, basis: Basis, produced: Iterable[Produced]) -> StageLock:
    """The lock of a stage that ran elsewhere (remote-cache mode), from the hashes its worker
    returned: its cached outputs are on the remote, whether or not they are in the workspace."""
    by_path = {item.path: HashInfo(item.oid, item.size, item.nfiles) for item in produced}
    missing = [out.path for out in stage.outs if out.path not in by_path]
    if missing:
        raise errors.StageFailedError(f"stage '{stage.name}' finished without creating its output '{missing[0]}'")
    outs = {out.path: by_path[out.path] for out in stage.outs if out.cache}
    metrics = {out.path: by_path[out.path] for out in stage.outs if not out.cache}
    for out in stage.outs:
        if not out.cache and not out.temp:  # written here from the outcome; a copy in the cache, as a local run keeps
            path = ws.project.abspath(out.path)
            ws.cache.add(path, ws.hasher.hash_path(path), copy=True)
    ws.run_cache.record(stage, basis.run_inputs, outs, metrics)  # a hit here once its outputs are fetched
    return _write_lock(ws, stage, basis, {**outs, **metrics})


def _write_lock(ws: Workspace, stage: Stage, basis: Basis, infos: Mapping[str, HashInfo]) -> StageLock:
    """Each output with its kind and cache flag as the stage declares them (schema 2 of the lock)."""
    lock = StageLock(
        code_fingerprint=basis.code_fingerprint,
        code_manifest=dict(basis.code_manifest),
        params=dict(basis.params),
        deps=dict(basis.deps),
        outputs={out.path: LockedOutput(infos[out.path], out.kind, out.cache, out.temp) for out in stage.outs},
        code_scheme=basis.code_scheme,
        cmd=stage.cmd,
    )
    path = ws.project.lock_file(stage.name)
    lock_mod.write(path, lock)
    ws.locks.wrote(path, lock)
    return lock


def record_scheme(ws: Workspace, stage: Stage, lock: StageLock) -> None:
    """Write a lock whose code fingerprint was carried over to the current scheme (it matched under
    the scheme it was written with): the stage did not run, and the next decision compares directly."""
    declared = {out.path: out.kind for out in stage.outs}
    lock_mod.write(ws.project.lock_file(stage.name), lock.with_declared_kinds(declared))


def restore(ws: Workspace, stage: Stage, lock: StageLock, paths: tuple[str, ...]) -> None:
    """Bring outputs back from the cache (verified on the way) instead of running the stage."""
    for path in paths:
        info = lock.outputs[path].info
        ws.cache.checkout(info.oid, ws.project.abspath(path), ws.hasher)
